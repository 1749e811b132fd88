"""Crash safety of the record store (storage-design §3.3, §3.6 #9, #10, #11, #19).

Crashes are real: a driver subprocess (tests/store/driver.py) runs the store
API, prints one ``ACK <tag>`` line per acknowledged step and is SIGKILLed by
an armed fault point.  The test process then reopens the data directory the
way a freshly started app would and checks that every acknowledged answer is
there, that nothing is locked and that the store goes on working.
"""

from __future__ import annotations

import errno
import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import DataDir, Store, faults
from asi_tui.store.errors import StorageIOError
from asi_tui.store.journal import journal_path, read_journal
from asi_tui.store.locks import is_locked
from asi_tui.store.records import read_header
from store_helpers import index_gen

DRIVER = Path(__file__).resolve().with_name("driver.py")
ADMIN_PW = "passphrase-123"
IVARE = "ivare"
IVARE_PW = "ivares-fras-4711"
PASSWORDS = {"admin": ADMIN_PW, IVARE: IVARE_PW}
BANK_ID = "asi-grund"
DAY = "2026-11-20"

# Acknowledged before the fault: (tag, item, value). M1 is answered twice, so
# the later value must win after recovery.
ACKED = [("a1", "M1", 3), ("a2", "E2", 5), ("a3", "E3", 1), ("a4", "E3s", "snickare"), ("a5", "M1", 7)]
EXPECTED = {"M1": 7, "E2": 5, "E3": 1, "E3s": "snickare"}
IN_FLIGHT = ("a6", "M6", 4)  # the answer being written when the process dies
NEVER = ("a7", "E4", 1)  # must never be reached


# ----------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(autouse=True)
def _no_faults():
    faults.disarm_all()
    yield
    faults.disarm_all()


@pytest.fixture(scope="module")
def grund():
    return bundled_bank(BANK_ID)


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "data"
    Store.init(root, "admin", "Admin", ADMIN_PW)
    return root


def session_for(root: Path, user: str = "admin"):
    """What a freshly started app does: open the data dir (sweeps tmp) and unlock."""
    return Store.open(root).unlock(user, PASSWORDS[user])


@dataclass
class DriverRun:
    returncode: int
    stdout: str
    stderr: str
    acks: list[str] = field(default_factory=list)
    payloads: dict[str, Any] = field(default_factory=dict)


def parse_acks(stdout: str) -> tuple[list[str], dict[str, Any]]:
    acks, payloads = [], {}
    for line in stdout.splitlines():
        if line.startswith("ACK "):
            parts = line.split(" ", 2)
            acks.append(parts[1])
            if len(parts) == 3:
                payloads[parts[1]] = json.loads(parts[2])
    return acks, payloads


