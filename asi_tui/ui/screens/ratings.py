"""Interviewer ratings 0-9, one per area, after the interview: the scale's anchors
and the area's critical answers are shown beside each rating."""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ...store import RecordHandle
from ..formatting import format_value
from ..item_text import shown_value
from ..lang import esc, t, tk, tm
from .list_detail import ListDetailScreen


class RatingsScreen(ListDetailScreen[None]):
    LIST_ID, DETAIL_ID = "rating-list", "rating-detail"
    BINDINGS = [
        Binding("escape", "back", tk("ui.key.back"), id="ratings.back"),
        Binding("ctrl+down", "scroll_detail(1)", tk("ui.key.scroll_down"), id="ratings.down", show=False),
        Binding("ctrl+up", "scroll_detail(-1)", tk("ui.key.scroll_up"), id="ratings.up", show=False),
    ]
    AUTO_FOCUS = "#rating-list"

    def __init__(self, handle: RecordHandle) -> None:
        super().__init__(id="ratings")
        self.handle = handle
        self.iv = handle.interview
        self.bank = handle.bank
        self.items = self.iv.interviewer_rating_items()

    def topbar_text(self) -> str:
        return t("ui.ratings.title")

    def detail_pane(self) -> Widget:
        # scrolls (Ctrl+Up/Down) when an area has more critical items than the pane has lines
        return VerticalScroll(Static(self._anchors(), id="anchors"), Static("", id="message"), Static("", id="critical"), id=self.DETAIL_ID, can_focus=False)

    def _anchors(self) -> str:
        codes = self.bank.codelists.get("interviewer_rating")
        if codes is None:
            return ""
        pairs = []
        for c in codes.codes[::2]:
            pairs.append(f"[b]{c.code}–{int(c.code) + 1}[/b] {c.help.get(self.lang) if c.help else c.label.get(self.lang)}")  # type: ignore[arg-type]
        return "\n".join(pairs)

    def on_mount(self) -> None:
        self._refresh_list(0)

    def _refresh_list(self, highlight: int) -> None:
        options = []
        for item in self.items:
            area = self.bank.section_of[item.id].title.get(self.lang)
            value = format_value(item, self.iv.value(item.id)) or "–"
            options.append(Option(f"{value:>2}  {area}", id=item.id))
        self.set_options(options, highlight)
        self.show_detail()

    def _current(self) -> int:
        return self.highlighted_index() or 0

    def show_detail(self) -> None:
        if not self.items:
            return
        item = self.items[self._current()]
        section = self.bank.section_of[item.id]
        lines = [f"[b]{item.id}[/b] {item.label.get(self.lang)}", ""]
        for i in section.items:
            if (i.critical or i.type == "client_rating") and self.iv.is_visible(i.id):
                lines.append(f"{i.id:<7}{esc(shown_value(i, self.iv.value(i.id), self._codes(i), self.lang) or '·')}  {esc(i.label.get(self.lang))}")
        self.query_one("#critical", Static).update("\n".join(lines))

    async def on_key(self, event: events.Key) -> None:
        char = (event.character or "").lower()
        if not (char.isdigit() or char == "x") or self.handle.readonly:
            return
        event.stop()
        item = self.items[self._current()]
        try:
            outcome = self.handle.answer(item.id, char.upper())
        except StoreError as exc:
            self.query_one("#message", Static).update(tm(exc.key, **exc.params))
            return
        if not outcome.ok:
            self.query_one("#message", Static).update(tm(outcome.message or "", **outcome.params))
            return
        self.query_one("#message", Static).update(t("ui.iv.saved"))
        self._refresh_list(min(self._current() + 1, len(self.items) - 1))

    def action_scroll_detail(self, step: int) -> None:
        pane = self.query_one(f"#{self.DETAIL_ID}", VerticalScroll)
        pane.scroll_relative(y=step * max(1, pane.size.height - 2), animate=False)

    def _codes(self, item):  # noqa: ANN001, ANN202 - the item's codes, for its value in words
        codes = self.bank.codes_for(item)
        return codes.codes if codes else None

    def action_back(self) -> None:
        self.dismiss(None)
