"""Dropout tables checked against the registrations made in the test."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from asi_tui.reports import Filters, build_report

from .helpers import age_band, assert_count, assert_share, code, in_period

REASONS = ("acute", "psych", "declined", "staff", "incomplete", "unreachable", "no_routine", "other")
INSTR = {1: "grund", 2: "uppfoljning"}


def drops(world, start=None, end=None):
    return [d for d in world.completed("dropout") if in_period(d.day, start, end)]


@pytest.mark.parametrize("period", [(None, None), (date(2025, 1, 1), date(2025, 12, 31))])
def test_reasons_by_instrument(world, dataset, period):
    rows = drops(world, *period)
    report = build_report(dataset, Filters(date_from=period[0], date_to=period[1]), "en")
    table = report.table("dropout.reasons")
    assert [r.key for r in table.rows] == [*REASONS, "missing", "total"]
    counts = Counter((d.get("SE.B.orsak"), INSTR[d.get("SE.B.instrument")]) for d in rows)
    for reason in REASONS:
        for instr in ("grund", "uppfoljning"):
            assert_count(table.cell(reason, instr), counts[(reason, instr)])
        total = counts[(reason, "grund")] + counts[(reason, "uppfoljning")]
        assert_count(table.cell(reason, "total"), total)
        assert_share(table.cell(reason, "share"), total, len(rows))
    assert_count(table.cell("total", "total"), len(rows))
    assert table.small == (len(rows) < 10)


def test_dropout_rate_against_interviews_in_the_period(world, dataset):
    start, end = date(2025, 1, 1), date(2026, 6, 30)
    report = build_report(dataset, Filters(date_from=start, date_to=end), "en")
    table = report.table("dropout.rate")
    total_i = total_d = 0
    for num, instr in INSTR.items():
        i = sum(1 for r in world.completed("interview", instr) if in_period(r.day, start, end))
        d = sum(1 for r in drops(world, start, end) if r.get("SE.B.instrument") == num)
        total_i, total_d = total_i + i, total_d + d
        assert_count(table.cell(instr, "interviews"), i)
        assert_count(table.cell(instr, "dropouts"), d)
        assert_count(table.cell(instr, "target"), i + d)
        assert_share(table.cell(instr, "rate"), d, i + d)
    assert_count(table.cell("total", "dropouts"), total_d)
    assert_share(table.cell("total", "rate"), total_d, total_i + total_d)


@pytest.mark.parametrize(
    "key, item, keyer",
    [
        ("dropout.gender", "G10", lambda v: str(code(v))),
        ("dropout.age", "G16", age_band),
        ("dropout.income", "SE.E.huvudkalla", lambda v: str(code(v))),
    ],
)
def test_background_of_dropouts_beside_the_interviewed(world, dataset, key, item, keyer):
    report = build_report(dataset, Filters(instrument=None), "en")
    table = report.table(key)
    interviewed = [r for instr in INSTR.values() for r in world.completed("interview", instr)]
    dropped = drops(world)
    ci = Counter(keyer(r.get(item)) for r in interviewed)
    cd = Counter(keyer(r.get(item)) for r in dropped)
    for row in table.rows:
        if row.key == "total":
            continue
        assert_count(table.cell(row.key, "interviewed"), ci[row.key])
        assert_share(table.cell(row.key, "interviewed_share"), ci[row.key], len(interviewed))
        assert_count(table.cell(row.key, "dropouts"), cd[row.key])
        assert_share(table.cell(row.key, "dropouts_share"), cd[row.key], len(dropped))
    assert sum(ci.values()) == len(interviewed) and set(ci) <= {r.key for r in table.rows}
    assert set(cd) <= {r.key for r in table.rows}
    assert table.small == (min(len(interviewed), len(dropped)) < 10)


@pytest.mark.parametrize("unit", ["enhet-a", "enhet-b"])
def test_dropout_rate_per_unit_counts_the_units_own_registrations(world, dataset, unit):
    """Registrations carry their unit (issue 13: every per-unit rate read 0 % before)."""
    report = build_report(dataset, Filters(unit=unit), "sv")
    table = report.table("dropout.rate")
    mine = [d for d in world.completed("dropout") if d.unit == unit]
    assert mine  # both units registered dropouts
    for num, instr in INSTR.items():
        i = sum(1 for r in world.completed("interview", instr) if r.unit == unit)
        d = sum(1 for r in mine if r.get("SE.B.instrument") == num)
        assert_count(table.cell(instr, "interviews"), i)
        assert_count(table.cell(instr, "dropouts"), d)
        assert_share(table.cell(instr, "rate"), d, i + d)
    assert_count(report.table("dropout.reasons").cell("total", "total"), len(mine))
    assert not any("saknar enhet" in n for n in table.notes)  # no registration without a unit
