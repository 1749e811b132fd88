"""Follow-up planning (reference §7.3): whose next ASI Uppföljning is due.

Works from the record index only (no record is decrypted) and follows the
chains of `store/chain.py`: for each client the *anchor* is the latest
completed ASI interview, the Grund or an Uppföljning (so a client is planned
again after every follow-up). The occasion after the anchor is closed when

* an Uppföljning links to the anchor, whatever its status (one under way counts;
  a withdrawn one does not exist for planning), or, for records without a link,
  the client has an Uppföljning dated after the anchor;
* a registered dropout registration links to the anchor (a follow-up dropout:
  the occasion is closed without an interview). Withdrawing that dropout
  (`Session.withdraw_dropout`) opens the occasion again.

An open occasion is placed by the anchor's age on `today`, with the unit's
intervals (`intervals_for`; default 6, 12 and 24 months):

* under 6 months: `upcoming` (listed only on request);
* 6-12 months (both ends included): `due`;
* more than 12 and at most 24 months: `overdue`;
* more than 24 months: `new_grund` - a follow-up is no longer meaningful, a
  new ASI Grund is due instead.

This is a working list for staff, so it names clients (client_ref); it is
never part of the de-identified statistics. Each interviewer sees the
clients of their own units, and the clients whose Grund names them the
responsible case worker (`Session.planning_docs`); `mine` keeps the clients
whose latest interview they did or whose responsible case worker they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..engine.limits import same_client_key
from ..store.chain import chain_root, closes, default_link, doc_date
from .common import add_months, months_between

if TYPE_CHECKING:
    from ..store import Session

STATUSES = ("due", "overdue", "new_grund", "upcoming")
DUE_MONTHS, OVERDUE_MONTHS, NEW_GRUND_MONTHS = 6, 12, 24
SETTINGS_KIND, SETTINGS_ID = "settings", "followups"  # the encrypted settings document (store docs)


@dataclass(frozen=True)
class Intervals:
    """When the next follow-up is due, in months after the latest interview."""

    due: int = DUE_MONTHS
    overdue: int = OVERDUE_MONTHS
    new_grund: int = NEW_GRUND_MONTHS

    @classmethod
    def parse(cls, data: object) -> "Intervals | None":
        """From a settings entry {due, overdue, new_grund}; None when it is not a sane one."""
        if not isinstance(data, Mapping):
            return None
        try:
            values = {k: int(data[k]) for k in ("due", "overdue", "new_grund") if k in data}
        except (TypeError, ValueError):
            return None
        got = cls(**values)
        return got if 0 < got.due <= got.overdue <= got.new_grund <= 120 else None


def intervals_for(unit: str | None = None, settings: Mapping[str, Any] | None = None) -> Intervals:
    """The follow-up intervals of a unit (its id): `settings["units"][unit]`, else
    `settings["default"]`, else 6/12/24 months."""
    settings = settings or {}
    units = settings.get("units") if isinstance(settings.get("units"), Mapping) else {}
    for entry in ((units or {}).get(unit) if unit else None, settings.get("default")):
        got = Intervals.parse(entry)
        if got is not None:
            return got
    return Intervals()


def load_interval_settings(session: "Session") -> dict[str, Any]:
    return session.load_docs(SETTINGS_KIND).get(SETTINGS_ID, {})


def save_interval_settings(session: "Session", intervals: Intervals, unit: str | None = None) -> None:
    """Set the default intervals, or one unit's (`unit`: id or name; admin; audited)."""
    session.require_admin()
    settings = load_interval_settings(session)
    unit = session.find_unit(unit).id if unit else None
    if unit:
        settings.setdefault("units", {})[unit] = asdict(intervals)
    else:
        settings["default"] = asdict(intervals)
    session.save_doc(SETTINGS_KIND, SETTINGS_ID, settings)
    session.log("settings", detail={"followup_intervals": asdict(intervals), "unit": unit}, unit=unit)


