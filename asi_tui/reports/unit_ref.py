"""Which unit a record belongs to, for exports and statistics: one accessor.

A unit is an id with a name in the vault (issue 13): a record body carries
its unit id (`unit`), dropout registrations too, and the name comes from the
vault's unit table as it is today (a renamed unit's records follow the new
name; the id never changes). The export's `unit_id` and `unit_name`
columns come from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True, slots=True)
class UnitRef:
    id: str | None
    name: str | None


NO_UNIT = UnitRef(None, None)


def unit_of_body(body: Mapping[str, Any], names: Mapping[str, str] | None = None) -> UnitRef:
    """The unit of one record body (NO_UNIT when it names none); `names`: unit id -> name."""
    unit_id = body.get("unit")
    if not isinstance(unit_id, str) or not unit_id:
        return NO_UNIT
    return UnitRef(unit_id, (names or {}).get(unit_id, unit_id))
