"""Which records an export reads, decided from the record index alone
(nothing is decrypted): the selection (kind, instrument, period) and, with
`include_linked`, the interviews its follow-ups link back to. The body is
the truth, so `body_matches` checks the unit (and the rest) again while the
records are read."""

from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from .unit_ref import unit_of_body

MAX_CHAIN = 64


class ExportPlan:
    """Which records to read, decided from the index alone (nothing decrypted)."""

    def __init__(self, docs: list[dict[str, Any]], date_from: date | None, date_to: date | None,
                 instruments: tuple[str, ...] | None, dropouts: bool, include_linked: bool) -> None:
        self.date_from, self.date_to, self.instruments, self.dropouts = date_from, date_to, instruments, dropouts
        usable = {d["rid"]: d for d in docs if d.get("status") == "completed" and not d.get("practice")}
        selected = {rid for rid, d in usable.items() if self.matches(d.get("kind"), d.get("instrument"),
                                                                      d.get("interview_date"))}
        self.extra: dict[str, set[str]] = {}  # linked-only rid -> the selected follow-ups that need it
        if include_linked:
            by_rid = {d["rid"]: d for d in docs}
            for rid in selected:
                if usable[rid].get("kind") != "interview":
                    continue
                seen = {rid}
                current = usable[rid].get("linked_rid")
                while current and current not in seen and len(seen) < MAX_CHAIN:
                    seen.add(current)
                    d = usable.get(current)
                    if d is not None and d.get("kind") == "interview" and current not in selected:
                        self.extra.setdefault(current, set()).add(rid)
                    current = (by_rid.get(current) or {}).get("linked_rid")
        self.wanted = selected | set(self.extra)
        self.bank_keys = sorted({(str(usable[r].get("bank_id")), str(usable[r].get("bank_version")), usable[r].get("kind"))
                                 for r in self.wanted})

    def matches(self, kind: object, instrument: object, day_text: object) -> bool:
        if kind == "dropout":
            if not self.dropouts:
                return False
        elif kind != "interview" or (self.instruments is not None and instrument not in self.instruments):
            return False
        day = _date(day_text)
        if (self.date_from and (day is None or day < self.date_from)) or (self.date_to and (day is None or day > self.date_to)):
            return False
        return True

    def body_matches(self, body: Mapping[str, Any], unit_id: str | None) -> bool:
        """The body is the truth: check again what the index said, and the unit."""
        if not self.matches(body.get("kind"), body.get("instrument"), body.get("interview_date")):
            return False
        return unit_id is None or unit_of_body(body).id == unit_id


def _date(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None
