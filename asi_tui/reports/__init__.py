"""Reports over completed records: group statistics, change between Grund
and Uppföljning, dropout, trends, follow-up coverage, units side by side,
subgroups, interviewer quality tables, follow-up planning and de-identified
exports.

Headless (never imports Textual or Rich). The TUI statistics screen builds on:

    ds = load_dataset(session, progress)          # one pass over the records (migration maps applied)
    report = build_report(ds, Filters(...), lang)  # pure; re-filter at will; disclosure control applied
    audit_stats(session, report)                   # or run_stats() for all three
    for section in report.sections: for table in section.tables: ...

A `Table` holds translated titles and labels, `Column`s with a kind (count,
share, n, mean, median, diff, ci, rate) and rows of `Cell`s. `build_report`
passes every table through `disclosure.protect_report` (primary and
complementary suppression over the whole report, optional rounding), which
removes hidden values; every renderer (`render_text`, `csv_rows`,
`Table.to_dict`, `stats_xlsx`, the TUI) refuses a table that has not been
through it. `format_cell` gives the display text ("..", "–").

One code path moves a record's answers along the published migration maps:
`migrate.AnswerMigration` (statistics use it; the export should too). Who may
see the interviewer tables: `access.may_see_interviewer_breakdown`. The unit
of a row: `dims.unit_of`.
"""

from .access import may_see_interviewer_breakdown
from .common import AGE_BANDS, Filters, ReportError, parse_age_group
from .data import Dataset, Row, load_dataset
from .export import ExportResult, export_records
from .followups import FollowUp, followups, plan_followups
from .migrate import AnswerMigration
from .stats import Report, ReportSection, audit_stats, build_report, run_stats
from .tables import Cell, Column, Table, TableRow, format_cell, render_text

__all__ = [
    "AGE_BANDS",
    "AnswerMigration",
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
    "may_see_interviewer_breakdown",
    "parse_age_group",
    "plan_followups",
    "render_text",
    "run_stats",
]
