"""F2: the section comment (the ASI habit: note the item number with each comment)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from ..lang import t


class CommentDialog(ModalScreen[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", t("ui.key.save"), id="comment.save", priority=True),
        Binding("escape", "cancel", t("ui.key.cancel"), id="comment.cancel"),
    ]
    AUTO_FOCUS = "#comment-text"

    def __init__(self, section_title: str, text: str, readonly: bool) -> None:
        super().__init__(classes="dialog")
        self.section_title, self.text, self.readonly = section_title, text, readonly

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="comment-box"):
            yield Static(t("ui.comment.title", section=self.section_title), classes="dialog-title")
            yield TextArea(self.text, id="comment-text", read_only=self.readonly, soft_wrap=True)
            yield Static(t("ui.comment.keys"), classes="dialog-keys")

    def action_save(self) -> None:
        self.dismiss(None if self.readonly else self.query_one("#comment-text", TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)
