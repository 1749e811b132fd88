"""Follow-up planning (reference §7.3) against lists made by hand."""

from __future__ import annotations

from datetime import date

import pytest

from asi_tui.reports import followups, plan_followups
from asi_tui.reports.common import add_months, months_between
from asi_tui.reports.followups import status_of

from .conftest import TODAY


def expected(world, today_boundaries):
    """(client, status) for TODAY = 2026-11-23, with the boundaries written out by hand.

    Each client is planned from the latest completed interview of the chain, the Grund
    or an Uppföljning (issue 14: a next follow-up after every follow-up)."""
    six, twelve, twentyfour = today_boundaries
    latest = {}
    for r in world.completed("interview", "grund") + world.completed("interview", "uppfoljning"):
        if r.client_ref not in latest or r.day > latest[r.client_ref].day:
            latest[r.client_ref] = r
    out = {}
    for ref, g in latest.items():
        if g.day > six:
            status = "upcoming"
        elif g.day >= twelve:
            status = "due"
        elif g.day >= twentyfour:
            status = "overdue"
        else:
            status = "new_grund"
        out[ref] = status
    return out


BOUNDARIES = (date(2026, 5, 23), date(2025, 11, 23), date(2024, 11, 23))


def test_planning_list(world):
    s = world.session()
    result = followups(s, today=TODAY, include_upcoming=True)
    s.close()
    want = expected(world, BOUNDARIES)
    assert {f.client_ref: f.status for f in result} == want
    assert {"due", "overdue", "new_grund", "upcoming"} <= set(want.values())
    # the paused Grund and the practice one are not clients to follow up
    assert "K-900" not in want and "OVNING-1" not in want
    # K-001 had a newer Grund: the old one is not planned, the new one is
    k001 = [f for f in result if f.client_ref == "K-001"]
    assert len(k001) == 1 and k001[0].grund_date == date(2026, 6, 1) and k001[0].status == "upcoming"
    # sorted: due first, then overdue, then new Grund, then upcoming; oldest first within each
    order = [f.status for f in result]
    assert order == sorted(order, key=["due", "overdue", "new_grund", "upcoming"].index)
    for f in result:
        assert f.due_from == add_months(f.anchor_date, 6) and f.due_by == add_months(f.anchor_date, 12)
    # the twelve clients with a follow-up are planned again, from the follow-up
    followed = {r.client_ref: r for r in world.completed("interview", "uppfoljning")}
    again = [f for f in result if f.client_ref in followed]
    assert len(again) == 12 and all(f.anchor_instrument == "uppfoljning" and f.followups == 1 for f in again)
    assert all(f.anchor_date == followed[f.client_ref].day and f.grund_rid == followed[f.client_ref].linked for f in again)


def test_upcoming_only_on_request_and_audit_has_counts_only(world):
    s = world.session()
    result = followups(s, today=TODAY)
    s.close()
    assert result and all(f.status != "upcoming" for f in result)
    admin = world.session("chef")
    entry = [e for e in admin.audit_entries() if e["action"] == "followups"][-1]
    admin.close()
    assert entry["detail"]["listed"] == len(result) and entry["detail"]["today"] == TODAY.isoformat()
    assert "K-" not in str(entry)


@pytest.mark.parametrize(
    "grund, today, status",
    [
        (date(2025, 1, 15), date(2025, 7, 14), "upcoming"),
        (date(2025, 1, 15), date(2025, 7, 15), "due"),  # exactly 6 months
        (date(2025, 1, 15), date(2026, 1, 15), "due"),  # exactly 12 months
        (date(2025, 1, 15), date(2026, 1, 16), "overdue"),
        (date(2025, 1, 15), date(2027, 1, 15), "overdue"),  # exactly 2 years
        (date(2025, 1, 15), date(2027, 1, 16), "new_grund"),
        (date(2025, 8, 31), date(2026, 2, 28), "due"),  # month end: 31 Aug + 6 months = 28 Feb
        (date(2025, 8, 31), date(2026, 2, 27), "upcoming"),
    ],
)
def test_status_boundaries(grund, today, status):
    assert status_of(grund, today) == status


def test_months_between():
    assert months_between(date(2025, 1, 31), date(2025, 2, 27)) == 0
    assert months_between(date(2025, 1, 31), date(2025, 2, 28)) == 1  # clamped month end, as for the due date
    assert months_between(date(2025, 1, 15), date(2025, 7, 15)) == 6
    assert months_between(date(2025, 1, 15), date(2025, 7, 14)) == 5


def test_unlinked_follow_up_after_the_grund_counts_and_mine_filters():
    docs = [
        {"rid": "g1", "kind": "interview", "instrument": "grund", "status": "completed", "client_ref": "A",
         "interview_date": "2025-01-10", "interviewer": "anna"},
        {"rid": "u1", "kind": "interview", "instrument": "uppfoljning", "status": "paused", "client_ref": "A",
         "interview_date": "2025-08-10", "linked_rid": None},
        {"rid": "g2", "kind": "interview", "instrument": "grund", "status": "completed", "client_ref": "B",
         "interview_date": "2025-01-10", "interviewer": "olle"},
        {"rid": "g3", "kind": "interview", "instrument": "grund", "status": "completed", "client_ref": "C",
         "interview_date": "2025-01-10", "interviewer": "anna", "practice": True},
    ]
    today = date(2025, 9, 1)
    assert [f.client_ref for f in plan_followups(docs, today)] == ["B"]
    assert plan_followups(docs, today, interviewer="anna") == []
