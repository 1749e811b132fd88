"""A soft check fired: correct now, or defer to the review screen. Never a trap."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..lang import t


class SoftCheckDialog(ModalScreen[str]):
    BINDINGS = [
        Binding("r", "correct", t("ui.key.correct"), id="soft.correct"),
        Binding("u,enter", "defer", t("ui.key.defer"), id="soft.defer"),
        Binding("escape", "correct", show=False, id="soft.escape"),
    ]

    def __init__(self, texts: list[tuple[str, str]]) -> None:
        super().__init__(classes="dialog")
        self.texts = texts

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -warning", id="soft-check"):
            yield Static(t("ui.soft.title"), classes="dialog-title")
            for item_id, text in self.texts:
                yield Static(f"[b]{item_id}[/b]: {text}")
            yield Static(t("ui.soft.keys"), classes="dialog-keys")

    def action_correct(self) -> None:
        self.dismiss("correct")

    def action_defer(self) -> None:
        self.dismiss("defer")
