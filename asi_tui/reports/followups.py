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

import bisect
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..engine.limits import same_client_key
from ..store.chain import chain_root, closes, doc_date, latest_link_target
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


@dataclass
class ChainState:
    """What one client's records say about their next follow-up, whatever the
    date: the anchor (latest interview), the chain's Grund and the follow-ups
    done. None (see `chain_state`) when no occasion is open."""

    ref: str
    anchor: dict[str, Any]
    root: dict[str, Any]
    day: date
    grund_day: date
    done: int
    limits: dict[tuple[int, int, int], tuple[date, date, date]] = field(default_factory=dict)

    def status(self, today: date, span: tuple[int, int, int]) -> str:
        """`status_of` with the anchor's thresholds computed once per interval set
        (`span`: due, overdue and new_grund months)."""
        lim = self.limits.get(span)
        if lim is None:
            lim = self.limits[span] = (add_months(self.day, span[0]), add_months(self.day, span[1]),
                                       add_months(self.day, span[2]))
        if today < lim[0]:
            return "upcoming"
        if today <= lim[1]:
            return "due"
        return "overdue" if today <= lim[2] else "new_grund"


def chain_state(ref: str, own: Iterable[dict[str, Any]]) -> ChainState | None:
    """The open occasion of one client (`own`: their index documents, all of
    them, `ref` their `same_client_key`), or None."""
    docs = [d for d in own if not d.get("practice") and d.get("status") != "withdrawn"]
    if not docs:
        return None
    anchor = latest_link_target(docs)  # `docs` are one client's: no client check, no copy
    day = doc_date(anchor) if anchor else None
    if anchor is None or day is None or _closed(anchor, day, docs):
        return None
    by_rid = {str(d["rid"]): d for d in docs}
    root = by_rid.get(chain_root(str(anchor["rid"]), by_rid), anchor)
    done = sum(1 for d in docs if d.get("instrument") == "uppfoljning" and d.get("status") == "completed"
               and chain_root(str(d["rid"]), by_rid) == root["rid"])
    return ChainState(ref, anchor, root, day, doc_date(root) or day, done)


def plan_followups(docs: Iterable[dict[str, Any]], today: date, include_upcoming: bool = False,
                   interviewer: str | None = None,
                   intervals: Callable[[str | None], Intervals] = intervals_for) -> list[FollowUp]:
    """The planning list from index documents (pure; `followups` feeds it).
    `intervals(unit)` gives a unit's intervals; `interviewer` keeps the clients
    whose latest interview they did or whose responsible case worker they are."""
    by_client: dict[str, list[dict[str, Any]]] = {}
    for d in docs:  # one pass: the planner stays linear in the number of records
        by_client.setdefault(same_client_key(d.get("client_ref")), []).append(d)
    states = (chain_state(ref, own) for ref, own in by_client.items())
    return plan_states([s for s in states if s is not None], today, include_upcoming, interviewer, intervals)


def plan_states(states: Iterable[ChainState], today: date, include_upcoming: bool = False,
                interviewer: str | None = None,
                intervals: Callable[[str | None], Intervals] = intervals_for,
                limits: Mapping[str, int] | None = None, counts: dict[str, int] | None = None) -> list[FollowUp]:
    """The planning list from each client's `ChainState`, ordered by status,
    anchor date and client. `limits` keeps the first so many of a status (the
    rest are only counted, in `counts`, which gets every status's total)."""
    order = {s: i for i, s in enumerate(STATUSES)}
    spans: dict[str | None, tuple[int, int, int]] = {}
    rows = []
    for st in states:
        anchor = st.anchor
        if interviewer is not None and interviewer not in (anchor.get("interviewer"), st.root.get("responsible")):
            continue
        unit = anchor.get("unit")
        span = spans.get(unit)
        if span is None:
            got = intervals(unit)
            span = spans[unit] = (got.due, got.overdue, got.new_grund)
        status = st.status(today, span)
        if status == "upcoming" and not include_upcoming:
            continue
        rows.append((order[status], st.day, str(anchor.get("client_ref") or st.ref), status, st, span))
    rows.sort(key=lambda r: r[:3])
    out, seen = [], dict.fromkeys(STATUSES, 0)
    for _, day, ref, status, st, span in rows:
        seen[status] += 1
        if limits is not None and seen[status] > limits.get(status, seen[status]):
            continue
        anchor = st.anchor
        out.append(
            FollowUp(ref, str(st.root["rid"]), st.grund_day, months_between(day, today), status, st.limits[span][0],
                     st.limits[span][1], anchor.get("interviewer"), str(anchor["rid"]), day,
                     str(anchor.get("instrument")), st.done, st.root.get("responsible"), anchor.get("unit"))
        )
    if counts is not None:
        counts.update(seen)
    return out


