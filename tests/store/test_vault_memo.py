"""The vault's read-only views (users, units, key generations) are reused
while vault.json is unchanged (issue 16: parsing and verifying it several
times per operation cost a tenth of each create/pause/open), and never
outlive a change, whether made by this process, another one, or a file put
back from outside."""

from __future__ import annotations

import shutil

import pytest

from asi_tui.store import Store
from asi_tui.store.errors import VaultAltered

from store_helpers import ADMIN, ADMIN_PW


def test_a_change_by_another_process_is_seen_at_once(env) -> None:
    reader = Store.open(env.root).vault
    assert "kim" not in {u.id for u in reader.users()}
    other = env.session()  # another process's session
    other.add_user("kim", "Kim K", "interviewer", "kims-hemliga-fras-9", certified=True)
    other.add_unit("Mottagningen")
    assert "kim" in {u.id for u in reader.users()}
    assert "Mottagningen" in {u.name for u in reader.units()}


def test_a_file_put_back_is_seen_and_a_broken_one_refused(env, tmp_path) -> None:
    vault = Store.open(env.root).vault
    before = tmp_path / "vault-before.json"
    shutil.copy2(env.vault_path, before)
    env.admin.add_user("kim", "Kim K", "interviewer", "kims-hemliga-fras-9", certified=True)
    assert "kim" in {u.id for u in vault.users()}
    shutil.copy2(before, env.vault_path)  # the older copy, with its old mtime
    assert "kim" not in {u.id for u in vault.users()}
    env.vault_path.write_bytes(env.vault_path.read_bytes().replace(b'"anna"', b'"anka"'))
    with pytest.raises(VaultAltered):
        vault.users()


def test_the_views_are_copies(env) -> None:
    vault = Store.open(env.root).vault
    vault.users().clear()
    vault.units().clear()
    assert vault.users() and vault.units()
    assert Store.open(env.root).unlock(ADMIN, ADMIN_PW).user.id == ADMIN
