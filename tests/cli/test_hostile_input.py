"""Hostile input through the CLI: every malformed answers file, client ref or
record id ends in one clear line and the user-error exit (1), nothing is
stored by an import that fails, and user data printed on the terminal carries
no escape sequences."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.engine.limits import ANSWERS_FILE_MAX_BYTES

ADMIN_PW = "admin passphrase 1"
ANNA_PW = "anna passphrase 22"
OSC_TITLE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"


@pytest.fixture
def data(tmp_path) -> dict[str, Path]:
    from asi_tui.store import Store

    root = tmp_path / "data"
    store, _code = Store.init(root, "admin", "Admin", ADMIN_PW)
    admin = store.unlock("admin", ADMIN_PW)
    admin.add_user("anna", "Anna A", "interviewer", ANNA_PW, certified=True)
    admin.close()
    pw = tmp_path / "anna.pw"
    pw.write_text(ANNA_PW + "\n", encoding="utf-8")
    return {"root": root, "pw": pw, "tmp": tmp_path}


def cli(data: dict[str, Path], *args: str):
    result = CliRunner().invoke(main, ["--lang", "en", "--data", str(data["root"]), "--user", "anna", *args])
    assert "Traceback" not in result.output
    return result


def user_error(result) -> str:
    """The one line of a user error (exit 1), without escape characters."""
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code == 1, result.output
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "\x1b" not in lines[0] and "\x07" not in lines[0]
    return lines[0]


def import_file(data, path: Path, client: str = "K-1"):
    return cli(data, "record", "import", str(path), "--bank", "asi-grund", "--client", client, "--date", "2026-11-20",
               "--passphrase-file", str(data["pw"]))


def record_count(data) -> int:
    r = cli(data, "record", "list", "--json", "--passphrase-file", str(data["pw"]))
    assert r.exit_code == 0, r.output
    return len(json.loads(r.output))


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

MALFORMED = {
    "alias bomb": (BOMB, "line 1: YAML anchors and aliases (& and *) are not allowed"),
    "deep nesting": ("G16: " + "[" * 30_000 + "1" + "]" * 30_000 + "\n", "line 1: nested deeper than 4 levels"),
    "impossible date": ("M1: 1\nG4: 2026-02-30\n", "line 2: 2026-02-30 is not a date that exists"),
    "timestamp": ("G4: 2026-10-01 10:00:00\n", "a date with a time of day; write only YYYY-MM-DD"),
    "5000-digit integer": ("G16: " + "9" * 5000 + "\n", "line 1: a number with more than 15 digits"),
    "item twice": ("M1: 1\nM1: 2\n", "line 2: M1 is given twice"),
    "not a mapping": ("- M1\n- 2\n", "expected a mapping of item id -> answer"),
    "broken YAML": ("G16: [1,\n", "line 2:"),
    "control character": ("E3s: a\x1b[2Jb\n", "line 1: a control character"),
    "oversize": ("E3s: " + "a" * ANSWERS_FILE_MAX_BYTES + "\n", "the file is larger than 1024 KiB"),
    "50 MB text answer": ("G3: " + "a" * 50_000_000 + "\n", "the file is larger than 1024 KiB"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_answers_file_is_one_line_and_no_record(data, case):
    text, expected = MALFORMED[case]
    path = data["tmp"] / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    line = user_error(import_file(data, path))
    assert line.startswith(f"Error: The answers file {path} could not be read: ") and expected in line
    assert record_count(data) == 0
    r = cli(data, "bank", "simulate", "asi-grund", "--answers", str(path))
    assert user_error(r) == line


def test_a_device_a_directory_or_a_missing_file_is_refused_before_reading(data):
    for path, reason in ((Path("/dev/zero"), "not a regular file"), (data["tmp"], "or a directory of them."),
                         (data["tmp"] / "nope.yaml", "cannot be read (No such file or directory)")):
        assert user_error(import_file(data, path)).endswith(reason), path
    assert record_count(data) == 0


@pytest.mark.slow
def test_a_fifo_is_refused_without_waiting_for_a_writer(data):
    """In a subprocess with a timeout: opening a FIFO for reading blocks until someone writes."""
    fifo = data["tmp"] / "answers.yaml"
    os.mkfifo(fifo)
    proc = subprocess.run(
        [sys.executable, "-m", "asi_tui.cli", "--lang", "en", "bank", "simulate", "asi-grund", "--answers", str(fifo)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"Error: The answers file {fifo} could not be read: not a regular file"]


def test_too_long_answers_are_rejected_and_named_the_rest_is_kept(data):
    path = data["tmp"] / "answers.yaml"
    path.write_text(f"G16: 30\nE3: 1\nE3s: {'a' * 2001}\nM.comment: {'c' * 4001}\n", encoding="utf-8")
    r = import_file(data, path)
    assert r.exit_code == 0, r.output
    assert "REJECTED E3s: The answer is too long (at most 2000 characters)." in r.output
    assert "REJECTED M.comment: The answer is too long (at most 4000 characters)." in r.output
    assert "2 rejected answers" in r.output
    rid = r.output.split("Record ")[1].split()[0]
    shown = json.loads(cli(data, "record", "show", rid, "--json", "--passphrase-file", str(data["pw"])).output)
    assert shown["answers"]["G16"] == 30 and "E3s" not in shown["answers"]


@pytest.mark.parametrize(("client", "expected"), [
    (f"K-1{OSC_TITLE}{CLEAR}", "Error: The client reference may not contain control characters or line breaks."),
    ("K-1\nK-2", "Error: The client reference may not contain control characters or line breaks."),
    ("K" * 81, "Error: The client reference is too long (at most 80 characters)."),
    ("  ", "Error: Enter a client reference."),
])
def test_a_bad_client_ref_is_refused_before_anything_is_stored(data, client, expected):
    path = data["tmp"] / "answers.yaml"
    path.write_text("G16: 30\n", encoding="utf-8")
    assert user_error(import_file(data, path, client=client)) == expected
    assert record_count(data) == 0


@pytest.mark.parametrize("args", [["record", "show"], ["record", "delete", "--yes"],
                                  ["record", "import", "x.yaml", "--bank", "asi-grund", "--client", "K", "--date",
                                   "2026-11-20", "--linked"]])
@pytest.mark.parametrize("rid", ["../vault", f"ab{CLEAR}cd"])
def test_a_bad_record_id_is_one_line_that_does_not_echo_escapes(data, args, rid):
    line = user_error(cli(data, *args, rid, "--passphrase-file", str(data["pw"])))
    assert line == "Error: Not a record id: use only letters, digits, - and _."


def test_an_unknown_item_id_is_printed_without_its_escapes(data):
    path = data["tmp"] / "answers.yaml"
    path.write_text(f'"X{OSC_TITLE}{CLEAR}Y": 1\nG16: 30\n'.replace("\x1b", "\\e").replace("\x07", "\\a"), encoding="utf-8")
    r = import_file(data, path)
    assert r.exit_code == 0, r.output
    assert "IGNORED XY: unknown item" in r.output
    assert "\x1b" not in r.output and "\x07" not in r.output


def test_user_data_printed_by_the_cli_carries_no_escape_sequences(data, monkeypatch):
    """A client ref stored before refs were checked (by an older version, or
    written into the data directory by someone with the key), and a text
    answer with escapes in it: list, show and the audit log print them
    without the escapes; --json keeps the value, escaped as JSON."""
    from asi_tui.bank.registry import bundled_bank
    from asi_tui.store import Store
    from asi_tui.store import recordops

    hostile = f"K-1{OSC_TITLE}{CLEAR}\x9b31m\u202e"
    monkeypatch.setattr(recordops, "check_ref", lambda ref: ref)
    session = Store.open(data["root"]).unlock("anna", ANNA_PW)
    handle = session.create_record(bundled_bank("asi-grund"), hostile, date(2026, 11, 20))
    assert handle.answer("E3", 1).ok
    assert handle.answer("E3s", f"unit{CLEAR}\r\nfake line{OSC_TITLE}").ok
    rid = handle.rid
    handle.pause()
    handle.close()
    session.close()
    monkeypatch.undo()

    admin_pw = data["tmp"] / "admin.pw"
    admin_pw.write_text(ADMIN_PW + "\n", encoding="utf-8")
    outputs = {
        "list": cli(data, "record", "list", "--passphrase-file", str(data["pw"])),
        "show": cli(data, "record", "show", rid, "--passphrase-file", str(data["pw"])),
        "audit": CliRunner().invoke(main, ["--lang", "en", "--data", str(data["root"]), "--user", "admin", "audit",
                                           "show", "--passphrase-file", str(admin_pw)]),
    }
    for name, r in outputs.items():
        assert r.exit_code == 0, (name, r.output)
        assert "K-1" in r.output, name  # the reference is there ...
        for bad in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
            assert bad not in r.output, (name, bad)  # ... without anything a terminal would act on
    assert "unit fake line" in outputs["show"].output.replace("  ", " ")
    assert len(outputs["show"].output.splitlines()) == len([ln for ln in outputs["show"].output.splitlines() if ln])

    raw = cli(data, "record", "show", rid, "--json", "--passphrase-file", str(data["pw"])).output
    assert "\x1b" not in raw and "\x9b" not in raw and "\u202e" not in raw
    assert json.loads(raw)["client_ref"] == hostile  # JSON escapes, it does not alter


def test_an_internal_error_does_not_claim_that_no_answers_were_lost(data, monkeypatch, tmp_path):
    from asi_tui.store import Session

    def boom(self, **filters):
        raise RuntimeError("bug")

    monkeypatch.setattr(Session, "list_records", boom)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    r = cli(data, "record", "list", "--passphrase-file", str(data["pw"]))
    assert r.exit_code == 70
    assert r.output.startswith("Error: An unexpected error occurred. A report without sensitive data was saved: ")
    assert "lost" not in r.output


def test_an_import_that_breaks_while_writing_names_the_unfinished_record(data, monkeypatch, tmp_path):
    from asi_tui.store import handle as handle_mod

    def boom(self):
        raise RuntimeError("bug")

    monkeypatch.setattr(handle_mod.RecordHandle, "pause", boom)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    path = data["tmp"] / "answers.yaml"
    path.write_text("G16: 30\n", encoding="utf-8")
    r = import_file(data, path)
    assert r.exit_code == 70 and "lost" not in r.output
    monkeypatch.undo()
    (rid,) = [d["rid"] for d in json.loads(cli(data, "record", "list", "--json", "--passphrase-file", str(data["pw"])).output)]
    assert r.output.startswith(f"Error: An unexpected error occurred while record {rid} was being written: it may be incomplete.")
    assert f"asi-tui record delete {rid}" in r.output


def test_a_store_error_while_writing_an_import_names_the_unfinished_record(data, monkeypatch):
    from asi_tui.store import handle as handle_mod
    from asi_tui.store.fsutil import io_error

    def full(self):
        raise io_error(OSError(errno.ENOSPC, "No space left on device"))

    monkeypatch.setattr(handle_mod.RecordHandle, "pause", full)
    path = data["tmp"] / "answers.yaml"
    path.write_text("G16: 30\n", encoding="utf-8")
    line = user_error(import_file(data, path))
    assert line.startswith("Error: The disk is full.") and "was created but not finished" in line