@dataclass(frozen=True)
class FollowUp:
    client_ref: str
    grund_rid: str  # the Grund the chain starts from
    grund_date: date
    months: int  # whole months since the anchor (the latest interview)
    status: str
    due_from: date  # anchor + 6 months (the unit's `due`)
    due_by: date  # anchor + 12 months (the unit's `overdue`)
    interviewer: str | None = None  # who did the anchor interview
    anchor_rid: str = ""
    anchor_date: date | None = None
    anchor_instrument: str = "grund"
    followups: int = 0  # completed Uppföljningar in the chain so far
    responsible: str | None = None  # the client's responsible case worker (on the Grund)
    unit: str | None = None  # the unit id of the latest interview

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
            "anchor_rid": self.anchor_rid,
            "anchor_date": self.anchor_date.isoformat() if self.anchor_date else None,
            "anchor_instrument": self.anchor_instrument,
            "followups": self.followups,
            "responsible": self.responsible,
            "unit": self.unit,
        }


def status_of(anchor_date: date, today: date, intervals: Intervals = Intervals()) -> str:
    if today < add_months(anchor_date, intervals.due):
        return "upcoming"
    if today <= add_months(anchor_date, intervals.overdue):
        return "due"
    if today <= add_months(anchor_date, intervals.new_grund):
        return "overdue"
    return "new_grund"


def plan_followups(docs: Iterable[dict[str, Any]], today: date, include_upcoming: bool = False,
                   interviewer: str | None = None,
                   intervals: Callable[[str | None], Intervals] = intervals_for) -> list[FollowUp]:
    """The planning list from index documents (pure; `followups` feeds it).
    `intervals(unit)` gives a unit's intervals; `interviewer` keeps the clients
    whose latest interview they did or whose responsible case worker they are."""
    docs = [d for d in docs if not d.get("practice") and d.get("status") != "withdrawn"]
    by_rid = {str(d["rid"]): d for d in docs}
    by_client: dict[str, list[dict[str, Any]]] = {}
    for d in docs:  # one pass: the planner stays linear in the number of records
        by_client.setdefault(same_client_key(d.get("client_ref")), []).append(d)
    out = []
    for ref, own in sorted(by_client.items()):
        anchor = default_link(own, ref, date.max)
        day = doc_date(anchor) if anchor else None
        if anchor is None or day is None or _closed(anchor, day, own):
            continue
        root = by_rid.get(chain_root(str(anchor["rid"]), by_rid), anchor)
        if interviewer is not None and interviewer not in (anchor.get("interviewer"), root.get("responsible")):
            continue
        span = intervals(anchor.get("unit"))
        status = status_of(day, today, span)
        if status == "upcoming" and not include_upcoming:
            continue
        done = sum(1 for d in own if d.get("instrument") == "uppfoljning" and d.get("status") == "completed"
                   and chain_root(str(d["rid"]), by_rid) == root["rid"])
        out.append(
            FollowUp(str(anchor.get("client_ref") or ref), str(root["rid"]), doc_date(root) or day, months_between(day, today), status,
                     add_months(day, span.due), add_months(day, span.overdue), anchor.get("interviewer"),
                     str(anchor["rid"]), day, str(anchor.get("instrument")), done, root.get("responsible"),
                     anchor.get("unit"))
        )
    order = {s: i for i, s in enumerate(STATUSES)}
    return sorted(out, key=lambda f: (order[f.status], f.anchor_date or f.grund_date, f.client_ref))


def _closed(anchor: dict[str, Any], day: date, own: list[dict[str, Any]]) -> bool:
    for d in own:
        if d.get("kind") == "interview" and d.get("instrument") == "uppfoljning" and d["rid"] != anchor["rid"]:
            if d.get("linked_rid") == anchor["rid"]:
                return True  # the next follow-up is under way (or done)
            if not d.get("linked_rid") and (doc_date(d) or date.min) > day:
                return True  # an unlinked (older) record dated after the anchor
        if closes(d, anchor):
            return True  # a registered dropout closed this occasion
    return False


def followups(session: "Session", today: date | None = None, include_upcoming: bool = False,
              interviewer: str | None = None) -> list[FollowUp]:
    """The planning list for `today` (default: the real date) over the clients
    this user may plan (`Session.planning_docs`: refused for roles without one);
    audited with counts only."""
    today = today or date.today()
    docs = session.planning_docs()
    settings = load_interval_settings(session)
    result = plan_followups(docs, today, include_upcoming, interviewer,
                            lambda unit: intervals_for(unit, settings))
    counts = {s: sum(1 for f in result if f.status == s) for s in STATUSES}
    session.log("followups", detail={"today": today.isoformat(), "listed": len(result), **counts})
    return result
