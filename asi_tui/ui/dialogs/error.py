"""A blocking error: the last answer was NOT saved; the interviewer must see that."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..lang import t


class ErrorDialog(ModalScreen[None]):
    BINDINGS = [Binding("enter,escape", "close", t("ui.key.ok"), id="errordialog.close")]

    def __init__(self, message: str) -> None:
        super().__init__(classes="dialog")
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box -error"):
            yield Static(t("ui.error.title"), classes="dialog-title")
            yield Static(self.message)
            yield Static(t("ui.dialog.enter_ok"), classes="dialog-keys")

    def action_close(self) -> None:
        self.dismiss(None)
