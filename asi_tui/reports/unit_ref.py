"""Which unit a record belongs to, for exports: one accessor.

Today a unit is the free-text G3 answer (a dropout registration keeps it in
its meta data): the id is the text normalised as the statistics compare it
(case and spaces ignored), the name the text with its spaces collapsed.
When units become ids with names, only `unit_of_body` changes and the
export's `unit_id` and `unit_name` columns follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .common import UNIT_ITEM, normalize_unit


@dataclass(frozen=True, slots=True)
class UnitRef:
    id: str | None
    name: str | None


NO_UNIT = UnitRef(None, None)


def unit_of_body(body: Mapping[str, Any]) -> UnitRef:
    """The unit of one record body (NO_UNIT when it names none)."""
    entry = (body.get("answers") or {}).get(UNIT_ITEM)
    text = entry.get("v") if isinstance(entry, dict) else None
    if not isinstance(text, str) and body.get("kind") == "dropout":
        text = (body.get("meta") or {}).get("unit")
    unit_id = normalize_unit(text)
    if unit_id is None:
        return NO_UNIT
    return UnitRef(unit_id, " ".join(str(text).split()))
