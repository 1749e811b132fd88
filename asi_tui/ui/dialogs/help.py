"""F1: the item's help from the bank, its codes with their help, and its time frame."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ...bank.loader import QuestionBank
from ...bank.model import Item
from ...engine.interview import Interview
from ..lang import t, tk
from .base import DialogScreen


class HelpDialog(DialogScreen[None]):
    BINDINGS = [Binding("escape,f1,enter", "cancel", tk("ui.key.close"), id="help.close")]
    BOX_ID = "help-box"
    KEYS = "ui.help.keys"

    def __init__(self, bank: QuestionBank, interview: Interview, item: Item, lang: str) -> None:
        super().__init__(f"[b]{item.id}[/b]  {item.label.get(lang)}")
        self.bank, self.interview, self.item, self.lang = bank, interview, item, lang

    def compose_body(self) -> ComposeResult:
        item = self.item
        tf = self.interview.timeframe_label(item, self.lang)
        if tf:
            yield Static(tf)
        yield Static(item.help.get(self.lang) if item.help else t("ui.help.none"))
        codes = self.bank.codes_for(item)
        if codes is not None:
            for c in codes.codes:
                extra = f" – {c.help.get(self.lang)}" if c.help else ""
                yield Static(f"  [b]{c.code}[/b] {c.label.get(self.lang)}{extra}")
        section = self.bank.section_of[item.id]
        if section.help:
            yield Static(f"\n{section.help.get(self.lang)}")
