"""The report table: one data structure for the text, JSON and CSV renderers
and the TUI statistics screen.

Suppression (decided for this project, after Socialstyrelsen's advice that
small groups allow no conclusions and must not identify anyone):

* every count of 1-4 clients is shown as "<5" and its share is suppressed
  (0 is shown: it identifies no one);
* a mean, median or difference resting on fewer than 5 clients is suppressed;
* a table's own n of 1-4 is shown as "<5" as well;
* a table whose n is below 10 carries the note "Färre än 10 klienter: inga
  slutsatser" (`reports.note.small_n`).

Secondary suppression is *not* done: a suppressed cell may sometimes be
worked out from a total and the other cells of its row. The statistics are
for the unit's own managers (who may see the records anyway), not for
publication; anyone publishing a table must check that themselves.

Suppressed values are removed (value None) when the table is finalised, so
no renderer can leak them.
"""

from __future__ import annotations

import statistics
import textwrap
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..i18n import Translator
from .common import SMALL_CELL, SMALL_N

COUNT, SHARE, MEAN, MEDIAN, DIFF, N = "count", "share", "mean", "median", "diff", "n"
SUPPRESSED_TEXT = "<5"


@dataclass
class Column:
    key: str
    label: str
    kind: str  # count | share | n | mean | median | diff
    ref: int | None = None  # share: index of its count column; mean/median/diff: index of its n column
    decimals: int = 2


@dataclass
class Cell:
    value: int | float | None
    suppressed: bool = False


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
    n: int | None = 0  # None when suppressed (1-4)
    n_suppressed: bool = False
    note: str | None = None  # the n < 10 note, translated
    notes: list[str] = field(default_factory=list)  # other notes (currency, unit), translated
    small: bool = False  # fewer than 10: no conclusions

    def add(self, key: str, label: str, values: Iterable[int | float | None], total: bool = False) -> None:
        self.rows.append(TableRow(key, label, [Cell(v) for v in values], total))

    def row(self, key: str) -> TableRow:
        return next(r for r in self.rows if r.key == key)

    def col(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def cell(self, row_key: str, col_key: str) -> Cell:
        return self.row(row_key).cells[self.col(col_key)]

    @property
    def any_suppressed(self) -> bool:
        return self.n_suppressed or any(c.suppressed for r in self.rows for c in r.cells)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "n": self.n,
            "n_suppressed": self.n_suppressed,
            "note": self.note,
            "notes": self.notes,
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


def _json_value(v: int | float | None) -> int | float | None:
    if isinstance(v, float):
        return round(v, 4)
    return v


def _is_small(v: int | float | None) -> bool:
    return v is not None and 0 < v < SMALL_CELL


def finalize(table: Table, n: int, t: Translator, small: bool | None = None) -> Table:
    """Set n, apply suppression and the n < 10 note (in place)."""
    table.n, table.n_suppressed = (None, True) if _is_small(n) else (n, False)
    table.small = n < SMALL_N if small is None else small
    table.note = t("reports.note.small_n") if table.small else None
    for r in table.rows:
        small_count = [col.kind in (COUNT, N) and _is_small(cell.value) for col, cell in zip(table.columns, r.cells)]
        for i, (col, cell) in enumerate(zip(table.columns, r.cells)):
            hide = small_count[i]
            if col.kind == SHARE and col.ref is not None:
                hide = small_count[col.ref]
            elif col.kind in (MEAN, MEDIAN, DIFF) and col.ref is not None:
                base = r.cells[col.ref].value if not small_count[col.ref] else None
                # a statistic over 1-4 clients is hidden; over none it is simply empty
                hide = small_count[col.ref] or (base is not None and base < SMALL_CELL and base > 0)
                if base == 0:
                    cell.value = None
            if hide:
                cell.value = None
                cell.suppressed = True
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
        return SUPPRESSED_TEXT if col.kind in (COUNT, N) else "–"
    v = cell.value
    if v is None:
        return ""
    if col.kind in (COUNT, N):
        return str(int(v))
    if col.kind == SHARE:
        return f"{round(v * 100)} %" if lang == "sv" else f"{round(v * 100)}%"
    text = f"{v:+.{col.decimals}f}" if col.kind == DIFF else f"{v:.{col.decimals}f}"
    return text.replace(".", ",") if lang == "sv" else text


def format_n(table: Table) -> str:
    return SUPPRESSED_TEXT if table.n_suppressed else str(table.n)


def render_text(table: Table, t: Translator, width: int = 80) -> list[str]:
    """A fixed-width text table (the CLI's `--format text`)."""
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


def csv_rows(section: str, table: Table, lang: str) -> list[list[str]]:
    """Long format: one line per cell; suppressed cells hold "<5"/"–"."""
    out = []
    for r in table.rows:
        for col, cell in zip(table.columns, r.cells):
            if cell.suppressed:
                value = format_cell(col, cell, lang)
            elif cell.value is None:
                value = ""
            elif col.kind in (COUNT, N):
                value = str(int(cell.value))
            else:
                value = f"{cell.value:.4f}".rstrip("0").rstrip(".")
            out.append([section, table.key, table.title, format_n(table), table.note or "", r.key, r.label, col.key, col.label, value])
    return out
