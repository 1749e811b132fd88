"""Every vault key generation brings new derived keys (issue 11): admin signing
key, index key, audit key and audit key pair; documents and published bank
files follow the rotation; disabling someone takes full effect at the next
rotation, which is flagged as due until it has run.

The attacks are played on the real files of a data directory, with the keys
an attacker would really hold (a copy of vault.json and their own passphrase)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asi_tui.store import Store
from asi_tui.store import crypto as C
from asi_tui.store.errors import VaultAltered, WrongPassphrase
from asi_tui.store.integrity import DocDamaged, NoCurrentKey
from asi_tui.store.keyslots import box_admin_key, box_vk, extend_admin_chain, make_slot
from asi_tui.store.vault import Vault

from asi_tui.store.segments import IndexDamaged, Partition
from store_helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW, BASIC_ANSWERS, OLLE, OLLE_PW, child_env, index_gen, index_live

XENA, XENA_PW = "xena", "xenas-egen-fras-9"
BOB, BOB_PW = "bob", "bobs-bakdorr-fras-1"
DRIVER = Path(__file__).resolve().with_name("driver.py")


def _vault(root: Path) -> dict:
    return json.loads((root / "vault.json").read_bytes())


def _write_vault(root: Path, data: dict) -> None:
    (root / "vault.json").write_text(json.dumps(data, indent=1, sort_keys=True))


def _sign(data: dict, admin_sk: bytes) -> None:
    """What the app signs, signed by whoever holds `admin_sk`."""
    data["users_sig"] = C.b64e(C.sign(admin_sk, Vault._signed_part(data)))


def _keys_from_copy(copy: Path, user: str, passphrase: str):  # noqa: ANN202
    """What someone holding an old copy of vault.json and their passphrase can open."""
    return Vault(copy, copy.parent / "vault.lock", copy.parent).unlock(user, passphrase)


def cli(root: Path, user: str, pw_file: Path, *args: str) -> subprocess.CompletedProcess:
    """`asi-tui` in a subprocess, as an admin at the server would run it."""
    cfg = {"mode": "cli", "args": ["--lang", "en", "--data", str(root), "--user", user, *args, "--passphrase-file", str(pw_file)]}
    return subprocess.run([sys.executable, str(DRIVER), json.dumps(cfg)], capture_output=True, text=True, timeout=120,
                          env=child_env())


@pytest.fixture
def xena(env, tmp_path):
    """A second admin who keeps a copy of vault.json, then is disabled."""
    env.admin.add_user(XENA, "Xena X", "admin", XENA_PW)
    copy = tmp_path / "xena-home" / "vault.json"
    copy.parent.mkdir()
    shutil.copy(env.vault_path, copy)
    return copy


@pytest.fixture
def pw_file(tmp_path) -> Path:
    f = tmp_path / "admin-pw"
    f.write_text(ADMIN_PW + "\n")
    return f


# --------------------------------------------------------------------------- the backdoor of a disabled admin


def _sign_in_backdoor(env, copy: Path, bump_serial: bool) -> None:  # noqa: ANN001
    """The disabled admin's attack: with the admin key and vault key from her
    copy, she writes a user of her own into today's table and signs it."""
    keys = _keys_from_copy(copy, XENA, XENA_PW)
    data = _vault(env.root)
    pair = C.KeyPair.generate()
    data["slots"][BOB] = make_slot(data, BOB, BOB_PW, pair)
    gen = data["vk_gen"]
    box_vk(data, BOB, pair.public, gen, keys.vks[gen])
    box_admin_key(data, BOB, pair.public, keys.admin_sk)
    data["users"].append({"id": BOB, "name": "Bob", "role": "admin", "certified": True, "disabled": False,
                          "pub": C.b64e(pair.public), "created": "2026-01-01T00:00:00+00:00"})
    if bump_serial:
        data["serial"] += 1
    _sign(data, keys.admin_sk)
    _write_vault(env.root, data)


