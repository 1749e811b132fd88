"""Lengths the TUI's inputs allow: the engine's limits where the engine defines them
(`engine/limits.py`, issue 11), so a field never takes what the store will refuse."""

from __future__ import annotations

try:  # the headless limits, once they exist on this branch's base
    from ..engine import limits as _engine_limits  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - depends on the merge order of issue 11
    _engine_limits = None


def _limit(name: str, default: int) -> int:
    return int(getattr(_engine_limits, name, default))


TEXT_MAX_LENGTH = _limit("TEXT_MAX_LENGTH", 500)  # a text answer ("specify")
COMMENT_MAX_LENGTH = _limit("COMMENT_MAX_LENGTH", 4000)  # a section comment or an Återkoppling text
CLIENT_REF_MAX_LENGTH = _limit("CLIENT_REF_MAX_LENGTH", 64)
USER_NAME_MAX_LENGTH = _limit("USER_NAME_MAX_LENGTH", 80)
PASSPHRASE_MAX_LENGTH = _limit("PASSPHRASE_MAX_LENGTH", 1024)  # the KDF takes any length; a pasted file does not belong here
