"""Group compilations: who the clients are and how they rate.

Counts interviews (one row per completed interview of the chosen
instrument in the period, unit and group); a client interviewed twice with
the same instrument in one period counts twice.
"""

from __future__ import annotations

from collections import Counter

from ..engine.values import MissingCode
from ..i18n import Translator
from ..scoring.composite import AREAS
from .common import MAIN_INSTRUMENTS, Filters
from .crosstab import category_table, cross_table
from .data import Dataset, Row
from .dims import age_dim, band_label, bands_present, code_label, codelist, coded_dim, pop_key, tag, unit_of
from .tables import COUNT, MEAN, MEDIAN, N, N_REF, Column, Table, finalize, mean, median

RATING_BANDS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
CLIENT_SCALE = (0, 1, 2, 3, 4)
# background tables: (dimension, table key, title key)
BACKGROUND = (
    ("substance", "groups.substance", "reports.table.substance"),
    ("housing", "groups.housing", "reports.table.housing"),
    ("income", "groups.income", "reports.table.income"),
)
CROSSED = (  # (rows, columns, table key, title key)
    ("substance", "age", "groups.substance_age", "reports.table.substance_age"),
    ("substance", "gender", "groups.substance_gender", "reports.table.substance_gender"),
    ("housing", "age", "groups.housing_age", "reports.table.housing_age"),
)
ORIGIN = (
    ("birth_region", "groups.birth_region", "reports.table.birth_region"),
    ("parents_born", "groups.parents_born", "reports.table.parents_born"),
)


def select(ds: Dataset, f: Filters, instruments: tuple[str, ...], kind: str = "interview") -> list[Row]:
    """Rows of `kind` and these instruments in the period, unit and group
    (remembered per dataset: one report asks the same selection many times)."""
    key = (f, tuple(instruments), kind)
    hit = ds.selections.get(key)
    if hit is not None:
        return hit
    out = []
    for r in ds.rows:
        if r.kind != kind:
            continue
        if kind == "interview" and r.instrument not in instruments:
            continue
        if kind == "dropout" and r.dropout_for not in instruments:
            continue
        if f.in_period(r.date) and f.unit_matches(unit_of(r)) and f.in_group(r.age, r.gender):
            out.append(r)
    ds.selections[key] = out
    return out


def instruments_of(f: Filters) -> tuple[str, ...]:
    return (f.instrument,) if f.instrument else MAIN_INSTRUMENTS


def age_gender_table(rows: list[Row], ds: Dataset, f: Filters, t: Translator, pop: str,
                     key: str = "groups.age_gender") -> Table:
    return cross_table(rows, age_dim(rows, f, t), coded_dim(ds, "gender", t, rows), key, t("reports.table.age_gender"),
                       pop, t, col_prefix="g")