@pytest.mark.parametrize("bump_serial", [True, False], ids=["serial-raised", "serial-kept"])
def test_backdoor_signed_in_by_a_disabled_admin_gets_no_key_at_the_next_rotation(env, xena, pw_file, bump_serial):
    env.admin.disable_user(XENA)
    _sign_in_backdoor(env, xena, bump_serial)

    # the admin's rotation refuses while vault.json does not match the audit log
    run = cli(env.root, ADMIN, pw_file, "key", "rotate")
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "does not match the audit log" in run.stderr
    assert sorted(_vault(env.root)["boxes"]) == ["1"]  # no new generation was begun

    # audit verify names it; after looking into it the admin takes the file as it is
    run = cli(env.root, ADMIN, pw_file, "audit", "verify")
    assert run.returncode != 0 and "vault.json (serial" in run.stderr and "--accept" in run.stderr
    run = cli(env.root, ADMIN, pw_file, "audit", "verify", "--accept")
    assert run.returncode == 0, run.stderr

    # the rotation still gives the backdoor nothing: the app never let bob in
    run = cli(env.root, ADMIN, pw_file, "key", "rotate")
    assert run.returncode == 0, run.stderr
    assert f"The user {BOB} got no new key" in run.stderr
    vault = _vault(env.root)
    assert vault["vk_gen"] == 2
    assert BOB not in vault["boxes"]["2"] and BOB not in vault["admin_boxes"]
    assert {ADMIN, ANNA, OLLE} <= set(vault["boxes"]["2"]) and XENA not in vault["boxes"]["2"]
    with pytest.raises((NoCurrentKey, VaultAltered)):
        env.session(BOB, BOB_PW)
    # and what the disabled admin kept opens nothing of the new generation
    keys = _keys_from_copy(xena, XENA, XENA_PW)
    admin_sk_now = env.session(ADMIN).keys.admin_sk
    assert keys.admin_sk != admin_sk_now
    for box in vault["boxes"]["2"].values():
        with pytest.raises(C.CryptoError):
            C.box_open(keys.user_sk, C.b64d(box), b"")
    for user, pw in ((ADMIN, ADMIN_PW), (ANNA, ANNA_PW), (OLLE, OLLE_PW)):
        env.session(user, pw).close()  # everyone else goes on working


def test_a_former_admin_cannot_fork_the_admin_key_chain_after_a_rotation(env, xena):
    """She still holds the generation-1 admin key: she links a key of her own
    to it and signs a table that makes her an admin again."""
    env.admin.disable_user(XENA)
    env.admin.rotate_key()
    keys = _keys_from_copy(xena, XENA, XENA_PW)
    data = _vault(env.root)
    evil_sk, evil_pub = C.new_signing_key()
    data["admin_chain"] = data["admin_chain"][:1]
    extend_admin_chain(data, data["vk_gen"], evil_pub, keys.admin_sk)
    data["admin_pub"] = C.b64e(evil_pub)
    row = next(u for u in data["users"] if u["id"] == XENA)
    row["disabled"] = False
    _sign(data, evil_sk)
    _write_vault(env.root, data)
    for user, pw in ((ADMIN, ADMIN_PW), (ANNA, ANNA_PW)):
        with pytest.raises(VaultAltered):  # her key is not sealed under the current vault key
            Store.open(env.root).unlock(user, pw)


def test_an_interviewer_with_the_vault_key_cannot_extend_the_chain(env):
    """Anna holds the vault key but never an admin key: a link she signs herself does not verify."""
    data = _vault(env.root)
    evil_sk, evil_pub = C.new_signing_key()
    extend_admin_chain(data, data["vk_gen"] + 1, evil_pub, evil_sk)
    data["admin_pub"] = C.b64e(evil_pub)
    next(u for u in data["users"] if u["id"] == ANNA)["role"] = "admin"
    _sign(data, evil_sk)
    _write_vault(env.root, data)
    with pytest.raises(VaultAltered):
        Store.open(env.root).unlock(ANNA, ANNA_PW)


# --------------------------------------------------------------------------- new derived keys


def test_a_rotation_replaces_the_admin_index_and_audit_keys(env, xena):
    env.admin.disable_user(XENA)
    before = _vault(env.root)
    old = env.session(ADMIN).keys
    result = env.admin.rotate_key()
    assert result["finished"] and result["gen"] == 2
    after = _vault(env.root)
    new = env.session(ADMIN).keys
    assert after["admin_pub"] != before["admin_pub"] and len(after["admin_chain"]) == 2
    assert sorted(after["admin_boxes"]) == sorted([ADMIN, "_recovery"])  # the disabled admin has no box
    assert after["keys"]["2"]["audit_pub"] != before["keys"]["1"]["audit_pub"]
    assert new.admin_sk != old.admin_sk
    assert new.aks[2] != old.aks[1] and new.iks[2] != old.iks[1] and new.audit_sks[2] != old.audit_sks[1]
    assert (new.aks[1], new.iks[1]) == (old.aks[1], old.iks[1])  # the old keys, archived under the new vault key
    # audit entries from before the rotation stay readable to the admin
    actions = [e["action"] for e in env.session(ADMIN).audit_entries()]
    assert "user-init" in actions and "key-rotate" in actions


