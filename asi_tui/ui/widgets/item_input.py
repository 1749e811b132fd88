"""The one input used for every item type (reconfigured per item, never one widget per item).

Keys: digits answer a coded item at once when every code is a single digit;
`x` / `n` code X / N where the item allows them; Enter accepts what is typed;
Up, or Backspace in an empty field, goes back one item.

An answered item shows its value selected: typing replaces it (250 then 100
gives 100, never 250100), Backspace clears it, Enter keeps it.
"""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input
from textual.widgets.input import Selection

from ...bank.model import Item

_RESTRICT = {
    "count": r"[0-9xXnN]*",
    "days": r"[0-9xXnN]*",
    "money": r"[0-9xXnN]*",
    "years_months": r"[0-9:/ ,.a-zA-ZåÅäÄ]*",  # 12:0, 12 år 6 mån, 3 years 6 months
    "date": r"[0-9xXnN-]*",
    "yes_no": r"[0-9xXnN]*",
    "single": r"[0-9A-Za-z_xXnN]*",
    "client_rating": r"[0-9xXnN]*",
    "interviewer_rating": r"[0-9xX]*",
    "multi": r"[0-9A-Za-z_, xXnN]*",
}
_MAX_LENGTH = {"count": 4, "days": 4, "money": 9, "years_months": 20, "date": 10, "yes_no": 1, "client_rating": 1, "interviewer_rating": 1}


class ItemInput(Input):
    class Answer(Message):
        def __init__(self, raw: str) -> None:
            super().__init__()
            self.raw = raw

    class Back(Message):
        pass

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.item: Item | None = None
        self.single_key = False
        self.missing_keys: set[str] = set()

    def configure(
        self, item: Item, codes: tuple[object, ...] | None, missing: set[str], value: str, readonly: bool, max_text: int = 0
    ) -> None:
        """Set up for `item`: restriction, max length, single-key codes; `value` (the
        stored answer, or a suggestion) is selected so that typing replaces it."""
        self.item = item
        self.missing_keys = {m.lower() for m in missing}
        coded = item.type in ("yes_no", "single", "client_rating", "interviewer_rating") and bool(codes)
        # one-digit codes are typed as themselves; text codes (e.g. dropout reasons) by their number 1-9
        self.single_key = coded and (
            all(isinstance(c, int) and 0 <= c <= 9 for c in codes or ())
            or (all(isinstance(c, str) for c in codes or ()) and len(codes or ()) <= 9)
        )
        self.restrict = None if item.type in ("text", "comment") else _RESTRICT.get(item.type)
        self.max_length = _MAX_LENGTH.get(item.type, max_text)
        self.value = value
        self.disabled = readonly
        self.selection = Selection(0, len(value)) if value else Selection.cursor(0)

    @property
    def replacing(self) -> bool:
        """Empty, or all of it selected: the next key starts a new answer."""
        return not self.value or (self.selection.start, self.selection.end) in ((0, len(self.value)), (len(self.value), 0))

    async def _on_key(self, event: events.Key) -> None:
        item = self.item
        if item is None or self.disabled:
            await super()._on_key(event)
            return
        if event.key == "up" or (event.key == "backspace" and not self.value):
            event.stop()
            event.prevent_default()
            self.post_message(self.Back())
            return
        char = (event.character or "").lower()
        if item.type not in ("text", "comment") and char in self.missing_keys and self.replacing:
            event.stop()
            event.prevent_default()
            self.post_message(self.Answer(char.upper()))
            return
        if self.single_key and char.isdigit() and len(char) == 1:
            event.stop()
            event.prevent_default()
            self.post_message(self.Answer(char))  # the field is not set: the next item replaces it at once
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        self.post_message(self.Answer(self.value))
