"""F1 in the interview: the item's help from the bank, its codes with their help,
its time frame, and every key of the interview screen."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ...bank.loader import QuestionBank
from ...bank.model import Item
from ...engine.interview import Interview
from ..lang import esc, t, tk
from .base import DialogScreen


class HelpDialog(DialogScreen[None]):
    BINDINGS = [Binding("escape,f1,enter", "cancel", tk("ui.key.close"), id="help.close")]
    BOX_ID = "help-box"
    KEYS = "ui.help.keys"

    def __init__(self, bank: QuestionBank, interview: Interview, item: Item, lang: str, keys: str = "") -> None:
        super().__init__(f"[b]{item.id}[/b]  {esc(item.label.get(lang))}")
        self.bank, self.interview, self.item, self.lang = bank, interview, item, lang
        self.keys = keys  # the interview screen's keys: F1 is this help there, so the key list is here too

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
        if self.keys:
            yield Static(f"\n[b]{t('ui.keys.title')}[/b]\n{self.keys}", id="help-keys")
