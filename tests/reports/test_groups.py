"""Group compilations checked against counts made in the test from the known answers."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

import pytest

from asi_tui.reports import Filters, build_report, run_stats
from asi_tui.reports.tables import render_text
from asi_tui.scoring.composite import AREAS, composites

from .helpers import age_band, assert_count, check_client_ratings, assert_n, assert_share, assert_stat, code, in_period, is_x, mean, median, number

RATING = {"medical": "M9", "employment": "E22", "alcohol": "D32", "drug": "D33", "legal": "L30", "family": "F36", "psych": "P21"}


def grund(world, f: Filters | None = None):
    f = f or Filters()
    out = []
    for r in world.completed("interview", "grund"):
        if not in_period(r.day, f.date_from, f.date_to):
            continue
        if f.unit is not None and r.unit != f.unit:  # the record's unit (id)
            continue
        if f.age_groups and age_band(r.get("G16")) not in f.age_groups:
            continue
        if f.gender is not None and r.get("G10") != f.gender:
            continue
        out.append(r)
    return out


def test_only_completed_non_practice_records_are_counted(world, dataset):
    rids = {r.rid for r in dataset.rows}
    practice = [r.rid for r in world.records if r.practice]
    paused = [r.rid for r in world.records if r.status != "completed"]
    assert practice and paused
    assert not rids & set(practice) and not rids & set(paused)
    report = build_report(dataset, Filters(instrument=None), "en")
    overview = report.table("groups.overview")
    assert_count(overview.cell("grund", "count"), len(world.completed("interview", "grund")))
    assert_count(overview.cell("uppfoljning", "count"), len(world.completed("interview", "uppfoljning")))
    assert_count(overview.cell("spel", "count"), len(world.completed("interview", "spel")))
    drops = world.completed("dropout")
    assert_count(overview.cell("dropout_grund", "count"), sum(1 for d in drops if d.get("SE.B.instrument") == 1))
    assert_count(overview.cell("dropout_uppfoljning", "count"), sum(1 for d in drops if d.get("SE.B.instrument") == 2))


def test_age_and_gender_table(world, dataset):
    rows = grund(world)
    table = build_report(dataset, Filters(), "en").table("groups.age_gender")
    assert table.n == len(rows) == 31
    counts = Counter((age_band(r.get("G16")), code(r.get("G10"))) for r in rows)
    for band in ("18-24", "25-34", "35-44", "45-54", "55-64", "65+"):
        for g in (1, 2, 3):
            assert_count(table.cell(band, f"g{g}"), counts[(band, g)])
        in_band = sum(v for (b, _), v in counts.items() if b == band)
        assert_count(table.cell(band, "total"), in_band)
        assert_share(table.cell(band, "share"), in_band, len(rows))
    for g in (1, 2, 3):
        assert_count(table.cell("total", f"g{g}"), sum(1 for r in rows if r.get("G10") == g))
    # three clients of gender 3 in all: shown as "..", never as 3
    assert table.cell("total", "g3").suppressed
    assert not table.small and table.note is None


@pytest.mark.parametrize(
    "key, item, codes",
    [
        ("groups.substance", "D14", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16]),
        ("groups.housing", "SE.G.boende", list(range(1, 10))),
        ("groups.income", "SE.E.huvudkalla", list(range(1, 11))),
    ],
)
def test_background_tables(world, dataset, key, item, codes):
    rows = grund(world)
    table = build_report(dataset, Filters(), "sv").table(key)
    counts = Counter(code(r.get(item)) for r in rows)
    assert [r.key for r in table.rows] == [*map(str, codes), "missing", "total"]
    for c in codes:
        assert_count(table.cell(str(c), "count"), counts[c])
        assert_share(table.cell(str(c), "share"), counts[c], len(rows))
    assert_count(table.cell("missing", "count"), counts["missing"])
    assert table.cell("total", "count").value == len(rows)


def test_interviewer_ratings_distribution(world, dataset):
    rows = grund(world)
    table = build_report(dataset, Filters(), "en").table("groups.ratings")
    for area, item in RATING.items():
        values = [r.get(item) for r in rows]
        nums = [v for v in map(number, values) if v is not None]
        for lo in (0, 2, 4, 6, 8):
            assert_count(table.cell(area, f"r{lo}_{lo + 1}"), sum(1 for v in nums if v in (lo, lo + 1)))
        assert_count(table.cell(area, "X"), sum(1 for v in values if is_x(v)))
        assert_count(table.cell(area, "n"), len(nums))
        assert_stat(table.cell(area, "mean"), nums, mean)
        assert_stat(table.cell(area, "median"), nums, median)
    # the broken-off interview left the legal rating as X: one X, suppressed as <5
    assert table.cell("legal", "X").suppressed


def test_client_ratings(world, dataset):
    rows = grund(world)
    table = build_report(dataset, Filters(), "en").table("groups.client_ratings")
    items = [r.key for r in table.rows]
    assert {"M7", "M8", "E20", "E21", "D28", "D30", "D29", "D31", "L28", "L29", "F32", "F33", "F34", "F35", "P13", "P14"} <= set(items)
    assert "SE.G.insats_nojd" not in items  # an Uppföljning-only item; these are Grund interviews
    check_client_ratings(table, rows)


def test_composite_scores(world, dataset):
    rows = grund(world)
    table = build_report(dataset, Filters(), "en").table("groups.composites")
    scores = {a: [] for a in AREAS}
    for r in rows:
        for area, c in composites(r.answers).items():
            if c.score is not None:
                scores[area].append(c.score)
    assert any(len(v) >= 5 for v in scores.values())
    for area in AREAS:
        assert_count(table.cell(area, "n"), len(scores[area]))
        assert_stat(table.cell(area, "mean"), scores[area], mean)
        assert_stat(table.cell(area, "median"), scores[area], median)
    assert any("SEK" in n for n in table.notes)


@pytest.mark.parametrize(
    "f",
    [
        Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)),
        Filters(unit="enhet-a"),  # the record's unit, by id
        Filters(age_groups=("18-24", "25-34")),
        Filters(gender=2, date_from=date(2025, 6, 1)),
        Filters(unit="enhet-b", age_groups=("35-44", "45-54", "55-64", "65+")),
    ],
)
def test_filters_choose_the_same_interviews_as_counted_by_hand(world, dataset, f):
    rows = grund(world, f)
    report = build_report(dataset, f, "en")
    age_gender = report.table("groups.age_gender")
    expected_n = len(rows)
    assert_n(age_gender, expected_n)
    assert_count(age_gender.cell("total", "total"), expected_n)
    substance = Counter(code(r.get("D14")) for r in rows)
    for c in (1, 9, 10):
        assert_count(report.table("groups.substance").cell(str(c), "count"), substance[c])


def test_small_groups_get_the_note_and_suppression(world, dataset):
    # 5-9 clients: counts of 5+ shown, every table says "no conclusions"
    f = Filters(unit="enhet-b", gender=2)
    n = len(grund(world, f))
    assert 5 <= n <= 9
    report = build_report(dataset, f, "sv")
    groups = report.sections[0]
    for table in groups.tables[1:]:
        assert_n(table, n)
        assert table.small and table.note == "Färre än 10 klienter: inga slutsatser"
    # 1-4 clients: even n is "<5"
    old = ("45-54", "55-64", "65+")
    tiny = build_report(dataset, Filters(unit="enhet-b", gender=2, age_groups=old), "sv")
    assert 1 <= len(grund(world, Filters(unit="enhet-b", gender=2, age_groups=old))) <= 4
    t = tiny.table("groups.composites")
    assert t.n is None and t.n_suppressed and t.note
    assert all(c.value is None for r in t.rows for c in r.cells)
    # 10 or more: no note
    assert build_report(dataset, Filters(), "sv").table("groups.age_gender").note is None


def test_renderers_show_suppression_and_never_the_hidden_values(world, dataset):
    from asi_tui.i18n import Translator

    f = Filters(unit="enhet-b", gender=2)
    report = build_report(dataset, f, "sv")
    text = "\n".join(report.text_lines(Translator("sv")))
    assert ".." in text and "Färre än 10 klienter: inga slutsatser" in text
    data = json.loads(report.to_json())
    for section in data["sections"]:
        for table in section["tables"]:
            for row in table["rows"]:
                for cell in row["cells"]:
                    if cell["suppressed"]:
                        assert cell["value"] is None
    csv_text = "\n".join(",".join(r) for r in report.csv_rows())
    for out in (text, report.to_json(), csv_text):
        assert "K-0" not in out and "B-0" not in out  # no client references
        assert not any(r.rid in out for r in world.records)
    lines = render_text(report.table("groups.age_gender"), Translator("sv"))
    assert max(map(len, lines)) <= 80


def test_run_stats_is_audited_without_client_data(world):
    s = world.session()
    report = run_stats(s, Filters(unit="enhet-a"), "en")
    s.close()
    assert report.table("groups.age_gender").n == 20
    admin = world.session("chef")
    entries = [e for e in admin.audit_entries() if e["action"] == "stats"]
    admin.close()
    assert entries and entries[-1]["user"] == "anna"
    assert entries[-1]["detail"]["filters"]["unit"] == "enhet-a"
    assert "client" not in entries[-1]
