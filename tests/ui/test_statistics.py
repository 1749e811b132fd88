"""The statistics screen shows the report tables, with suppression, and filters them."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.demo import fill
from asi_tui.store import Store
from asi_tui.ui.screens.statistics import StatisticsScreen, parse_filter_text

from asi_tui.store.errors import StoreError

from .conftest import ADMIN_PW, ANNA_PW, TODAY, login, wait_for


def test_filter_text_is_parsed():
    f = parse_filter_text("från:2026-01-01 till:2026-06-30 enhet:Nord grupp:18-24,25-34")
    assert (f.date_from.isoformat(), f.date_to.isoformat(), f.unit, f.age_groups) == ("2026-01-01", "2026-06-30", "Nord",
                                                                                      ("18-24", "25-34"))


async def test_statistics_screen_shows_tables_with_suppression(make_app, data_dir):
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    for i in range(3):  # three clients: every count is under 5
        handle = session.create_record(bundled_bank("asi-grund"), f"K-S{i}", TODAY - timedelta(days=10 + i))
        fill(handle, random.Random(i), heavy=True)
        handle.complete()
        handle.close()
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, StatisticsScreen))
        await wait_for(pilot, lambda: app.screen.tables != [])
        text = str(app.screen.query_one("#stats-table").render())
        assert "n = .." in text and "Färre än 10" in text
        assert "K-S0" not in text  # no client refs in statistics
        audit = [e["action"] for e in Store.open(data_dir).unlock("admin", "admin-lösenfras-1").audit_entries()]
        assert "stats" in audit


def test_change_table_is_drawn_as_before_and_after_bars():
    from asi_tui.reports.disclosure import protect
    from asi_tui.reports.tables import DIFF, MEAN, MEDIAN, N, Column, Table, UnprotectedTable
    from asi_tui.ui.screens.statistics import render_table

    cols = [Column("pairs", "Par", N), Column("before_mean", "Före", MEAN, ref=0), Column("after_mean", "Efter", MEAN, ref=0),
            Column("change", "Förändring", DIFF, ref=0), Column("before_median", "Md före", MEDIAN, ref=0),
            Column("after_median", "Md efter", MEDIAN, ref=0)]
    table = Table("change.composites", "Index före och efter", cols, n=12)
    table.add("medical", "Fysisk hälsa", [12, 0.5, 0.25, -0.25, 0.5, 0.25])
    with pytest.raises(UnprotectedTable):  # disclosure control comes before any renderer
        render_table(table, "sv")
    text = render_table(protect(table), "sv")
    lines = text.splitlines()
    before = next(ln for ln in lines if ln.strip().startswith("före"))
    after = next(ln for ln in lines if ln.strip().startswith("efter"))
    assert before.count("█") == 6 and after.count("█") == 3  # 0.5 and 0.25 of a 12-wide bar


def test_query_text_with_subgroups_and_rounding():
    from asi_tui.ui.screens.statistics import parse_query_text

    q = parse_query_text("grupp:25-34 jämför:young_women,young_men avrunda:5")
    assert (q.filters.age_groups, q.compare, q.round_to) == (("25-34",), ("young_women", "young_men"), 5)
    for bad in ("grupp:18-33", "jämför:unga", "avrunda:7"):
        with pytest.raises((ValueError, StoreError)):
            parse_query_text(bad)


def test_count_tables_get_bars_against_the_largest():
    from asi_tui.reports.disclosure import protect
    from asi_tui.reports.tables import COUNT, Column, Table
    from asi_tui.ui.screens.statistics import render_table

    table = Table("trends.counts", "Per halvår", [Column("grund", "Grund", COUNT)], n=30)
    table.add("2025-H1", "2025 jan–jun", [20])
    table.add("2025-H2", "2025 jul–dec", [10])
    lines = render_table(protect(table), "sv").splitlines()
    assert lines[-2].count("█") == 12 and lines[-1].count("█") == 6


async def test_interviewer_tables_only_for_admins(make_app, data_dir):
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    for i in range(6):
        handle = session.create_record(bundled_bank("asi-grund"), f"K-Q{i}", TODAY - timedelta(days=20 + i))
        fill(handle, random.Random(i), heavy=False)
        handle.complete()
        handle.close()
    session.close()
    for user, passphrase, shown in (("anna", ANNA_PW, False), ("admin", ADMIN_PW, True)):
        app = make_app(user=user)
        async with app.run_test() as pilot:
            await login(pilot, app, passphrase)
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, StatisticsScreen))
            await wait_for(pilot, lambda: app.screen.tables != [])
            keys = [tb.key for tb in app.screen.tables]
            assert "followup.coverage" in keys and "units.overview" in keys
            assert ("quality.interviewers" in keys) is shown
