"""The statistics report: group compilations, change, dropout.

`load_dataset` reads the records once; `build_report` is a pure function of
the dataset and the filters (the TUI can re-filter without reading again);
`run_stats` does both and writes the audit entry. Nothing here names a
client.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..i18n import Translator
from .change import change_tables
from .common import Filters
from .data import Dataset, Progress, load_dataset
from .dropout import dropout_tables
from .groups import group_tables
from .tables import CSV_HEADER, Table, csv_rows, render_text

if TYPE_CHECKING:
    from ..store import Session

SECTIONS = ("groups", "change", "dropout")


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

    def table(self, key: str) -> Table:
        return next(t for s in self.sections for t in s.tables if t.key == key)

    @property
    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def to_dict(self) -> dict[str, Any]:
        return {
            "filters": self.filters.to_dict(),
            "damaged": self.damaged,
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

    def text_lines(self, t: Translator, width: int = 80) -> list[str]:
        lines = filter_lines(self.filters, t)
        lines += textwrap.wrap(t("reports.note.suppression"), width)
        if self.damaged:
            lines += textwrap.wrap(t("reports.note.damaged", n=self.damaged), width)
        for s in self.sections:
            lines += ["", f"== {s.title} =="]
            for table in s.tables:
                lines.append("")
                lines += render_text(table, t, width)
        return lines


def filter_lines(f: Filters, t: Translator) -> list[str]:
    every = t("reports.filter.all")
    start = f.date_from.isoformat() if f.date_from else "…"
    end = f.date_to.isoformat() if f.date_to else "…"
    period = every if f.date_from is None and f.date_to is None else f"{start} – {end}"
    group = []
    if f.age_min is not None or f.age_max is not None:
        group.append(t("reports.filter.age", lo=f.age_min if f.age_min is not None else "", hi=f.age_max if f.age_max is not None else ""))
    if f.gender is not None:
        group.append(t("reports.filter.gender", gender=_gender_label(f.gender, t.lang)))
    instrument = t(f"reports.instrument.{f.instrument}") if f.instrument else every
    return [
        t("reports.title"),
        f"{t('reports.filter.period')}: {period}",
        f"{t('reports.filter.unit')}: {f.unit_name or f.unit or every}",
        f"{t('reports.filter.group')}: {', '.join(group) or every}",
        f"{t('reports.filter.instrument')}: {instrument}",
    ]


def _gender_label(code: object, lang: str) -> str:
    from ..bank.registry import bundled_bank

    try:
        codes = bundled_bank("asi-grund").codelists.get("gender")
    except KeyError:
        codes = None
    text = codes.label_of(code) if codes is not None else None  # type: ignore[arg-type]
    return text.get(lang) if text is not None else str(code)


def build_report(ds: Dataset, f: Filters, lang: str = "sv", sections: tuple[str, ...] = SECTIONS) -> Report:
    t = Translator(lang)
    report = Report(f, lang, damaged=ds.damaged)
    builders = {"groups": group_tables, "change": change_tables, "dropout": dropout_tables}
    for key in SECTIONS:
        if key in sections:
            report.sections.append(ReportSection(key, t(f"reports.section.{key}"), builders[key](ds, f, t)))
    return report


def audit_stats(session: "Session", report: Report) -> None:
    overview = next((tb for tb in report.tables if tb.key == "groups.overview"), None)
    session.log(
        "stats",
        detail={
            "filters": report.filters.to_dict(),
            "sections": [s.key for s in report.sections],
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
) -> Report:
    """Read (unless `dataset` is given), compute and audit one statistics report."""
    ds = dataset if dataset is not None else load_dataset(session, progress)
    report = build_report(ds, f, lang, sections)
    audit_stats(session, report)
    return report


__all__ = ["Report", "ReportSection", "build_report", "run_stats", "load_dataset", "SECTIONS"]
