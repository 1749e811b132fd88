"""Safety alert (suicide risk): shown at once, acknowledged with a key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..lang import t


class SafetyAlertDialog(ModalScreen[None]):
    BINDINGS = [Binding("enter", "close", t("ui.key.ok"), id="alert.close")]

    def __init__(self, texts: list[str]) -> None:
        super().__init__(classes="dialog")
        self.texts = texts

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -alert", id="safety-alert"):
            yield Static(t("ui.alert.title"), classes="dialog-title")
            for text in self.texts:
                yield Static(text)
            yield Static(t("ui.dialog.enter_ok"), classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)
