"""Statistics for managers: the report tables with simple bars; filters by period, unit and group.

All numbers come from asi_tui.reports (suppression included); this screen only
draws them. Loading runs in a worker thread with progress.
"""

from __future__ import annotations

import dataclasses

from datetime import date
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.widgets.option_list import Option

from ...reports.common import Filters, parse_age_group
from ...reports.stats import audit_stats, build_report
from ...reports.tables import SHARE, Table, format_cell
from ...store.errors import StoreError
from ..lang import t
from .list_detail import ListDetailScreen

BAR_WIDTH = 12


def parse_filter_text(text: str) -> Filters:
    """`från:2026-01-01 till:2026-06-30 enhet:Nord grupp:18-30 instrument:all` (sv or en words)."""
    values: dict[str, Any] = {}
    for part in text.split():
        key, _, value = part.partition(":")
        key = {"från": "from", "till": "to", "enhet": "unit", "grupp": "group"}.get(key.lower(), key.lower())
        if key in ("from", "to"):
            values["date_from" if key == "from" else "date_to"] = date.fromisoformat(value)
        elif key == "unit":
            values["unit"] = value
        elif key == "group":
            values["age_min"], values["age_max"] = parse_age_group(value)
        elif key == "instrument":
            values["instrument"] = None if value == "all" else value
        else:
            raise ValueError(part)
    return Filters(**values)


def _bar(value: float, top: float) -> str:
    filled = max(0, min(BAR_WIDTH, round(BAR_WIDTH * value / top)))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


def render_change(table: Table, lang: str) -> str:
    """Before and after per area as two bars (composite 0-1, interviewer rating 0-9)."""
    top = 9.0 if table.key.endswith("ratings") else 1.0
    cols = {c.key: i for i, c in enumerate(table.columns)}
    lines = [f"[b]{table.title}[/b]"]
    if table.note:
        lines.append(f"[i]{table.note}[/i]")
    for row in table.rows:
        pairs = row.cells[cols["pairs"]]
        n_text = format_cell(table.columns[cols["pairs"]], pairs, lang)
        lines.append(f"{row.label[:28]}  (n = {n_text or 0})")
        for key, word in (("before_mean", t("ui.stats.before")), ("after_mean", t("ui.stats.after"))):
            cell = row.cells[cols[key]]
            if cell.value is None or cell.suppressed:
                lines.append(f"  {word:<6} {'·' * BAR_WIDTH}  –")
            else:
                lines.append(f"  {word:<6} {_bar(float(cell.value), top)}  {format_cell(table.columns[cols[key]], cell, lang)}")
    lines.extend(f"[i]{n}[/i]" for n in table.notes)
    return "\n".join(lines)


def render_table(table: Table, lang: str) -> str:
    """A table as text, with a bar beside every share (suppressed shares get none)."""
    if {"before_mean", "after_mean", "pairs"} <= {c.key for c in table.columns}:
        return render_change(table, lang)
    lines = [f"[b]{table.title}[/b]  (n = {'<5' if table.n_suppressed else table.n})"]
    if table.note:
        lines.append(f"[i]{table.note}[/i]")
    head = "".join(f"{c.label[:10]:>11}" for c in table.columns)
    lines.append(f"{'':<20}{head}")
    for row in table.rows:
        cells = "".join(f"{format_cell(c, cell, lang):>11}" for c, cell in zip(table.columns, row.cells))
        bar = ""
        for c, cell in zip(table.columns, row.cells):
            if c.kind == SHARE and cell.value is not None and not cell.suppressed:
                filled = round(BAR_WIDTH * float(cell.value))
                bar = " " + "█" * filled + "░" * (BAR_WIDTH - filled)
                break
        label = f"[b]{row.label[:19]}[/b]" if row.total else row.label[:19]
        lines.append(f"{label:<20}{cells}{bar}")
    lines.extend(f"[i]{n}[/i]" for n in table.notes)
    return "\n".join(lines)


class StatisticsScreen(ListDetailScreen[None]):
    LIST_ID, DETAIL_ID = "stats-tables", "stats-view"
    BINDINGS = [
        Binding("f", "filter", t("ui.stats.key.filter"), id="stats.filter"),
        Binding("escape", "back", t("ui.key.back"), id="stats.back"),
    ]
    AUTO_FOCUS = "#stats-tables"

    def __init__(self) -> None:
        super().__init__(id="statistics")
        self.dataset: Any = None
        self.tables: list[Table] = []
        self.filters = Filters()

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

        try:
            dataset = load_dataset(self.app.session, progress)  # type: ignore[attr-defined]
        except StoreError as exc:
            self.app.call_from_thread(self.query_one("#stats-table", Static).update, t(exc.key, **exc.params))
            return
        self.app.call_from_thread(self._loaded, dataset)

    def _loaded(self, dataset: Any) -> None:
        self.dataset = dataset
        self._build()

    def _build(self) -> None:
        try:
            report = build_report(self.dataset, self.filters, self.lang)
        except StoreError as exc:
            self.query_one("#stats-table", Static).update(t(exc.key, **exc.params))
            return
        audit_stats(self.app.session, report)  # type: ignore[attr-defined]
        self.tables = [tb for s in report.sections for tb in s.tables]
        self.set_options(Option(tb.title[:28], id=f"{i}") for i, tb in enumerate(self.tables))
        self.show_detail()

    def show_detail(self) -> None:
        index = self.highlighted_index()
        if index is not None and 0 <= index < len(self.tables):
            self.query_one("#stats-table", Static).update(render_table(self.tables[index], self.lang))

    def action_filter(self) -> None:
        field = self.query_one("#stats-filter", Input)
        field.display = True
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            self.filters = parse_filter_text(event.value)
            if self.filters.unit:  # a unit's name or id: the records carry the id
                found = self.app.session.find_unit(self.filters.unit)  # type: ignore[attr-defined]
                self.filters = dataclasses.replace(self.filters, unit=found.id, unit_name=found.name)
        except (ValueError, StoreError) as exc:
            key = getattr(exc, "key", "ui.stats.bad_filter")
            self.query_one("#stats-table", Static).update(t(key, **getattr(exc, "params", {})) if key != "ui.stats.bad_filter" else t(key))
            return
        event.input.display = False
        self.option_list.focus()
        if self.dataset is not None:
            self._build()
