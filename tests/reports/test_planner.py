"""The incremental planner (issue 16): the same list as the pure
`plan_followups` over every document, whatever changed in between, with the
home screen's caps taking a prefix of each status and counting the rest."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from asi_tui.engine.limits import same_client_key
from asi_tui.reports.followups import Intervals, Planner, plan_followups


class Source:
    """What a session gives the planner: live groups and the list of changed clients."""

    def __init__(self) -> None:
        self.groups: dict[str, tuple[dict, ...]] = {}
        self.changes: list[str] = []
        self.lists = True  # False: like another role's view (no change list)

    def put(self, doc: dict) -> None:
        key = same_client_key(doc["client_ref"])
        self.groups[key] = tuple(d for d in self.groups.get(key, ()) if d["rid"] != doc["rid"]) + (doc,)
        self.changes.append(key)

    def remove(self, doc: dict) -> None:
        key = same_client_key(doc["client_ref"])
        group = tuple(d for d in self.groups.get(key, ()) if d["rid"] != doc["rid"])
        if group:
            self.groups[key] = group
        else:
            self.groups.pop(key, None)
        self.changes.append(key)

    def docs(self) -> list[dict]:
        return [d for g in self.groups.values() for d in g]

    # the two Session methods the planner uses
    def planning_groups(self):  # noqa: ANN201
        return self.groups if self.lists else {k: tuple(v) for k, v in self.groups.items()}

    def planning_changes(self, since):  # noqa: ANN001, ANN201
        if not self.lists or since is None:
            return len(self.changes), None
        return len(self.changes), self.changes[since:]


UNITS = ("a", "b")


def _intervals(unit):  # noqa: ANN001, ANN202
    return Intervals(3, 9, 18) if unit == "b" else Intervals()


def _world(rng: random.Random, n: int) -> tuple[Source, list[dict]]:
    src, all_docs = Source(), []
    start = date(2020, 1, 1)
    for c in range(n):
        ref = f"K-{c:04d}" if c % 7 else f"k-{c:04d} "  # a few spelled differently: same client key
        unit = UNITS[c % 2]
        day = start + timedelta(days=rng.randrange(2200))
        g = {"rid": f"g{c}", "kind": "interview", "instrument": "grund", "status": rng.choice(["completed"] * 5 + ["paused"]),
             "client_ref": ref, "interview_date": day.isoformat(), "interviewer": rng.choice(["anna", "bo"]), "unit": unit,
             "responsible": "cia" if c % 5 == 0 else None}
        src.put(g)
        all_docs.append(g)
        if rng.random() < 0.4:
            u = {"rid": f"u{c}", "kind": "interview", "instrument": "uppfoljning", "client_ref": ref, "unit": unit,
                 "status": rng.choice(["completed", "completed", "in_progress", "withdrawn"]), "linked_rid": g["rid"],
                 "interview_date": (day + timedelta(days=150 + rng.randrange(400))).isoformat(), "interviewer": "bo"}
            src.put(u)
            all_docs.append(u)
        elif rng.random() < 0.2:
            d = {"rid": f"d{c}", "kind": "dropout", "instrument": "bortfall", "client_ref": ref, "unit": unit,
                 "status": rng.choice(["completed", "withdrawn"]), "linked_rid": g["rid"],
                 "interview_date": (day + timedelta(days=200)).isoformat(), "interviewer": "anna"}
            src.put(d)
            all_docs.append(d)
    return src, all_docs


def _key(f):  # noqa: ANN001, ANN202
    return (f.status, f.client_ref, f.anchor_rid, f.grund_rid, f.months, f.due_from, f.due_by, f.followups, f.unit)


TODAYS = [date(2021, 3, 1), date(2024, 6, 30), date(2026, 1, 31)]


@pytest.mark.parametrize("lists", [True, False], ids=["change-list", "compare-all"])
def test_the_incremental_planner_agrees_with_the_pure_one_through_changes(lists):
    rng = random.Random(16)
    src, docs = _world(rng, 400)
    src.lists = lists
    planner = Planner()
    for round_ in range(4):
        planner.refresh(src)
        for today in TODAYS:
            for upcoming in (False, True):
                for who in (None, "anna", "cia"):
                    want = plan_followups(src.docs(), today, upcoming, who, _intervals)
                    got = planner.plan(today, _intervals, upcoming, who)
                    assert sorted(map(_key, got)) == sorted(map(_key, want)), (round_, today, upcoming, who)
                    assert [f.status for f in got] == [f.status for f in want]  # the same order of statuses
        # then things happen: follow-ups done, a dropout withdrawn, a record deleted, a Grund completed
        for doc in rng.sample(docs, 60):
            if doc["rid"].startswith("g") and doc["status"] == "paused":
                doc = {**doc, "status": "completed"}
            elif doc["rid"].startswith("d"):
                doc = {**doc, "status": "withdrawn" if doc["status"] == "completed" else "completed"}
            elif doc["rid"].startswith("u") and rng.random() < 0.3:
                src.remove(doc)
                docs.remove(doc)
                continue
            else:
                doc = {**doc, "interview_date": (date.fromisoformat(doc["interview_date"]) + timedelta(days=40)).isoformat()}
            docs[:] = [doc if d["rid"] == doc["rid"] else d for d in docs]
            src.put(doc)


def test_limits_keep_a_prefix_of_each_status_and_count_every_one():
    src, _ = _world(random.Random(3), 300)
    planner = Planner()
    planner.refresh(src)
    today = date(2026, 1, 31)
    full = planner.plan(today, _intervals)
    counts: dict[str, int] = {}
    capped = planner.plan(today, _intervals, limits={"overdue": 5, "new_grund": 7}, counts=counts)
    by_status = {s: [f.anchor_rid for f in full if f.status == s] for s in ("due", "overdue", "new_grund")}
    assert counts["overdue"] == len(by_status["overdue"]) > 5 and counts["new_grund"] == len(by_status["new_grund"]) > 7
    assert [f.anchor_rid for f in capped if f.status == "due"] == by_status["due"]
    got_over = [f.anchor_rid for f in capped if f.status == "overdue"]
    got_new = [f.anchor_rid for f in capped if f.status == "new_grund"]
    assert len(got_over) == 5 and len(got_new) == 7
    # the oldest ones of each unit: every listed one is at least as old as any left out of its unit
    listed = {f.anchor_rid: f for f in capped}
    for f in full:
        if f.status == "new_grund" and f.anchor_rid not in listed:
            assert all(g.anchor_date <= f.anchor_date for g in capped if g.status == "new_grund" and g.unit == f.unit)
