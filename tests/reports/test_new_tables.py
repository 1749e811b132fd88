"""The tables issue 15 adds, checked against counts made here from the rows
(synthetic data set: chains of follow-ups, dropouts, units, interviewers) and
the known answers of the store-made world."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from datetime import date

import pytest

from asi_tui.engine.values import MissingCode
from asi_tui.reports import Filters, build_report
from asi_tui.reports.access import may_see_interviewer_breakdown
from asi_tui.reports.change import t975
from asi_tui.reports.common import ReportError
from asi_tui.reports.stats import ALL_SECTIONS, run_stats

from .conftest import ADMIN
from .helpers import age_band, assert_count, assert_n, assert_share, assert_stat, code, mean, median
from .synthetic import synthetic_dataset

AS_OF = date(2028, 1, 31)


@pytest.fixture(scope="module")
def ds():
    return synthetic_dataset()


@pytest.fixture(scope="module")
def report(ds):
    return build_report(ds, Filters(instrument=None), "en", ALL_SECTIONS, compare=("young_women", "young_men"), as_of=AS_OF)


def add_months(day, months):
    import calendar

    y, m = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def chain_grund(ds):
    """Uppföljning rid -> its chain's Grund, following links through earlier follow-ups."""
    by = {r.rid: r for r in ds.rows if r.kind == "interview"}
    out = {}
    for r in by.values():
        if r.instrument != "uppfoljning":
            continue
        cur = r
        while cur is not None and cur.instrument == "uppfoljning":
            cur = by.get(cur.linked_rid)
        if cur is not None:
            out[r.rid] = cur.rid
    return out


def test_follow_up_coverage_by_the_window_rule(ds, report):
    grunds = [r for r in ds.rows if r.kind == "interview" and r.instrument == "grund"]
    roots = chain_grund(ds)
    assert any(r.linked_rid and r.linked_rid.startswith("u") for r in ds.rows)  # chains are in the data
    first = {}
    for r in ds.rows:
        g = roots.get(r.rid)
        if g and (g not in first or r.date < first[g].date):
            first[g] = r
    keyed = {g.client_key: g for g in grunds}
    dropped = {keyed[d.client_key].rid for d in ds.rows
               if d.kind == "dropout" and d.dropout_for == "uppfoljning" and d.client_key in keyed}
    expected = Counter()
    for g in grunds:
        u = first.get(g.rid)
        if u is not None:
            expected["early" if u.date < add_months(g.date, 6) else "within" if u.date <= add_months(g.date, 12) else "late"] += 1
        elif g.rid in dropped:
            expected["dropout"] += 1
        else:
            expected["missing" if AS_OF >= add_months(g.date, 12) else "open"] += 1
    table = report.table("followup.coverage")
    due = sum(expected[c] for c in ("within", "early", "late", "dropout", "missing"))
    for c in ("within", "early", "late", "dropout", "missing"):
        assert_count(table.cell(c, "count"), expected[c])
        assert_share(table.cell(c, "share"), expected[c], due)
    assert_count(table.cell("open", "count"), expected["open"])
    assert expected["within"] and expected["late"] and expected["dropout"] and expected["missing"]
    months = [(u.date.year - grunds_by(ds)[g].date.year) * 12 + u.date.month - grunds_by(ds)[g].date.month
              - (u.date.day < grunds_by(ds)[g].date.day) for g, u in first.items()]
    stats = report.table("followup.months_stats")
    assert_count(stats.cell("months", "n"), len(months))
    assert_stat(stats.cell("months", "mean"), months, mean)
    assert_stat(stats.cell("months", "median"), months, median)


def grunds_by(ds):
    return {r.rid: r for r in ds.rows if r.kind == "interview" and r.instrument == "grund"}


def test_change_pairs_follow_chains_and_carry_a_t_interval(ds, report):
    roots = chain_grund(ds)
    grunds = grunds_by(ds)
    latest = {}
    for r in ds.rows:
        g = roots.get(r.rid)
        if g and (g not in latest or (r.date, r.rid) > (latest[g].date, latest[g].rid)):
            latest[g] = r
    assert any(u.rid.startswith("v") for u in latest.values())  # a second follow-up of a chain is the pair
    table = report.table("change.ratings")
    for area in ("medical", "legal", "psych"):
        both = [(grunds[g].ratings[area], u.ratings[area]) for g, u in latest.items()]
        both = [(float(b), float(a)) for b, a in both if isinstance(b, int) and isinstance(a, int)]
        diffs = [a - b for b, a in both]
        assert_count(table.cell(area, "pairs"), len(both))
        m, sd = statistics.fmean(diffs), statistics.stdev(diffs)
        half = t975(len(diffs) - 1) * sd / math.sqrt(len(diffs))
        assert table.cell(area, "change").value == pytest.approx(m)
        assert table.cell(area, "ci_low").value == pytest.approx(m - half)
        assert table.cell(area, "ci_high").value == pytest.approx(m + half)
        per = report.table("change.per_client_ratings")
        assert_count(per.cell(area, "improved"), sum(1 for b, a in both if a <= b - 2))
        assert_count(per.cell(area, "worse"), sum(1 for b, a in both if a >= b + 2))
        assert_count(per.cell(area, "unchanged"), sum(1 for b, a in both if abs(a - b) < 2))
    assert any("2 points" in n for n in report.table("change.per_client_ratings").notes)  # the rule is stated


def test_t_quantiles():
    # textbook values of t(0.975, df)
    assert (t975(1), t975(4), t975(11), t975(30)) == (12.706, 2.776, 2.201, 2.042)
    assert t975(50) == pytest.approx(2.009, abs=0.002) and t975(100) == pytest.approx(1.984, abs=0.002)
    assert t975(10**6) == pytest.approx(1.960, abs=0.001)


