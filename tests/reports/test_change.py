"""Change between Grund and Uppföljning, checked against pairs made in the test."""

from __future__ import annotations

from datetime import date

import pytest

from asi_tui.reports import Filters, build_report
from asi_tui.scoring.composite import AREAS, composites

from .helpers import age_band, assert_count, assert_stat, in_period, mean, median, number

RATING = {"medical": "M9", "employment": "E22", "alcohol": "D32", "drug": "D33", "legal": "L30", "family": "F36", "psych": "P21"}


def known_pairs(world, start=None, end=None, unit=None, bands=None):
    grunds = {r.rid: r for r in world.completed("interview", "grund")}
    out = []
    for u in world.completed("interview", "uppfoljning"):
        g = grunds[u.linked]
        if not in_period(u.day, start, end):
            continue
        if unit is not None and g.unit != unit:  # the Grund's unit (its id)
            continue
        if bands is not None and age_band(g.get("G16")) not in bands:
            continue
        out.append((g, u))
    return out


def check(table_c, table_r, pairs):
    if 1 <= len(pairs) <= 4:
        assert table_c.n_suppressed and table_c.note
    else:
        assert table_c.n == len(pairs)
    for area in AREAS:
        before, after = [], []
        for g, u in pairs:
            x, y = composites(g.answers)[area].score, composites(u.answers)[area].score
            if x is not None and y is not None:
                before.append(x)
                after.append(y)
        assert_count(table_c.cell(area, "pairs"), len(before))
        assert_stat(table_c.cell(area, "before_mean"), before, mean)
        assert_stat(table_c.cell(area, "after_mean"), after, mean)
        assert_stat(table_c.cell(area, "after_median"), after, median)
        if len(before) >= 5:
            assert table_c.cell(area, "change").value == pytest.approx(mean(after) - mean(before))
        rb = [number(g.get(RATING[area])) for g, _ in pairs]
        ra = [number(u.get(RATING[area])) for _, u in pairs]
        both = [(b, a) for b, a in zip(rb, ra) if b is not None and a is not None]
        assert_count(table_r.cell(area, "pairs"), len(both))
        assert_stat(table_r.cell(area, "before_mean"), [b for b, _ in both], mean)
        assert_stat(table_r.cell(area, "after_mean"), [a for _, a in both], mean)
        assert_stat(table_r.cell(area, "before_median"), [b for b, _ in both], median)


def test_all_pairs(world, dataset):
    pairs = known_pairs(world)
    assert len(pairs) == 12
    report = build_report(dataset, Filters(), "en")
    check(report.table("change.composites"), report.table("change.ratings"), pairs)
    # ratings fell by 2 (floored at 0) in every synthetic follow-up
    assert report.table("change.ratings").cell("medical", "change").value < 0


def test_period_is_the_follow_up_date_and_small_pair_counts_are_suppressed(world, dataset):
    start, end = date(2025, 6, 1), date(2025, 12, 31)
    pairs = known_pairs(world, start, end)
    assert 5 <= len(pairs) <= 9
    report = build_report(dataset, Filters(date_from=start, date_to=end), "sv")
    check(report.table("change.composites"), report.table("change.ratings"), pairs)
    assert report.table("change.composites").note == "Färre än 10 klienter: inga slutsatser"
    old = ("45-54", "55-64")
    few = known_pairs(world, bands=old)
    assert 1 <= len(few) <= 4
    report = build_report(dataset, Filters(age_groups=old), "sv")
    table = report.table("change.ratings")
    check(report.table("change.composites"), table, few)
    assert all(c.value is None for r in table.rows for c in r.cells)


def test_unit_and_group_come_from_the_grund(world, dataset):
    pairs = known_pairs(world, unit="enhet-a")
    report = build_report(dataset, Filters(unit="enhet-a"), "en")
    check(report.table("change.composites"), report.table("change.ratings"), pairs)
    assert build_report(dataset, Filters(unit="enhet-b"), "en").table("change.composites").n == 0
