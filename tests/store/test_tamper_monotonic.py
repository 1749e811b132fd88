"""Monotonic state a file restore cannot roll back unnoticed (issue 11,
storage-design §3.6 #5 and #15): older record copies, records deleted behind
the app's back, journals cut at a frame boundary, an older vault.json, a cut
audit log, an older or deleted checkpoint; each reported by name.

Every attack is done to the real files, the way a group member with write
access (or a careless restore) would; command-line reports run `asi-tui` in
a subprocess."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from asi_tui.store import Store
from asi_tui.store.audit import AuditLog
from asi_tui.store.errors import NotAuthorized, RecordRolledBack, VaultAltered
from asi_tui.store.integrity import VaultMismatch, VaultOlder

from store_helpers import (
    delete_index,
    ADMIN,
    ADMIN_PW,
    ANNA,
    ANNA_PW,
    BASIC_ANSWERS,
    OLLE,
    OLLE_PW,
    child_env,
    frame_boundaries,
)

DRIVER = Path(__file__).resolve().with_name("driver.py")
ITEMS = [item for item, _ in BASIC_ANSWERS]


def cli(root: Path, user: str, pw_file: Path, *args: str) -> subprocess.CompletedProcess:
    cfg = {"mode": "cli", "args": ["--lang", "en", "--data", str(root), "--user", user, *args, "--passphrase-file", str(pw_file)]}
    return subprocess.run([sys.executable, str(DRIVER), json.dumps(cfg)], capture_output=True, text=True, timeout=120,
                          env=child_env())


@pytest.fixture
def pw_file(tmp_path) -> Path:
    f = tmp_path / "admin-pw"
    f.write_text(ADMIN_PW + "\n")
    return f


def _paused_twice(env, bank) -> tuple[str, bytes]:  # noqa: ANN001
    """A record paused once (its snapshot file copied then), answered on and paused again."""
    session = env.session(ANNA)
    h = session.create_record(bank, "K-1", date(2024, 1, 10))
    for item, value in BASIC_ANSWERS[:3]:
        assert h.answer(item, value).ok
    h.pause()
    old = env.rec_path(h.rid).read_bytes()  # generation 1
    for item, value in BASIC_ANSWERS[3:6]:
        assert h.answer(item, value).ok
    h.pause()  # generation 2
    h.close()
    return h.rid, old


def _roll_back(env, rid: str, old: bytes) -> None:  # noqa: ANN001
    env.rec_path(rid).write_bytes(old)
    for j in (env.root / "journals").glob(f"{rid}.*.jnl"):
        j.unlink()  # the newer journal would give it away; a careful attacker removes it too


# --------------------------------------------------------------------------- records


@pytest.mark.parametrize("index", ["kept", "deleted", "rebuilt"])
@pytest.mark.parametrize("readonly", [False, True], ids=["edit", "view"])
def test_an_older_copy_of_a_record_is_refused_by_name(env, bank, index, readonly):
    rid, old = _paused_twice(env, bank)
    _roll_back(env, rid, old)
    if index != "kept":
        delete_index(env.root)
    if index == "rebuilt":
        report = env.admin.rebuild_index()
        assert report.older == [(rid, 1, 2)] and report.records == 1
    with pytest.raises(RecordRolledBack) as exc:
        env.session(ANNA).open_record(rid, readonly=readonly)
    assert exc.value.key == "store.error.record_older_copy"
    assert exc.value.params == {"rid": rid, "gen": 1, "hwm": 2}
    assert env.rec_path(rid).read_bytes() == old  # nothing was changed


def test_index_rebuild_names_older_copies_and_records_deleted_behind_the_apps_back(env, bank, pw_file):
    rid, old = _paused_twice(env, bank)
    _roll_back(env, rid, old)
    gone = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-2", pause=True)
    for f in [env.rec_path(gone), *(env.root / "journals").glob(f"{gone}.*.jnl")]:
        f.unlink()
    deleted = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-3", pause=True)
    env.admin.delete_record(deleted)  # through the app: not reported
    created = next(e["ts"] for e in env.admin.audit_entries() if e["action"] == "create" and e.get("rid") == gone)

    run = cli(env.root, ADMIN, pw_file, "index", "rebuild")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stdout.strip() == "Rebuilt the record index with 1 records."
    assert run.stderr.splitlines() == [
        f"Record {rid}: older copy (generation 1 < 2). Opening it is refused; put back the newest copy from the backup.",
        f"Record {gone} missing: created {created}, never deleted through the app.",
    ]


# --------------------------------------------------------------------------- journals


def _answered(env, bank, pause_first: bool):  # noqa: ANN001, ANN202
    """Five acknowledged answers in the journal, the edit session closed (its mark logged)."""
    session = env.session(ANNA)
    h = session.create_record(bank, "K-1", date(2024, 1, 10))
    if pause_first:
        assert h.answer("G16", 30).ok
        h.pause()
    for item, value in BASIC_ANSWERS[1:6]:
        assert h.answer(item, value).ok
    gen, end = h.snap.gen, h.writer.seq
    h.close()
    return h.rid, gen, end


CUTS = {
    "cut-at-frame": lambda data: data[: frame_boundaries(data)[2]],  # header + two frames kept
    "emptied": lambda data: b"",
    "deleted": None,
}


@pytest.mark.parametrize("pause_first", [False, True], ids=["gen0", "gen1"])
@pytest.mark.parametrize("cut", list(CUTS))
def test_acknowledged_answers_cut_from_the_journal_are_reported_with_their_range(env, bank, cut, pause_first):
    rid, gen, end = _answered(env, bank, pause_first)
    path = env.jnl_path(rid, gen)
    frames = len(frame_boundaries(path.read_bytes())) - 1  # five answers (and a status frame after a pause)
    kept = 2 if cut == "cut-at-frame" else 0
    if CUTS[cut] is None:
        path.unlink()
    else:
        path.write_bytes(CUTS[cut](path.read_bytes()))
    first, last = end - frames + kept + 1, end

    view = env.session(ADMIN).open_record(rid, readonly=True, reason="check")
    assert view.notices == ["store.notice.answers_lost"]
    assert view.notices[0].params == {"first": first, "last": last}
    view.close()
    # the view leaves it reported; the editor is told, and the loss is audited
    h = env.session(ANNA).open_record(rid)
    assert h.notices == ["store.notice.answers_lost"] and h.notices[0].params == {"first": first, "last": last}
    assert h.interview.value(ITEMS[5]) is None  # the last acknowledged answer is gone
    assert h.answer("E4", 1).ok  # re-entered
    h.close()
    again = env.session(ANNA).open_record(rid)
    assert again.notices == [] and again.interview.value("E4") == 1
    again.close()
    losses = [e["detail"] for e in env.admin.audit_entries() if e["action"] == "journal-loss"]
    assert losses == [{"gen": gen, "first": first, "last": last, "taken": False},
                      {"gen": gen, "first": first, "last": last, "taken": True}]


def test_lost_answers_are_found_after_the_index_is_deleted_and_by_record_show(env, bank, tmp_path):
    rid, gen, end = _answered(env, bank, pause_first=False)
    env.jnl_path(rid, gen).unlink()
    delete_index(env.root)
    h = env.session(ADMIN).open_record(rid, readonly=True, reason="check")  # the mark comes from the audit chain
    assert h.notices == ["store.notice.answers_lost"] and h.notices[0].params == {"first": 1, "last": end}
    h.close()
    report = env.admin.rebuild_index()
    assert report.lost == [(rid, 1, end)]
    pw = tmp_path / "anna-pw"
    pw.write_text(ANNA_PW + "\n")
    run = cli(env.root, ANNA, pw, "record", "show", rid)
    assert run.returncode == 0, run.stderr
    assert (f"! Acknowledged changes 1–{end} are missing from the record's journal (cut or deleted outside the app). "
            "Check the answers and enter the missing ones again.") in run.stdout.splitlines()


def test_answering_and_pausing_never_scan_the_audit_log(env, bank, monkeypatch):
    """The hot path keeps its high-water marks in the index document."""
    h = env.session(ANNA).create_record(bank, "K-1", date(2024, 1, 10))

    def no_scan(*_a, **_k):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("audit log scanned on the hot path")

    for name in ("entries", "_reversed", "record_marks", "vault_marks", "verify"):
        monkeypatch.setattr(AuditLog, name, no_scan)
    for item, value in BASIC_ANSWERS:
        assert h.answer(item, value).ok
    h.pause()
    assert h.answer("E4", 0).ok
    h.close()
    h = env.admin.open_record(h.rid, reason="check")
    h.close()


# --------------------------------------------------------------------------- vault.json


def test_an_older_vault_json_that_re_enables_a_disabled_user_is_refused(env, tmp_path, pw_file):
    copy = tmp_path / "vault-copy.json"
    shutil.copy(env.vault_path, copy)
    env.admin.disable_user(OLLE)
    serial_now = json.loads(env.vault_path.read_bytes())["serial"]
    shutil.copy(copy, env.vault_path)  # the restore
    serial_then = json.loads(copy.read_bytes())["serial"]
    for user, pw in ((OLLE, OLLE_PW), (ANNA, ANNA_PW), (ADMIN, ADMIN_PW)):
        with pytest.raises(VaultOlder) as exc:
            Store.open(env.root).unlock(user, pw)
        assert exc.value.params == {"serial": serial_then, "expected": serial_now}

    run = cli(env.root, ADMIN, pw_file, "record", "list")
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert f"vault.json is older than the audit log says (serial {serial_then} < {serial_now})" in run.stderr
    run = cli(env.root, ADMIN, pw_file, "audit", "verify")
    assert run.returncode != 0
    assert run.stderr.startswith(f"Error: vault.json is older than the audit log says (serial {serial_then} < {serial_now}).")


def test_putting_the_newest_vault_back_or_accepting_ends_the_report(env, tmp_path, pw_file):
    newest = tmp_path / "vault-newest.json"
    copy = tmp_path / "vault-copy.json"
    shutil.copy(env.vault_path, copy)
    env.admin.disable_user(OLLE)
    shutil.copy(env.vault_path, newest)
    shutil.copy(copy, env.vault_path)
    shutil.copy(newest, env.vault_path)  # put back
    assert env.session(ANNA).verify_audit().ok
    shutil.copy(copy, env.vault_path)
    # an interviewer cannot accept; an admin can, after looking into it
    session = Store.open(env.root).unlock(ANNA, ANNA_PW, verify_only=True)
    assert session.verify_audit().reason == "vault_older"
    with pytest.raises(NotAuthorized):
        session.accept_vault()
    run = cli(env.root, ADMIN, pw_file, "audit", "verify", "--accept")
    assert run.returncode == 0, run.stderr
    assert "vault.json is taken as it is" in run.stdout
    assert env.session(ADMIN).verify_audit().ok
    env.session(OLLE, OLLE_PW).close()  # the old file re-enabled him: accepting it means disabling again
    assert any(e["action"] == "integrity-accept" for e in env.session(ADMIN).audit_entries())


@pytest.mark.parametrize("field,value", [("serial", 99), ("rotation_due", None), ("checkpoint", None), ("vk_gen", 2)])
def test_signed_vault_state_changed_without_the_admin_key_refuses_unlock(env, field, value):
    env.admin.disable_user(OLLE)  # rotation_due and checkpoint are set
    data = json.loads(env.vault_path.read_bytes())
    assert data[field] != value
    data[field] = value
    env.vault_path.write_text(json.dumps(data))
    with pytest.raises(VaultAltered):
        Store.open(env.root).unlock(ANNA, ANNA_PW)


def test_a_vault_change_lost_from_the_audit_tail_is_a_mismatch(env):
    """The audit log cut back past the last vault change: sessions open (work
    goes on), audit verify names it, and admin changes wait."""
    lines_before = _audit_lines(env)
    env.admin.update_user(OLLE, certified=True)
    _write_audit_lines(env, lines_before)
    anna = env.session(ANNA)  # not refused
    assert isinstance(anna.vault_problem, VaultMismatch)
    admin = env.session(ADMIN)
    result = admin.verify_audit()
    assert not result.ok and result.reason in ("truncated", "vault_mismatch")
    with pytest.raises(VaultMismatch):
        admin.add_user("nils", "Nils", "interviewer", "nils-hemliga-fras-3")
    with pytest.raises(VaultMismatch):
        admin.rotate_key()
    # the admin takes the shorter log as it is (the cut is on record in the accept entry); work goes on
    admin.accept_vault()
    assert admin.verify_audit().ok and env.session(ADMIN).vault_problem is None
    admin.add_user("nils", "Nils", "interviewer", "nils-hemliga-fras-3")
    accepted = [e["detail"] for e in admin.audit_entries() if e["action"] == "integrity-accept"]
    assert accepted and accepted[0]["audit"] in ("truncated", None)


@pytest.mark.parametrize(
    "point",
    ["atomic.after_fsync_before_replace", "atomic.after_replace_before_dir_fsync"],
    ids=["killed-before-replace", "killed-after-replace"],
)
def test_a_vault_change_cut_short_by_kill9_is_not_reported_as_tampering(env, point):
    cfg = {"mode": "steps", "data": str(env.root), "user": ADMIN, "passphrase": ADMIN_PW,
           "steps": [{"op": "arm", "point": point, "action": "kill"}, {"op": "disable", "user": OLLE}]}
    proc = subprocess.run([sys.executable, str(DRIVER), json.dumps(cfg)], capture_output=True, text=True, timeout=60,
                          env=child_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    disabled = point == "atomic.after_replace_before_dir_fsync"
    admin = env.session(ADMIN)
    assert admin.vault_problem is None
    assert admin.verify_audit().ok
    assert next(u for u in admin.list_users() if u.id == OLLE).disabled is disabled
    assert (admin.rotation_due() is not None) is disabled


# --------------------------------------------------------------------------- audit log and checkpoints


def _audit_lines(env) -> list[str]:  # noqa: ANN001
    (f,) = sorted((env.root / "audit").glob("*.log"))
    return f.read_text().splitlines()


def _write_audit_lines(env, lines: list[str]) -> None:  # noqa: ANN001
    (f,) = sorted((env.root / "audit").glob("*.log"))
    f.write_text("".join(line + "\n" for line in lines))


def test_a_deleted_checkpoint_is_reported(env, pw_file):
    (env.root / "audit" / "checkpoint.json").unlink()
    result = env.session(ANNA).verify_audit()
    assert (result.ok, result.reason) == (False, "checkpoint_missing")
    run = cli(env.root, ADMIN, pw_file, "audit", "verify")
    assert run.returncode != 0
    assert run.stderr.startswith("Error: checkpoint.json is missing (the vault records checkpoint ")
    # and an admin's next unlock does not quietly write a new one over the gap
    assert not (env.root / "audit" / "checkpoint.json").exists()
    run = cli(env.root, ADMIN, pw_file, "audit", "verify", "--accept")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("checkpoint.json is missing") and "The audit log is intact" in run.stdout
    assert env.session(ANNA).verify_audit().ok


def test_an_older_checkpoint_put_back_is_reported(env):
    cp = env.root / "audit" / "checkpoint.json"
    old = cp.read_bytes()
    env.session(ADMIN).close()  # another admin session: checkpoint n+1
    assert cp.read_bytes() != old
    cp.write_bytes(old)
    result = env.session(ANNA).verify_audit()
    assert (result.ok, result.reason) == (False, "checkpoint_older")
    n_old = json.loads(old)["n"]
    assert result.params == {"n": n_old, "expected": n_old + 1}


def test_a_cut_tail_with_the_checkpoint_of_that_moment_put_back_is_reported(env, bank):
    """A consistent older audit log (tail cut to an older checkpoint, that
    checkpoint put back): the vault still knows the newer checkpoint."""
    cp = env.root / "audit" / "checkpoint.json"
    old_cp, old_lines = cp.read_bytes(), _audit_lines(env)
    env.make_record(bank, BASIC_ANSWERS[:2], session=env.session(ANNA))
    env.session(ADMIN).close()
    cp.write_bytes(old_cp)
    _write_audit_lines(env, old_lines)
    result = env.session(ANNA).verify_audit()
    assert not result.ok and result.reason in ("checkpoint_older", "truncated")


def test_a_long_read_back_leaves_a_seen_mark_and_a_restore_is_still_caught(env, bank, tmp_path):
    """After many entries since the last vault change, an unlock whose check
    passed marks the state it saw, so the next unlock reads back less."""
    from asi_tui.store.integrity import SEEN_AFTER

    copy = tmp_path / "vault-copy.json"
    shutil.copy(env.vault_path, copy)
    env.admin.disable_user(OLLE)
    rid = env.make_record(bank, BASIC_ANSWERS[:2], session=env.session(ANNA))
    anna = env.session(ANNA)
    for _ in range(SEEN_AFTER):
        anna.open_record(rid, readonly=True).close()  # one "view" entry each
    env.session(ANNA).close()
    session = env.session(ANNA)
    marks = session.audit.vault_marks(session.keys.audit_keys())
    assert marks.scanned < SEEN_AFTER  # the mark is near the end now
    steps = [e["detail"]["step"] for e in env.admin.audit_entries() if e["action"] == "vault"]
    assert "seen" in steps
    shutil.copy(copy, env.vault_path)
    with pytest.raises(VaultOlder):
        Store.open(env.root).unlock(ANNA, ANNA_PW)


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_new_verify_reason_and_notice_has_a_message(lang):
    """The reasons are looked up by name (`cli.audit.bad.<reason>`), so the locale test cannot find them."""
    from asi_tui.cli.store import ACCEPTABLE
    from asi_tui.i18n import catalog

    cat = catalog(lang)
    for reason in (*ACCEPTABLE, "vault_older", "vault_mismatch"):
        assert f"cli.audit.bad.{reason}" in cat
    assert "{first}" in cat["store.notice.answers_lost"] and "{last}" in cat["store.notice.answers_lost"]
    assert "{serial}" in cat["store.error.vault_older"] and "{expected}" in cat["store.error.vault_older"]