def _entries_open_with(root: Path, keys: list[bytes]) -> list[bool]:
    out = []
    for f in sorted((root / "audit").glob("*.log")):
        for line in f.read_text().splitlines():
            obj = json.loads(line)
            ct, ad = base64.b64decode(obj["ct"]), f"asi-tui/audit/v1\0{obj['seq']}".encode()
            opened = False
            for k in keys:
                try:
                    C.open_sealed(k, ct, ad)
                    opened = True
                except C.CryptoError:
                    pass
            out.append(opened)
    return out


def test_a_user_removed_before_a_rotation_cannot_read_the_index_or_new_audit_entries(env, bank):
    olle = env.session(OLLE)
    aks, iks, audit_sks = list(olle.keys.aks.values()), list(olle.keys.iks.values()), list(olle.keys.audit_sks.values())
    olle_unit_keys = list(olle.keys.unit_keys.values())
    olle.close()
    env.make_record(bank, BASIC_ANSWERS[:3], client_ref="K-before")
    assert all(_entries_open_with(env.root, aks))  # he could read the log so far
    env.admin.disable_user(OLLE)
    env.admin.rotate_key()
    n_before = len(_entries_open_with(env.root, aks))
    env.make_record(bank, BASIC_ANSWERS[:3], client_ref="K-after", session=env.session(ANNA))
    with pytest.raises(WrongPassphrase):
        env.session(OLLE)  # an unlock attempt is sealed to the new audit key pair, too

    # the partitions are sealed under the new generation's unit keys, which he never got
    assert index_gen(env.root) == env.admin.keys.current_gen
    old_unit_keys = [C.subkey(k, "asi-tui/index/v1") for g in olle_unit_keys for k in g.values()]
    part_dir = index_live(env.root, "log").parent

    def reader(key_for):  # noqa: ANN001, ANN202
        return Partition(part_dir.parent, env.root / "locks", env.root / "tmp", part_dir.name, key_for, lambda old, new: None)

    for key in [*iks, *old_unit_keys]:
        with pytest.raises(IndexDamaged):
            reader(lambda gen, k=key: k).refresh()
    admin_reader = reader(lambda gen: env.admin.keys.index_key(part_dir.name, gen))
    admin_reader.refresh()  # the same files open with the keys of the new generation
    assert {d["client_ref"] for d in admin_reader.docs.values()} == {"K-before", "K-after"}
    readable = _entries_open_with(env.root, aks)
    assert readable[n_before:] and not any(readable[n_before:])  # nothing after the rotation
    for evt in (env.root / "audit" / "pending").glob("*.evt"):
        for sk in audit_sks:
            with pytest.raises(C.CryptoError):
                C.box_open(sk, evt.read_bytes(), b"asi-tui/audit-pending/v1")
    # while the admin reads every entry, old and new
    clients = {e.get("client") for e in env.session(ADMIN).audit_entries()}
    assert {"K-before", "K-after"} <= clients
    assert any(e["action"] == "unlock-failed" and e["user"] == OLLE for e in env.session(ADMIN).audit_entries())


# --------------------------------------------------------------------------- documents and bank files


@pytest.mark.parametrize("reencrypt", [False, True], ids=["rewrap", "reencrypt"])
def test_training_groups_survive_key_rotations(env, reencrypt):
    env.admin.save_doc("group", "kurs-1", {"name": "kurs-1", "trainer": ADMIN, "members": [ANNA]})
    for _ in range(2):
        result = env.admin.rotate_key(reencrypt=reencrypt)
        assert result["finished"] and result["docs_damaged"] == []
    for user in (ADMIN, ANNA):
        assert env.session(user).load_docs("group") == {"kurs-1": {"name": "kurs-1", "trainer": ADMIN, "members": [ANNA]}}
    header = (env.root / "docs" / "group" / "kurs-1.doc").read_bytes()
    assert b'"vk_gen": 3' in header


