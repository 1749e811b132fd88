"""Where an interview reopens, when several answers carry the same second (fast typing)."""

from __future__ import annotations

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Store, clock
from asi_tui.ui.position import clock_items, last_answered, resume_item

from .conftest import ANNA_PW, TODAY


def test_within_one_second_the_answer_given_last_counts_and_going_back_does_not(data_dir, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: "2026-11-20T09:00:00+00:00")  # every answer in the same second
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    handle = session.create_record(bundled_bank("asi-grund"), "K-SEKUND", TODAY, meta={"prefilled": ["G9"]})
    try:
        handle.answer("G9", 1)  # from the start form: not a place
        assert resume_item(handle).id == "G4"
        handle.answer("G4", "2026-11-01")
        handle.answer("M1", 0)  # jumped ahead: M2 is hidden
        assert last_answered(handle).id == "M1" and resume_item(handle).id == "M3"
        handle.answer("G4", "2026-11-02")  # went back and corrected G4 in the same second
        assert resume_item(handle).id == "M3"
    finally:
        handle.close()
    reopened = session.open_record(handle.rid)  # the journal replayed: same place
    try:
        assert resume_item(reopened).id == "M3"
    finally:
        reopened.close()
        session.close()


def test_the_interview_clock_items_are_the_first_two_time_items():
    assert clock_items(bundled_bank("asi-grund")) == ("G6", "G7")
    assert clock_items(bundled_bank("asi-bortfall")) == (None, None)
