"""A new passphrase, typed twice (admin: reset a user's passphrase); the fields are cleared after use."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input

from ..lang import t
from ..limits import PASSPHRASE_MAX_LENGTH
from .base import DialogScreen


class PassphraseDialog(DialogScreen[str]):
    ERROR_ID = "pw-error"
    AUTO_FOCUS = "#pw1"

    def compose_body(self) -> ComposeResult:
        yield Input(password=True, id="pw1", placeholder=t("cli.secret.new", user=""), max_length=PASSPHRASE_MAX_LENGTH)
        yield Input(password=True, id="pw2", placeholder=t("cli.secret.again"), max_length=PASSPHRASE_MAX_LENGTH)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pw1":
            self.query_one("#pw2", Input).focus()
            return
        a, b = self.query_one("#pw1", Input), self.query_one("#pw2", Input)
        first, second = a.value, b.value
        a.value = b.value = ""
        if first != second:
            self.show_error(t("ui.admin.mismatch"))
            a.focus()
            return
        self.dismiss(first)
