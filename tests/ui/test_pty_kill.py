"""Kill the real app on a pseudo-terminal mid-interview: every acknowledged answer survives.

"Acknowledged" means what the interviewer saw: the screen moved on to the next
item, which the app does only after the answer's journal frame was fsynced.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import signal
import struct
import sys
import termios
import threading
import time

import pytest

from asi_tui.engine.values import N
from asi_tui.store import Store

from .conftest import ANNA_PW

DRIVER = (
    "import sys\n"
    "from asi_tui.store import crypto\n"
    "crypto.allow_test_kdf()\n"
    "from asi_tui.cli import main\n"
    "main(['--data', sys.argv[1], '--user', 'anna', 'run'])\n"
)
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


class Terminal:
    def __init__(self, data_dir) -> None:
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the app on the pty
            os.environ["TERM"] = "xterm"
            os.execv(sys.executable, [sys.executable, "-c", DRIVER, str(data_dir)])
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.buffer = ""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.buffer += ANSI.sub("", chunk.decode("utf-8", errors="replace"))

    def send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def mark(self) -> int:
        with self.lock:
            return len(self.buffer)

    def wait_for(self, text: str, since: int = 0, timeout: float = 15.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if text in self.buffer[since:]:
                    return
            time.sleep(0.02)
        raise AssertionError(f"{text!r} did not appear on the terminal")

    def kill(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.fd)


@pytest.mark.slow
def test_kill_mid_interview_keeps_every_acknowledged_answer(data_dir):
    term = Terminal(data_dir)
    try:
        term.wait_for("Lösenfras")
        term.send(ANNA_PW + "\r")
        term.wait_for("Mina pågående")
        term.send("n")
        term.wait_for("Klientreferens")
        term.send("K-PTY\x13")  # Ctrl+S starts the interview
        term.wait_for("G4")  # the unit (G3) is the record's since bank 1.0.2
        acknowledged: dict[str, object] = {}
        steps = [("G4", "2026-11-01\r", "G6", "2026-11-01"), ("G6", "09:30\r", "G9", "09:30")]  # G7 waits for the end
        for item_id, keys, next_id, value in steps:
            mark = term.mark()
            term.send(keys)
            term.wait_for(next_id, since=mark)
            acknowledged[item_id] = value
        mark = term.mark()
        term.send("\x07")  # Ctrl+G: go to item
        term.wait_for("Gå till fråga", since=mark)
        mark = term.mark()
        term.send("M1\r")
        term.wait_for("M1  ", since=mark)
        for item_id, keys, next_id, value in [("M1", "0\r", "M3", 0), ("M3", "1", "M3s", 1), ("M3s", "Astma\r", "M4", "Astma")]:
            mark = term.mark()
            term.send(keys)
            term.wait_for(next_id, since=mark)
            acknowledged[item_id] = value
        term.send("1")  # M4: sent, maybe saved, never seen acknowledged
    finally:
        term.kill()
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    (doc,) = [d for d in session.list_records() if d["client_ref"] == "K-PTY"]
    handle = session.open_record(doc["rid"])  # the killed app's lock is gone
    try:
        for item_id, value in acknowledged.items():
            assert handle.interview.value(item_id) == value, item_id
        assert handle.interview.value("M2") is N
        assert handle.notices in ([], ["store.notice.stale_lock"])
    finally:
        handle.close()


def _open_first_record(term: Terminal) -> None:
    term.wait_for("Lösenfras")
    term.send(ANNA_PW + "\r")
    term.wait_for("Mina pågående")
    term.send("\r")  # the open interview is the first entry


@pytest.mark.slow
def test_after_kill_the_interview_reopens_on_the_item_after_the_last_answer(data_dir):
    term = Terminal(data_dir)
    try:
        term.wait_for("Lösenfras")
        term.send(ANNA_PW + "\r")
        term.wait_for("Mina pågående")
        term.send("n")
        term.wait_for("Klientreferens")
        term.send("K-PLATS\x13")
        term.wait_for("G4  ")
        for keys, next_id in (("2026-11-01\r", "G6  "), ("\x07", "Gå till fråga"), ("M1\r", "M1  "), ("0\r", "M3  ")):
            mark = term.mark()
            term.send(keys)
            term.wait_for(next_id, since=mark)
    finally:
        term.kill()
    term = Terminal(data_dir)
    try:
        _open_first_record(term)
        term.wait_for("M3  ")  # the last answer was M1 (M2 hidden): on M3, not on the first gap (G6)
        for keys, next_id in (("\x07", "Gå till fråga"), ("G6\r", "G6  "), ("\r", "G9  ")):  # G6: the suggested time
            mark = term.mark()
            term.send(keys)
            term.wait_for(next_id, since=mark)  # G7, the end time, waits for the end
    finally:
        term.kill()
    term = Terminal(data_dir)
    try:
        _open_first_record(term)
        term.wait_for("G10  ")  # after G6: G7 waits, G9 came from the start form
    finally:
        term.kill()
