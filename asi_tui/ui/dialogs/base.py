"""The one layout of every modal dialog: a centred box with a title, a body, a
row of key hints and, where input can be refused, an error line. The box
scrolls when it is taller than the terminal, so nothing is ever below the edge
(at 80x24 too): Tab moves through the fields and scrolls them into view.

Esc cancels (the result is None) unless a dialog binds Esc otherwise; every
result comes back through `dismiss`. Sizes and border colours live in app.tcss
(`.dialog`, `.dialog-box` with `-warning` / `-error` / `-alert`).
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..lang import t, tk

ResultT = TypeVar("ResultT")


class DialogScreen(ModalScreen[ResultT | None]):
    BINDINGS = [Binding("escape", "cancel", tk("ui.key.cancel"), id="dialog.cancel")]

    BOX_ID: ClassVar[str | None] = None
    VARIANT: ClassVar[str] = ""  # "-warning", "-error" or "-alert": the border colour
    KEYS: ClassVar[str] = ""  # message key of the key hints under the body
    ERROR_ID: ClassVar[str | None] = None  # the id of an error line at the bottom, if any

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes=f"dialog-box {self.VARIANT}".strip(), id=self.BOX_ID):
            yield Static(self.title_text, classes="dialog-title")
            yield from self.compose_body()
            if self.KEYS:
                yield Static(t(self.KEYS), classes="dialog-keys")
            if self.ERROR_ID:
                yield Static("", id=self.ERROR_ID, classes="dialog-error")

    def compose_body(self) -> ComposeResult:
        """The widgets between the title and the key hints."""
        yield from ()

    def show_error(self, text: str) -> None:
        self.query_one(f"#{self.ERROR_ID}", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class InputDialog(DialogScreen[str]):
    """A title and one line of input: Enter returns the trimmed text, or None when it is empty."""

    INPUT_ID: ClassVar[str] = "dialog-input"
    MAX_LENGTH: ClassVar[int] = 0  # 0: no limit

    def __init__(self, title: str, placeholder: str = "") -> None:
        super().__init__(title)
        self.placeholder = placeholder

    def compose_body(self) -> ComposeResult:
        yield Input(id=self.INPUT_ID, placeholder=self.placeholder, max_length=self.MAX_LENGTH)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip() or None)
