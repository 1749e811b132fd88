"""Composite scores against the §5 formulas, computed independently here."""

from __future__ import annotations

import math

import pytest

from asi_tui.engine.values import N, X
from asi_tui.scoring.composite import INPUTS, composite, composites

ANSWERS = {
    "M6": 10, "M7": 2, "M8": 3,
    "E4": 1, "E5": 0, "E11": 12, "E12": 8000,
    "D1a": 20, "D2a": 8, "D26": 15, "D28": 3, "D30": 4, "D23": 2500,
    "D3a": 0, "D4a": 2, "D5a": 0, "D6a": 0, "D7a": 5, "D8a": 1, "D9a": 10, "D10a": 30, "D11a": 0, "D12a": 30,
    "D13a": 6, "D27": 12, "D29": 2, "D31": 3,
    "L24": 1, "L27": 4, "L28": 2, "L29": 1, "E17": 3000,
    "F3": 0, "F30": 3, "F32": 2, "F34": 1,
    "F18m": 1, "F19m": 0, "F20m": 1, "F21m": N, "F22m": 0, "F23m": 0, "F24m": 1, "F25m": 0, "F26m": N,
    "P4m": 1, "P5m": 1, "P6m": 0, "P7m": 1, "P8m": 0, "P9m": 0, "P10m": 0, "P11m": 1, "P12": 14, "P13": 3, "P14": 2,
}


def ln(x):
    return math.log(x) if x > 0 else 0.0


# The "mean of rescaled items" forms of §5: algebraically equal to the exact formulas.
EXPECTED = {
    "medical": (10 / 30 + 2 / 4 + 3 / 4) / 3,
    "employment": 1 - (1 + 0 + 12 / 30 + ln(8000) / 9) / 4,
    "alcohol": (20 / 30 + 8 / 30 + 15 / 30 + 3 / 4 + 4 / 4 + ln(2500) / (44 / 6)) / 6,
    # D12 (inhalants, 30 days here) must not count
    "drug": ((0 + 2 + 0 + 0 + 5 + 1 + 10 + 30 + 0 + 6 + 12) / 30 + 2 / 4 + 3 / 4) / 13,
    "legal": (1 + 4 / 30 + 2 / 4 + 1 / 4 + ln(3000) / 9.2) / 5,
    # F3 = 0 (not satisfied) recodes to 2; N counts as 0 in the F18-F26 sum, divisor stays 9
    "family": (2 / 2 + 3 / 30 + 2 / 4 + 1 / 4 + (1 + 0 + 1 + 0 + 0 + 0 + 1 + 0 + 0) / 9) / 5,
    "psych": ((1 + 1 + 0 + 1 + 0 + 0 + 0 + 1) + 14 / 30 + 3 / 4 + 2 / 4) / 11,
}


@pytest.mark.parametrize("area", sorted(EXPECTED))
def test_scores_match_formulas(area):
    result = composite(area, ANSWERS)
    assert result.missing == ()
    assert result.score == pytest.approx(EXPECTED[area], abs=1e-6)


def test_hand_computed_values():
    # M6/90 + M7/12 + M8/12 = 0.1111 + 0.1667 + 0.25
    assert composite("medical", ANSWERS).score == pytest.approx(0.527778, abs=1e-6)
    # 1 - (1/4 + 0 + 12/120 + ln(8000)/36) = 1 - (0.25 + 0.1 + 0.249644)
    assert composite("employment", ANSWERS).score == pytest.approx(0.400356, abs=1e-6)


def test_ln_term_is_zero_for_zero_and_one():
    base = dict(ANSWERS, E12=0)
    zero = composite("employment", base).score
    assert zero == pytest.approx(1 - (1 / 4 + 12 / 120), abs=1e-9)
    assert composite("employment", dict(base, E12=1)).score == pytest.approx(zero, abs=1e-9)


def test_no_score_when_an_input_is_x_or_missing():
    answers = dict(ANSWERS, M7=X)
    del answers["M8"]
    result = composite("medical", answers)
    assert result.score is None and result.missing == ("M7", "M8")


def test_n_outside_family_conflicts_means_no_score():
    assert composite("alcohol", dict(ANSWERS, D23=N)).missing == ("D23",)


def test_f3_satisfied_and_indifferent_recode():
    yes = composite("family", dict(ANSWERS, F3=2)).score
    indiff = composite("family", dict(ANSWERS, F3=1)).score
    no = composite("family", ANSWERS).score
    assert indiff - yes == pytest.approx(0.1) and no - indiff == pytest.approx(0.1)


def test_all_areas_and_their_inputs():
    result = composites(ANSWERS)
    assert set(result) == set(INPUTS) and all(c.score is not None for c in result.values())
    assert "D12a" not in INPUTS["drug"]