def driver_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_driver(root: Path, steps: list[dict[str, Any]], user: str = "admin", timeout: float = 60) -> DriverRun:
    cfg = {"mode": "steps", "data": str(root), "user": user, "passphrase": PASSWORDS[user], "steps": steps}
    proc = subprocess.run(
        [sys.executable, str(DRIVER), json.dumps(cfg)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=driver_env(),
        stdin=subprocess.DEVNULL,
    )
    acks, payloads = parse_acks(proc.stdout)
    return DriverRun(proc.returncode, proc.stdout, proc.stderr, acks, payloads)


def answer_steps(answers=ACKED) -> list[dict[str, Any]]:  # noqa: ANN001
    return [{"op": "answer", "tag": tag, "item": item, "value": value} for tag, item, value in answers]


def create_step(client: str = "client") -> dict[str, Any]:
    return {"op": "create", "bank": BANK_ID, "client": client, "date": DAY}


def assert_no_lock_held(root: Path) -> None:
    held = [p.name for p in (root / "locks").iterdir() if is_locked(p)]
    assert held == [], f"locks still held after the process died: {held}"


def assert_answers(handle, expected: dict[str, Any]) -> None:  # noqa: ANN001
    got = {item: handle.interview.value(item) for item in expected}
    assert got == expected


def tmp_files(root: Path) -> list[Path]:
    return sorted((root / "tmp").glob("*.tmp"))


def journals_of(root: Path, rid: str) -> list[str]:
    return sorted(p.name for p in (root / "journals").glob(f"{rid}.*.jnl"))


# ----------------------------------------------------------------------------- #9 kill -9 while journalling an answer

JOURNAL_POINTS = ["journal.before_write", "journal.mid_frame", "journal.after_write_before_fsync", "journal.after_fsync"]


@pytest.mark.parametrize("point", JOURNAL_POINTS)
def test_kill9_while_journalling_keeps_every_acknowledged_answer(root, point):
    steps = [create_step(), *answer_steps(), {"op": "arm", "point": point, "action": "kill"}, *answer_steps([IN_FLIGHT, NEVER])]
    run = run_driver(root, steps)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert run.acks == ["create", *[a[0] for a in ACKED]], run.stdout  # the in-flight answer was never acknowledged
    rid = run.payloads["create"]["rid"]

    assert_no_lock_held(root)
    assert tmp_files(root) == []  # a journal append never goes through tmp/
    session = session_for(root)  # opens without an exception
    handle = session.open_record(rid)  # for editing: the dead process's lock is free
    assert not handle.readonly
    assert_answers(handle, EXPECTED)
    assert handle.interview.value(NEVER[1]) is None
    in_flight = handle.interview.value(IN_FLIGHT[1])
    if point in ("journal.before_write", "journal.mid_frame"):
        assert in_flight is None  # nothing (or half a frame) reached the file
    else:
        assert in_flight in (None, IN_FLIGHT[2])  # exactly the old or the new state
    assert ("store.notice.torn_tail" in handle.notices) == (point == "journal.mid_frame")
    assert "store.notice.stale_lock" in handle.notices  # the killed holder's info was found and overwritten

    # the store goes on: the torn tail is gone, a new frame lands on a clean tail
    assert handle.answer("M6", 2).ok
    handle.close()
    handle = session.open_record(rid)
    assert handle.notices == []
    assert_answers(handle, {**EXPECTED, "M6": 2})
    res = read_journal(journal_path(root / "journals", rid, handle.snap.gen), rid, handle.snap.gen, handle.snap.dek, handle.snap.seq)
    assert not res.torn
    handle.pause()
    handle.close()
    handle = session.open_record(rid, readonly=True)
    assert handle.status == "paused" and handle.notices == []
    assert_answers(handle, {**EXPECTED, "M6": 2})
    handle.close()
    session.close()


# ----------------------------------------------------------------------------- #9 kill -9 during pause (snapshot + compaction)

# point -> status the record must have after the crash (old state = in_progress, new = paused)
PAUSE_POINTS = {
    "atomic.after_write_before_fsync": "in_progress",
    "atomic.after_fsync_before_replace": "in_progress",
    "atomic.after_replace_before_dir_fsync": "paused",
    "compact.after_snapshot": "paused",
    "compact.after_new_journal": "paused",
}


@pytest.mark.parametrize("point", list(PAUSE_POINTS))
def test_kill9_during_pause_gives_old_or_new_state(root, point):
    steps = [create_step(), *answer_steps(), {"op": "arm", "point": point, "action": "kill"}, {"op": "pause"}, *answer_steps([NEVER])]
    run = run_driver(root, steps)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert run.acks == ["create", *[a[0] for a in ACKED]], run.stdout  # the pause was not acknowledged
    rid = run.payloads["create"]["rid"]
    assert_no_lock_held(root)

    leftovers = tmp_files(root)
    if point in ("atomic.after_write_before_fsync", "atomic.after_fsync_before_replace"):
        assert len(leftovers) == 1  # the snapshot's temp file, killed before the rename
    else:
        assert leftovers == []

    session = session_for(root)  # a young leftover temp file does not stop the store opening
    handle = session.open_record(rid)
    assert handle.status == PAUSE_POINTS[point]
    assert_answers(handle, EXPECTED)
    assert handle.interview.value(NEVER[1]) is None
    assert "store.notice.torn_tail" not in handle.notices
    # the stale generation's journal is gone once the record is open for editing
    assert journals_of(root, rid) in ([], [f"{rid}.{handle.snap.gen}.jnl"])

    # and the record goes on: answer, pause, reopen
    gen_before = handle.snap.gen
    assert handle.answer("M6", 2).ok
    handle.pause()
    handle.close()
    handle = session.open_record(rid)
    assert handle.status == "paused" and handle.notices == []
    assert handle.snap.gen == gen_before + 1
    assert_answers(handle, {**EXPECTED, "M6": 2})
    handle.close()
    assert journals_of(root, rid) == [f"{rid}.{gen_before + 1}.jnl"]

    # a stray temp file is swept once it is old (an hour: it may belong to a live writer before that)
    leftovers = tmp_files(root)
    if leftovers:
        old = time.time() - 2 * 3600
        for f in leftovers:
            os.utime(f, (old, old))
        Store.open(root)
        assert tmp_files(root) == []
    session.close()


def test_sweep_tmp_removes_only_old_temp_files(root):
    d = DataDir(root)
    old, young, other = d.tmp / ".x.rec.aaaa.tmp", d.tmp / ".y.rec.bbbb.tmp", d.tmp / "keep.txt"
    for f in (old, young, other):
        f.write_bytes(b"debris")
    two_hours_ago = time.time() - 2 * 3600
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    d.sweep_tmp()
    assert not old.exists()
    assert young.exists()  # may still be written by a live process
    assert other.exists()  # only *.tmp is ours to remove
    # and Store.open sweeps as well
    os.utime(young, (two_hours_ago, two_hours_ago))
    Store.open(root)
    assert not young.exists()


def test_kill9_during_create_leaves_an_openable_store(root):
    """A crash while the first snapshot is written: no record, or a whole one."""
    steps = [{"op": "arm", "point": "atomic.after_fsync_before_replace", "action": "kill"}, create_step()]
    run = run_driver(root, steps)
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert run.acks == []
    assert_no_lock_held(root)
    session = session_for(root)
    assert list((root / "records").glob("*.rec")) == []
    assert session.list_records() == []
    handle = session.create_record(bundled_bank(BANK_ID), "client", date(2026, 11, 20))
    assert handle.answer("M1", 3).ok
    handle.close()
    session.close()


# ----------------------------------------------------------------------------- #10 SIGHUP (SSH dropped) mid-interview


def _read_until(proc: subprocess.Popen, marker: bytes, timeout: float = 30) -> bytes:
    """Raw reads (no Python buffering, which would hide lines from select)."""
    buf = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()  # type: ignore[union-attr]
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        if marker + b"\n" in buf:
            return buf
    proc.kill()
    raise AssertionError(f"driver did not reach {marker!r}: {buf!r}")


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_hangup_mid_interview_exits_and_keeps_acknowledged_answers(root, sig):
    steps = [{"op": "hygiene"}, create_step(), *answer_steps(), {"op": "block"}, *answer_steps([NEVER])]
    cfg = {"mode": "steps", "data": str(root), "user": "admin", "passphrase": ADMIN_PW, "steps": steps}
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), json.dumps(cfg)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
        env=driver_env(),
    )
    try:
        head = _read_until(proc, b"BLOCKING")
        proc.send_signal(sig)
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stdout, stderr = (head + rest).decode(), err.decode()
    assert "UNBLOCKED" not in stdout
    acks, payloads = parse_acks(stdout)
    assert proc.returncode == 128 + sig, stderr  # SystemExit from the handler: finally blocks ran
    assert "Traceback" not in stderr
    assert acks == ["hygiene", "create", *[a[0] for a in ACKED]]
    rid = payloads["create"]["rid"]

    assert_no_lock_held(root)
    session = session_for(root)
    handle = session.open_record(rid)  # the lock is free
    assert handle.notices == []  # a clean exit: lock released, no torn tail
    assert_answers(handle, EXPECTED)
    assert handle.interview.value(NEVER[1]) is None
    handle.close()
    session.close()


