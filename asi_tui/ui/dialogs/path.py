"""Admin: the path of a bank file to publish."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..lang import t


class PathDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", t("ui.key.cancel"), id="path.cancel")]
    AUTO_FOCUS = "#path-input"

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(id="path-input", placeholder="/sökväg/till/asi-grund-2.0.0.yaml")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
