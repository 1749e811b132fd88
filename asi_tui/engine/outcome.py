"""What the engine answers: the result of one answer, fired findings, and the errors it raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ACCEPTED = "accepted"
INVALID = "invalid"
WARNING = "warning"

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


class EngineError(Exception):
    """A request the engine refuses; `key` is a locale message key."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class CompletionRefused(EngineError):
    def __init__(self, missing_items: list[str], missing_ratings: list[str]) -> None:
        super().__init__("engine.complete.refused")
        self.missing_items = missing_items
        self.missing_ratings = missing_ratings


@dataclass(frozen=True)
class Finding:
    """A fired check (soft warning) or a raised alert."""

    key: str  # "<item>#<n>" for checks, "<item>!<n>" for alerts
    item_id: str  # the item the check belongs to
    message: str  # message key
    severity: str  # "soft" | "hard" | "alert"


@dataclass
class Outcome:
    status: str
    item_id: str
    message: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    warnings: list[Finding] = field(default_factory=list)  # soft checks that fire now (this answer and dependents)
    alerts: list[Finding] = field(default_factory=list)  # alerts newly raised by this change
    hidden: list[str] = field(default_factory=list)  # items that became hidden (now N)
    shown: list[str] = field(default_factory=list)  # items that became visible again (now empty)

    @property
    def ok(self) -> bool:
        return self.status != INVALID
