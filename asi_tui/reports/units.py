"""Units side by side: one column per unit (`dims.unit_of`, today the G3 text)
for the interviews, the background and the composite scores.
"""

from __future__ import annotations

from collections import Counter

from ..i18n import Translator
from ..scoring.composite import AREAS
from .common import MAIN_INSTRUMENTS, Filters
from .crosstab import col_key, cross_table
from .data import Dataset, Row
from .dims import Dim, age_dim, coded_dim, pop_key, tag, unit_dim
from .groups import instruments_of, select
from .tables import COUNT, MEAN, N, N_REF, TAG_REF, Column, Table, finalize, mean

CROSSED = ("age", "gender", "substance", "housing")


def overview_by_unit(ds: Dataset, f: Filters, units: Dim, t: Translator) -> Table:
    """Grund and Uppföljning interviews per unit."""
    keys = [col_key("u", c) for c, _ in units.cats]
    columns = [Column(k, label, COUNT) for k, (_, label) in zip(keys, units.cats)]
    columns.append(Column("total", t("reports.col.total"), COUNT))
    table = Table("units.overview", t("reports.table.units_overview"), columns)
    per_instr = {i: select(ds, f, (i,)) for i in MAIN_INSTRUMENTS}
    for instr, rows in per_instr.items():
        counts = Counter(map(units.of, rows))
        pop = pop_key("interview", (instr,))
        table.add(instr, t(f"reports.instrument.{instr}"), [*(counts[c] for c, _ in units.cats), len(rows)],
                  tags=[*(tag(pop, unit=c) for c, _ in units.cats), pop])
    both = pop_key("interview", MAIN_INSTRUMENTS)
    every = [r for rows in per_instr.values() for r in rows]
    counts = Counter(map(units.of, every))
    table.add("total", t("reports.row.total"), [*(counts[c] for c, _ in units.cats), len(every)], total=True,
              tags=[*(tag(both, unit=c) for c, _ in units.cats), both])
    table.sum_cols("total", keys)
    table.sum_rows("total", [*keys, "total"])
    table.same(N_REF, ("total", "total"))
    return finalize(table, len(every), t, n_tag=both)


def composites_by_unit(rows: list[Row], units: Dim, t: Translator, pop: str) -> Table:
    columns: list[Column] = []
    for c, label in units.cats:
        columns.append(Column(f"n_{c}", f"n {label}", N))
        columns.append(Column(f"mean_{c}", f"{t('reports.col.mean')} {label}", MEAN, ref=len(columns) - 1, decimals=2))
    table = Table("units.composites", t("reports.table.units_composites"), columns, notes=[t("composite.currency_note")])
    by_unit: dict[str, list[Row]] = {c: [] for c, _ in units.cats}
    for r in rows:
        by_unit[units.of(r)].append(r)
    for area in AREAS:
        values: list[float | int | None] = []
        for c, _ in units.cats:
            scores = [s for s in (r.comps.get(area) for r in by_unit[c]) if s is not None]
            values += [len(scores), mean(scores)]
        table.add(area, t(f"composite.{area}"), values,
                  tags=[x for c, _ in units.cats for x in (tag(pop, composite=area, unit=c), None)])
        table.sums.append(((TAG_REF, tag(pop, composite=area)), tuple((area, f"n_{c}") for c, _ in units.cats)))
    return finalize(table, len(rows), t, n_tag=pop)


def unit_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    instruments = instruments_of(f)
    rows = select(ds, f, instruments)
    pop = pop_key("interview", instruments)
    both = select(ds, f, MAIN_INSTRUMENTS)
    units = unit_dim(both, t, ds.unit_names)
    out = [overview_by_unit(ds, f, units, t)]
    for key in CROSSED:
        dim = age_dim(rows, f, t) if key == "age" else coded_dim(ds, key, t, rows)
        out.append(cross_table(rows, dim, units, f"units.{key}", t(f"reports.table.units_{key}"), pop, t, col_prefix="u"))
    out.append(composites_by_unit(rows, units, t, pop))
    return out


__all__ = ["unit_tables"]
