"""What the home screen lists: my open interviews, the follow-ups due in my
units, and what I completed lately. Headless, so that the rules (and their
cost at 100,000 records) are tested without a terminal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..store.errors import StoreError
from .followups import intervals_for, load_interval_settings, planner_for

if TYPE_CHECKING:
    from ..store import Session

OPEN = ("in_progress", "paused")
DONE_SHOWN = 8
SHOWN = 100  # due or overdue follow-ups listed; the rest are counted and on the follow-up screen


@dataclass
class HomeLists:
    open: list[dict[str, Any]] = field(default_factory=list)  # mine, in progress or paused
    due: list[dict[str, Any]] = field(default_factory=list)  # the latest interview of each chain due
    overdue: list[dict[str, Any]] = field(default_factory=list)  # overdue, or past the time for a follow-up
    more_due: int = 0  # due ones not listed here
    more_overdue: int = 0  # overdue ones not listed here
    done: list[dict[str, Any]] = field(default_factory=list)  # mine, completed, latest first


def home_lists(session: "Session", today: date) -> HomeLists:
    """The home screen's lists for this user (the store scopes every one)."""
    me = session.user.id
    out = HomeLists()
    try:
        out.open = sorted((d for status in OPEN for d in session.list_records(status=status, interviewer=me, practice=False)),
                          key=lambda d: (d.get("updated") or "", d["rid"]), reverse=True)
        out.done = session.list_records(DONE_SHOWN, status="completed", interviewer=me, practice=False)
    except StoreError:
        pass  # a role without client records (analyst)
    if not session.may("followups"):
        return out
    settings = load_interval_settings(session)
    planner = planner_for(session)
    planner.refresh(session)
    counts: dict[str, int] = {}
    plan = planner.plan(today, lambda unit: intervals_for(unit, settings),
                        limits={"due": SHOWN, "overdue": SHOWN, "new_grund": SHOWN}, counts=counts)
    out.due = [planner.anchor(f.anchor_rid) for f in plan if f.status == "due"][:SHOWN]
    out.more_due = counts["due"] - len(out.due)
    late = [f for f in plan if f.status in ("overdue", "new_grund")]  # overdue first, then the oldest
    out.overdue = [planner.anchor(f.anchor_rid) for f in late[:SHOWN]]
    out.more_overdue = counts["overdue"] + counts["new_grund"] - len(out.overdue)
    return out


def prepare_home(session: "Session", today: date) -> None:
    """Read the index and build the follow-up planner before the first home
    screen, on the sign-in worker thread: at 100,000 records that takes
    seconds once per process, which the UI thread must not spend frozen.
    A failure is left for the home screen to report."""
    try:
        home_lists(session, today)
    except StoreError:
        pass
