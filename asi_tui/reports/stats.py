"""The statistics report: group compilations, change, dropout, trends,
follow-up coverage, units side by side, and on request a subgroup comparison
and (admins) the interviewer quality tables.

`load_dataset` reads the records once; `build_report` is a pure function of
the dataset and the filters (the TUI can re-filter without reading again)
and applies disclosure control to every table before anything can render
it; `run_stats` does both and writes the audit entry. Nothing here names a
client.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable

from ..i18n import Translator
from .access import may_see_interviewer_breakdown
from .change import change_tables
from .common import Filters, ReportError
from .coverage import coverage_tables
from .data import Dataset, Progress, load_dataset
from .dims import band_label
from .disclosure import protect_report
from .dropout import dropout_tables
from .groups import group_tables
from .quality import quality_tables
from .subgroups import compare_tables
from .tables import CSV_HEADER, Table, csv_rows, render_text
from .trends import trend_tables
from .units import unit_tables

if TYPE_CHECKING:
    from ..store import Session

SECTIONS = ("groups", "change", "dropout", "trends", "followup", "units")  # the default report
ALL_SECTIONS = (*SECTIONS, "compare", "quality")  # compare needs subgroups; quality an admin
ROUNDING = (3, 5, 10)


@dataclass
class ReportSection:
    key: str
    title: str
    tables: list[Table]


@dataclass
class Report:
    filters: Filters
    lang: str
    sections: list[ReportSection] = field(default_factory=list)
    damaged: int = 0
    round_to: int | None = None
    compare: tuple[str, ...] = ()
    as_of: date | None = None

    def table(self, key: str) -> Table:
        return next(t for s in self.sections for t in s.tables if t.key == key)

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def to_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.to_dict(),
            "damaged": self.damaged,
            "rounded_to": self.round_to,
            "compare": list(self.compare),
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "sections": [{"key": s.key, "title": s.title, "tables": [t.to_dict() for t in s.tables]} for s in self.sections],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def csv_rows(self) -> list[list[str]]:
        rows = [list(CSV_HEADER)]
        for s in self.sections:
            for t in s.tables:
                rows.extend(csv_rows(s.key, t, self.lang))
        return rows

    def notes(self, t: Translator) -> list[str]:
        """What every reader of the report must know: suppression, n < 10, rounding."""
        out = [t("reports.note.suppression"), t("reports.note.small_n_rule")]
        if self.round_to:
            out.append(t("reports.note.rounded", base=self.round_to))
        if self.damaged:
            out.append(t("reports.note.damaged", n=self.damaged))
        return out

    def text_lines(self, t: Translator, width: int = 80) -> list[str]:
        lines = filter_lines(self.filters, t, self.compare, self.as_of)
        for note in self.notes(t):
            lines += textwrap.wrap(note, width)
        for s in self.sections:
            lines += ["", f"== {s.title} =="]
            for table in s.tables:
                lines.append("")
                lines += render_text(table, t, width)
        return lines


def filter_lines(f: Filters, t: Translator, compare: tuple[str, ...] = (), as_of: date | None = None) -> list[str]:
    every = t("reports.filter.all")
    start = f.date_from.isoformat() if f.date_from else "…"
    end = f.date_to.isoformat() if f.date_to else "…"
    period = every if f.date_from is None and f.date_to is None else f"{start} – {end}"
    group = []
    if f.age_groups:
        group.append(", ".join(band_label(g, t) for g in f.age_groups))
    if f.gender is not None:
        group.append(t("reports.filter.gender", gender=_gender_label(f.gender, t.lang)))
    instrument = t(f"reports.instrument.{f.instrument}") if f.instrument else every
    lines = [
        t("reports.title"),
        f"{t('reports.filter.period')}: {period}",
        f"{t('reports.filter.unit')}: {f.unit_name or f.unit or every}",
        f"{t('reports.filter.group')}: {', '.join(group) or every}",
        f"{t('reports.filter.instrument')}: {instrument}",
    ]
    if compare:
        lines.append(f"{t('reports.filter.compare')}: {', '.join(t(f'reports.subgroup.{c}') for c in compare)}")
    if as_of:
        lines.append(f"{t('reports.filter.as_of')}: {as_of.isoformat()}")
    return lines


def _gender_label(code: object, lang: str) -> str:
    from ..bank.registry import bundled_bank

    try:
        codes = bundled_bank("asi-grund").codelists.get("gender")
    except KeyError:
        codes = None
    text = codes.label_of(code) if codes is not None else None  # type: ignore[arg-type]
    return text.get(lang) if text is not None else str(code)


def _builders(compare: tuple[str, ...], as_of: date) -> dict[str, Callable[[Dataset, Filters, Translator], list[Table]]]:
    return {
        "groups": group_tables,
        "change": change_tables,
        "dropout": dropout_tables,
        "trends": trend_tables,
        "followup": lambda ds, f, t: coverage_tables(ds, f, t, as_of),
        "units": unit_tables,
        "compare": lambda ds, f, t: compare_tables(ds, f, compare, t) if compare else [],
        "quality": quality_tables,
    }


def build_tables(ds: Dataset, f: Filters, lang: str = "sv", sections: tuple[str, ...] = SECTIONS,
                 compare: tuple[str, ...] = (), as_of: date | None = None) -> Report:
    """The report with the true values, before disclosure control: never rendered
    (the renderers refuse it); `build_report` is what callers want."""
    t = Translator(lang)
    as_of = as_of or date.today()
    report = Report(f, lang, damaged=ds.damaged, compare=compare, as_of=as_of)
    builders = _builders(compare, as_of)
    wanted = set(sections) | ({"compare"} if compare else set())
    for key in ALL_SECTIONS:
        if key in wanted:
            tables = builders[key](ds, f, t)
            if tables:
                report.sections.append(ReportSection(key, t(f"reports.section.{key}"), tables))
    return report


def build_report(ds: Dataset, f: Filters, lang: str = "sv", sections: tuple[str, ...] = SECTIONS,
                 round_to: int | None = None, compare: tuple[str, ...] = (), as_of: date | None = None) -> Report:
    """The statistics report, disclosure control applied to every table (and rounding, if asked)."""
    if round_to is not None and round_to not in ROUNDING:
        raise ReportError("reports.error.round", value=round_to, bases=", ".join(map(str, ROUNDING)))
    report = build_tables(ds, f, lang, sections, compare, as_of)
    protect_report(report.tables, round_to)
    report.round_to = round_to
    return report


def check_access(session: "Session", sections: tuple[str, ...]) -> None:
    if "quality" in sections and not may_see_interviewer_breakdown(session.user):
        raise ReportError("reports.error.quality_denied")


def audit_stats(session: "Session", report: Report) -> None:
    overview = next((tb for tb in report.tables if tb.key == "groups.overview"), None)
    session.log(
        "stats",
        detail={
            "filters": report.filters.to_dict(),
            "sections": [s.key for s in report.sections],
            "compare": list(report.compare),
            "rounded_to": report.round_to,
            "n": overview.n if overview else None,
        },
    )


def run_stats(
    session: "Session",
    f: Filters,
    lang: str = "sv",
    progress: Progress | None = None,
    dataset: Dataset | None = None,
    sections: tuple[str, ...] = SECTIONS,
    round_to: int | None = None,
    compare: tuple[str, ...] = (),
    as_of: date | None = None,
) -> Report:
    """Read (unless `dataset` is given), compute and audit one statistics report."""
    check_access(session, sections)
    ds = dataset if dataset is not None else load_dataset(session, progress, quality="quality" in sections)
    report = build_report(ds, f, lang, sections, round_to, compare, as_of)
    audit_stats(session, report)
    return report


__all__ = ["ALL_SECTIONS", "ROUNDING", "SECTIONS", "Report", "ReportSection", "build_report", "build_tables",
           "check_access", "load_dataset", "run_stats"]
