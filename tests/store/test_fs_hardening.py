"""Filesystem defences (issue 11): the store never follows a symlink, never
writes through a hard link or into a FIFO, and refuses such a file with one
clear line naming it. A group member without any key can plant these."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.store import Store
from asi_tui.store.errors import StoreError

from store_helpers import ADMIN, ADMIN_PW, ANNA, BASIC_ANSWERS, INTERVIEW_DATE, index_live, run_child

UNSAFE = "store.error.unsafe_path"
SECRET = b"the admin's own notes, not asi-tui's\n"


@pytest.fixture
def outside(tmp_path):
    """A file outside the data directory that must never change (the admin's home)."""
    home = tmp_path / "home-admin"
    home.mkdir()
    target = home / "notes.txt"
    target.write_bytes(SECRET)
    return target


def _record(env, bank, pause: bool = False) -> str:  # noqa: ANN001
    return env.make_record(bank, BASIC_ANSWERS[:3], pause=pause)


def _symlink(path, target) -> None:  # noqa: ANN001
    path.unlink(missing_ok=True)
    path.symlink_to(target)


def _assert_unsafe(exc_info, name: str) -> None:  # noqa: ANN001
    assert exc_info.value.key == UNSAFE
    assert str(exc_info.value.params["path"]).endswith(name)


def cli(env, *args: str, user: str = ADMIN):  # noqa: ANN001, ANN201
    pw = env.root.parent / f"pw-{user}"
    pw.write_text({ADMIN: ADMIN_PW}.get(user, "") + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--lang", "en", "--data", str(env.root), "--user", user, *args, "--passphrase-file", str(pw)])
    assert "Traceback" not in result.output
    return result


def one_line(result) -> str:  # noqa: ANN001
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1, result.output
    return lines[0]


# --------------------------------------------------------------------------- lock files


def test_key_rotate_does_not_truncate_the_target_of_a_symlinked_lock_file(env, bank, outside):
    rid = _record(env, bank)
    _symlink(env.root / "locks" / f"{rid}.lock", outside)
    result = env.admin.rotate_key()
    assert outside.read_bytes() == SECRET
    assert result["skipped"] == [rid] and not result["finished"]


def test_opening_a_record_whose_lock_file_is_a_symlink_is_refused_by_name(env, bank, outside):
    rid = _record(env, bank)
    _symlink(env.root / "locks" / f"{rid}.lock", outside)
    with pytest.raises(StoreError) as exc:
        env.session(ANNA).open_record(rid)
    _assert_unsafe(exc, f"locks/{rid}.lock")
    assert outside.read_bytes() == SECRET


def test_a_hard_linked_lock_file_is_not_written_through(env, bank, tmp_path):
    rid = _record(env, bank)
    lock = env.root / "locks" / f"{rid}.lock"
    other = tmp_path / "hard-target"
    other.write_bytes(SECRET)
    lock.unlink()
    os.link(other, lock)
    with pytest.raises(StoreError) as exc:
        env.admin.open_record(rid)
    _assert_unsafe(exc, f"locks/{rid}.lock")
    assert other.read_bytes() == SECRET


def test_a_symlinked_locks_directory_is_refused(env, bank, tmp_path):
    rid = _record(env, bank)
    elsewhere = tmp_path / "elsewhere"
    (env.root / "locks").rename(elsewhere)
    (env.root / "locks").symlink_to(elsewhere, target_is_directory=True)
    before = sorted(p.name for p in elsewhere.iterdir())
    with pytest.raises(StoreError) as exc:
        Store.open(env.root)
    _assert_unsafe(exc, "locks")
    with pytest.raises(StoreError) as exc:  # a session opened before the swap
        env.admin.open_record(rid)
    _assert_unsafe(exc, "locks")
    assert sorted(p.name for p in elsewhere.iterdir()) == before


# --------------------------------------------------------------------------- record delete


@pytest.mark.parametrize("which", ["record", "journal"])
def test_record_delete_never_overwrites_the_target_of_a_symlink(env, bank, outside, which):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    h.close()
    path = env.rec_path(h.rid) if which == "record" else env.jnl_path(h.rid, 0)
    real = path.read_bytes()
    _symlink(path, outside)
    with pytest.raises(StoreError) as exc:
        env.admin.delete_record(h.rid)
    _assert_unsafe(exc, path.name)
    assert outside.read_bytes() == SECRET
    # nothing was shredded: put the real file back and the record is whole
    path.unlink()
    path.write_bytes(real)
    assert env.admin.open_record(h.rid, readonly=True).interview.value("G16") == 30


def test_record_delete_through_the_cli_names_the_symlink(env, bank, outside):
    rid = _record(env, bank)
    _symlink(env.rec_path(rid), outside)
    line = one_line(cli(env, "record", "delete", rid, "--yes"))
    assert f"records/{rid}.rec" in line
    assert outside.read_bytes() == SECRET


# --------------------------------------------------------------------------- records, journals, vault, audit


def test_a_symlinked_record_is_refused(env, bank, tmp_path):
    rid = _record(env, bank, pause=True)
    moved = tmp_path / "moved.rec"
    env.rec_path(rid).rename(moved)
    env.rec_path(rid).symlink_to(moved)  # the real record, but behind a link
    for readonly in (True, False):
        with pytest.raises(StoreError) as exc:
            env.admin.open_record(rid, readonly=readonly)
        _assert_unsafe(exc, f"records/{rid}.rec")


def test_a_symlinked_journal_is_refused(env, bank, tmp_path):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    h.close()
    jnl = env.jnl_path(h.rid, 0)
    moved = tmp_path / "moved.jnl"
    jnl.rename(moved)
    jnl.symlink_to(moved)
    with pytest.raises(StoreError) as exc:
        env.admin.open_record(h.rid)
    _assert_unsafe(exc, f"journals/{h.rid}.0.jnl")
    assert moved.stat().st_size > 0


FIFO_OPEN = r"""
s = Store.open(ROOT).unlock(ARGS["user"], ARGS["pw"])
try:
    s.open_record(ARGS["rid"], readonly=True)
    out(result="opened")
except E.StoreError as exc:
    out(result=exc.key, path=str(exc.params.get("path")))
"""


def test_a_fifo_in_place_of_a_journal_is_refused_without_hanging(env, bank):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    h.close()
    jnl = env.jnl_path(h.rid, 0)
    jnl.unlink()
    os.mkfifo(jnl, 0o660)
    lines = run_child(FIFO_OPEN, timeout=20, root=str(env.root), user=ADMIN, pw=ADMIN_PW, rid=h.rid)
    assert lines == [{"result": UNSAFE, "path": str(jnl)}]


def test_a_symlinked_vault_is_refused_by_name(env, tmp_path):
    moved = tmp_path / "vault-copy.json"
    env.vault_path.rename(moved)
    env.vault_path.symlink_to(moved)
    with pytest.raises(StoreError) as exc:
        Store.open(env.root).unlock(ADMIN, ADMIN_PW)
    _assert_unsafe(exc, "vault.json")


def test_a_symlinked_pending_audit_directory_is_not_chmodded(env, tmp_path):
    victim = tmp_path / "admins-private-dir"
    victim.mkdir(mode=0o700)
    os.chmod(victim, 0o700)
    pending = env.root / "audit" / "pending"
    for f in pending.iterdir():
        f.unlink()
    pending.rmdir()
    pending.symlink_to(victim, target_is_directory=True)
    with pytest.raises(StoreError):
        env.store.unlock(ADMIN, "wrong passphrase here")
    assert stat.S_IMODE(victim.stat().st_mode) == 0o700
    assert list(victim.iterdir()) == []


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_planted_index_file_is_index_damage_and_rebuild_replaces_it(env, bank, outside, kind):
    rid = _record(env, bank, pause=True)
    index = index_live(env.root, "log")
    index.unlink()
    if kind == "symlink":
        index.symlink_to(outside)
    else:
        os.mkfifo(index, 0o660)
    with pytest.raises(StoreError) as exc:
        env.session(ANNA).list_records()
    assert exc.value.key == "store.error.index_damaged"
    report = env.admin.rebuild_index()
    assert (report.records, report.clean) == (1, True)
    assert not os.path.lexists(index)  # the planted one removed (never followed), a new epoch written
    assert stat.S_ISREG(os.lstat(index_live(env.root, "log")).st_mode)
    assert [d["rid"] for d in env.admin.list_records()] == [rid]
    assert outside.read_bytes() == SECRET
