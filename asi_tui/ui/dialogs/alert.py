"""Safety alert (suicide risk): shown at once, acknowledged with a key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..lang import t, tk
from .base import DialogScreen


class SafetyAlertDialog(DialogScreen[None]):
    BINDINGS = [Binding("enter", "close", tk("ui.key.ok"), id="alert.close")]
    BOX_ID = "safety-alert"
    VARIANT = "-alert"
    KEYS = "ui.dialog.enter_ok"

    def __init__(self, texts: list[str]) -> None:
        super().__init__(t("ui.alert.title"))
        self.texts = texts

    def compose_body(self) -> ComposeResult:
        for text in self.texts:
            yield Static(text)

    def action_cancel(self) -> None:
        """Esc does not close a safety alert: it is acknowledged with Enter."""

    def action_close(self) -> None:
        self.dismiss(None)
