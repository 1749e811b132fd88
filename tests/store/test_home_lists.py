"""The home screen's lists (reports/home.py) over a real store: my open
interviews only, the follow-ups due in my units capped with the rest counted,
so that a unit with thousands of due follow-ups still shows a short screen
(issue 16)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from asi_tui.reports import home
from asi_tui.reports.home import home_lists

from store_helpers import ANNA

TODAY = date(2026, 6, 1)


def _doc(rid: str, ref: str, day: date, *, status: str = "completed", interviewer: str = ANNA, unit: str,
         updated: str = "2026-05-01T10:00:00") -> dict:
    return {"rid": rid, "unit": unit, "responsible": None, "kind": "interview", "instrument": "grund",
            "variant": None, "bank_id": "asi-grund", "bank_version": "1.0.2", "status": status, "client_ref": ref,
            "interviewer": interviewer, "interview_date": day.isoformat(), "linked_rid": None,
            "reactualisation": False, "practice": False, "created": updated, "updated": updated,
            "gen": 1, "seq": 1, "hwm": [1, 1]}


@pytest.fixture
def lists_env(env, monkeypatch):
    monkeypatch.setattr(home, "SHOWN", 3)
    unit = env.admin.my_units()[0].id
    due_day, overdue_day = TODAY - timedelta(days=250), TODAY - timedelta(days=500)
    docs = [_doc(f"due{i}", f"D-{i}", due_day + timedelta(days=i), unit=unit) for i in range(5)]
    docs += [_doc(f"late{i}", f"L-{i}", overdue_day + timedelta(days=i), unit=unit) for i in range(4)]
    docs += [_doc("mine-open", "O-1", TODAY, status="paused", unit=unit, updated="2026-05-30T09:00:00"),
             _doc("mine-new", "O-2", TODAY, status="in_progress", unit=unit, updated="2026-05-31T09:00:00"),
             _doc("theirs-open", "O-3", TODAY, status="paused", interviewer="someone-else", unit=unit)]
    env.admin.index.replace_all(docs)
    return env


def test_due_and_overdue_are_capped_and_the_rest_counted(lists_env) -> None:
    lists = home_lists(lists_env.session(ANNA), TODAY)
    assert len(lists.due) == 3 and lists.more_due == 2
    assert len(lists.overdue) == 3 and lists.more_overdue == 1
    assert {d["rid"] for d in lists.due} <= {f"due{i}" for i in range(5)}
    assert {d["rid"] for d in lists.overdue} <= {f"late{i}" for i in range(4)}


def test_open_lists_only_mine_latest_first(lists_env) -> None:
    lists = home_lists(lists_env.session(ANNA), TODAY)
    assert [d["rid"] for d in lists.open] == ["mine-new", "mine-open"]
    assert "theirs-open" not in {d["rid"] for d in lists.done}


def test_nothing_counted_when_everything_fits(env) -> None:
    unit = env.admin.my_units()[0].id
    env.admin.index.replace_all([_doc("due0", "D-0", TODAY - timedelta(days=250), unit=unit)])
    lists = home_lists(env.session(ANNA), TODAY)
    assert [d["rid"] for d in lists.due] == ["due0"] and lists.more_due == 0 and lists.more_overdue == 0


def _latest_first(docs: list[dict]) -> list[str]:
    return [d["rid"] for d in sorted(docs, key=lambda d: (d["updated"], d["rid"]), reverse=True)]


def test_my_latest_completed_follow_every_change(env) -> None:
    """The home screen's "completed lately" walks the interviewer's documents
    latest first instead of scanning them all; it must stay what a full scan
    gives after a bulk load, upserts that change `updated` and removals, in
    the session that wrote and in a fresh one."""
    unit = env.admin.my_units()[0].id
    docs = [_doc(f"r{i:03}", f"C-{i}", TODAY - timedelta(days=i), unit=unit,
                 interviewer=ANNA if i % 3 else "someone-else",
                 status="completed" if i % 4 else "paused",
                 updated=f"2026-0{1 + i % 5}-{10 + i % 17}T10:00:00") for i in range(120)]
    env.admin.index.replace_all(docs)
    anna = env.session(ANNA)
    live = {d["rid"]: d for d in docs}

    def expected() -> list[str]:
        mine = [d for d in live.values() if d["interviewer"] == ANNA and d["status"] == "completed"]
        return _latest_first(mine)[: home.DONE_SHOWN]

    assert [d["rid"] for d in home_lists(anna, TODAY).done] == expected()
    # the latest ones change: one completed now, one moved back in time, one removed
    changed = [dict(live["r004"], status="completed", updated="2026-07-01T08:00:00"),
               dict(live[expected()[0]], updated="2025-01-01T00:00:00")]
    for d in changed:
        anna.index.upsert(d)
        live[d["rid"]] = d
    gone = expected()[1]
    anna.index.remove(gone)
    del live[gone]
    assert [d["rid"] for d in home_lists(anna, TODAY).done] == expected()
    assert expected()[0] == "r004"
    assert [d["rid"] for d in home_lists(env.session(ANNA), TODAY).done] == expected()
    # the full listing (no limit) agrees with the walk
    full = anna.list_records(status="completed", interviewer=ANNA, practice=False)
    assert [d["rid"] for d in full][: home.DONE_SHOWN] == expected()
