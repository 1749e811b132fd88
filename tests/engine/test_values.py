"""Parsing of durations and clock times as typed in the interview and as read from answers files."""

from __future__ import annotations

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.engine.values import (
    YM_BARE_MONTHS,
    YM_BARE_REFUSED,
    Invalid,
    is_time_item,
    parse_time,
    parse_years_months,
)


@pytest.mark.parametrize(
    "raw, months",
    [("12:0", 144), ("12:06", 150), ("0:6", 6), ("12 år", 144), ("12å 6m", 150), ("3 år och 6 mån", 42),
     ("3 years 6 months", 42), ("3y6m", 42), ("6 mån", 6), ("1 year", 12), ({"years": 1, "months": 6}, 18)],
)
def test_typed_durations_with_units_or_a_colon(raw, months):
    assert parse_years_months(raw, bare=YM_BARE_REFUSED) == months


@pytest.mark.parametrize("raw", ["12", " 7 ", 12])
def test_a_bare_number_typed_in_the_interview_is_refused_with_both_readings(raw):
    with pytest.raises(Invalid) as exc:
        parse_years_months(raw, bare=YM_BARE_REFUSED)
    assert exc.value.key == "engine.invalid.years_months_bare"
    assert exc.value.params == {"n": int(str(raw).strip())}


def test_answers_files_keep_a_bare_number_as_months():
    """The documented answers-file form (README: `18 (months)`) must not change meaning on import."""
    assert parse_years_months("18") == 18
    assert parse_years_months(18) == 18
    assert parse_years_months("18", bare=YM_BARE_MONTHS) == 18


@pytest.mark.parametrize("raw", ["12:12", "1 år 14 mån"])
def test_months_over_eleven_beside_years_are_refused(raw):
    with pytest.raises(Invalid) as exc:
        parse_years_months(raw, bare=YM_BARE_REFUSED)
    assert exc.value.key == "engine.invalid.months_over_11"


@pytest.mark.parametrize("raw", ["", "abc", "12 veckor", "3:"])
def test_garbage_durations_are_refused(raw):
    with pytest.raises(Invalid) as exc:
        parse_years_months(raw, bare=YM_BARE_REFUSED)
    assert exc.value.key == "engine.invalid.bad_years_months"


@pytest.mark.parametrize("raw, shown", [("9:30", "09:30"), ("09:30", "09:30"), ("0930", "09:30"), ("9.30", "09:30"), ("23:59", "23:59")])
def test_clock_times(raw, shown):
    assert parse_time(raw) == shown


@pytest.mark.parametrize("raw", ["24:00", "12:60", "klockan tio", "", None, 930])
def test_bad_clock_times_name_the_format(raw):
    with pytest.raises(Invalid) as exc:
        parse_time(raw)
    assert exc.value.key == "engine.invalid.bad_time"


def test_the_grund_start_and_end_times_are_time_items_and_other_patterns_are_not():
    bank = bundled_bank("asi-grund")
    assert [i.id for i in bank.items if is_time_item(i)] == ["G6", "G7"]
