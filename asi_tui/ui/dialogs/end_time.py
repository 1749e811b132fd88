"""Completing an interview: when did it end? The clock's time is suggested (Enter
keeps it, typing replaces it); the answer goes to the bank's end-time item (G7)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input
from textual.widgets.input import Selection

from ...engine.values import Invalid, parse_time
from ..lang import t
from .base import DialogScreen


class EndTimeDialog(DialogScreen[str]):
    BOX_ID = "end-time-box"
    KEYS = "ui.end_time.keys"
    ERROR_ID = "end-time-error"
    AUTO_FOCUS = "#end-time"

    def __init__(self, label: str, suggestion: str) -> None:
        super().__init__(t("ui.end_time.title"))
        self.label, self.suggestion = label, suggestion

    def compose_body(self) -> ComposeResult:
        from textual.widgets import Static

        yield Static(self.label)
        yield Input(self.suggestion, id="end-time", max_length=5, restrict=r"[0-9:.]*")

    def on_mount(self) -> None:
        field = self.query_one("#end-time", Input)
        field.selection = Selection(0, len(field.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.dismiss(parse_time(event.value))
        except Invalid as exc:
            self.show_error(t(exc.key))
