"""Locks, the index and the audit log across processes
(storage-design §3.4, §3.5, §3.6 #12 #13 #14 #15 #17 #21)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
import signal
import subprocess

import pytest

from asi_tui.store.errors import PermissionsTooOpen, RecordDamaged, RecordLocked
from asi_tui.store import Store

from store_helpers import (
    delete_index,
    index_live,
    ADMIN,
    ADMIN_PW,
    ANNA,
    ANNA_PW,
    BASIC_ANSWERS,
    INTERVIEW_DATE,
    child_cmd,
    child_env,
    flip_bit,
    run_child,
    values,
)

ITEMS = [i for i, _ in BASIC_ANSWERS]


# --------------------------------------------------------------------------- #12 two writers

SECOND_WRITER = r"""
s = Store.open(ROOT).unlock(ARGS["user"], ARGS["pw"])
try:
    h = s.open_record(ARGS["rid"], reason="check")
    out(result="opened")
    h.close()
except E.RecordLocked as exc:
    out(result=type(exc).__name__, holder=exc.holder.get("user"), user=exc.params.get("user"))
ro = s.open_record(ARGS["rid"], readonly=True, reason="check")
out(values={i: ro.interview.value(i) for i in ARGS["items"]}, readonly=ro.readonly)
try:
    ro.answer("E4", 0)
    out(write="accepted")
except E.ReadOnly:
    out(write="ReadOnly")
"""


def test_second_writer_in_another_process_is_locked_out_and_may_read(env, bank):
    anna = env.session(ANNA)
    h = anna.create_record(bank, "K-1", INTERVIEW_DATE)
    for item, value in BASIC_ANSWERS[:3]:
        assert h.answer(item, value).ok
    journal = env.jnl_path(h.rid, 0)
    before = journal.read_bytes()

    lines = run_child(SECOND_WRITER, root=str(env.root), user=ADMIN, pw=ADMIN_PW, rid=h.rid, items=ITEMS[:3])

    assert lines[0] == {"result": "RecordLocked", "holder": ANNA, "user": ANNA}
    assert lines[1] == {"values": dict(BASIC_ANSWERS[:3]), "readonly": True}
    assert lines[2] == {"write": "ReadOnly"}
    assert journal.read_bytes() == before  # no frame from the second process
    assert h.answer("E4", 1).ok  # the first writer carries on
    h.close()
    again = env.session(ADMIN).open_record(h.rid, reason="check")
    assert values(again, ITEMS[:3] + ["E4"]) == {**dict(BASIC_ANSWERS[:3]), "E4": 1}


def test_lock_is_free_again_after_close(env, bank):
    rid = env.make_record(bank, BASIC_ANSWERS[:2], session=env.session(ANNA))
    lines = run_child(SECOND_WRITER, root=str(env.root), user=ADMIN, pw=ADMIN_PW, rid=rid, items=ITEMS[:2])
    assert lines[0] == {"result": "opened"}
    h = env.admin.open_record(rid, reason="check")
    assert h.notices == []  # a clean close leaves no stale holder behind


# --------------------------------------------------------------------------- #13 concurrent index updates

CREATOR = r"""
from asi_tui.bank.registry import bundled_bank
bank = bundled_bank("asi-grund")
s = Store.open(ROOT).unlock(ARGS["user"], ARGS["pw"])
while not Path(ARGS["go"]).exists():
    time.sleep(0.002)
rids = []
for i in range(ARGS["n"]):
    h = s.create_record(bank, f"K-{ARGS['user']}-{i}", date(2024, 1, 10))
    h.answer("G16", 30 + i)
    h.pause()  # a second index update for the same record
    h.close()
    rids.append(h.rid)