# ----------------------------------------------------------------------------- #11 disk full, read-only, no access


@pytest.fixture
def admin(root):
    session = session_for(root)
    yield session
    session.close()


def _journal_ops(root: Path, handle) -> list[dict[str, Any]]:  # noqa: ANN001
    snap = handle.snap
    res = read_journal(journal_path(root / "journals", handle.rid, snap.gen), handle.rid, snap.gen, snap.dek, snap.seq)
    assert not res.torn
    return res.ops


@pytest.mark.parametrize("point", ["journal.before_write", "journal.mid_frame", "journal.after_write_before_fsync"])
def test_disk_full_answer_is_refused_and_retry_writes_it_once(root, admin, grund, point):
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    assert handle.answer("M1", 3).ok
    assert handle.answer("E2", 5).ok

    faults.arm(point, "enospc")
    with pytest.raises(StorageIOError) as exc:
        handle.answer("M1", 7)
    assert exc.value.key == "store.error.disk_full"
    assert handle.interview.value("M1") == 3  # not acknowledged: the engine state is unchanged
    with pytest.raises(StorageIOError):
        handle.answer("E3", 1)  # a new item: still refused, still not shown as answered
    assert handle.interview.value("E3") is None
    assert handle.interview.value("E2") == 5

    faults.disarm_all()
    assert handle.answer("M1", 7).ok  # the retry writes the whole frame anew
    assert handle.interview.value("M1") == 7
    handle.close()

    handle = admin.open_record(rid, reason="check")
    assert handle.notices == []  # no torn tail left by the failed attempts
    assert_answers(handle, {"M1": 7, "E2": 5, "E3": None})
    ops = _journal_ops(root, handle)
    assert [(op["op"], op["item"]) for op in ops] == [("answer", "M1"), ("answer", "E2"), ("answer", "M1")]
    assert sum(1 for op in ops if op["item"] == "M1" and op["v"] == 7) == 1  # exactly once
    handle.close()


