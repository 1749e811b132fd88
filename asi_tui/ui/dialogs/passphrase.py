"""A new passphrase, typed twice (admin: reset a user's passphrase)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..lang import t


class PassphraseDialog(ModalScreen[str | None]):
    """A new passphrase, typed twice; the fields are cleared after use."""

    BINDINGS = [Binding("escape", "cancel", t("ui.key.cancel"), id="pw.cancel")]
    AUTO_FOCUS = "#pw1"

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(password=True, id="pw1", placeholder=t("cli.secret.new", user=""))
            yield Input(password=True, id="pw2", placeholder=t("cli.secret.again"))
            yield Static("", id="pw-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pw1":
            self.query_one("#pw2", Input).focus()
            return
        a, b = self.query_one("#pw1", Input), self.query_one("#pw2", Input)
        first, second = a.value, b.value
        a.value = b.value = ""
        if first != second:
            self.query_one("#pw-error", Static).update(t("ui.admin.mismatch"))
            a.focus()
            return
        self.dismiss(first)

    def action_cancel(self) -> None:
        self.dismiss(None)
