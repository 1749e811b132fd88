"""Locks nobody can bypass or hang (issue 11).

* The edit lock of a record cannot be bypassed by deleting its lock file: the
  file is created with the record and never recreated on the fly, and the
  holder notices a replaced lock file before it writes again.
* The short locks (index, audit, vault) never block for ever: a process that
  holds one makes the others wait a few seconds and then get one line naming
  the holder. The waiting uses an injected clock: nothing sleeps for real.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.store import locks
from asi_tui.store.errors import LockBusy, LockFileMissing, StoreError

from store_helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW, BASIC_ANSWERS, INTERVIEW_DATE, child_cmd, child_env, values

ITEMS = [i for i, _ in BASIC_ANSWERS]


class Child:
    """A second asi-tui process driven line by line (JSON in, JSON out)."""

    def __init__(self, body: str, **args) -> None:  # noqa: ANN003
        self.proc = subprocess.Popen(
            child_cmd(body, **args), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env()
        )

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(self.proc.stderr.read())
        return json.loads(line)

    def send(self, **cmd) -> dict:  # noqa: ANN003
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            f.close()


EDITOR = r"""
s = Store.open(ROOT).unlock(ARGS["user"], ARGS["pw"])
h = s.open_record(ARGS["rid"])
out(ready=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["op"] == "answer":
        try:
            out(result="ok" if h.answer(cmd["item"], cmd["value"]).ok else "rejected")
        except E.StoreError as exc:
            out(result=exc.key)
    elif cmd["op"] == "close":
        h.close()
        out(result="closed")
        break
"""


@pytest.fixture
def editor(env, bank):
    """Anna edits a record in another process; she has acknowledged E4=1."""
    rid = env.make_record(bank, BASIC_ANSWERS[:2])
    child = Child(EDITOR, root=str(env.root), user=ANNA, pw=ANNA_PW, rid=rid)
    try:
        assert child.read() == {"ready": True}
        assert child.send(op="answer", item="E4", value=1) == {"result": "ok"}
        yield rid, child
    finally:
        child.stop()


# --------------------------------------------------------------------------- the edit lock


def test_deleting_the_lock_file_does_not_let_a_second_editor_in(env, editor):
    rid, anna = editor
    lock = env.root / "locks" / f"{rid}.lock"
    lock.unlink()
    with pytest.raises(LockFileMissing) as exc:
        env.session(ADMIN).open_record(rid)
    assert exc.value.params["path"] == str(lock)
    assert not lock.exists()  # not recreated on the fly
    # nobody else can lock it, so the editor may go on
    assert anna.send(op="answer", item="E5", value=0) == {"result": "ok"}
    assert anna.send(op="close") == {"result": "closed"}
    ro = env.admin.open_record(rid, readonly=True)
    assert values(ro, ["E4", "E5"]) == {"E4": 1, "E5": 0}


def test_a_missing_lock_file_is_one_line_in_the_cli_and_an_admin_repairs_it(env, bank, tmp_path):
    rid = env.make_record(bank, BASIC_ANSWERS[:2])
    (env.root / "locks" / f"{rid}.lock").unlink()
    pw = tmp_path / "pw"
    pw.write_text(ADMIN_PW + "\n", encoding="utf-8")

    def run(*args: str):  # noqa: ANN202
        return CliRunner().invoke(main, ["--lang", "en", "--data", str(env.root), "--user", ADMIN, *args, "--passphrase-file", str(pw)])

    with pytest.raises(LockFileMissing):
        env.admin.open_record(rid)
    r = run("lock", "repair")
    assert r.exit_code == 0, r.output
    assert r.output.strip() == f"Recreated the lock file of record {rid}."
    assert run("lock", "repair").output.strip() == "Every record has its lock file."
    h = env.admin.open_record(rid)
    assert values(h, ITEMS[:2]) == dict(BASIC_ANSWERS[:2])
    h.close()
    repairs = [e for e in env.admin.audit_entries() if e.get("action") == "lock-repair"]
    assert [e["detail"] for e in repairs] == [{"records": [rid]}]


def test_repairing_locks_needs_an_admin(env, bank):
    rid = env.make_record(bank, BASIC_ANSWERS[:1])
    (env.root / "locks" / f"{rid}.lock").unlink()
    with pytest.raises(StoreError) as exc:
        env.session(ANNA).repair_locks()
    assert exc.value.key == "store.access.admin"


def test_a_lock_file_recreated_behind_the_holder_stops_the_holder_before_two_editors_interleave(env, editor):
    rid, anna = editor
    lock = env.root / "locks" / f"{rid}.lock"
    lock.unlink()
    lock.write_bytes(b"")  # what a second editor needed before: a fresh file to lock
    admin = env.session(ADMIN)
    second = admin.open_record(rid)  # cannot be told apart from a normal open
    assert second.answer("E5", 0).ok
    # the first editor notices before writing anything more
    assert anna.send(op="answer", item="E11", value=7) == {"result": "store.error.lock_replaced"}
    assert anna.send(op="answer", item="E12", value=100) == {"result": "store.error.lock_replaced"}
    assert second.answer("E13", 200).ok
    second.close()
    assert anna.send(op="close") == {"result": "closed"}
    # no interleaved frames: every acknowledged answer reads back, nothing else
    again = env.admin.open_record(rid)
    assert values(again, ITEMS) == {**{i: None for i in ITEMS}, **dict(BASIC_ANSWERS[:2]), "E4": 1, "E5": 0, "E13": 200}
    assert again.notices == []


# --------------------------------------------------------------------------- short locks time out


HOLDER = r"""
import fcntl
from asi_tui.store import locks
mode = ARGS["mode"]
path = ROOT / "locks" / ARGS["lock"]
if mode == "asi":  # another user's asi-tui process in the middle of an update
    Store.open(ROOT).unlock(ARGS["user"], ARGS["pw"])
    cm = locks.exclusive(path)
    cm.__enter__()
else:  # a group member with a shell: flock(1) writes no holder info
    fd = os.open(path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
out(held=True, pid=os.getpid())
for line in sys.stdin:
    if mode == "asi":
        cm.__exit__(None, None, None)
    else:
        os.close(fd)
    out(held=False)
    break
time.sleep(600)
"""


class FakeClock:
    """Stands in for time.monotonic/time.sleep in `locks`; `on_sleep` may act (release the lock)."""

    def __init__(self, on_sleep=None) -> None:  # noqa: ANN001
        self.now = 1000.0
        self.slept = 0.0
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        if self.on_sleep:
            self.on_sleep(self)


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(locks, "monotonic", fake.monotonic)
    monkeypatch.setattr(locks, "sleep", fake.sleep)
    monkeypatch.setenv("ASI_TUI_LOCK_TIMEOUT", "3")
    return fake


@pytest.fixture
def holder(env):
    children: list[Child] = []

    def hold(lock: str, mode: str = "asi", user: str = ANNA) -> Child:
        child = Child(HOLDER, root=str(env.root), lock=lock, mode=mode, user=user, pw={ANNA: ANNA_PW, ADMIN: ADMIN_PW}[user])
        assert child.read()["held"] is True
        children.append(child)
        return child

    yield hold
    for c in children:
        c.stop()


INDEX_LOCK = "index-enheten.lock"  # the unit's index partition: held for one append


def _index_write(env, bank, client: str = "K-1"):  # noqa: ANN001, ANN202
    """Something that appends to the unit's index: a new record."""
    handle = env.session(ANNA).create_record(bank, client, INTERVIEW_DATE)
    handle.close()
    return handle.rid


def test_reading_the_index_waits_for_no_lock(env, bank, clock, holder):
    rid = _index_write(env, bank)
    holder(INDEX_LOCK)
    assert [d["rid"] for d in env.admin.list_records()] == [rid]
    assert clock.slept == 0


def test_a_held_index_lock_ends_in_busy_naming_the_holder(env, bank, clock, holder):
    child = holder(INDEX_LOCK)
    with pytest.raises(LockBusy) as exc:
        _index_write(env, bank)
    p = exc.value.params
    assert (p["lock"], p["user"], p["pid"]) == (INDEX_LOCK, ANNA, str(child.proc.pid))
    assert p["since"][:4].isdigit()
    assert 3.0 <= clock.slept <= 3.5  # waited the configured time, then gave up


def test_a_held_audit_lock_does_not_block_logins_for_ever(env, clock, holder, tmp_path):
    holder("audit.lock")
    pw = tmp_path / "pw"
    pw.write_text(ADMIN_PW + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["--lang", "en", "--data", str(env.root), "--user", ADMIN, "record", "list", "--passphrase-file", str(pw)])
    lines = r.output.strip().splitlines()
    assert r.exit_code == 1 and len(lines) == 1, r.output
    assert lines[0].startswith(f"Error: The data directory is busy: audit.lock is held by {ANNA} (process ")


def test_a_held_vault_lock_ends_in_busy(env, clock, holder):
    holder("vault.lock")
    with pytest.raises(LockBusy):
        env.admin.add_user("sara", "Sara", "interviewer", "saras-egna-fras-77")


def test_a_shell_flock_without_holder_info_does_not_blame_the_last_holder(env, bank, clock, holder):
    _index_write(env, bank)  # this process held the index lock last
    holder(INDEX_LOCK, mode="shell")
    with pytest.raises(LockBusy) as exc:
        _index_write(env, bank, "K-2")
    assert (exc.value.params["user"], exc.value.params["pid"]) == ("?", "?")


def test_holder_info_of_a_killed_asi_process_is_not_shown_as_the_holder(env, bank, clock, holder):
    child = holder(INDEX_LOCK)
    child.stop()  # SIGKILL: the kernel drops the flock, the info stays behind
    shell = holder(INDEX_LOCK, mode="shell")
    with pytest.raises(LockBusy) as exc:
        _index_write(env, bank)
    assert exc.value.params["user"] == "?"
    assert json.loads((env.root / "locks" / INDEX_LOCK).read_text())["user"] == ANNA
    shell.stop()


def test_the_waiter_gets_the_lock_once_the_holder_lets_go(env, bank, clock, holder):
    child = holder(INDEX_LOCK)

    def release(fake: FakeClock) -> None:
        if child.proc.poll() is None and fake.on_sleep is not None:
            fake.on_sleep = None
            assert child.send(op="release") == {"held": False}

    clock.on_sleep = release
    rid = _index_write(env, bank)
    assert [d["rid"] for d in env.admin.list_records()] == [rid]
    assert 0 < clock.slept < 3.0


def test_the_timeout_is_configurable_and_bounded(monkeypatch):
    monkeypatch.setenv("ASI_TUI_LOCK_TIMEOUT", "0.5")
    assert locks.timeout() == 0.5
    for bad in ("nan", "inf", "soon", ""):
        monkeypatch.setenv("ASI_TUI_LOCK_TIMEOUT", bad)
        assert locks.timeout() == locks.DEFAULT_TIMEOUT_S
    monkeypatch.setenv("ASI_TUI_LOCK_TIMEOUT", "1e9")
    assert locks.timeout() == locks.MAX_TIMEOUT_S