out(rids=rids)
"""


def test_two_processes_updating_the_index_lose_nothing(env, tmp_path):
    n = 15
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            child_cmd(CREATOR, root=str(env.root), user=user, pw=pw, n=n, go=str(go)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        for user, pw in ((ADMIN, ADMIN_PW), (ANNA, ANNA_PW))
    ]
    go.touch()
    created = set()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        created |= set(json.loads(out.splitlines()[-1])["rids"])
    assert len(created) == 2 * n

    s = env.session(ANNA)  # a fresh session: the file decrypts
    docs = s.list_records()
    assert len(docs) == 2 * n
    assert {d["rid"] for d in docs} == created
    assert {d["status"] for d in docs} == {"paused"}  # the second update of each record survived
    assert {d["gen"] for d in docs} == {1}
    assert s.verify_audit().ok  # the audit chain survived both writers too
    assert len([e for e in env.session(ADMIN).audit_entries() if e.get("action") == "create"]) == 2 * n


# --------------------------------------------------------------------------- #14 index rebuild


def _summary(docs):  # noqa: ANN001
    return sorted((d["rid"], d["status"], d["gen"], d["seq"], d["client_ref"], d["interviewer"]) for d in docs)


@pytest.mark.parametrize("damage", ["deleted", "empty", "random", "base-bit-flip", "frame-bit-flip", "header-cut"])
def test_damaged_index_is_rebuilt_from_the_records(env, bank, damage):
    rids = [
        env.make_record(bank, BASIC_ANSWERS[: 2 + i], client_ref=f"K-{i}", pause=i % 2 == 1, session=env.session(ANNA))
        for i in range(4)
    ]
    before = _summary(env.admin.list_records())
    assert [r for r, *_ in before] == sorted(rids)
    log, base = index_live(env.root, "log"), index_live(env.root, "base")
    data = log.read_bytes()
    first_frame = 12 + struct.unpack_from(">I", data, 8)[0]  # magic, header length, header
    assert len(data) > first_frame + 200  # more than one frame: a flip in the first is no torn tail
    if damage == "deleted":
        delete_index(env.root)
    elif damage == "base-bit-flip":
        base.write_bytes(flip_bit(base.read_bytes(), len(base.read_bytes()) - 3))
    else:
        log.write_bytes(
            {
                "empty": b"",
                "random": os.urandom(len(data)),
                "frame-bit-flip": flip_bit(data, first_frame + 20),
                "header-cut": data[:10],
            }[damage]
        )
        with pytest.raises(RecordDamaged):  # a damaged index is an error, not an empty list
            env.session(ADMIN).list_records()
    s = env.session(ADMIN)
    report = s.rebuild_index()
    assert (report.records, report.damaged) == (4, [])
    assert _summary(s.list_records()) == before
    assert _summary(env.session(ANNA).list_records()) == before
    assert values(s.open_record(rids[3], reason="check"), ITEMS[:5]) == dict(BASIC_ANSWERS[:5])


def test_rebuild_reports_damaged_records(env, bank):
    good = env.make_record(bank, BASIC_ANSWERS[:2])
    bad = env.make_record(bank, BASIC_ANSWERS[:2])
    p = env.rec_path(bad)
    p.write_bytes(flip_bit(p.read_bytes(), len(p.read_bytes()) - 1))
    delete_index(env.root)
    report = env.admin.rebuild_index()
    assert (report.records, report.damaged) == (1, [bad])
    assert [d["rid"] for d in env.admin.list_records()] == [good]


# --------------------------------------------------------------------------- #15 audit log


def _log(env):  # noqa: ANN001
    files = sorted((env.root / "audit").glob("*.log"))
    assert len(files) == 1
    return files[0]


def _lines(env):  # noqa: ANN001
    return _log(env).read_bytes().splitlines(keepends=True)


def _write_lines(env, lines):  # noqa: ANN001
    _log(env).write_bytes(b"".join(lines))


@pytest.fixture
def audited(env, bank):
    """An audit log of some length, and an admin session whose unlock checkpointed it."""
    for i in range(3):
        env.make_record(bank, BASIC_ANSWERS[:2], client_ref=f"K-{i}", session=env.session(ANNA), pause=True)
    admin = env.session(ADMIN)
    checkpoint = json.loads((env.root / "audit" / "checkpoint.json").read_bytes())["seq"]
    env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-after", session=admin)
    assert admin.verify_audit().ok
    assert len(_lines(env)) > checkpoint > 12
    return admin, checkpoint


def test_untouched_audit_log_verifies(env, audited):
    admin, _ = audited
    result = admin.verify_audit()
    assert result.ok and result.entries == len(_lines(env)) and result.first_bad is None


def test_removed_audit_entry_is_reported(env, audited):
    admin, _ = audited
    lines = _lines(env)
    del lines[6]  # seq 7
    _write_lines(env, lines)
    result = admin.verify_audit()
    assert (result.ok, result.first_bad) == (False, 7)


def test_altered_audit_entry_is_reported(env, audited):
    admin, _ = audited
    lines = _lines(env)
    obj = json.loads(lines[6])
    ct = bytearray(base64.b64decode(obj["ct"]))
    ct[20] ^= 1
    obj["ct"] = base64.b64encode(bytes(ct)).decode()
    lines[6] = (json.dumps(obj) + "\n").encode()
    _write_lines(env, lines)
    result = admin.verify_audit()
    assert (result.ok, result.first_bad) == (False, 7)


def test_altered_audit_entry_with_a_recomputed_chain_is_reported(env, audited):
    """An insider without the audit key rewrites the hash chain around an edit."""
    admin, _ = audited
    lines = _lines(env)
    prev = json.loads(lines[5])["h"]
    for i in range(6, len(lines)):
        obj = json.loads(lines[i])
        ct = base64.b64decode(obj["ct"])
        if i == 6:
            ct = flip_bit(ct, 20)
            obj["ct"] = base64.b64encode(ct).decode()
        obj["h"] = prev = hashlib.sha256(bytes.fromhex(prev) + ct).hexdigest()
        lines[i] = (json.dumps(obj) + "\n").encode()
    _write_lines(env, lines)
    result = admin.verify_audit()
    assert (result.ok, result.first_bad) == (False, 7)


def test_reordered_audit_entries_are_reported(env, audited):
    admin, _ = audited
    lines = _lines(env)
    lines[6], lines[7] = lines[7], lines[6]
    _write_lines(env, lines)
    result = admin.verify_audit()
    assert (result.ok, result.first_bad) == (False, 7)


def test_truncated_audit_tail_is_caught_against_the_checkpoint(env, audited):
    admin, checkpoint = audited
    lines = _lines(env)
    _write_lines(env, lines[: checkpoint - 3])
    result = admin.verify_audit()
    assert (result.ok, result.reason) == (False, "truncated")
    # an interviewer's session (which appends its own "unlock" entry) sees it too
    result = env.session(ANNA).verify_audit()
    assert (result.ok, result.reason) == (False, "truncated")


def test_truncated_audit_tail_is_caught_by_a_later_admin_verify(env, audited):
    _admin, checkpoint = audited
    lines = _lines(env)
    _write_lines(env, lines[: checkpoint - 3])
    result = env.session(ADMIN).verify_audit()  # what `asi-tui audit verify` does
    assert (result.ok, result.reason) == (False, "truncated")


def test_forged_checkpoint_is_reported(env, audited):
    admin, _ = audited
    path = env.root / "audit" / "checkpoint.json"
    cp = json.loads(path.read_bytes())
    cp["seq"] = 3
    path.write_text(json.dumps(cp))
    result = admin.verify_audit()
    assert (result.ok, result.reason) == (False, "checkpoint")


# --------------------------------------------------------------------------- #17 stale lock

KILLED_EDITOR = r"""
s = Store.open(ROOT).unlock(ARGS["user"], ARGS["pw"])
h = s.open_record(ARGS["rid"])
assert h.answer("E4", 1).ok
out(ready=True, pid=os.getpid())
time.sleep(120)
"""


def test_lock_of_a_killed_editor_is_taken_over_with_a_notice_and_audited(env, bank):
    rid = env.make_record(bank, BASIC_ANSWERS[:2])
    proc = subprocess.Popen(
        child_cmd(KILLED_EDITOR, root=str(env.root), user=ANNA, pw=ANNA_PW, rid=rid),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
    )
    try:
        ready = json.loads(proc.stdout.readline() or "{}")
        assert ready.get("ready"), proc.stderr.read() if proc.poll() is not None else "no output"
        with pytest.raises(RecordLocked):  # alive: the lock holds
            env.admin.open_record(rid, reason="check")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    lock_file = env.root / "locks" / f"{rid}.lock"
    assert json.loads(lock_file.read_bytes())["user"] == ANNA  # the dead holder's info is still there

    h = env.admin.open_record(rid, reason="check")
    assert "store.notice.stale_lock" in h.notices
    assert h.interview.value("E4") == 1  # the acknowledged answer survived the kill
    holder = json.loads(lock_file.read_bytes())
    assert (holder["user"], holder["pid"]) == (ADMIN, os.getpid())
    h.close()
    stale = [e for e in env.admin.audit_entries() if e.get("action") == "lock-stale" and e.get("rid") == rid]
    assert len(stale) == 1 and stale[0].get("detail") == {"previous": ANNA}
    assert env.admin.open_record(rid, reason="check").notices == []  # only once


# --------------------------------------------------------------------------- #21 permissions


@pytest.mark.parametrize(
    "target, bits",
    [(".", 0o004), (".", 0o001), ("records", 0o005), ("journals", 0o002), ("vault.json", 0o004)],
    ids=["root-o+r", "root-o+x", "records-o+rx", "journals-o+w", "vault-o+r"],
)
def test_data_dir_open_to_others_is_refused(env, target, bits):
    path = env.root / target
    os.chmod(path, path.stat().st_mode | bits)
    with pytest.raises(PermissionsTooOpen):
        Store.open(env.root)


def test_group_access_is_allowed(env):
    os.chmod(env.root, 0o2770)
    os.chmod(env.root / "vault.json", 0o660)
    assert Store.open(env.root).unlock(ADMIN, ADMIN_PW).user.is_admin
