"""One line of input for the trainer view (a group name, or "group user")."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..lang import t


class PromptDialog(ModalScreen[str | None]):
    """One line of input (a group name, or "group user")."""

    BINDINGS = [Binding("escape", "cancel", t("ui.key.cancel"), id="prompt.cancel")]
    AUTO_FOCUS = "#prompt-input"

    def __init__(self, title: str, placeholder: str = "") -> None:
        super().__init__(classes="dialog")
        self.title_text, self.placeholder = title, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(id="prompt-input", placeholder=self.placeholder, max_length=80)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
