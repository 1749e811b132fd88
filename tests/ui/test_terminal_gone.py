"""The terminal vanishes mid-redraw (a killed tmux session, a dropped SSH link):
the app leaves within seconds, every time, and keeps every acknowledged answer.

A real process on a pseudo-terminal: the test closes the terminal side right
after F1 (a full-screen redraw), as `tmux kill-session` does, ten times over
(at ten items, after a short random delay).
"""

from __future__ import annotations

import os
import random
import time

import pytest

from asi_tui.store import Store

from .conftest import ANNA_PW
from .test_pty_kill import Terminal

# (item, the item shown after it): numeric items answered 1 one after the other, no check or skip fires
STEPS = [
    ("SE.G.barn", "SE.G.barn_hemma"), ("M1", "M2"), ("M6", "M7"), ("E2", "E3"), ("E12", "E13"),
    ("E16", "E17"), ("E19", "E20"), ("D1b", "D2a"), ("D17", "D19"), ("D23", "D25"),
]
EXIT_WITHIN_S = 6.0  # the watchdog's grace (3 s) and some room for a loaded machine


def vanish(term: Terminal) -> float:
    """Close the terminal side (the process gets SIGHUP, its tty EIO); the seconds until it is gone."""
    os.close(term.fd)
    start = time.monotonic()
    while time.monotonic() - start < EXIT_WITHIN_S:
        pid, _status = os.waitpid(term.pid, os.WNOHANG)
        if pid:
            return time.monotonic() - start
        time.sleep(0.02)
    os.kill(term.pid, 9)
    os.waitpid(term.pid, 0)
    raise AssertionError(f"the app was still running {EXIT_WITHIN_S} s after its terminal vanished")


@pytest.mark.slow
def test_the_app_never_outlives_its_terminal_and_keeps_every_answer(data_dir):
    rng = random.Random(12)
    acknowledged: dict[str, int] = {}
    took = []
    for n, (item_id, next_id) in enumerate(STEPS):
        term = Terminal(data_dir)
        term.wait_for("Lösenfras")
        term.send(ANNA_PW + "\r")
        term.wait_for("Mina pågående")
        mark = term.mark()
        if n == 0:  # a new Grund, then the open one
            term.send("n")
            term.wait_for("Klientreferens", since=mark)
            term.send("K-VANISH\x13")
        else:
            term.send("\r")
        term.wait_for("Pausa", since=mark)  # the interview footer
        mark = term.mark()
        term.send("\x07")  # Ctrl+G
        term.wait_for("Gå till fråga", since=mark)
        mark = term.mark()
        term.send(item_id + "\r")
        term.wait_for(f"{item_id}  ", since=mark)
        mark = term.mark()
        term.send("1\r")
        term.wait_for(f"{next_id}  ", since=mark)  # shown: the answer is on disk
        acknowledged[item_id] = 1
        term.send("\x1bOP")  # F1: the help dialog, a full redraw
        time.sleep(rng.choice([0, 0, 0.005, 0.02]))
        took.append(vanish(term))
    assert max(took) < EXIT_WITHIN_S
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    (doc,) = [d for d in session.list_records() if d["client_ref"] == "K-VANISH"]
    handle = session.open_record(doc["rid"])  # no lock left behind
    try:
        assert {k: handle.interview.value(k) for k in acknowledged} == acknowledged
        assert handle.notices == []
    finally:
        handle.close()
