"""Since-last answers are bounded by the time since the last interview (issue 14),
and coded text answers (kommun, SSYK) must come from the shipped code lists."""

from __future__ import annotations

from datetime import date

import pytest

from asi_tui.bank.registry import bundled_banks
from asi_tui.engine.interview import Interview
from asi_tui.engine.timeframe import months_up, since_last_limit, window_for
from asi_tui.engine.values import X


def _bank(bank_id: str, version: str):
    return next(b for b in bundled_banks() if (b.id, b.version) == (bank_id, version))


UPPF = _bank("asi-uppfoljning", "1.0.1")
GRUND = _bank("asi-grund", "1.0.1")
LINKED, DAY = date(2026, 1, 10), date(2026, 7, 25)  # six and a half months apart


@pytest.mark.parametrize(
    "start, end, months",
    [
        (date(2026, 1, 10), date(2026, 7, 25), 7),  # 6 months 15 days: a begun month counts
        (date(2026, 1, 10), date(2026, 7, 10), 6),  # exactly six months
        (date(2026, 1, 31), date(2026, 2, 28), 1),  # month end clamped
        (date(2026, 1, 10), date(2026, 1, 11), 1),
    ],
)
def test_months_up_counts_a_begun_month_as_whole(start, end, months):
    assert months_up(start, end) == months


def test_limits_by_unit_for_a_six_and_a_half_month_window():
    w = window_for("since_last", DAY, LINKED)
    assert w.days == 196
    assert since_last_limit("years_months", None, w) == (7, "months")
    assert since_last_limit("count", "months", w) == (7, "months")
    assert since_last_limit("count", "years", w) == (1, "years")
    assert since_last_limit("count", "times", w) == (28, "times")  # 196 days = 28 weeks
    assert since_last_limit("count", "people", w) is None
    assert since_last_limit("count", "months", window_for("30d", DAY)) is None


def test_l21_of_20_months_and_m2_of_3_years_are_refused_with_a_six_and_a_half_month_gap():
    iv = Interview(UPPF, DAY, LINKED)
    out = iv.answer("L21", 20)
    assert not out.ok and out.message == "engine.invalid.over_since_last.months"
    assert out.params == {"max": 7, "since": "2026-01-10"}
    assert iv.value("L21") is None
    assert iv.answer("M1", 1).ok
    out = iv.answer("M2", "3:00")
    assert not out.ok and out.params["max"] == 7
    # the largest possible values are accepted
    assert iv.answer("L21", 7).ok and iv.answer("M2", "0:07").ok
    assert iv.value("L21") == 7 and iv.value("M2") == 7
    # X stays allowed: the client may not know
    assert iv.answer("L21", "X").ok and iv.value("L21") is X


def test_an_implausible_count_of_events_is_a_deferrable_soft_warning():
    iv = Interview(UPPF, DAY, LINKED)
    out = iv.answer("M1", 29)  # more than one admission a week
    assert out.ok and [w.key for w in out.warnings] == ["M1#window"]
    assert out.warnings[0].message == "engine.warn.over_since_last.times"
    iv.defer("M1#window")
    assert [w.key for w in iv.deferred_warnings()] == ["M1#window"]
    assert iv.answer("M1", 28).ok  # one a week: no warning, and the deferral goes with it
    assert "M1#window" not in iv.warnings and not iv.deferred


def test_a_period_that_may_begin_before_the_last_interview_only_warns():
    iv = Interview(UPPF, DAY, LINKED)
    assert iv.answer("L21", 5).ok
    out = iv.answer("L22", 30)  # the whole latest time locked up, begun long before
    assert out.ok and "L22#window" in iv.warnings


def test_the_warning_is_recomputed_when_a_record_is_restored():
    iv = Interview(UPPF, DAY, LINKED)
    iv.answer("M1", 40)
    fresh = Interview(UPPF, DAY, LINKED)
    fresh.restore(dict(iv.answers), deferred=["M1#window"])
    assert "M1#window" in fresh.warnings and fresh.deferred == {"M1#window"}


def test_hiding_the_item_clears_its_window_warning():
    iv = Interview(UPPF, DAY, LINKED)
    iv.answer("M1", 5)
    iv.answer("M2", "0:05")
    iv.answer("L21", 5)
    iv.answer("L22", 30)
    assert "L22#window" in iv.warnings
    assert iv.answer("L21", 0).ok  # L22 is hidden (N) now
    assert "L22#window" not in iv.warnings


def test_records_pinned_to_1_0_0_keep_1_0_0_rules():
    """Published versions are immutable, rules included: 1.0.0 had no bounds, and an
    answer already journalled on 1.0.0 must still replay."""
    old = _bank("asi-uppfoljning", "1.0.0")
    iv = Interview(old, DAY, LINKED)
    assert iv.answer("L21", 20).ok


@pytest.mark.parametrize("code, ok", [("0180", True), ("1480", True), ("1280", True), ("0380", True),
                                      ("2584", True), ("9999", False), ("0000", False), ("0100", False)])
def test_kommun_is_checked_against_scb_codes(code, ok):
    iv = Interview(GRUND, DAY)
    out = iv.answer("SE.G.kommun", code)
    assert out.ok is ok
    if not ok:
        assert out.message == "engine.invalid.not_in_codes"


@pytest.mark.parametrize("code, ok", [("5321", True), ("4322", True), ("7212", True), ("0110", True),
                                      ("532", True), ("53", True), ("5", True),
                                      ("0000", False), ("4329", False), ("1234", False), ("00", False)])
def test_ssyk_accepts_unit_groups_and_the_groups_above_them(code, ok):
    iv = Interview(GRUND, DAY)
    assert iv.answer("E7", code).ok is ok


def test_the_code_lists_are_complete():
    kommun = GRUND.codelists["kommun"]
    assert len(kommun.codes) == 290 and len(set(kommun.values)) == 290
    assert {c.code: c.label.sv for c in kommun.codes if c.code in ("0180", "1480", "1280", "0380")} == {
        "0180": "Stockholm", "1480": "Göteborg", "1280": "Malmö", "0380": "Uppsala"}
    assert len({str(c)[:2] for c in kommun.values}) == 21  # the 21 counties
    ssyk = GRUND.codelists["ssyk2012"]
    assert len(ssyk.codes) == 429 and all(len(str(c)) == 4 for c in ssyk.values)
