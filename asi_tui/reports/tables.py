"""The report table: one data structure for the text, JSON, CSV and XLSX
renderers and the TUI statistics screen.

A builder fills a `Table` with the true values and declares how its counts
add up (`sum_rows`, `sum_cols`, `same`: the margins a reader can use), then
`finalize` sets its n and the n < 10 note. Disclosure control
(`reports.disclosure`, see there and docs/statistics.md) then suppresses what
must not be published and removes the hidden values from the table, so no
renderer can leak them; every renderer refuses a table that has not been
through it.

Display: a suppressed count is "..", a suppressed share, mean, median or
difference is "–"; "" is a statistic over nobody.
"""

from __future__ import annotations

import statistics
import textwrap
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..i18n import Translator
from .common import SMALL_N

COUNT, SHARE, MEAN, MEDIAN, DIFF, N, CI = "count", "share", "mean", "median", "diff", "n", "ci"
RATE = "rate"  # a ratio of answers (not of clients), shown as a percentage, hidden like a statistic
COUNT_KINDS = (COUNT, N)
STAT_KINDS = (MEAN, MEDIAN, DIFF, CI, RATE)
SUPPRESSED_TEXT = ".."  # a hidden count (too few clients, or it would reveal one that is)
HIDDEN_STAT_TEXT = "–"  # a share or statistic not shown because its count is hidden

Ref = tuple[str, str]  # (row key, column key); N_REF is the table's own n
N_REF: Ref = ("", "n")
TAG_REF = "#"  # (TAG_REF, tag) in `Table.sums`: the count with that tag, in whichever table shows it


class UnprotectedTable(RuntimeError):
    """A renderer was handed a table disclosure control has not seen (a bug)."""


@dataclass
class Column:
    key: str
    label: str
    kind: str  # count | share | n | mean | median | diff | ci | rate
    ref: int | None = None  # share: index of its count column; mean/median/diff/ci/rate: index of its n column
    decimals: int = 2
    base_col: int | None = None  # share: denominator in this column of the same row ...
    base_row: str | None = None  # ... or in this row of the count column (default: the table's n)


@dataclass
class Cell:
    value: int | float | None
    suppressed: bool = False
    tag: str | None = None  # what the count counts, the same in every table of a report (disclosure links them)


@dataclass
class TableRow:
    key: str
    label: str
    cells: list[Cell]
    total: bool = False