class Planner:
    """The planning list over the store's live per-client groups, kept up to
    date with what changed since the last call (`Session.planning_changes`):
    only those clients' chains are derived again. The open occasions are kept
    sorted by anchor date per unit, so each status is a range found by
    bisection, and a list capped by `limits` (the home screen) costs the
    same at 100,000 records as at 100."""

    def __init__(self) -> None:
        self._groups: dict[str, tuple[dict[str, Any], ...]] = {}
        self._states: dict[str, ChainState] = {}  # the open occasions, by client
        self._sorted: dict[str | None, list[tuple[date, str]]] = {}  # per anchor unit: (anchor date, client)
        self._by_anchor: dict[str, ChainState] = {}
        self._pos: int | None = None

    def anchor(self, rid: str) -> dict[str, Any]:
        """The index document of an open occasion's anchor (a copy)."""
        return dict(self._by_anchor[rid].anchor)

    def refresh(self, session: "Session") -> None:
        groups = session.planning_groups()
        pos, changed = session.planning_changes(self._pos)
        if changed is None:  # no change list to go by: compare every group (unchanged ones by identity)
            for ref in [r for r in self._groups if r not in groups]:
                self._update(ref, None, keep_sorted=False)
            for ref, group in groups.items():
                if self._groups.get(ref) is not group:
                    self._update(ref, group, keep_sorted=False)
            # compared all: sort once (inserting each of tens of thousands into place cost a third of a first build)
            self._sorted = {}
            for ref, state in self._states.items():
                self._sorted.setdefault(state.anchor.get("unit"), []).append((state.day, ref))
            for entries in self._sorted.values():
                entries.sort()
        else:
            for ref in dict.fromkeys(changed):
                self._update(ref, groups.get(ref))
        self._pos = pos

    def _update(self, ref: str, group: tuple[dict[str, Any], ...] | None, keep_sorted: bool = True) -> None:
        """Derive one client's state again (`keep_sorted=False`: the caller
        rebuilds the sorted lists afterwards)."""
        old = self._states.pop(ref, None)
        if old is not None:
            self._by_anchor.pop(str(old.anchor["rid"]), None)
        if old is not None and keep_sorted:
            entries = self._sorted[old.anchor.get("unit")]
            i = bisect.bisect_left(entries, (old.day, ref))
            if i < len(entries) and entries[i] == (old.day, ref):
                del entries[i]
        if group is None:
            self._groups.pop(ref, None)
            return
        self._groups[ref] = group
        state = chain_state(ref, group)
        if state is not None:
            self._states[ref] = state
            self._by_anchor[str(state.anchor["rid"])] = state
            if keep_sorted:
                bisect.insort(self._sorted.setdefault(state.anchor.get("unit"), []), (state.day, ref))

    def plan(self, today: date, intervals: Callable[[str | None], Intervals] = intervals_for,
             include_upcoming: bool = False, interviewer: str | None = None,
             limits: Mapping[str, int] | None = None, counts: dict[str, int] | None = None) -> list[FollowUp]:
        """`plan_states` over the open occasions (`limits` and `counts` as there)."""
        chosen: list[ChainState] = []
        totals = dict.fromkeys(STATUSES, 0)
        for unit, entries in self._sorted.items():
            got = intervals(unit)
            # add_months grows with the date: each status is a contiguous run of the sorted anchors
            i = bisect.bisect_left(entries, today, key=lambda e: add_months(e[0], got.new_grund))
            j = bisect.bisect_left(entries, today, key=lambda e: add_months(e[0], got.overdue))
            k = bisect.bisect_right(entries, today, key=lambda e: add_months(e[0], got.due))
            for status, (a, b) in (("new_grund", (0, i)), ("overdue", (i, j)), ("due", (j, k)), ("upcoming", (k, len(entries)))):
                if status == "upcoming" and not include_upcoming:
                    continue
                totals[status] += b - a
                cap = (limits or {}).get(status) if interviewer is None else None
                chosen += [self._states[ref] for _, ref in entries[a : b if cap is None else min(b, a + cap)]]
        out = plan_states(chosen, today, include_upcoming, interviewer, intervals, limits, counts)
        if counts is not None and interviewer is None:
            counts.update(totals)
        return out


_planners: dict[str, Planner] = {}


def planner_for(session: "Session") -> Planner:
    """The planner of this session (a few kept: one per unlocked session)."""
    planner = _planners.get(session.session_id)
    if planner is None:
        if len(_planners) >= 4:
            _planners.pop(next(iter(_planners)))
        planner = _planners[session.session_id] = Planner()
    return planner


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
    planner = planner_for(session)
    planner.refresh(session)
    settings = load_interval_settings(session)
    result = planner.plan(today, lambda unit: intervals_for(unit, settings), include_upcoming, interviewer)
    counts = {s: sum(1 for f in result if f.status == s) for s in STATUSES}
    session.log("followups", detail={"today": today.isoformat(), "listed": len(result), **counts})
    return result