def test_trends_per_half_year_and_year(ds, report):
    table = report.table("trends.counts")
    for instr, col in (("grund", "grund"), ("uppfoljning", "uppfoljning")):
        rows = [r for r in ds.rows if r.kind == "interview" and r.instrument == instr]
        halves = Counter(f"{r.date.year}-H{1 if r.date.month <= 6 else 2}" for r in rows)
        years = Counter(str(r.date.year) for r in rows)
        for key, n in halves.items():
            assert_count(table.cell(key, col), n)
        for key, n in years.items():
            assert_count(table.cell(key, col), n)
            assert table.row(key).total  # the year is a sum row below its halves
    keys = [r.key for r in table.rows]
    assert keys.index("2024-H1") < keys.index("2024-H2") < keys.index("2024") < keys.index("2025-H1")


def test_units_side_by_side_and_birth_region(ds, report):
    rows = [r for r in ds.rows if r.kind == "interview"]
    table = report.table("units.gender")
    assert {"unord", "usyd", "umitt", "uliten", "uensam"} <= {c.key for c in table.columns}
    counts = Counter((str(r.gender), r.unit) for r in rows)
    for g in ("1", "2"):
        for unit in ("nord", "syd", "mitt", "liten"):
            assert_count(table.cell(g, f"u{unit}"), counts[(g, unit)])
    assert table.cell("total", "uensam").suppressed  # a unit of one client
    region = report.table("groups.birth_region")
    grunds = [r for r in rows if r.instrument == "grund"]
    assert_n(region, len(grunds))  # asked in the Grund only
    for c in range(1, 5):
        assert_count(region.cell(str(c), "count"), sum(1 for r in grunds if r.birth_region == c))
    assert [r.label for r in region.rows][:4] == ["Sweden", "Other Nordic country", "Rest of Europe", "Outside Europe"]


def test_cross_table_substance_by_age(ds, report):
    rows = [r for r in ds.rows if r.kind == "interview"]
    table = report.table("groups.substance_age")
    counts = Counter((str(code(r.substance)), age_band(r.age)) for r in rows)
    for (sub, band), n in counts.items():
        assert_count(table.cell(sub, f"a{band}" if band != "missing" else "a_missing"), n)


def test_two_subgroups_beside_the_whole_group(ds, report):
    rows = [r for r in ds.rows if r.kind == "interview"]
    young = ("18-24", "25-34")
    table = report.table("compare.substance")
    for sub in ("1", "9", "10"):
        w = [r for r in rows if str(r.substance) == sub]
        assert_count(table.cell(sub, "young_women"), sum(1 for r in w if r.gender == 1 and age_band(r.age) in young))
        assert_count(table.cell(sub, "young_men"), sum(1 for r in w if r.gender == 2 and age_band(r.age) in young))
        assert_count(table.cell(sub, "whole"), len(w))
    assert "compare.age" not in [t.key for t in report.tables]  # the subgroups are made of age and gender
    means = report.table("compare.composites")
    scores = [r.comps["medical"] for r in rows if r.gender == 1 and age_band(r.age) in young and r.comps["medical"] is not None]
    assert_stat(means.cell("medical", "young_women_mean"), scores, mean)


def test_quality_tables_are_for_admins_only(world, ds):
    assert may_see_interviewer_breakdown(type("U", (), {"role": "admin"})())
    assert not may_see_interviewer_breakdown(type("U", (), {"role": "interviewer"})())
    anna = world.session()
    with pytest.raises(ReportError) as err:
        run_stats(anna, Filters(), "en", sections=("quality",))
    anna.close()
    assert err.value.key == "reports.error.quality_denied"
    chef = world.session(ADMIN)
    report = run_stats(chef, Filters(instrument=None), "en", sections=("quality",))
    chef.close()
    table = report.table("quality.interviewers")
    assert_count(table.cell("anna", "grund"), len(world.completed("interview", "grund")))  # anna did them all
    rows = [r for r in ds.rows if r.kind == "interview"]
    synthetic = build_report(ds, Filters(instrument=None), "en", ("quality",), as_of=AS_OF).table("quality.interviewers")
    for who in ("anna", "bo", "cia"):
        mine = [r for r in rows if r.interviewer == who]
        assert_count(synthetic.cell(who, "interviews"), len(mine))
        x = sum(r.x_answers for r in mine) / sum(r.answered for r in mine)
        assert synthetic.cell(who, "x_rate").value == pytest.approx(x)
        missing = sum(1 for r in mine if any(v is None or isinstance(v, MissingCode) for v in r.ratings.values()))
        assert_count(synthetic.cell(who, "missing_ratings"), missing)
    assert synthetic.cell("dan", "interviews").suppressed  # one interview: suppressed like everything else


def test_rounding_to_base_5(ds):
    report = build_report(ds, Filters(), "en", ("groups",), round_to=5, as_of=AS_OF)
    table = report.table("groups.substance")
    raw = Counter(str(code(r.substance)) for r in ds.rows if r.kind == "interview" and r.instrument == "grund")
    n = table.n
    assert n % 5 == 0
    for key, value in raw.items():
        cell = table.cell(key, "count")
        if cell.suppressed:
            continue
        assert cell.value % 5 == 0 and abs(cell.value - value) <= 2
        assert table.cell(key, "share").value == pytest.approx(cell.value / n)  # from the rounded counts
    from asi_tui.i18n import Translator

    text = "\n".join(report.text_lines(Translator("en")))
    assert "rounded to the nearest multiple of 5" in text
    with pytest.raises(ReportError):
        build_report(ds, Filters(), "en", ("groups",), round_to=7)