def test_an_unreadable_document_is_reported_not_skipped(env):
    env.admin.save_doc("group", "a", {"name": "a"})
    env.admin.save_doc("group", "b", {"name": "b"})
    p = env.root / "docs" / "group" / "b.doc"
    data = bytearray(p.read_bytes())
    data[-1] ^= 1
    p.write_bytes(bytes(data))
    session = env.session(ADMIN)
    with pytest.raises(DocDamaged) as exc:
        session.load_docs("group")
    assert exc.value.params == {"kind": "group", "doc": "b"}
    damaged: list[str] = []
    assert session.load_docs("group", damaged) == {"a": {"name": "a"}}
    assert damaged == ["b"]
    assert [e["detail"] for e in session.audit_entries() if e["action"] == "doc-damaged"][-1] == {"kind": "group", "doc": "b"}
    result = session.rotate_key()
    assert result["docs_damaged"] == ["group/b"]


def test_a_published_bank_version_stays_valid_across_a_rotation(env):
    from asi_tui.store.banks import BankStore, resolver_for
    from tests.banks.helpers import make_grund_v2

    source = make_grund_v2(env.root.parent / "v2")
    BankStore(env.root).publish(env.admin, source)
    session = Store.open(env.root, resolver=resolver_for(env.root)).unlock(ANNA, ANNA_PW)
    v2 = BankStore(env.root).active_bank("grund")
    handle = session.create_record(v2, "K-v2", __import__("datetime").date(2024, 1, 10))
    assert handle.answer("G16", 30).ok
    handle.pause()
    handle.close()
    env.admin.rotate_key()
    session = Store.open(env.root, resolver=resolver_for(env.root)).unlock(ANNA, ANNA_PW)
    assert BankStore(env.root).active_bank("grund").version == "2.0.0"  # state.json re-signed
    handle = session.open_record(handle.rid, readonly=True)  # the published file's signature re-signed
    assert handle.bank.version == "2.0.0" and handle.interview.value("G16") == 30
    # the retired admin key no longer counts for bank files
    sig = env.root / "banks" / "asi-grund" / "2.0.0.sig.json"
    assert C.b64d(_vault(env.root)["admin_pub"]) == Vault(env.vault_path, env.root / "locks" / "vault.lock", env.root / "tmp").admin_publics()[0]
    assert json.loads(sig.read_text())["signature"]


# --------------------------------------------------------------------------- rotation due


def test_disabling_a_user_makes_a_rotation_due_until_one_has_run(env, bank):
    assert env.admin.rotation_due() is None
    due = env.admin.disable_user(OLLE)
    assert due is not None and due.users == [OLLE] and due.reasons[0]["reason"] == "disabled"
    # the flag is signed: readable without unlocking (asi-tui doctor)
    assert Vault(env.vault_path, env.root / "locks" / "vault.lock", env.root / "tmp").rotation_due() == due
    env.admin.update_user(ADMIN, name="Adam")  # unrelated changes keep it
    assert env.admin.rotation_due() == due
    env.admin.rotate_key()
    assert env.admin.rotation_due() is None


def test_taking_the_admin_role_away_makes_a_rotation_due(env):
    env.admin.add_user(XENA, "Xena", "admin", XENA_PW)
    env.admin.update_user(XENA, role="interviewer")
    due = env.admin.rotation_due()
    assert due is not None and due.reasons == [{**due.reasons[0], "reason": "admin-role-removed", "user": XENA}]
    assert XENA not in _vault(env.root)["admin_boxes"]


def test_someone_disabled_during_a_rotation_keeps_it_due(env, bank):
    handle = env.session(ANNA).create_record(bank, "K-1", __import__("datetime").date(2024, 1, 10))
    env.admin.disable_user(OLLE)
    first = env.admin.rotate_key()
    assert not first["finished"]  # anna's open record holds the rotation
    env.admin.disable_user(ANNA)  # she got the new vault key when the rotation began
    handle.close()
    assert env.admin.rotate_key()["finished"]
    due = env.admin.rotation_due()
    assert due is not None and due.users == [ANNA]


def test_user_disable_on_the_command_line_says_a_rotation_is_due(env, pw_file):
    run = cli(env.root, ADMIN, pw_file, "user", "disable", OLLE)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == f"The user {OLLE} is disabled. Run asi-tui key rotate if the key may have been compromised."
    assert lines[1].startswith("A key rotation is due (since ") and f"; {OLLE})" in lines[1]
