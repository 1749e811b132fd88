"""Weighted kappa and ICC(2,1) against values worked out by hand."""

from __future__ import annotations

import pytest

from asi_tui.training.agreement import icc_2_1, weighted_kappa

# Ten paired ratings on a 0-2 scale.  Cross table (rows rater A, columns rater B):
#        B=0 B=1 B=2   row
#  A=0    2   1   0     3
#  A=1    0   2   1     3
#  A=2    0   1   3     4
#  col    2   4   4    10
A = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
B = [0, 0, 1, 1, 1, 2, 2, 2, 2, 1]


def test_quadratic_kappa_by_hand():
    # weights (d/2)^2: d=1 -> 1/4, d=2 -> 1.
    # observed: three cells one step off: 3 * 1/4 / 10 = 0.075
    # expected: one step off 12+6+12+16 = 46 -> 46/4 = 11.5; two steps 12+8 = 20; (11.5 + 20) / 100 = 0.315
    # kappa = 1 - 0.075 / 0.315 = 1 - 5/21 = 16/21
    assert weighted_kappa(A, B, categories=(0, 1, 2)) == pytest.approx(16 / 21)


def test_linear_kappa_by_hand():
    # weights d/2: observed 3 * 1/2 / 10 = 0.15; expected (46/2 + 20) / 100 = 0.43; kappa = 1 - 15/43
    assert weighted_kappa(A, B, categories=(0, 1, 2), weights="linear") == pytest.approx(28 / 43)


def test_kappa_does_not_depend_on_the_length_of_the_scale():
    # the same ratings read on the 0-9 interviewer scale: (k-1) cancels in the ratio
    assert weighted_kappa(A, B) == pytest.approx(16 / 21)


def test_kappa_of_three_interviewer_ratings_by_hand():
    # key 6, 3, 5 against trainee 5, 3, 8: squared distances 1, 0, 9 -> observed mean 10/3;
    # expected: all nine pairings {6,3,5} x {5,3,8}: (1+9+4)+(4+0+25)+(0+4+9) = 56 -> 56/9;
    # kappa = 1 - (10/3)/(56/9) = 1 - 30/56 = 13/28
    assert weighted_kappa([6, 3, 5], [5, 3, 8]) == pytest.approx(13 / 28)


def test_kappa_perfect_and_undefined():
    assert weighted_kappa([1, 4, 7], [1, 4, 7]) == pytest.approx(1.0)
    assert weighted_kappa([4, 4, 4], [4, 4, 4]) is None  # no expected disagreement: undefined
    assert weighted_kappa([], []) is None
    with pytest.raises(ValueError):
        weighted_kappa([1, 2], [1])
    with pytest.raises(ValueError):
        weighted_kappa([10], [1])


def test_icc_2_1_small_table_by_hand():
    # 3 targets x 2 raters: [[1,2],[3,3],[5,4]]; grand mean 3
    # SSR = 2*((1.5-3)^2 + 0 + (4.5-3)^2) = 9 -> MSR = 4.5; column means 3, 3 -> MSC = 0
    # SST = 4+1+0+0+4+1 = 10 -> SSE = 1 -> MSE = 1/(2*1) = 0.5
    # ICC = (4.5 - 0.5) / (4.5 + 1*0.5 + 2*(0 - 0.5)/3) = 4 / (14/3) = 6/7
    assert icc_2_1([[1, 2], [3, 3], [5, 4]]) == pytest.approx(6 / 7)


def test_icc_2_1_counts_a_constant_offset_against_agreement():
    # rater 2 always two steps higher: perfectly consistent, not in absolute agreement
    # MSR = 16/2 = 8, MSC = 6/1 = 6, MSE = 0 -> ICC = 8 / (8 + 0 + 2*6/3) = 2/3
    assert icc_2_1([[2, 4], [4, 6], [6, 8]]) == pytest.approx(2 / 3)


def test_icc_2_1_matches_shrout_and_fleiss():
    # the worked example of Shrout & Fleiss (1979), 6 targets x 4 judges: ICC(2,1) = .29
    table = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    assert icc_2_1(table) == pytest.approx(0.2898, abs=5e-4)


def test_icc_undefined_cases():
    assert icc_2_1([[1, 2]]) is None  # one target
    assert icc_2_1([[1], [2]]) is None  # one rater
    assert icc_2_1([[3, 3], [3, 3]]) is None  # no variance at all
