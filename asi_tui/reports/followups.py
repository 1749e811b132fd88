"""Follow-up planning (reference §7.3): whose ASI Uppföljning is due.

Works from the record index only (no record is decrypted). For each client
the latest completed ASI Grund counts; it is followed up when an
Uppföljning (of any status: one that is under way counts) links to it or, for
records without a link, when the client has an Uppföljning dated after it.
Without one, by the Grund's age on `today`:

* under 6 months: `upcoming` (listed only on request);
* 6-12 months (both ends included): `due`;
* more than 12 and at most 24 months: `overdue`;
* more than 24 months: `new_grund` - a follow-up is no longer meaningful, a
  new ASI Grund is due instead.

This is a working list for staff, so it names clients (client_ref); it is
never part of the de-identified statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable

from .common import add_months, months_between

if TYPE_CHECKING:
    from ..store import Session

STATUSES = ("due", "overdue", "new_grund", "upcoming")
DUE_MONTHS, OVERDUE_MONTHS, NEW_GRUND_MONTHS = 6, 12, 24


@dataclass(frozen=True)
class FollowUp:
    client_ref: str
    grund_rid: str
    grund_date: date
    months: int  # whole months since the Grund
    status: str
    due_from: date  # Grund + 6 months
    due_by: date  # Grund + 12 months
    interviewer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "client_ref": self.client_ref,
            "grund_rid": self.grund_rid,
            "grund_date": self.grund_date.isoformat(),
            "months": self.months,
            "status": self.status,
            "due_from": self.due_from.isoformat(),
            "due_by": self.due_by.isoformat(),
            "interviewer": self.interviewer,
        }


def status_of(grund_date: date, today: date) -> str:
    if today < add_months(grund_date, DUE_MONTHS):
        return "upcoming"
    if today <= add_months(grund_date, OVERDUE_MONTHS):
        return "due"
    if today <= add_months(grund_date, NEW_GRUND_MONTHS):
        return "overdue"
    return "new_grund"


def _date(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None


def plan_followups(docs: Iterable[dict[str, Any]], today: date, include_upcoming: bool = False,
                   interviewer: str | None = None) -> list[FollowUp]:
    """The planning list from index documents (pure; `followups` feeds it)."""
    docs = [d for d in docs if not d.get("practice") and d.get("kind") == "interview"]
    latest: dict[str, dict[str, Any]] = {}
    for d in docs:
        if d.get("instrument") != "grund" or d.get("status") != "completed":
            continue
        day = _date(d.get("interview_date"))
        if day is None:
            continue
        ref = str(d.get("client_ref") or "")
        prev = latest.get(ref)
        if prev is None or (day, d["rid"]) > (_date(prev.get("interview_date")), prev["rid"]):
            latest[ref] = d
    linked: set[str] = set()
    later: dict[str, list[date]] = {}
    for d in docs:
        if d.get("instrument") != "uppfoljning":
            continue
        if d.get("linked_rid"):
            linked.add(str(d["linked_rid"]))
        else:
            day = _date(d.get("interview_date"))
            if day is not None:
                later.setdefault(str(d.get("client_ref") or ""), []).append(day)
    out = []
    for ref, d in latest.items():
        day = _date(d["interview_date"])
        assert day is not None
        if d["rid"] in linked or any(u > day for u in later.get(ref, ())):
            continue
        if interviewer is not None and d.get("interviewer") != interviewer:
            continue
        status = status_of(day, today)
        if status == "upcoming" and not include_upcoming:
            continue
        out.append(
            FollowUp(ref, d["rid"], day, months_between(day, today), status, add_months(day, DUE_MONTHS),
                     add_months(day, OVERDUE_MONTHS), d.get("interviewer"))
        )
    order = {s: i for i, s in enumerate(STATUSES)}
    return sorted(out, key=lambda f: (order[f.status], f.grund_date, f.client_ref))


def followups(session: "Session", today: date | None = None, include_upcoming: bool = False,
              interviewer: str | None = None) -> list[FollowUp]:
    """The planning list for `today` (default: the real date); audited with counts only."""
    today = today or date.today()
    result = plan_followups(session.list_records(), today, include_upcoming, interviewer)
    counts = {s: sum(1 for f in result if f.status == s) for s in STATUSES}
    session.log("followups", detail={"today": today.isoformat(), "listed": len(result), **counts})
    return result