@pytest.mark.parametrize(
    "point",
    [
        "journal.before_write",
        "journal.mid_frame",
        pytest.param(
            "journal.after_write_before_fsync"
        ),
    ],
)
def test_refused_answer_does_not_come_back_without_a_retry(root, admin, grund, point):
    """An answer reported as not saved must not appear after close + reopen
    (design #11: old files intact, no fsync retry-and-trust)."""
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    assert handle.answer("M1", 3).ok
    faults.arm(point, "enospc")
    with pytest.raises(StorageIOError):
        handle.answer("M1", 7)
    faults.disarm_all()
    handle.close()  # the user gives up (disk still full) and quits
    handle = admin.open_record(rid, reason="check")
    assert handle.interview.value("M1") == 3
    handle.close()


@pytest.mark.parametrize("point", ["atomic.after_write_before_fsync", "atomic.after_fsync_before_replace"])
@pytest.mark.parametrize("action,key", [("enospc", "store.error.disk_full"), ("eio", "store.error.io")])
def test_disk_full_during_pause_keeps_record_in_progress(root, admin, grund, point, action, key):
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    assert handle.answer("M1", 3).ok
    faults.arm(point, action)
    with pytest.raises(StorageIOError) as exc:
        handle.pause()
    assert exc.value.key == key
    assert handle.status == "in_progress"
    assert tmp_files(root) == []  # the failed temp file was removed
    faults.disarm_all()
    assert handle.answer("E2", 5).ok
    handle.pause()  # the retry succeeds
    handle.close()
    handle = admin.open_record(rid, reason="check")
    assert handle.status == "paused" and handle.notices == []
    assert_answers(handle, {"M1": 3, "E2": 5})
    handle.close()


def test_failed_dir_fsync_after_snapshot_replace_loses_no_later_answer(root, admin, grund):
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    assert handle.answer("M1", 3).ok
    faults.arm("atomic.after_replace_before_dir_fsync", "eio")
    with pytest.raises(StorageIOError):
        handle.pause()  # reported as failed, yet the gen+1 snapshot is already in place
    faults.disarm_all()
    assert handle.answer("E2", 5).ok  # acknowledged
    handle.close()
    handle = admin.open_record(rid, reason="check")
    assert_answers(handle, {"M1": 3, "E2": 5})
    handle.close()