@dataclass
class Table:
    key: str  # stable id, e.g. "groups.age_gender"
    title: str
    columns: list[Column]
    rows: list[TableRow] = field(default_factory=list)
    n: int | None = 0  # None when suppressed
    n_suppressed: bool = False
    note: str | None = None  # the n < 10 note, translated
    notes: list[str] = field(default_factory=list)  # other notes (currency, unit, rules), translated
    small: bool = False  # fewer than 10: no conclusions
    n_tag: str | None = None
    # how the counts add up: (whole, parts); refs are cells, N_REF or implicit cells
    sums: list[tuple[Ref, tuple[Ref, ...]]] = field(default_factory=list)
    implicit: dict[Ref, int] = field(default_factory=dict)  # unpublished counts a reader can derive
    hide_stats: set[Ref] = field(default_factory=set)  # statistics the builder hides (differencing)
    protected: bool = False
    rounded: int | None = None  # base of rounding, when published figures are rounded

    def add(self, key: str, label: str, values: Iterable[int | float | None], total: bool = False,
            tags: Iterable[str | None] | None = None) -> None:
        values = list(values)
        tag_list = list(tags) if tags is not None else [None] * len(values)
        self.rows.append(TableRow(key, label, [Cell(v, tag=g) for v, g in zip(values, tag_list)], total))

    def row(self, key: str) -> TableRow:
        return next(r for r in self.rows if r.key == key)

    def col(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def cell(self, row_key: str, col_key: str) -> Cell:
        return self.row(row_key).cells[self.col(col_key)]

    # ------------------------------------------------------------------ margins

    def count_cols(self) -> list[str]:
        return [c.key for c in self.columns if c.kind in COUNT_KINDS]

    def sum_rows(self, total_row: str = "total", cols: Iterable[str] | None = None,
                 parts: Iterable[str] | None = None) -> None:
        """The `total_row` of each count column is the sum of the other rows (or `parts`)."""
        part_rows = list(parts) if parts is not None else [r.key for r in self.rows if r.key != total_row and not r.total]
        for c in (list(cols) if cols is not None else self.count_cols()):
            self.sums.append(((total_row, c), tuple((r, c) for r in part_rows)))

    def sum_cols(self, total_col: str, parts: Iterable[str], rows: Iterable[str] | None = None) -> None:
        """In each row, `total_col` is the sum of the `parts` columns."""
        parts = list(parts)
        for r in (list(rows) if rows is not None else [r.key for r in self.rows]):
            self.sums.append(((r, total_col), tuple((r, c) for c in parts)))

    def same(self, a: Ref, b: Ref) -> None:
        """Two refs hold the same count (e.g. the table's n and its grand total)."""
        self.sums.append((a, (b,)))

    def value_of(self, ref: Ref) -> int | float | None:
        if ref == N_REF:
            return self.n
        if ref in self.implicit:
            return self.implicit[ref]
        return self.cell(*ref).value

    @property
    def any_suppressed(self) -> bool:
        return self.n_suppressed or any(c.suppressed for r in self.rows for c in r.cells)

    def to_dict(self) -> dict[str, Any]:
        require_protected(self)
        return {
            "key": self.key,
            "title": self.title,
            "n": self.n,
            "n_suppressed": self.n_suppressed,
            "note": self.note,
            "notes": self.notes,
            "rounded_to": self.rounded,
            "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in self.columns],
            "rows": [
                {
                    "key": r.key,
                    "label": r.label,
                    "total": r.total,
                    "cells": [
                        {"value": _json_value(c.value), "suppressed": c.suppressed} for c in r.cells
                    ],
                }
                for r in self.rows
            ],
        }


def require_protected(table: Table) -> None:
    if not table.protected:
        raise UnprotectedTable(table.key)


def _json_value(v: int | float | None) -> int | float | None:
    if isinstance(v, float):
        return round(v, 4)
    return v


def finalize(table: Table, n: int, t: Translator, small: bool | None = None, n_tag: str | None = None) -> Table:
    """Set the table's n and the n < 10 note (in place); suppression comes later."""
    table.n, table.n_suppressed = n, False
    table.n_tag = n_tag
    table.small = n < SMALL_N if small is None else small
    table.note = t("reports.note.small_n") if table.small else None
    return table


# ----------------------------------------------------------------------------- numbers


def mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def share(count: int, total: int) -> float | None:
    return count / total if total else None


# ----------------------------------------------------------------------------- rendering


def format_cell(col: Column, cell: Cell, lang: str) -> str:
    if cell.suppressed:
        return SUPPRESSED_TEXT if col.kind in COUNT_KINDS else HIDDEN_STAT_TEXT
    v = cell.value
    if v is None:
        return ""
    if col.kind in COUNT_KINDS:
        return str(int(v))
    if col.kind in (SHARE, RATE):
        return f"{round(v * 100)} %" if lang == "sv" else f"{round(v * 100)}%"
    text = f"{v:+.{col.decimals}f}" if col.kind in (DIFF, CI) else f"{v:.{col.decimals}f}"
    return text.replace(".", ",") if lang == "sv" else text


def format_n(table: Table) -> str:
    return SUPPRESSED_TEXT if table.n_suppressed else str(table.n)


def render_text(table: Table, t: Translator, width: int = 80) -> list[str]:
    """A fixed-width text table (the CLI's `--format text`)."""
    require_protected(table)
    lang = t.lang
    header = [c.label for c in table.columns]
    body = [[format_cell(c, cell, lang) for c, cell in zip(table.columns, r.cells)] for r in table.rows]
    widths = [max(4, len(h), *(len(b[i]) for b in body)) if body else max(4, len(h)) for i, h in enumerate(header)]
    used = sum(w + 1 for w in widths)
    label_w = max(8, min(max((len(r.label) for r in table.rows), default=8), width - used - 1, 40))
    lines = [f"{table.title}  (n = {format_n(table)})"]
    if table.note:
        lines.append(f"  ! {table.note}")
    lines.append(" " * label_w + " " + " ".join(h.rjust(w) for h, w in zip(header, widths)))
    for r, cells in zip(table.rows, body):
        label = r.label if len(r.label) <= label_w else r.label[: label_w - 1] + "…"
        lines.append(label.ljust(label_w) + " " + " ".join(c.rjust(w) for c, w in zip(cells, widths)))
    for note in table.notes:
        lines += textwrap.wrap(note, width, initial_indent="  ", subsequent_indent="  ")
    return lines


CSV_HEADER = ["section", "table", "title", "n", "note", "row_key", "row", "column_key", "column", "value"]


def plain_value(col: Column, cell: Cell, lang: str) -> str:
    """A cell for CSV: numbers with a dot, ".."/"–" for suppressed, "" for none."""
    if cell.suppressed:
        return format_cell(col, cell, lang)
    if cell.value is None:
        return ""
    if col.kind in COUNT_KINDS:
        return str(int(cell.value))
    return f"{cell.value:.4f}".rstrip("0").rstrip(".")


def csv_rows(section: str, table: Table, lang: str) -> list[list[str]]:
    """Long format: one line per cell; suppressed cells hold ".."/"–"."""
    require_protected(table)
    out = []
    for r in table.rows:
        for col, cell in zip(table.columns, r.cells):
            out.append([section, table.key, table.title, format_n(table), table.note or "", r.key, r.label, col.key,
                        col.label, plain_value(col, cell, lang)])
    return out
