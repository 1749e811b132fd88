"""The one layout of list + detail screens: a top bar, a list on the left, the
detail of the highlighted entry beside it, an optional status line and the footer.

Subclasses name the widgets (their ids are stable: tests and app.tcss use
them), fill the list and draw the detail in `show_detail`, which runs again
whenever another entry is highlighted. Widths per screen, and the shared
`.ld-list` / `.ld-detail` / `.ld-status` rules, live in app.tcss.
"""

from __future__ import annotations

from typing import ClassVar, Iterable, TypeVar

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..lang import current
from ..widgets.key_footer import KeyFooter

ResultT = TypeVar("ResultT")


class ListDetailScreen(Screen[ResultT]):
    LIST_ID: ClassVar[str]
    DETAIL_ID: ClassVar[str]
    STATUS_ID: ClassVar[str | None] = None

    def __init__(self, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.lang = current().lang

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(self.topbar_text(), id="topbar")
        yield from self.compose_above()
        with Horizontal(id="body"):
            yield OptionList(id=self.LIST_ID, classes="ld-list")
            pane = self.detail_pane()
            pane.add_class("ld-detail")
            yield pane
        if self.STATUS_ID:
            yield Static("", id=self.STATUS_ID, classes="ld-status")
        yield KeyFooter()

    def topbar_text(self) -> str:
        return ""

    def compose_above(self) -> ComposeResult:
        """Widgets between the top bar and the list (e.g. a filter field)."""
        yield from ()

    def detail_pane(self) -> Widget:
        """The widget beside the list; by default one Static named DETAIL_ID."""
        return Static("", id=self.DETAIL_ID)

    # ------------------------------------------------------------------ the list

    @property
    def option_list(self) -> OptionList:
        return self.query_one(f"#{self.LIST_ID}", OptionList)

    def set_options(self, options: Iterable[Option], highlight: int = 0) -> None:
        """Replace the entries and highlight one (nothing when the list is empty)."""
        olist = self.option_list
        olist.clear_options()
        olist.add_options(list(options))
        if olist.option_count:
            olist.highlighted = min(highlight, olist.option_count - 1)

    def highlighted_index(self) -> int | None:
        return self.option_list.highlighted

    def highlighted_id(self) -> str | None:
        olist = self.option_list
        return None if olist.highlighted is None else olist.get_option_at_index(olist.highlighted).id

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == self.LIST_ID:
            self.show_detail()

    def show_detail(self) -> None:
        """Draw the detail of the highlighted entry."""

    # ------------------------------------------------------------------ status and leaving

    def set_status(self, text: str) -> None:
        if self.STATUS_ID:
            self.query_one(f"#{self.STATUS_ID}", Static).update(text)

    def action_back(self) -> None:
        self.app.pop_screen()
