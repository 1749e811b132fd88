"""Lengths the TUI's inputs allow: the engine's limits (`engine/limits.py`), so a
field never takes what the engine or the store will refuse."""

from __future__ import annotations

from ..engine.limits import CLIENT_REF_MAX, COMMENT_MAX, TEXT_MAX

TEXT_MAX_LENGTH = TEXT_MAX  # a text answer ("specify")
COMMENT_MAX_LENGTH = COMMENT_MAX  # a section comment or an Återkoppling text
CLIENT_REF_MAX_LENGTH = CLIENT_REF_MAX
USER_NAME_MAX_LENGTH = 80
PASSPHRASE_MAX_LENGTH = 1024  # characters; the store refuses more than its byte limit with a message
