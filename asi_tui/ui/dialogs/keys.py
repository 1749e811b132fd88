"""F1 (or ?) on any screen without its own F1: every key of the screen below,
also those the footer has no room for, in the UI language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..lang import esc, t, tk
from ..widgets.key_footer import FooterKey
from .base import DialogScreen


def key_lines(keys: list[FooterKey]) -> str:
    """One line per key: its name(s), padded, then what it does (dimmed when not available now)."""
    width = max((len(k.key) for k in keys), default=0)
    return "\n".join(
        f"[b]{esc(k.key):<{width}}[/b]  {esc(k.description)}" if k.enabled else f"[dim]{esc(k.key):<{width}}  {esc(k.description)}[/dim]"
        for k in keys
    )


class KeysDialog(DialogScreen[None]):
    BINDINGS = [Binding("escape,f1,enter,question_mark", "cancel", tk("ui.key.close"), id="keys.close")]
    BOX_ID = "keys-box"
    KEYS = "ui.keys.close_hint"

    def __init__(self, keys: list[FooterKey], extra: str = "") -> None:
        super().__init__(t("ui.keys.title"))
        self.keys, self.extra = keys, extra

    def compose_body(self) -> ComposeResult:
        yield Static(key_lines(self.keys), id="keys-list")
        if self.extra:
            yield Static(self.extra, id="keys-extra")
