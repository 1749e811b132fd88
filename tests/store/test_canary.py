"""Canary leak test (storage-design §3.6 #20).

A full CLI flow runs in subprocesses (tests/store/driver.py: the fast test KDF,
then ``asi_tui.cli.main``) with sentinel strings as passphrases, client
reference and a free-text answer, and with an unexpected exception forced
inside a command.  Every subprocess gets its own HOME, XDG dirs and TMPDIR
under tmp_path.  Afterwards no sentinel may be found in any file there (data
dir, its tmp/, the fake home with the crash report, the temp dir), nor in any
stderr; passphrases appear in no output at all, and client data appears on
stdout only where the user asked to see it (record list/show, audit show).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from asi_tui.bank.registry import bundled_bank
from asi_tui.engine.interview import Interview

DRIVER = Path(__file__).resolve().with_name("driver.py")

ADMIN_PASS = "CANARY-PASS-5931-långt"
USER_PASS = "CANARY-USERPASS-2719-ärlig"
WRONG_PASS = "CANARY-WRONGPASS-6604-fel"
NEW_PASS = "CANARY-NEWPASS-3308-öde"
CLIENT = "CANARY-CLIENT-8842"
TEXT = "CANARY-TEXT-1177"
BOOM_MESSAGE = "CANARY-IN-MESSAGE-6620"  # driver.py: the forced exception's message
BOOM_LOCAL = "CANARY-LOCAL-4471"  # driver.py: a local variable in the failing frame

PASSPHRASES = [ADMIN_PASS, USER_PASS, WRONG_PASS, NEW_PASS]
CLIENT_DATA = [CLIENT, TEXT]
BOOM = [BOOM_MESSAGE, BOOM_LOCAL, "canary_local_value"]
ALL_SENTINELS = PASSPHRASES + CLIENT_DATA + BOOM
DAY = "2026-11-20"


def token(sentinel: str) -> bytes:
    """The ASCII head of a sentinel ("CANARY-PASS-5931"): found in UTF-8, NFD and
    JSON-escaped (\\u00e5) copies alike."""
    return re.match(r"[\x21-\x7e]+", sentinel).group(0).rstrip("-").encode()  # type: ignore[union-attr]


@dataclass
class Run:
    name: str
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    shows_client: bool  # the user asked to see client data on stdout


@pytest.fixture(scope="module")
def complete_answers() -> dict[str, object]:
    """Answers that let asi-grund complete: X where allowed, a few real values."""
    bank = bundled_bank("asi-grund")
    given: dict[str, object] = {"G9": 1, "G12": "N", "G16": 40, "E3": 1, "E3s": TEXT}
    for item in ("M10", "M11", "E23", "E24", "L31", "L32", "F37", "F38"):
        given[item] = 0
    iv = Interview(bank, date.fromisoformat(DAY), None)
    answers: dict[str, object] = {}
    for item in bank.items:
        if item.type == "comment" or not iv.is_visible(item.id):
            continue
        value = given.get(item.id, 0 if item.type == "interviewer_rating" else "X")
        outcome = iv.answer(item.id, value)
        assert outcome.ok, (item.id, value, outcome.message)
        answers[item.id] = value
    assert iv.can_complete()
    return answers


def test_no_sentinel_leaks_anywhere(tmp_path, complete_answers):
    started = time.time()
    inputs = tmp_path / "inputs"  # secrets and answer files: deleted before the scan
    home = tmp_path / "home"
    systmp = tmp_path / "systmp"
    data = tmp_path / "data"
    for d in (inputs, home, systmp):
        d.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASI_TUI", "XDG_", "TEXTUAL"))}
    env.update(
        HOME=str(home),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_CONFIG_HOME=str(home / ".config"),
        TMPDIR=str(systmp),
        TMP=str(systmp),
        TEMP=str(systmp),
        PYTHONDONTWRITEBYTECODE="1",
    )

    def secret_file(name: str, value: str) -> Path:
        path = inputs / name
        path.write_text(value + "\n", encoding="utf-8")
        return path

    admin_pw = secret_file("admin.pw", ADMIN_PASS)
    user_pw = secret_file("user.pw", USER_PASS)
    wrong_pw = secret_file("wrong.pw", WRONG_PASS)
    new_pw = secret_file("new.pw", NEW_PASS)
    partial = inputs / "partial.yaml"
    partial.write_text(yaml.safe_dump({"M1": 3, "E2": 5, "E3": 1, "E3s": TEXT}, allow_unicode=True), encoding="utf-8")
    full = inputs / "full.yaml"
    full.write_text(yaml.safe_dump(complete_answers, allow_unicode=True), encoding="utf-8")

    runs: list[Run] = []

    def cli(name: str, *args: str, user: str = "ivare", expect: int = 0, shows_client: bool = False,
            boom: bool = False, fd_secret: str | None = None) -> Run:
        argv = ["--lang", "en", "--data", str(data), "--user", user, *args]
        pass_fds: tuple[int, ...] = ()
        read_end = None
        if fd_secret is not None:  # --passphrase-fd: the secret goes through a pipe, never a file
            read_end, write_end = os.pipe()
            os.write(write_end, (fd_secret + "\n").encode())
            os.close(write_end)
            argv += ["--passphrase-fd", str(read_end)]
            pass_fds = (read_end,)
        cfg = {"mode": "cli", "args": argv, "boom": boom}
        try:
            proc = subprocess.run(
                [sys.executable, str(DRIVER), json.dumps(cfg)],
                capture_output=True, text=True, timeout=60, env=env, cwd=str(home),
                stdin=subprocess.DEVNULL, pass_fds=pass_fds,
            )
        finally:
            if read_end is not None:
                os.close(read_end)
        run = Run(name, argv, proc.returncode, proc.stdout, proc.stderr, shows_client)
        runs.append(run)
        assert proc.returncode == expect, (name, proc.returncode, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr, name
        return run

    # --- set up: admin, an interviewer, a failed unlock
    r = cli("init", "init", "--admin", "boss", "--name", "Boss", "--passphrase-file", str(admin_pw), user="boss")
    assert "boss" in r.stdout
    cli("user add", "user", "add", "ivare", "--name", "Ivar Ek", "--role", "interviewer", "--certified",
        "--passphrase-file", str(admin_pw), "--new-passphrase-file", str(user_pw), user="boss")
    r = cli("wrong passphrase", "record", "list", "--passphrase-file", str(wrong_pw), expect=1)
    assert len(r.stderr.strip().splitlines()) == 1

    # --- interviews: paused, refused completion (paused), completed
    imports = {}
    for name, path, extra in (("paused", partial, []), ("refused", partial, ["--complete"]), ("completed", full, ["--complete"])):
        r = cli(f"record import ({name})", "record", "import", str(path), "--bank", "asi-grund", "--client", CLIENT,
                "--date", DAY, *extra, "--passphrase-file", str(user_pw))
        rids = re.findall(r"\b[0-9a-f]{20}\b", r.stdout)
        assert len(rids) == 1, r.stdout
        imports[name] = rids[0]
    listing = cli("record list", "record", "list", "--passphrase-file", str(user_pw), shows_client=True)
    as_json = json.loads(cli("record list --json", "record", "list", "--json", "--passphrase-file", str(user_pw),
                             shows_client=True).stdout)
    status = {d["rid"]: d["status"] for d in as_json}
    assert status == {imports["paused"]: "paused", imports["refused"]: "paused", imports["completed"]: "completed"}
    assert CLIENT in listing.stdout  # positive control: the sentinels really were stored
    shown = cli("record show", "record", "show", imports["paused"], shows_client=True, fd_secret=USER_PASS)
    assert CLIENT in shown.stdout and TEXT in shown.stdout
    shown = json.loads(cli("record show --json", "record", "show", imports["completed"], "--json",
                           "--passphrase-file", str(user_pw), shows_client=True).stdout)
    assert shown["status"] == "completed" and shown["answers"]["E3s"] == TEXT and shown["client_ref"] == CLIENT

    # --- admin: audit, key rotation, then a changed passphrase
    r = cli("audit show", "audit", "show", "--passphrase-file", str(admin_pw), user="boss", shows_client=True)
    assert CLIENT in r.stdout and "unlock-failed" in r.stdout
    cli("audit verify", "audit", "verify", "--passphrase-file", str(admin_pw), user="boss")
    cli("key rotate", "key", "rotate", "--passphrase-file", str(admin_pw), user="boss")
    cli("user passwd", "user", "passwd", "--passphrase-file", str(user_pw), "--new-passphrase-file", str(new_pw))
    cli("record list (new passphrase)", "record", "list", "--passphrase-file", str(new_pw), shows_client=True)

    # --- a bug inside a command: one line, exit 70, a scrubbed report
    r = cli("unexpected error", "record", "list", "--client", CLIENT, "--passphrase-file", str(new_pw), expect=70, boom=True)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: An unexpected error occurred"), r.stderr
    assert r.stdout == ""
    report = Path(lines[0].rsplit(": ", 1)[1])
    crash_dir = home / ".local" / "state" / "asi-tui" / "crash"
    assert report.parent == crash_dir and report.is_file()
    assert oct(report.stat().st_mode & 0o777) == "0o600"
    text = report.read_text(encoding="utf-8")
    report_lines = text.splitlines()
    assert report_lines[0] == "builtins.RuntimeError"
    for ln in report_lines[1:]:  # exception type and code locations only: no message, no locals
        assert re.fullmatch(r"caused by:|\s+\S.*:\d+ in [\w<>.]+", ln), ln
    assert "boom" in text  # the failing frame is located ...
    for s in BOOM + ALL_SENTINELS:  # ... but nothing of its values
        assert token(s).decode() not in text

    # --- scan: delete the inputs, then nothing anywhere may hold a sentinel
    for f in inputs.iterdir():
        f.unlink()
    inputs.rmdir()
    leaks: list[str] = []
    scanned = 0
    for path in _files_under(tmp_path):
        scanned += 1
        blob = path.read_bytes()
        leaks += [f"{path.relative_to(tmp_path)}: {s}" for s in ALL_SENTINELS if token(s) in blob]
    for path in _new_temp_files(started, exclude=tmp_path):
        try:
            blob = path.read_bytes()
        except OSError:
            continue
        leaks += [f"{path}: {s}" for s in ALL_SENTINELS if token(s) in blob]
    assert scanned > 10 and report in set(_files_under(tmp_path))
    assert (data / "tmp").is_dir()
    for run in runs:
        for s in ALL_SENTINELS:
            if token(s).decode() in run.stderr:
                leaks.append(f"stderr of {run.name}: {s}")
            allowed_on_stdout = run.shows_client and s in CLIENT_DATA
            if token(s).decode() in run.stdout and not allowed_on_stdout:
                leaks.append(f"stdout of {run.name}: {s}")
        for s in PASSPHRASES:  # passphrases never travel on the command line
            assert not any(token(s).decode() in a for a in run.args), run.name
    assert leaks == []


def _files_under(root: Path):
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _new_temp_files(since: float, exclude: Path):
    """Files the test run may have put straight into the system temp dir."""
    base = Path(tempfile.gettempdir())
    skip = {exclude.resolve(), *[p.resolve() for p in exclude.parents]}
    for entry in base.iterdir():
        try:
            if entry.resolve() in skip or entry.name.startswith("pytest-of-") or entry.is_symlink():
                continue
            if entry.stat().st_mtime < since - 1:
                continue
            if entry.is_file():
                yield entry
            elif entry.is_dir():
                for path in _files_under(entry):
                    if path.stat().st_mtime >= since - 1 and path.stat().st_size < 50_000_000:
                        yield path
        except OSError:
            continue
