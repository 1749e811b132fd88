"""An unparsable audit line is audit damage, never a crash (issue 11).

Any group member can append to the audit log. Before, one malformed line made
every unlock end in "unexpected error", so the admin could not even run
`audit verify`. Now logins go on, new entries chain on from the last good one,
and `audit verify` names the file and line of the damage.
"""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.store import crypto as C

from store_helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW

GOOD_H = "a" * 64

MALFORMED = {
    "not-json": b"garbage\n",
    "bad-hash": b'{"seq": 999, "ct": "AAAA", "h": "zz"}\n',
    "list": b"[1, 2, 3]\n",
    "string": b'"seq"\n',
    "float-seq": b'{"seq": 1e999, "ct": "AAAA", "h": "' + GOOD_H.encode() + b'"}\n',
    "bool-seq": b'{"seq": true, "ct": "AAAA", "h": "' + GOOD_H.encode() + b'"}\n',
    "huge-seq": b'{"seq": ' + b"9" * 5000 + b', "ct": "AAAA", "h": "' + GOOD_H.encode() + b'"}\n',
    "ct-not-text": b'{"seq": 5, "ct": 17, "h": "' + GOOD_H.encode() + b'"}\n',
    "deep": b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "long-line": b'{"seq": 5, "pad": "' + b"x" * 300_000 + b'"}\n',
    "no-newline": b'{"seq": 5, "ct": "AAAA"',
    "binary": os.urandom(300).replace(b"\n", b"") + b"\n",
}


def _log_file(root):  # noqa: ANN001, ANN202
    files = sorted((root / "audit").glob("*.log"))
    assert files
    return files[-1]


def _cli(root, tmp_path, *args: str, user: str = ADMIN):  # noqa: ANN001, ANN202
    pw = tmp_path / f"pw-{user}"
    pw.write_text({ADMIN: ADMIN_PW, ANNA: ANNA_PW}[user] + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["--lang", "en", "--data", str(root), "--user", user, *args, "--passphrase-file", str(pw)])
    assert "Traceback" not in r.output
    return r


@pytest.mark.parametrize("line", list(MALFORMED.values()), ids=list(MALFORMED))
def test_a_malformed_audit_line_blocks_no_login_and_verify_names_its_place(env, tmp_path, line):
    log = _log_file(env.root)
    good_lines = len(log.read_bytes().splitlines())
    with log.open("ab") as fh:
        fh.write(line)

    for user in (ANNA, ADMIN):  # an interviewer and an admin still get in, more than once
        for _ in range(2):
            r = _cli(env.root, tmp_path, "record", "list", user=user)
            assert r.exit_code == 0, r.output

    r = _cli(env.root, tmp_path, "audit", "verify")
    lines = r.output.strip().splitlines()
    assert r.exit_code == 1 and len(lines) == 1, r.output
    assert lines[0] == f"Error: Audit log: {log.name}, line {good_lines + 1} cannot be read (after entry {good_lines}); the log is damaged there."


def test_entries_after_the_damage_chain_on_from_the_last_good_one(env, tmp_path):
    log = _log_file(env.root)
    before = env.admin.verify_audit().entries
    with log.open("ab") as fh:
        fh.write(MALFORMED["bad-hash"])
    env.session(ANNA).close()
    lines = [json.loads(ln) for ln in log.read_bytes().splitlines() if ln.startswith(b'{"seq": ') and b'"h": "zz"' not in ln]
    seqs = [obj["seq"] for obj in lines]
    assert seqs == list(range(1, len(seqs) + 1))  # no sequence number reused or skipped
    assert len(seqs) == before + 2  # Anna's unlock and lock are in the chain
    result = env.admin.verify_audit()
    assert (result.ok, result.reason, result.line) == (False, "unreadable", before + 1)


def test_a_line_glued_to_a_final_line_without_newline_is_not_lost(env):
    log = _log_file(env.root)
    with log.open("ab") as fh:
        fh.write(MALFORMED["no-newline"])
    s = env.session(ANNA)
    s.close()
    entries = [e.get("action") for e in env.admin.audit_entries()]
    assert entries[-2:] == ["unlock", "lock"]  # Anna's session, neither entry swallowed


def test_a_forged_pending_event_is_recorded_as_unreadable_not_crashing_the_login(env):
    """Anyone can seal a "failed unlock" event to the vault's public audit key."""
    pub = env.store.vault.audit_public_key()
    pending = env.root / "audit" / "pending"
    forged = {
        "deep.evt": b"[" * 50_000 + b"]" * 50_000,
        "list.evt": b"[1, 2]",
        "other-action.evt": json.dumps({"action": "user-add", "user": "mallory", "ts": "x"}).encode(),
        "fine.evt": json.dumps({"action": "unlock-failed", "user": "x" * 500, "ts": "2026-01-01T00:00:00+00:00"}).encode(),
    }
    for name, plain in forged.items():
        (pending / name).write_bytes(C.box_seal(pub, plain, b"asi-tui/audit-pending/v1"))
    os.mkfifo(pending / "fifo.evt")
    s = env.session(ANNA)  # ingests them
    s.close()
    got = [e for e in env.admin.audit_entries() if e.get("action") in ("pending-unreadable", "unlock-failed")]
    assert sorted(e["action"] for e in got) == ["pending-unreadable"] * 4 + ["unlock-failed"]
    failed = next(e for e in got if e["action"] == "unlock-failed")
    assert failed["user"] == "x" * 64 and failed["recorded"] == "2026-01-01T00:00:00+00:00"
    assert list(pending.iterdir()) == []
    assert env.admin.verify_audit().ok
