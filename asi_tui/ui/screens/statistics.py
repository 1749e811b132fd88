"""Statistics: every report table with simple bars; filters by period, unit,
age bands, subgroups and rounding. The admins' interviewer tables appear for
admins only (`reports.access`).

All numbers come from asi_tui.reports (disclosure control included: the
renderers refuse an unprotected table); this screen only draws them. Loading
runs in a worker thread with progress.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.widgets.option_list import Option

from ...reports.access import may_see_interviewer_breakdown
from ...reports.common import Filters, parse_age_group
from ...reports.stats import ROUNDING, SECTIONS, audit_stats, build_report
from ...reports.subgroups import parse_compare
from ...reports.tables import COUNT_KINDS, SHARE, Table, format_cell, format_n, require_protected
from ...store.errors import StoreError
from ..lang import esc, t, tk, tm
from .list_detail import ListDetailScreen

BAR_WIDTH = 12


@dataclass(frozen=True)
class ScreenQuery:
    """What the filter line asks for: the filters and the report options."""

    filters: Filters = field(default_factory=Filters)
    compare: tuple[str, ...] = ()
    round_to: int | None = None


WORDS = {"från": "from", "till": "to", "enhet": "unit", "grupp": "group", "jämför": "compare", "avrunda": "round"}


def parse_query_text(text: str) -> ScreenQuery:
    """`från:2026-01-01 till:2026-06-30 enhet:Nord grupp:18-24,25-34 instrument:all jämför:women avrunda:5`
    (sv or en words: from, to, unit, group, compare, round)."""
    values: dict[str, Any] = {}
    compare: tuple[str, ...] = ()
    round_to: int | None = None
    for part in text.split():
        key, _, value = part.partition(":")
        key = WORDS.get(key.lower(), key.lower())
        if key in ("from", "to"):
            values["date_from" if key == "from" else "date_to"] = date.fromisoformat(value)
        elif key == "unit":
            values["unit"] = value
        elif key == "group":
            values["age_groups"] = parse_age_group(value)
        elif key == "instrument":
            values["instrument"] = None if value == "all" else value
        elif key == "compare":
            compare = parse_compare(value)
        elif key == "round" and value.isdigit() and int(value) in ROUNDING:
            round_to = int(value)
        else:
            raise ValueError(part)
    return ScreenQuery(Filters(**values), compare, round_to)


def parse_filter_text(text: str) -> Filters:
    return parse_query_text(text).filters


def _bar(value: float, top: float) -> str:
    filled = max(0, min(BAR_WIDTH, round(BAR_WIDTH * value / top)))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def render_change(table: Table, lang: str) -> str:
    """Before and after per area as two bars (composite 0-1, interviewer rating 0-9)."""
    require_protected(table)
    top = 9.0 if table.key.endswith("ratings") else 1.0
    cols = {c.key: i for i, c in enumerate(table.columns)}
    lines = [f"[b]{esc(table.title)}[/b]"]
    if table.note:
        lines.append(f"[i]{esc(table.note)}[/i]")
    for row in table.rows:
        pairs = row.cells[cols["pairs"]]
        n_text = format_cell(table.columns[cols["pairs"]], pairs, lang)
        lines.append(f"{esc(row.label)}  (n = {n_text or 0})")
        for key, word in (("before_mean", t("ui.stats.before")), ("after_mean", t("ui.stats.after"))):
            cell = row.cells[cols[key]]
            if cell.value is None or cell.suppressed:
                lines.append(f"  {word:<6} {'·' * BAR_WIDTH}  –")
            else:
                lines.append(f"  {word:<6} {_bar(float(cell.value), top)}  {format_cell(table.columns[cols[key]], cell, lang)}")
    lines.extend(f"[i]{esc(n)}[/i]" for n in table.notes)
    return "\n".join(lines)


def render_table(table: Table, lang: str) -> str:
    """A table as text, with a bar beside every share (suppressed shares get none)."""
    require_protected(table)
    if {"before_mean", "after_mean", "pairs"} <= {c.key for c in table.columns}:
        return render_change(table, lang)
    lines = [f"[b]{esc(table.title)}[/b]", f"n = {format_n(table)}"]  # n on its own line: never cut
    if table.note:
        lines.append(f"[i]{esc(table.note)}[/i]")
    # whole labels: the table scrolls sideways rather than cutting a row or column name
    label_w = max([20, *(len(r.label) + 1 for r in table.rows)])
    widths = [max(10, len(c.label)) + 1 for c in table.columns]
    head = "".join(esc(f"{c.label:>{w}}") for c, w in zip(table.columns, widths))
    lines.append(f"{'':<{label_w}}{head}")
    has_share = any(c.kind == SHARE for c in table.columns)
    first_count = next((i for i, c in enumerate(table.columns) if c.kind in COUNT_KINDS), None)
    top = max((float(r.cells[first_count].value) for r in table.rows
               if first_count is not None and not r.total and r.cells[first_count].value), default=0.0)
    for row in table.rows:
        cells = "".join(f"{format_cell(c, cell, lang):>{w}}" for c, cell, w in zip(table.columns, row.cells, widths))
        bar = ""
        for c, cell in zip(table.columns, row.cells):
            if c.kind == SHARE and cell.value is not None and not cell.suppressed:
                bar = " " + _bar(float(cell.value), 1.0)
                break
        if not has_share and first_count is not None and not row.total and top:  # counts only: bars against the largest
            cell = row.cells[first_count]
            if cell.value is not None and not cell.suppressed:
                bar = " " + _bar(float(cell.value), top)
        label = esc(f"{row.label:<{label_w}}")
        lines.append(f"{f'[b]{label}[/b]' if row.total else label}{cells}{bar}")
    lines.extend(f"[i]{esc(n)}[/i]" for n in table.notes)
    if table.rounded:
        lines.append(f"[i]{t('ui.stats.rounded', base=table.rounded)}[/i]")
    return "\n".join(lines)


class StatisticsScreen(ListDetailScreen[None]):
    LIST_ID, DETAIL_ID = "stats-tables", "stats-view"
    BINDINGS = [
        Binding("f", "filter", tk("ui.stats.key.filter"), id="stats.filter"),
        Binding("escape", "back", tk("ui.key.back"), id="stats.back"),
    ]
    AUTO_FOCUS = "#stats-tables"

    def __init__(self) -> None:
        super().__init__(id="statistics")
        self.dataset: Any = None
        self.tables: list[Table] = []
        self.request = ScreenQuery()

    def topbar_text(self) -> str:
        return t("ui.stats.title")

    def compose_above(self) -> ComposeResult:
        yield Input(id="stats-filter", placeholder=t("ui.stats.filter_hint"))

    def detail_pane(self) -> Widget:
        return ScrollableContainer(Static(t("ui.stats.loading"), id="stats-table"), id=self.DETAIL_ID)  # wide tables scroll sideways

    def on_mount(self) -> None:
        self.query_one("#stats-filter", Input).display = False
        self._load()

    @work(thread=True, exclusive=True, group="stats")
    def _load(self) -> None:
        from ...reports.data import load_dataset

        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self.query_one("#stats-table", Static).update, t("ui.stats.progress", done=done, total=total))

        quality = may_see_interviewer_breakdown(self.app.session.user)  # type: ignore[attr-defined]
        try:
            dataset = load_dataset(self.app.session, progress, quality=quality)  # type: ignore[attr-defined]
        except StoreError as exc:
            self.app.call_from_thread(self.query_one("#stats-table", Static).update, tm(exc.key, **exc.params))
            return
        self.app.call_from_thread(self._loaded, dataset)

    def _loaded(self, dataset: Any) -> None:
        self.dataset = dataset
        self._build()

    def _build(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        sections = SECTIONS + (("quality",) if may_see_interviewer_breakdown(session.user) else ())
        q = self.request
        try:
            report = build_report(self.dataset, q.filters, self.lang, sections, q.round_to, q.compare,
                                  self.app.services.today())  # type: ignore[attr-defined]
        except StoreError as exc:
            self.query_one("#stats-table", Static).update(tm(exc.key, **exc.params))
            return
        audit_stats(session, report)
        self.tables = []
        options: list[Option] = []
        for section in report.sections:  # a heading per section, then its tables
            options.append(Option(f"── {esc(section.title)}", disabled=True))
            for tb in section.tables:
                options.append(Option(f"  {esc(tb.title)}", id=f"{len(self.tables)}"))
                self.tables.append(tb)
        self.set_options(options, highlight=1)
        self.show_detail()

    def show_detail(self) -> None:
        option_id = self.highlighted_id()
        index = int(option_id) if option_id is not None else -1
        if 0 <= index < len(self.tables):
            self.query_one("#stats-table", Static).update(render_table(self.tables[index], self.lang))

    def action_filter(self) -> None:
        field = self.query_one("#stats-filter", Input)
        field.display = True
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.request = parse_query_text(event.value)
            unit = self.request.filters.unit
            if unit:  # a unit's name or id: the records carry the id
                found = self.app.session.find_unit(unit)  # type: ignore[attr-defined]
                filters = dataclasses.replace(self.request.filters, unit=found.id, unit_name=found.name)
                self.request = dataclasses.replace(self.request, filters=filters)
        except (ValueError, StoreError) as exc:
            key = getattr(exc, "key", "ui.stats.bad_filter")
            self.query_one("#stats-table", Static).update(tm(key, **getattr(exc, "params", {})) if key != "ui.stats.bad_filter" else t(key))
            return
        event.input.display = False
        self.option_list.focus()
        if self.dataset is not None:
            self._build()
