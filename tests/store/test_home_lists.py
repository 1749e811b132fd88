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
