"""Ctrl+G: go to an item by its ASI id."""

from __future__ import annotations

from ..lang import t
from .base import InputDialog


class JumpDialog(InputDialog):
    BOX_ID = "jump-box"
    INPUT_ID = "jump-id"
    MAX_LENGTH = 40
    AUTO_FOCUS = "#jump-id"

    def __init__(self) -> None:
        super().__init__(t("ui.jump.title"), "M1, D3a, SE.G.boende")
