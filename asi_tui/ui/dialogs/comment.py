"""F2: the section comment (the ASI habit: note the item number with each comment)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import TextArea

from ..lang import t, tk
from .base import DialogScreen


class CommentDialog(DialogScreen[str]):
    BINDINGS = [Binding("ctrl+s", "save", tk("ui.key.save"), id="comment.save", priority=True)]
    BOX_ID = "comment-box"
    KEYS = "ui.comment.keys"
    AUTO_FOCUS = "#comment-text"

    def __init__(self, section_title: str, text: str, readonly: bool) -> None:
        super().__init__(t("ui.comment.title", section=section_title))
        self.text, self.readonly = text, readonly

    def compose_body(self) -> ComposeResult:
        yield TextArea(self.text, id="comment-text", read_only=self.readonly, soft_wrap=True)

    def action_save(self) -> None:
        self.dismiss(None if self.readonly else self.query_one("#comment-text", TextArea).text)
