"""A blocking error: the last answer was NOT saved; the interviewer must see that."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..lang import t, tk
from .base import DialogScreen


class ErrorDialog(DialogScreen[None]):
    BINDINGS = [Binding("enter,escape", "cancel", tk("ui.key.ok"), id="errordialog.close")]
    VARIANT = "-error"
    KEYS = "ui.dialog.enter_ok"

    def __init__(self, message: str) -> None:
        super().__init__(t("ui.error.title"))
        self.message = message

    def compose_body(self) -> ComposeResult:
        yield Static(self.message)
