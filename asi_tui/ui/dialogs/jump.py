"""Ctrl+G: go to an item by its ASI id."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..lang import t


class JumpDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", t("ui.key.cancel"), id="jump.cancel")]
    AUTO_FOCUS = "#jump-id"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="jump-box"):
            yield Static(t("ui.jump.title"), classes="dialog-title")
            yield Input(id="jump-id", placeholder="M1, D3a, SE.G.boende", max_length=40)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
