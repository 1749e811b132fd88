"""The headless interview engine on a small fixture bank."""

from __future__ import annotations

from datetime import date

import pytest

from asi_tui.engine.interview import ACCEPTED, INVALID, WARNING, CompletionRefused, EngineError, Interview
from asi_tui.engine.values import N, X

DAY = date(2026, 11, 23)


@pytest.fixture
def iv(mini_bank):
    return Interview(mini_bank, DAY)


def test_hidden_items_become_n_and_come_back_empty(iv):
    assert iv.answer("M1", 0).hidden == ["M2", "M2x"]
    assert iv.value("M2") is N and iv.value("M2x") is N
    assert "M2" not in [i.id for i in iv.visible_items()]
    shown = iv.answer("M1", 2).shown
    assert shown == ["M2", "M2x"]
    assert iv.value("M2") is None  # unanswered again: the old value is not resurrected


def test_cascade_hides_follow_ups_of_hidden_items(iv):
    iv.answer("M1", 2)
    iv.answer("M2", "2:00")
    assert iv.is_visible("M2x")
    iv.answer("M1", 0)
    assert not iv.is_visible("M2x")


def test_unknown_parent_keeps_child_visible(iv):
    iv.answer("M1", "X")
    assert iv.value("M1") is X
    assert iv.is_visible("M2")


def test_x_and_n_only_where_allowed(iv):
    assert iv.answer("M1", "N").message == "engine.invalid.missing_not_allowed"
    assert iv.answer("M9", "X").message == "engine.invalid.missing_not_allowed"
    assert iv.answer("M1", "x").status == ACCEPTED


def test_ranges_and_types_are_enforced(iv):
    o = iv.answer("D1a", 31)
    assert (o.status, o.message, o.params) == (INVALID, "engine.invalid.out_of_range", {"min": 0, "max": 30})
    assert iv.answer("D1a", "abc").message == "engine.invalid.not_a_number"
    assert iv.answer("D1a", True).message == "engine.invalid.not_a_number"
    assert iv.answer("AGE", 17).status == INVALID
    assert iv.answer("ENV", 7).message == "engine.invalid.not_a_code"
    assert iv.answer("M9", 10).status == INVALID
    assert iv.value("D1a") is None


def test_years_bounded_by_age(iv):
    iv.answer("AGE", 25)
    iv.answer("M1", 1)
    assert iv.answer("M2", "26:00").message == "engine.invalid.over_age"
    assert iv.answer("M2", "24:11").status == ACCEPTED
    assert iv.value("M2") == 24 * 12 + 11


def test_hard_check_rejects_both_ways(iv):
    iv.answer("D1a", 5)
    assert iv.answer("D2a", 6).message == "check.sub"
    assert iv.answer("D2a", 5).status == ACCEPTED
    # lowering D1a below D2a later is refused as well, the stored value is kept
    assert iv.answer("D1a", 4).message == "check.sub"
    assert iv.value("D1a") == 5


def test_soft_check_warns_accepts_and_can_be_deferred(iv):
    iv.answer("ENV", 2)
    o = iv.answer("ENVD", 0)
    assert o.status == WARNING and o.ok
    assert iv.value("ENVD") == 0
    assert [w.key for w in o.warnings] == ["ENVD#0"]
    iv.defer("ENVD#0")
    assert [w.key for w in iv.deferred_warnings()] == ["ENVD#0"]
    assert iv.open_warnings() == []
    # correcting the answer clears the warning and its deferral
    iv.answer("ENVD", 3)
    assert iv.deferred_warnings() == [] and iv.warnings == {}


def test_warning_goes_away_when_item_is_hidden(iv):
    iv.answer("ENV", 2)
    iv.answer("ENVD", 0)
    iv.answer("ENV", 1)
    assert iv.warnings == {}


def test_alert_raised_once_and_cleared(iv):
    o = iv.answer("P9m", 1)
    assert [a.message for a in o.alerts] == ["alert.risk"]
    assert iv.answer("P9m", 1).alerts == []  # already raised
    iv.answer("P9m", 0)
    assert iv.alerts == {}


def test_completion_lists_what_is_missing(iv):
    with pytest.raises(CompletionRefused) as info:
        iv.complete()
    assert "AGE" in info.value.missing_items and "M.comment" not in info.value.missing_items
    assert info.value.missing_ratings == ["M9"]
    for item_id, value in [("AGE", 40), ("ENV", 1), ("M1", 0), ("D1a", 0), ("D2a", 0), ("P9m", 0)]:
        assert iv.answer(item_id, value).ok
    assert iv.missing() == ([], ["M9"])
    iv.answer("M9", 3)
    iv.complete()
    assert iv.status == "completed"
    assert iv.answer("AGE", 41).message == "engine.invalid.completed"


def test_navigation_skips_hidden_items(iv):
    assert iv.current_item().id == "AGE"
    iv.answer("AGE", 30)
    assert iv.advance().id == "ENV"
    iv.answer("ENV", 1)
    assert iv.advance().id == "M1"  # ENVD hidden
    assert iv.go_back().id == "ENV"
    with pytest.raises(EngineError):
        iv.jump("ENVD")
    assert iv.jump("M9").id == "M9"


def test_time_frame_windows(iv):
    w = iv.window("D1a")
    assert (w.start, w.end, w.days) == (date(2026, 10, 24), date(2026, 11, 22), 30)
    assert iv.timeframe_label("D1a") == "senaste 30 dagarna: 24 okt – 22 nov 2026"
    assert iv.timeframe_label("D1a", "en") == "last 30 days: 24 Oct – 22 Nov 2026"
    assert iv.window("M9") is None


def test_interview_date_not_in_future(mini_bank):
    with pytest.raises(EngineError) as info:
        Interview(mini_bank, date(2026, 12, 1), today=DAY)
    assert info.value.key == "engine.date_in_future"
