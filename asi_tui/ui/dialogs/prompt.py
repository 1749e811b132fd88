"""One line of input for the trainer view (a group name, or "group user")."""

from __future__ import annotations

from .base import InputDialog


class PromptDialog(InputDialog):
    INPUT_ID = "prompt-input"
    MAX_LENGTH = 80
    AUTO_FOCUS = "#prompt-input"
