"""The two generic count tables: one dimension (counts and shares) and two
dimensions crossed (counts with row and column totals, and each row's share).

Both declare their margins (so disclosure control knows what a reader can
add up) and tag every count with its population and categories (so the same
count is suppressed alike in every table of a report).
"""

from __future__ import annotations

from collections import Counter

from ..i18n import Translator
from .common import MISSING
from .data import Row
from .dims import Dim, tag
from .tables import COUNT, N_REF, SHARE, Column, Table, finalize, share


def category_table(rows: list[Row], dim: Dim, key: str, title: str, pop: str, t: Translator) -> Table:
    """Counts and shares of one dimension (its categories, missing, total)."""
    columns = [Column("count", t("reports.col.count"), COUNT), Column("share", t("reports.col.share"), SHARE, ref=0)]
    table = Table(key, title, columns)
    counts = Counter(map(dim.of, rows))
    n = len(rows)
    for cat, label in dim.cats:
        table.add(cat, label, [counts[cat], share(counts[cat], n)], tags=[tag(pop, **{dim.key: cat}), None])
    table.add("total", t("reports.row.total"), [n, share(n, n) if n else None], total=True, tags=[pop, None])
    table.sum_rows("total", ["count"])
    table.same(N_REF, ("total", "count"))
    return finalize(table, n, t, n_tag=pop)


def col_key(prefix: str, cat: str) -> str:
    if cat == MISSING:
        return f"{prefix}_missing" if prefix else MISSING
    return f"{prefix}{cat}"


def cross_table(rows: list[Row], row_dim: Dim, col_dim: Dim, key: str, title: str, pop: str, t: Translator,
                col_prefix: str = "") -> Table:
    """Rows of `row_dim` by columns of `col_dim`, with totals and each row's share of n."""
    keys = [col_key(col_prefix, c) for c, _ in col_dim.cats]
    columns = [Column(k, label, COUNT) for k, (_, label) in zip(keys, col_dim.cats)]
    columns.append(Column("total", t("reports.col.total"), COUNT))
    columns.append(Column("share", t("reports.col.share"), SHARE, ref=len(columns) - 1))
    table = Table(key, title, columns)
    counts = Counter((row_dim.of(r), col_dim.of(r)) for r in rows)
    n = len(rows)
    for rc, label in row_dim.cats:
        per = [counts[(rc, cc)] for cc, _ in col_dim.cats]
        tags = [tag(pop, **{row_dim.key: rc, col_dim.key: cc}) for cc, _ in col_dim.cats]
        table.add(rc, label, [*per, sum(per), share(sum(per), n)], tags=[*tags, tag(pop, **{row_dim.key: rc}), None])
    per = [sum(counts[(rc, cc)] for rc, _ in row_dim.cats) for cc, _ in col_dim.cats]
    tags = [tag(pop, **{col_dim.key: cc}) for cc, _ in col_dim.cats]
    table.add("total", t("reports.row.total"), [*per, n, share(n, n) if n else None], total=True, tags=[*tags, pop, None])
    table.sum_cols("total", keys)
    table.sum_rows("total", [*keys, "total"])
    table.same(N_REF, ("total", "total"))
    return finalize(table, n, t, n_tag=pop)


__all__ = ["category_table", "col_key", "cross_table"]
