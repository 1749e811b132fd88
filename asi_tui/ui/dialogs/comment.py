"""F2: the section comment (the ASI habit: note the item number with each comment)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import TextArea

from ..lang import t, tk
from ..limits import COMMENT_MAX_LENGTH
from .base import DialogScreen


class CommentDialog(DialogScreen[str]):
    BINDINGS = [Binding("ctrl+s", "save", tk("ui.key.save"), id="comment.save", priority=True)]
    BOX_ID = "comment-box"
    KEYS = "ui.comment.keys"
    ERROR_ID = "comment-error"
    AUTO_FOCUS = "#comment-text"

    def __init__(self, section_title: str, text: str, readonly: bool) -> None:
        super().__init__(t("ui.comment.title", section=section_title))
        self.text, self.readonly = text, readonly

    def compose_body(self) -> ComposeResult:
        yield TextArea(self.text, id="comment-text", read_only=self.readonly, soft_wrap=True)

    def action_save(self) -> None:
        text = self.query_one("#comment-text", TextArea).text
        if not self.readonly and len(text) > COMMENT_MAX_LENGTH:  # refused here, with the text kept to shorten
            self.show_error(t("ui.comment.too_long", n=len(text), max=COMMENT_MAX_LENGTH))
            return
        self.dismiss(None if self.readonly else text)
