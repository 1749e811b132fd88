"""Admin: the path of a bank file to publish."""

from __future__ import annotations

from .base import InputDialog


class PathDialog(InputDialog):
    INPUT_ID = "path-input"
    MAX_LENGTH = 4096
    AUTO_FOCUS = "#path-input"

    def __init__(self, title: str) -> None:
        super().__init__(title, "/sökväg/till/asi-grund-2.0.0.yaml")