def _fail_once_opening(monkeypatch, path: Path, err: int) -> dict[str, int]:  # noqa: ANN001
    real_open = os.open
    state = {"failed": 0}

    def fake_open(p, flags, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        # the store opens its files by name relative to their directory's descriptor
        same = str(p) == str(path) or (kwargs.get("dir_fd") is not None and str(p) == path.name)
        if same and not state["failed"]:
            state["failed"] += 1
            raise OSError(err, os.strerror(err), str(p))
        return real_open(p, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    return state


def test_disk_full_creating_the_new_journal_is_a_typed_error(root, admin, grund, monkeypatch):
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    assert handle.answer("M1", 3).ok
    _fail_once_opening(monkeypatch, journal_path(root / "journals", handle.rid, 1), errno.ENOSPC)
    try:
        with pytest.raises(StorageIOError):
            handle.pause()
    finally:
        monkeypatch.undo()
        handle.close()


def test_failed_new_journal_during_pause_loses_no_acknowledged_answer(root, admin, grund, monkeypatch):
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    assert handle.answer("M1", 3).ok
    _fail_once_opening(monkeypatch, journal_path(root / "journals", rid, 1), errno.ENOSPC)
    with pytest.raises((StorageIOError, OSError)):
        handle.pause()
    monkeypatch.undo()  # space is back
    assert handle.answer("E2", 5).ok
    handle.pause()
    assert handle.answer("E3", 1).ok  # acknowledged
    handle.close()
    handle = admin.open_record(rid, reason="check")
    assert_answers(handle, {"M1": 3, "E2": 5, "E3": 1})
    handle.close()


@pytest.mark.parametrize("err,key", [(errno.EROFS, "store.error.read_only_fs"), (errno.EACCES, "store.error.no_access")])
def test_unwritable_journal_refuses_the_answer_with_a_typed_error(root, admin, grund, monkeypatch, err, key):
    """Read-only file system / no access, simulated at open(2) so it also holds as root."""
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    _fail_once_opening(monkeypatch, journal_path(root / "journals", rid, 0), err)
    with pytest.raises(StorageIOError) as exc:
        handle.answer("M1", 3)
    assert exc.value.key == key
    assert handle.interview.value("M1") is None
    monkeypatch.undo()
    assert handle.answer("M1", 3).ok
    handle.close()
    handle = admin.open_record(rid, reason="check")
    assert handle.notices == []
    assert_answers(handle, {"M1": 3})
    handle.close()


def test_read_only_journals_dir_refuses_the_answer(root, admin, grund):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod does not stop root from writing (see the open(2)-level variant above)")
    journals = root / "journals"
    handle = admin.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    os.chmod(journals, 0o500)
    try:
        with pytest.raises(StorageIOError) as exc:
            handle.answer("M1", 3)
        assert exc.value.key == "store.error.no_access"
        assert handle.interview.value("M1") is None
    finally:
        os.chmod(journals, 0o2770)
    assert handle.answer("M1", 3).ok
    handle.close()
    handle = admin.open_record(rid, reason="check")
    assert_answers(handle, {"M1": 3})
    handle.close()


# ----------------------------------------------------------------------------- #19 key rotation interrupted by kill -9

GROUP_DOC = {"name": "kurs", "trainer": "admin", "members": [IVARE]}

ROTATION_ANSWERS = [
    {"M1": 3, "E2": 5},
    {"M1": 1, "E3": 1, "E3s": "målare"},
    {"E2": 2, "M6": 9},
]


@pytest.fixture
def three_records(root, grund) -> dict[str, dict[str, Any]]:
    """Three records by an interviewer: two paused, the last in progress (answers only in its journal)."""
    admin = session_for(root)
    admin.add_user(IVARE, "Ivar Ek", "interviewer", IVARE_PW, certified=True)
    admin.save_doc("group", "kurs", GROUP_DOC)  # a training group: re-sealed by every rotation
    admin.close()
    session = session_for(root, IVARE)
    out = {}
    for i, answers in enumerate(ROTATION_ANSWERS):
        handle = session.create_record(grund, f"client-{i}", date(2026, 11, 20))
        for item, value in answers.items():
            assert handle.answer(item, value).ok
        if i < 2:
            handle.pause()
        handle.close()
        out[handle.rid] = answers
    session.close()
    return out


def _vault(root: Path) -> dict[str, Any]:
    return json.loads((root / "vault.json").read_text())


def _assert_index_sealed_with_current_key(root: Path) -> None:
    from asi_tui.store import crypto as C

    session = session_for(root)
    gen = session.keys.write_gen  # the new generation from the start of a rotation
    assert session.list_records()  # reading it rewrites a partition still under a retired key
    session.close()
    assert index_gen(root) == gen
    assert not (root / "index.db").exists()


def _check_every_record_opens(root: Path, records: dict[str, dict[str, Any]]) -> None:
    for user in ("admin", IVARE):
        session = session_for(root, user)
        for rid, answers in records.items():
            handle = session.open_record(rid, reason="check" if user == "admin" else None)  # for editing: no lock left behind
            assert_answers(handle, answers)
            handle.close()
        assert sorted(d["rid"] for d in session.list_records()) == sorted(records)
        assert session.load_docs("group") == {"kurs": GROUP_DOC}
        assert session.verify_audit().ok  # no crash point leaves vault.json and the audit chain at odds
        session.close()


# (fault point, nth hit, counted after point, reencrypt)
ROTATION_KILLS = [
    pytest.param("rotate.before_record", 1, None, False, id="before-record-1"),
    pytest.param("rotate.before_record", 2, None, False, id="before-record-2"),
    pytest.param("rotate.before_record", 3, None, False, id="before-record-3"),
    pytest.param("atomic.after_fsync_before_replace", 2, "rotate.before_record", False, id="mid-rewrap-of-record-2"),
    pytest.param("rotate.before_docs", 1, None, False, id="before-docs"),
    pytest.param("atomic.after_fsync_before_replace", 1, "rotate.before_docs", False, id="mid-doc-reseal"),
    pytest.param("rotate.before_finish", 1, None, False, id="before-finish"),
    pytest.param("rotate.before_index", 1, None, False, id="before-index-rewrite"),
    pytest.param("atomic.after_fsync_before_replace", 1, "rotate.before_index", False, id="mid-index-rewrite"),
    pytest.param("atomic.after_replace_before_dir_fsync", 1, None, False, id="vault-begin-written"),
    pytest.param("atomic.after_replace_before_dir_fsync", 1, "rotate.before_finish", False, id="vault-finish-written"),
    pytest.param("rotate.before_record", 2, None, True, id="reencrypt-before-record-2"),
    pytest.param("compact.after_snapshot", 2, None, True, id="reencrypt-mid-compaction-2"),
    pytest.param("rotate.before_finish", 1, None, True, id="reencrypt-before-finish"),
    pytest.param("rotate.before_index", 1, None, True, id="reencrypt-before-index-rewrite"),
    pytest.param(
        "atomic.after_replace_before_dir_fsync",
        1,
        "rotate.before_finish",
        True,
        id="reencrypt-index-rekeyed"
    ),
]


@pytest.mark.parametrize("point,nth,after,reencrypt", ROTATION_KILLS)
def test_kill9_during_key_rotation_then_rerun_completes(root, three_records, point, nth, after, reencrypt):
    old_gen = _vault(root)["vk_gen"]
    arm = {"op": "arm", "point": point, "action": "kill", "nth": nth, "after": after}
    run = run_driver(root, [arm, {"op": "rotate", "reencrypt": reencrypt}])
    assert run.returncode == -signal.SIGKILL, run.stderr
    assert "rotate" not in run.acks
    assert_no_lock_held(root)

    # every record still opens, with the old or the new key, for the admin and the interviewer
    for rid in three_records:
        header, _ = read_header(root / "records" / f"{rid}.rec")
        assert header["vk_gen"] in (old_gen, old_gen + 1)
    _check_every_record_opens(root, three_records)

    # once read, the index is sealed under the newest generation's keys (never left under a retired one)
    _assert_index_sealed_with_current_key(root)
    vault = _vault(root)
    if vault["rotating_to"]:
        assert vault["rotating_to"] == old_gen + 1 and vault["vk_gen"] == old_gen
        final_gen = old_gen + 1  # the rerun finishes this rotation
    else:
        assert vault["vk_gen"] in (old_gen, old_gen + 1)
        final_gen = vault["vk_gen"] + 1  # (not begun, or already finished): the rerun is a new rotation

    # a rerun in a fresh process completes the rotation
    rerun = run_driver(root, [{"op": "rotate", "reencrypt": reencrypt}])
    assert rerun.returncode == 0, rerun.stderr
    result = rerun.payloads["rotate"]
    assert result == {"gen": final_gen, "records": 3, "skipped": [], "finished": True, "users_left_out": [], "docs_damaged": []}
    vault = _vault(root)
    assert vault["vk_gen"] == final_gen and not vault["rotating_to"]
    assert sorted(vault["boxes"]) == [str(final_gen)]  # the old generation is retired
    for rid in three_records:
        header, _ = read_header(root / "records" / f"{rid}.rec")
        assert header["vk_gen"] == final_gen
    _check_every_record_opens(root, three_records)
    assert_no_lock_held(root)


def test_record_open_during_rotation_stays_readable(root, grund):
    admin = session_for(root)
    admin.add_user(IVARE, "Ivar Ek", "interviewer", IVARE_PW, certified=True)
    interviewer = session_for(root, IVARE)
    handle = interviewer.create_record(grund, "client", date(2026, 11, 20))
    rid = handle.rid
    assert handle.answer("M1", 3).ok
    # the interview is still going on: its record is skipped, not rewritten under it
    result = admin.rotate_key()
    assert result["finished"] is False and result["skipped"] == [rid]
    assert handle.answer("E2", 5).ok
    handle.pause()  # writes under the new key generation already
    handle.close()
    interviewer.close()
    assert admin.rotate_key()["finished"] is True  # the rerun completes
    admin.close()
    fresh = session_for(root)
    handle = fresh.open_record(rid, reason="check")
    assert_answers(handle, {"M1": 3, "E2": 5})
    handle.close()
    fresh.close()