def _number(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def ratings_table(rows: list[Row], t: Translator, pop: str, key: str = "groups.ratings") -> Table:
    """Interviewer ratings 0-9 per area, in the anchor pairs 0-1 ... 8-9, X, n rated, mean, median."""
    columns = [Column(f"r{lo}_{hi}", f"{lo}–{hi}", COUNT) for lo, hi in RATING_BANDS]
    columns.append(Column("X", "X", COUNT))
    n_col = len(columns)
    columns += [
        Column("n", "n", N),
        Column("mean", t("reports.col.mean"), MEAN, ref=n_col, decimals=1),
        Column("median", t("reports.col.median"), MEDIAN, ref=n_col, decimals=1),
    ]
    table = Table(key, t("reports.table.ratings"), columns)
    for area in AREAS:
        values = [r.ratings.get(area) for r in rows]
        nums = [v for v in map(_number, values) if v is not None]
        bands = [sum(1 for v in nums if lo <= v <= hi) for lo, hi in RATING_BANDS]
        x = sum(1 for v in values if isinstance(v, MissingCode) and v.code == "X")
        table.add(area, t(f"composite.{area}"), [*bands, x, len(nums), mean(nums), median(nums)])
    table.sum_cols("n", [c.key for c in columns[: len(RATING_BANDS)]])
    return finalize(table, len(rows), t, n_tag=pop)


def client_ratings_table(rows: list[Row], ds: Dataset, t: Translator, instruments: tuple[str, ...], pop: str) -> Table:
    """The client's own ratings 0-4 per item (troubled, need of help), X, n, mean."""
    columns = [Column(f"c{v}", str(v), COUNT) for v in CLIENT_SCALE]
    columns.append(Column("X", "X", COUNT))
    n_col = len(columns)
    columns += [Column("n", "n", N), Column("mean", t("reports.col.mean"), MEAN, ref=n_col, decimals=1)]
    table = Table("groups.client_ratings", t("reports.table.client_ratings"), columns)
    counts: Counter[tuple[str, object]] = Counter()  # one pass over the rows: (item, 0-4 | "X") -> clients
    present: set[str] = set()
    for r in rows:
        for item_id, v in r.client.items():
            present.add(item_id)
            if isinstance(v, MissingCode):
                if v.code == "X":
                    counts[(item_id, "X")] += 1
            elif _number(v) in CLIENT_SCALE:  # the scale is 0-4 (the bank refuses anything else)
                counts[(item_id, v)] += 1
    for item_id, bank in ds.client_rating_items(instruments):
        if item_id not in present:
            continue
        per = [counts[(item_id, s)] for s in CLIENT_SCALE]
        n = sum(per)
        average = sum(s * c for s, c in zip(CLIENT_SCALE, per)) / n if n else None
        label = f"{item_id} {bank.by_id[item_id].label.get(t.lang)}"
        table.add(item_id, label, [*per, counts[(item_id, "X")], n, average])
    table.sum_cols("n", [f"c{v}" for v in CLIENT_SCALE])
    return finalize(table, len(rows), t, n_tag=pop)


def composites_table(rows: list[Row], t: Translator, pop: str, key: str = "groups.composites") -> Table:
    columns = [
        Column("n", "n", N),
        Column("mean", t("reports.col.mean"), MEAN, ref=0, decimals=2),
        Column("median", t("reports.col.median"), MEDIAN, ref=0, decimals=2),
    ]
    table = Table(key, t("reports.table.composites"), columns, notes=[t("composite.currency_note")])
    for area in AREAS:
        scores = [s for s in (r.comps.get(area) for r in rows) if s is not None]
        table.add(area, t(f"composite.{area}"), [len(scores), mean(scores), median(scores)],
                  tags=[tag(pop, composite=area), None, None])
    return finalize(table, len(rows), t, n_tag=pop)


def overview_table(ds: Dataset, f: Filters, t: Translator) -> Table:
    """Interviews and dropouts in the period, per instrument."""
    columns = [Column("count", t("reports.col.count"), COUNT)]
    table = Table("groups.overview", t("reports.table.overview"), columns)
    total = 0
    for instr in MAIN_INSTRUMENTS:
        n = len(select(ds, f, (instr,)))
        total += n
        table.add(instr, t(f"reports.instrument.{instr}"), [n], tags=[pop_key("interview", (instr,))])
    if f.unit is None and not f.has_group:  # the gambling module has no unit or background of its own
        n = sum(1 for r in ds.rows if r.kind == "interview" and r.instrument == "spel" and f.in_period(r.date))
        table.add("spel", t("reports.instrument.spel"), [n], tags=[pop_key("interview", ("spel",))])
    for instr in MAIN_INSTRUMENTS:
        n = len(select(ds, f, (instr,), kind="dropout"))
        table.add(f"dropout_{instr}", t(f"reports.instrument.dropout_{instr}"), [n], tags=[pop_key("dropout", (instr,))])
    table.sums.append((N_REF, tuple((i, "count") for i in MAIN_INSTRUMENTS)))
    return finalize(table, total, t, n_tag=pop_key("interview", MAIN_INSTRUMENTS))


def group_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    instruments = instruments_of(f)
    rows = select(ds, f, instruments)
    pop = pop_key("interview", instruments)
    out = [overview_table(ds, f, t), age_gender_table(rows, ds, f, t, pop)]
    for dim, key, title in BACKGROUND:
        out.append(category_table(rows, coded_dim(ds, dim, t, rows), key, t(title), pop, t))
    for row_dim, col_dim, key, title in CROSSED:
        cols = age_dim(rows, f, t) if col_dim == "age" else coded_dim(ds, col_dim, t, rows)
        out.append(cross_table(rows, coded_dim(ds, row_dim, t, rows), cols, key, t(title), pop, t, col_prefix=col_dim[0]))
    if "grund" in instruments:  # country of birth is asked in the Grund only
        grund = [r for r in rows if r.instrument == "grund"]
        gpop = pop_key("interview", ("grund",))
        for dim, key, title in ORIGIN:
            out.append(category_table(grund, coded_dim(ds, dim, t, grund), key, t(title), gpop, t))
    out.append(ratings_table(rows, t, pop))
    out.append(client_ratings_table(rows, ds, t, instruments, pop))
    out.append(composites_table(rows, t, pop))
    return out


__all__ = ["age_gender_table", "band_label", "bands_present", "code_label", "codelist", "group_tables",
           "instruments_of", "select", "tag"]
