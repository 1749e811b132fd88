"""Time-frame windows, window bounds and the follow-up link."""

from __future__ import annotations

from datetime import date

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.engine.interview import ACCEPTED, EngineError, Interview
from asi_tui.engine.timeframe import add_months, window_for

DAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "kind, start, end, days",
    [
        ("30d", date(2026, 10, 24), date(2026, 11, 22), 30),
        ("6m", date(2026, 5, 23), date(2026, 11, 22), 184),
        ("3y", date(2023, 11, 23), date(2026, 11, 22), 1096),
        ("current", DAY, DAY, 1),
        ("lifetime", None, DAY, None),
    ],
)
def test_windows_are_anchored_on_the_interview_date(kind, start, end, days):
    w = window_for(kind, DAY)
    assert (w.start, w.end, w.days) == (start, end, days)


def test_since_last_runs_from_the_day_after_the_linked_interview_to_today():
    w = window_for("since_last", DAY, date(2026, 5, 4))
    assert (w.start, w.end, w.days) == (date(2026, 5, 5), DAY, 203)


def test_month_arithmetic_clamps_to_month_end():
    assert add_months(date(2026, 8, 31), -6) == date(2026, 2, 28)
    assert add_months(date(2024, 8, 31), -6) == date(2024, 2, 29)


@pytest.fixture(scope="module")
def spel_uppf():
    return bundled_bank("asi-spel-uppfoljning")


def test_followup_must_link_to_an_earlier_grund(spel_uppf):
    with pytest.raises(EngineError) as info:
        Interview(spel_uppf, DAY)
    assert info.value.key == "engine.link.required"
    with pytest.raises(EngineError) as info:
        Interview(spel_uppf, DAY, linked_date=DAY)
    assert info.value.key == "engine.link.not_earlier"


def test_followup_warns_when_grund_is_older_than_two_years(spel_uppf):
    assert Interview(spel_uppf, DAY, linked_date=date(2025, 6, 1)).link_warnings == []
    old = Interview(spel_uppf, DAY, linked_date=date(2024, 11, 1))
    assert old.link_warnings == ["engine.link.old"]


def test_since_last_label_shows_calendar_dates(spel_uppf):
    iv = Interview(spel_uppf, DAY, linked_date=date(2026, 5, 4))
    assert iv.timeframe_label("SE.S.typer") == "sedan förra intervjun: 5 maj – 23 nov 2026"
    assert iv.timeframe_label("SE.S.dagar_6m", "en") == "last 6 months: 23 May – 22 Nov 2026"


def test_days_are_bounded_by_the_window_length(spel_uppf):
    iv = Interview(spel_uppf, date(2026, 3, 1), linked_date=date(2025, 9, 1))
    # 6 months back from 1 March: 1 Sep - 28 Feb = 181 days, although the range allows 183
    o = iv.answer("SE.S.dagar_6m", 182)
    assert o.message == "engine.invalid.over_window" and o.params["max"] == 181
    assert iv.answer("SE.S.dagar_6m", 181).status == ACCEPTED


def test_30_day_count_never_exceeds_the_6_month_count(spel_uppf):
    iv = Interview(spel_uppf, DAY, linked_date=date(2026, 5, 4))
    iv.answer("SE.S.dagar_6m", 12)
    o = iv.answer("SE.S.dagar", 13)
    assert o.message == "engine.invalid.bound_by" and o.params == {"other": "SE.S.dagar_6m", "value": 12}
    assert iv.answer("SE.S.dagar", 12).status == ACCEPTED
    # and the wider window cannot be lowered below the narrower one afterwards
    o = iv.answer("SE.S.dagar_6m", 5)
    assert o.message == "engine.invalid.bound_of"
    assert iv.value("SE.S.dagar_6m") == 12
