"""The statistics report as an XLSX workbook (`stats --format xlsx`).

Sheet "tables": every table as it reads (title, n, notes, header, rows),
published numbers as numbers, suppressed cells as ".."/"–". Sheet "cells":
the long format of `--format csv`, one line per cell. Sheet "notes": the
filters and the notes every reader must see (suppression, n < 10, rounding).
Only protected tables are written (the renderers refuse others).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..i18n import Translator
from .export import private_file
from .tables import COUNT_KINDS, SHARE, RATE, Table, format_cell, format_n, require_protected
from .xlsx import XlsxWriter

if TYPE_CHECKING:
    from .stats import Report


def _number(table: Table, lang: str) -> list[list[object]]:
    """A table's lines for the "tables" sheet."""
    require_protected(table)
    lines: list[list[object]] = [[table.title, f"n = {format_n(table)}"]]
    if table.note:
        lines.append([table.note])
    lines.append(["", *(c.label for c in table.columns)])
    for r in table.rows:
        cells: list[object] = [r.label]
        for c, cell in zip(table.columns, r.cells):
            if cell.suppressed or cell.value is None:
                cells.append(format_cell(c, cell, lang))
            elif c.kind in COUNT_KINDS:
                cells.append(int(cell.value))
            elif c.kind in (SHARE, RATE):
                cells.append(round(float(cell.value) * 100, 1))  # percent, as the text shows it
            else:
                cells.append(round(float(cell.value), c.decimals + 2))
        lines.append(cells)
    lines += [[note] for note in table.notes]
    lines.append([])
    return lines


def write_xlsx(report: "Report", path: Path, t: Translator) -> Path:
    """Write the report to `path` (0600, atomically)."""
    from .stats import filter_lines

    tables: list[list[object]] = []
    for section in report.sections:
        tables.append([f"== {section.title} =="])
        for table in section.tables:
            tables += _number(table, report.lang)
    notes = [[line] for line in filter_lines(report.filters, t, report.compare, report.as_of)]
    notes += [[n] for n in report.notes(t)]
    notes.append([t("reports.note.xlsx_percent")])
    rows = report.csv_rows()
    with private_file(path, text=False) as fh:
        xw = XlsxWriter(fh)
        xw.add_sheet("tables", [t("reports.title")], tables)
        xw.add_sheet("cells", rows[0], rows[1:])
        xw.add_sheet("notes", [t("reports.title")], notes)
        xw.close()
    return path


__all__ = ["write_xlsx"]
