"""A soft check fired: correct now, or defer to the review screen. Never a trap."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..lang import t, tk
from .base import DialogScreen


class SoftCheckDialog(DialogScreen[str]):
    """Dismissed with "correct" (r, Esc) or "defer" (u, Enter)."""

    BINDINGS = [
        Binding("r", "correct", tk("ui.key.correct"), id="soft.correct"),
        Binding("u,enter", "defer", tk("ui.key.defer"), id="soft.defer"),
        Binding("escape", "correct", show=False, id="soft.escape"),
    ]
    BOX_ID = "soft-check"
    VARIANT = "-warning"
    KEYS = "ui.soft.keys"

    def __init__(self, texts: list[tuple[str, str]]) -> None:
        super().__init__(t("ui.soft.title"))
        self.texts = texts

    def compose_body(self) -> ComposeResult:
        for item_id, text in self.texts:
            yield Static(f"[b]{item_id}[/b]: {text}")

    def action_correct(self) -> None:
        self.dismiss("correct")

    def action_defer(self) -> None:
        self.dismiss("defer")
