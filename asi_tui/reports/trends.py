"""Trends: interviews and dropouts per half-year and per year, the main
substance per year, and the composite scores per year.

Periods are calendar half-years (H1 = January-June) of the interview (or
registration) date, within the report's period, unit and group; a year's row
is the sum of its two half-years, shown below them.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from ..i18n import Translator
from ..scoring.composite import AREAS
from .common import MAIN_INSTRUMENTS, MISSING, Filters
from .crosstab import cross_table
from .data import Dataset, Row
from .dims import Dim, coded_dim, pop_key, tag
from .groups import instruments_of, select
from .tables import COUNT, MEAN, N, N_REF, TAG_REF, Column, Table, finalize, mean


def half_of(day: date | None) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}" if day else MISSING


def year_of(day: date | None) -> str:
    return str(day.year) if day else MISSING


def _years(rows: list[Row]) -> list[int]:
    years = sorted({r.date.year for r in rows if r.date})
    return list(range(years[0], years[-1] + 1)) if years else []


def period_label(key: str, t: Translator) -> str:
    if key == MISSING:
        return t("reports.row.no_date")
    if "-H" in key:
        year, half = key.split("-H")
        return t(f"reports.row.half_{half}", year=year)
    return t("reports.row.year", year=key)


def counts_table(ds: Dataset, f: Filters, t: Translator) -> Table:
    """Interviews and dropouts per half-year, each year's sum below its halves."""
    kinds = [("interview", i) for i in MAIN_INSTRUMENTS] + [("dropout", i) for i in MAIN_INSTRUMENTS]
    columns = [Column(i if k == "interview" else f"dropout_{i}",
                      t(f"reports.instrument.{i}" if k == "interview" else f"reports.instrument.dropout_{i}"), COUNT)
               for k, i in kinds]
    table = Table("trends.counts", t("reports.table.trend_counts"), columns)
    groups = {(k, i): select(ds, f, (i,), kind=k) for k, i in kinds}
    every = [r for rows in groups.values() for r in rows]
    counted = {key: Counter(half_of(r.date) for r in rows) for key, rows in groups.items()}
    pops = [pop_key(k, (i,)) for k, i in kinds]
    col_keys = [c.key for c in columns]
    year_rows: list[str] = []
    for year in _years(every):
        halves = [f"{year}-H1", f"{year}-H2"]
        for h in halves:
            table.add(h, period_label(h, t), [counted[key][h] for key in groups], tags=[tag(p, period=h) for p in pops])
        table.add(str(year), period_label(str(year), t), [sum(counted[key][h] for h in halves) for key in groups],
                  total=True, tags=[tag(p, period=str(year)) for p in pops])
        table.sum_rows(str(year), col_keys, halves)
        year_rows.append(str(year))
    if any(counted[key][MISSING] for key in groups):
        table.add(MISSING, period_label(MISSING, t), [counted[key][MISSING] for key in groups],
                  tags=[tag(p, period=MISSING) for p in pops])
        year_rows.append(MISSING)
    table.add("total", t("reports.row.total"), [len(rows) for rows in groups.values()], total=True, tags=pops)
    table.sum_rows("total", col_keys, year_rows)
    both = pop_key("interview", MAIN_INSTRUMENTS)
    for r in table.rows:  # tables over both instruments show these sums (e.g. substance by year)
        if r.key != "total":
            table.sums.append(((TAG_REF, tag(both, period=r.key)),
                               tuple((TAG_REF, tag(pop_key("interview", (i,)), period=r.key)) for i in MAIN_INSTRUMENTS)))
    table.sums.append((N_REF, (("total", "grund"), ("total", "uppfoljning"))))
    n = len(groups[("interview", "grund")]) + len(groups[("interview", "uppfoljning")])
    return finalize(table, n, t, n_tag=pop_key("interview", MAIN_INSTRUMENTS))


def year_dim(rows: list[Row], t: Translator) -> Dim:
    cats = [(str(y), str(y)) for y in _years(rows)]
    if any(r.date is None for r in rows):
        cats.append((MISSING, t("reports.row.no_date")))
    return Dim("period", t("reports.dim.year"), cats, lambda r: year_of(r.date))


def composites_by_year(rows: list[Row], t: Translator, pop: str) -> Table:
    """Mean composite score per area and year (n per year beside each mean)."""
    years = [y for y, _ in year_dim(rows, t).cats]
    columns: list[Column] = []
    for y in years:
        columns.append(Column(f"n_{y}", f"n {y}", N))
        columns.append(Column(f"mean_{y}", f"{t('reports.col.mean')} {y}", MEAN, ref=len(columns) - 1, decimals=2))
    table = Table("trends.composites", t("reports.table.trend_composites"), columns, notes=[t("composite.currency_note")])
    by_year: dict[str, list[Row]] = {y: [] for y in years}
    for r in rows:
        by_year.setdefault(year_of(r.date), []).append(r)
    for area in AREAS:
        values: list[float | int | None] = []
        for y in years:
            scores = [s for s in (r.comps.get(area) for r in by_year[y]) if s is not None]
            values += [len(scores), mean(scores)]
        table.add(area, t(f"composite.{area}"), values,
                  tags=[x for y in years for x in (tag(pop, composite=area, period=y), None)])
        table.sums.append(((TAG_REF, tag(pop, composite=area)), tuple((area, f"n_{y}") for y in years)))
    return finalize(table, len(rows), t, n_tag=pop)


def trend_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    instruments = instruments_of(f)
    rows = select(ds, f, instruments)
    pop = pop_key("interview", instruments)
    substance = coded_dim(ds, "substance", t, rows)
    return [
        counts_table(ds, f, t),
        cross_table(rows, substance, year_dim(rows, t), "trends.substance", t("reports.table.trend_substance"), pop, t,
                    col_prefix="y"),
        composites_by_year(rows, t, pop),
    ]


__all__ = ["half_of", "trend_tables", "year_of"]
