"""The unit of a new record, on the new-interview and dropout forms: the user's
active units to choose from, or the one unit shown (no question)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from ..lang import esc, t, tm
from .choice_list import ChoiceList


class UnitChoice(Vertical):
    DEFAULT_CSS = "UnitChoice { height: auto; }"  # a Vertical takes all the room left otherwise

    def __init__(self, units: list[Any]) -> None:
        super().__init__(id="unit-choice")
        self.units = list(units)

    def compose(self) -> ComposeResult:
        if len(self.units) > 1:
            yield Label(t("ui.units.choose"))
            yield ChoiceList(*[Option(esc(u.name), id=u.id) for u in self.units], id="unit")
        else:
            if self.units:
                yield Static(tm("ui.units.one", unit=self.units[0].name), id="unit-one")
            else:
                yield Static(t("ui.units.one", unit=t("ui.units.none")), id="unit-one")

    def on_mount(self) -> None:
        if len(self.units) > 1:
            self.query_one("#unit", OptionList).highlighted = 0

    @property
    def chosen(self) -> str | None:
        """The chosen unit's id (None: the store takes the user's only unit, or refuses)."""
        if len(self.units) <= 1:
            return None
        olist = self.query_one("#unit", OptionList)
        return str(olist.get_option_at_index(olist.highlighted or 0).id)
