"""Reports over completed records: group statistics, change between Grund
and Uppföljning, dropout, follow-up planning and de-identified exports.

Headless (never imports Textual or Rich). The TUI statistics screen builds on:

    ds = load_dataset(session, progress)          # one pass over the records
    report = build_report(ds, Filters(...), lang)  # pure; re-filter at will
    audit_stats(session, report)                   # or run_stats() for all three
    for section in report.sections: for table in section.tables: ...

A `Table` holds translated titles and labels, `Column`s with a kind (count,
share, n, mean, median, diff) and rows of `Cell`s whose suppressed values are
already removed; `format_cell` gives the display text.
"""

from .common import AGE_BANDS, Filters, ReportError, parse_age_group
from .data import Dataset, Row, load_dataset
from .export import ExportResult, export_records
from .followups import FollowUp, followups, plan_followups
from .stats import Report, ReportSection, audit_stats, build_report, run_stats
from .tables import Cell, Column, Table, TableRow, format_cell, render_text

__all__ = [
    "AGE_BANDS",
    "Cell",
    "Column",
    "Dataset",
    "ExportResult",
    "Filters",
    "FollowUp",
    "Report",
    "ReportError",
    "ReportSection",
    "Row",
    "Table",
    "TableRow",
    "audit_stats",
    "build_report",
    "export_records",
    "followups",
    "format_cell",
    "load_dataset",
    "parse_age_group",
    "plan_followups",
    "render_text",
    "run_stats",
]
