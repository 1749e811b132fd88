"""Period exports keep Grund-Uppföljning pairs (and chains of follow-ups)
together through pseudonymous keys that only one export run shares."""

from __future__ import annotations

import csv
import random
from datetime import date

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.demo import fill
from asi_tui.reports import export_records

from .conftest import ADMIN, ANALYST
from .export_helpers import admin_of, new_data_dir
from .test_export import band

START = date(2025, 6, 1)


def read_dicts(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _export(world, tmp_path, name, **kw):
    identifying = any(kw.get(k) for k in ("full_dates", "exact_age", "with_interviewer"))
    s = world.session(ADMIN if identifying else ANALYST)  # interviewers do not export (issue 13)
    try:
        export_records(s, tmp_path / name, "csv", **kw)
    finally:
        s.close()
    return read_dicts(tmp_path / name)


def test_a_period_export_keeps_every_follow_up_linked_to_its_grund(world, tmp_path):
    grunds = {k.rid: k for k in world.completed("interview", "grund")}
    ups = [u for u in world.completed("interview", "uppfoljning") if u.day >= START]
    outside = [u for u in ups if grunds[u.linked].day < START]
    assert ups and outside  # some follow-ups in the period have their Grund before it
    rows = _export(world, tmp_path, "p.csv", date_from=START)
    followups = [r for r in rows if r["instrument"] == "uppfoljning"]
    assert len(followups) == len(ups)
    assert all(r["grund_key"] and r["linked_key"] == r["grund_key"] for r in followups)
    assert len({r["grund_key"] for r in followups}) == len(ups)  # one Grund each, none shared
    in_file = {r["interview_key"] for r in rows}
    assert sum(1 for r in followups if r["grund_key"] not in in_file) == len(outside)
    assert sum(1 for r in followups if r["linked_record_no"] == "") == len(outside)

    # with the linked interviews, every pair is complete and points at the right Grund
    rows = _export(world, tmp_path, "l.csv", date_from=START, include_linked=True)
    by_key = {r["interview_key"]: r for r in rows}
    followups = [r for r in rows if r["instrument"] == "uppfoljning"]
    assert len(followups) == len(ups) and len(rows) == len([k for k in grunds.values() if k.day >= START]) + len(
        ups) + len(outside) + sum(1 for k in world.completed("interview", "spel") if k.day >= START)
    matched = []
    for r in followups:
        g = by_key[r["linked_key"]]
        assert g["instrument"] == "grund" and rows[int(r["linked_record_no"]) - 1] is g
        assert g["client_key"] == r["client_key"]
        matched.append((g["year_month"], g["G10"], g["age_band"], g["linked_only"]))
    want = [(grunds[u.linked].day.isoformat()[:7], str(grunds[u.linked].get("G10")), band(grunds[u.linked].get("G16")),
             "1" if grunds[u.linked].day < START else "0") for u in ups]
    assert sorted(matched) == sorted(want)
    assert {r["linked_only"] for r in rows if r["instrument"] != "grund"} == {"0"}


def test_two_exports_cannot_be_joined(world, tmp_path):
    a = _export(world, tmp_path, "a.csv")
    b = _export(world, tmp_path, "b.csv")
    assert len(a) == len(b)
    for column in ("interview_key", "client_key", "grund_key"):
        assert not ({r[column] for r in a} - {""}) & ({r[column] for r in b} - {""}), column


@pytest.fixture
def chain(tmp_path):
    """Grund -> Uppföljning -> a second Uppföljning (linked to the first), the last
    with the client reference typed differently; and another client's Grund."""
    root = tmp_path / "data"
    s = new_data_dir(root)
    grund, uppf = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning")
    made = {}
    linked = None
    for name, bank, ref, day in (("g", grund, "K-7", date(2025, 1, 10)), ("u1", uppf, "K-7", date(2025, 8, 1)),
                                 ("u2", uppf, " k-7 ", date(2026, 3, 2)), ("h", grund, "K-8", date(2025, 2, 1))):
        h = s.create_record(bank, ref, day, linked=linked if name.startswith("u") else None)
        assert h.answer("G10", 2).ok
        fill(h, random.Random(len(made)), heavy=False)
        h.complete()
        made[name] = h.rid
        linked = {"rid": h.rid, "date": day.isoformat()}
        h.close()
    return s, made


def test_a_chain_of_follow_ups_keeps_its_grund_and_client(chain, tmp_path):
    s, made = chain
    s.close()
    s = admin_of(s)  # interviewers do not export (issue 13)
    try:
        export_records(s, tmp_path / "c.csv", "csv", date_from=date(2026, 1, 1), include_linked=True)
        export_records(s, tmp_path / "d.csv", "csv", date_from=date(2026, 1, 1))
        export_records(s, tmp_path / "all.csv", "csv")
    finally:
        s.close()
    rows = read_dicts(tmp_path / "c.csv")
    assert [(r["instrument"], r["year_month"], r["linked_only"]) for r in rows] == [
        ("grund", "2025-01", "1"), ("uppfoljning", "2025-08", "1"), ("uppfoljning", "2026-03", "0")]
    g, u1, u2 = rows
    assert u2["linked_key"] == u1["interview_key"] and u1["linked_key"] == g["interview_key"]
    assert u2["grund_key"] == u1["grund_key"] == g["interview_key"] == g["grund_key"]
    assert g["client_key"] == u1["client_key"] == u2["client_key"]
    assert (u2["linked_record_no"], u1["linked_record_no"]) == ("2", "1")
    # without the linked interviews the keys are still there
    (only,) = read_dicts(tmp_path / "d.csv")
    assert only["linked_key"] and only["grund_key"] and only["linked_key"] != only["grund_key"]
    assert only["linked_record_no"] == ""
    # another client's Grund has a key of its own
    every = read_dicts(tmp_path / "all.csv")
    assert len({r["client_key"] for r in every}) == 2
