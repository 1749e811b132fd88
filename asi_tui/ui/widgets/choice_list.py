"""A list of options that shows its choice without focus: ● before the chosen
option, ○ before the others (a highlighted row alone is invisible in some
16-colour themes until the list has focus)."""

from __future__ import annotations

from textual.widgets import OptionList

_MARKS = ("● ", "○ ")


class ChoiceList(OptionList):
    def mark(self) -> None:
        for i in range(self.option_count):
            prompt = str(self.get_option_at_index(i).prompt)
            plain = prompt[2:] if prompt[:2] in _MARKS else prompt
            self.replace_option_prompt_at_index(i, _MARKS[0 if i == self.highlighted else 1] + plain)

    def watch_highlighted(self, highlighted: int | None) -> None:
        super().watch_highlighted(highlighted)
        self.mark()

    def on_mount(self) -> None:
        self.mark()
