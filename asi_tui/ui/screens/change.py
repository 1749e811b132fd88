"""The client's change view ("kvitto"): per life area the earlier and the latest
interview side by side, better / unchanged / worse, a chart over the chain;
export as Markdown in the client's language. The figures come from
`scoring.change`; this screen only shows them."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets.option_list import Option

from ...reports.casefile import export_change
from ...scoring.change import COMPOSITE_STEP, RATING_STEP, AreaChange, ChangeView, change_view, fmt, point_label
from ...store.chain import ChainEntry
from ...store.errors import StoreError
from ..lang import current, esc, t, tk, tm
from .list_detail import ListDetailScreen

VERDICT_STYLE = {"better": "green", "worse": "red", "unchanged": "", "unknown": "dim"}
LANGS = ("sv", "en")


class ChangeScreen(ListDetailScreen[None]):
    LIST_ID, DETAIL_ID, STATUS_ID = "ch-areas", "ch-detail", "ch-status"
    BINDINGS = [
        Binding("e", "export", tk("ui.key.export"), id="change.export"),
        Binding("l", "language", tk("ui.change.key.language"), id="change.language"),
        Binding("escape", "back", tk("ui.key.back"), id="change.back"),
    ]
    AUTO_FOCUS = "#ch-areas"

    def __init__(self, entries: list[ChainEntry], client_ref: str) -> None:
        super().__init__(id="change")
        self.entries = entries
        self.client_ref = client_ref
        self.view: ChangeView = change_view(entries, current(), self.lang)
        self.export_lang = self.lang

    def topbar_text(self) -> str:
        first, last = self.view.points[-2], self.view.points[-1]
        return t("ui.change.title", client=esc(self.client_ref), before=point_label(first, current()),
                 after=point_label(last, current()))

    def detail_pane(self) -> Widget:
        return VerticalScroll(Static("", id="ch-table"), Static("", id="ch-chart"), id=self.DETAIL_ID)

    def on_mount(self) -> None:
        self.set_options(Option(self._entry(a), id=a.area) for a in self.view.areas)
        self._status()
        self.show_detail()

    @staticmethod
    def _entry(a: AreaChange) -> str:
        style = VERDICT_STYLE[a.verdict]
        word = t(f"change.verdict.{a.verdict}")
        title = escape(f"{a.title[:14]:<14}")
        return f"{title} [{style}]{word}[/]" if style else f"{title} {word}"

    def _current(self) -> AreaChange:
        return self.view.areas[self.highlighted_index() or 0]

    def show_detail(self) -> None:
        a = self._current()
        table = Table(box=None, pad_edge=False, expand=True, show_edge=False, padding=(0, 0, 0, 1))
        table.add_column(a.title, ratio=1, overflow="fold")
        table.add_column(f"{self.view.points[-2].day:%y-%m}", justify="right", no_wrap=True)
        table.add_column(f"{self.view.points[-1].day:%y-%m}", justify="right", no_wrap=True)
        for r in a.rows:
            table.add_row(r.label, fmt(r.before, r.key), fmt(r.after, r.key))
        self.query_one("#ch-table", Static).update(table)
        series = "  ".join(f"{p.day:%y-%m} {fmt(v, 'composite')}" for p, v in zip(self.view.points, a.composite.values))
        verdict = t(f"change.verdict.{a.verdict}")
        self.query_one("#ch-chart", Static).update(
            f"[b]{escape(verdict)}[/b]\n{t('change.chart')}: [b]{a.chart()}[/b]\n{series}")

    def _status(self) -> None:
        self.set_status(t("ui.change.status", rule=t("change.rule", step=COMPOSITE_STEP, rating_step=RATING_STEP),
                          lang=t(f"ui.change.lang.{self.export_lang}")))

    def action_language(self) -> None:
        """The client's language for the export (sv/en), whatever the interviewer's."""
        self.export_lang = LANGS[(LANGS.index(self.export_lang) + 1) % len(LANGS)]
        self._status()

    def action_export(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        try:
            path = export_change(session, self.entries, self.client_ref, Path(self.app.services.export_dir),  # type: ignore[attr-defined]
                                 self.export_lang)
        except (StoreError, OSError) as exc:
            self.notify(t(exc.key, **exc.params) if isinstance(exc, StoreError) else str(exc), severity="error")
            return
        self.notify(tm("ui.fb.exported", path=str(path)), timeout=10)
