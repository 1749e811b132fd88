"""Chains of follow-ups through the store (issue 14): links to the latest interview,
link rules everywhere, since-last windows and bounds, dropouts that close an
occasion and are withdrawn (audited, never deleted), and återaktualisering."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from asi_tui.bank.registry import bundled_bank, bundled_banks
from asi_tui.store import Store, crypto
from asi_tui.store.chain import (
    chain_of,
    chain_root,
    default_link,
    link_candidates,
    reactualisation_offered,
    read_chain,
)
from asi_tui.store.errors import NotAuthorized, StoreError

from tests.chain_scenario import CLIENT, DROPOUT_DAY, GRUND_DAY, U1_DAY, U2_DAY, chained_dir, interview, register_dropout
from store_helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW, OLLE, OLLE_PW


@pytest.fixture(scope="module")
def chained(tmp_path_factory):
    """A data directory holding the scenario's chain (built once; tests only read it)."""
    root = tmp_path_factory.mktemp("chain") / "data"
    return root, chained_dir(root, (ADMIN, ADMIN_PW), (ANNA, ANNA_PW))


@pytest.fixture
def fresh(tmp_path):
    """An empty data directory: (admin session, Anna's session)."""
    root = tmp_path / "d"
    store, _ = Store.init(root, ADMIN, "A", ADMIN_PW)
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_user(ANNA, "Anna", "interviewer", ANNA_PW, certified=True)
    admin.add_unit("Vuxenenheten")  # Olle works in another unit than Anna (issue 13)
    admin.add_user(OLLE, "Olle", "interviewer", OLLE_PW, certified=True, units=["Vuxenenheten"])
    return admin, store.unlock(ANNA, ANNA_PW)


def _anna(root):
    return Store.open(root).unlock(ANNA, ANNA_PW)


def test_a_follow_up_links_to_the_latest_interview_and_the_chain_goes_back_to_the_grund(chained):
    root, c = chained
    s = _anna(root)
    docs = s.list_records()
    by_rid = {d["rid"]: d for d in docs}
    assert by_rid[c.u2]["linked_rid"] == c.u1 and by_rid[c.u1]["linked_rid"] == c.grund
    # what a third follow-up would link to by default, and what it may choose among
    assert default_link(docs, CLIENT, date(2026, 9, 1))["rid"] == c.u2
    assert [d["rid"] for d in link_candidates(docs, CLIENT, date(2026, 9, 1))] == [c.u2, c.u1, c.grund]
    assert [d["rid"] for d in link_candidates(docs, CLIENT, U2_DAY)] == [c.u1, c.grund]  # only earlier ones
    # the chain rule the statistics use: a follow-up of a follow-up belongs to the original Grund
    assert chain_root(c.u2, by_rid) == c.grund
    assert [d["rid"] for d in chain_of(c.u1, docs)] == [c.grund, c.u1, c.u2]
    s.close()


def test_the_since_last_window_follows_the_chain(chained):
    root, c = chained
    s = _anna(root)
    h = s.open_record(c.u2, readonly=True)
    w = h.interview.window("L21")
    assert (w.start, w.end) == (U1_DAY + timedelta(days=1), U2_DAY)  # since the first follow-up, not the Grund
    assert h.body["linked"] == {"rid": c.u1, "date": U1_DAY.isoformat()}
    h.close()
    s.close()


def test_since_last_bounds_hold_through_the_store(fresh):
    """L21 cannot exceed the seven (begun) months between the two follow-ups."""
    a, s = fresh
    g = interview(s, "asi-grund", GRUND_DAY, "grund")
    u1 = interview(s, "asi-uppfoljning", U1_DAY, "u1", linked={"rid": g})
    h = s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, U2_DAY, linked={"rid": u1})
    assert h.interview.since_last_limit(h.bank.by_id["L21"]) == (7, "months")  # 20 Jul -> 20 Feb
    out = h.answer("L21", 8)
    assert not out.ok and out.message == "engine.invalid.over_since_last.months"
    assert h.answer("L21", 7).ok
    h.pause()
    h.close()
    reopened = s.open_record(h.rid, readonly=True)
    assert reopened.interview.value("L21") == 7
    reopened.close()


def test_the_link_date_comes_from_the_linked_record_not_the_caller(chained):
    root, c = chained
    s = _anna(root)
    h = s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, date(2026, 9, 1), linked={"rid": c.u2, "date": "1999-01-01"})
    assert h.body["linked"] == {"rid": c.u2, "date": U2_DAY.isoformat()}
    h.close()
    s.close()


@pytest.mark.parametrize(
    "case, key",
    [
        ("dropout", "chain.error.link_dropout"),
        ("other_client", "chain.error.link_other_client"),
        ("later", "chain.error.link_not_earlier"),
        ("same_day", "chain.error.link_not_earlier"),
        ("unknown", "chain.error.link_missing"),
        ("paused", "chain.error.link_not_completed"),
        ("spel", "chain.error.link_instrument"),
    ],
)
def test_links_the_rules_refuse(fresh, case, key):
    a, s = fresh
    uppf = bundled_bank("asi-uppfoljning")
    g = interview(s, "asi-grund", GRUND_DAY, "grund")
    client, day = CLIENT, U1_DAY
    if case == "dropout":
        target = register_dropout(s, GRUND_DAY + timedelta(days=3), None)
    elif case == "other_client":
        target, client = g, "K-200"
    elif case == "later":
        target, day = g, GRUND_DAY - timedelta(days=1)
    elif case == "same_day":
        target, day = g, GRUND_DAY
    elif case == "unknown":
        target = "0" * 20
    elif case == "paused":
        target = interview(s, "asi-grund", GRUND_DAY + timedelta(days=1), "grund", complete=False)
    else:
        h = s.create_record(bundled_bank("asi-spel-grund"), CLIENT, GRUND_DAY)
        h.pause()
        target = h.rid
        h.close()
    before = {d["rid"] for d in s.list_records()}
    with pytest.raises(StoreError) as exc:
        s.create_record(uppf, client, day, linked={"rid": target, "date": GRUND_DAY.isoformat()})
    assert exc.value.key == key
    assert {d["rid"] for d in s.list_records()} == before  # nothing was written


def test_a_practice_record_cannot_link_to_a_client_and_a_grund_links_to_nothing(fresh):
    a, s = fresh
    g = interview(s, "asi-grund", GRUND_DAY, "grund")
    with pytest.raises(StoreError) as exc:
        s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, U1_DAY, linked={"rid": g}, practice=True)
    assert exc.value.key == "chain.error.link_practice"
    with pytest.raises(StoreError) as exc:
        s.create_record(bundled_bank("asi-grund"), CLIENT, U1_DAY, linked={"rid": g})
    assert exc.value.key == "chain.error.link_not_followup"
    # a training case links to a date only, as practice
    h = s.create_record(bundled_bank("asi-uppfoljning"), "OVNING", U1_DAY, linked={"rid": None, "date": "2025-01-02"}, practice=True)
    assert h.interview.linked_date == date(2025, 1, 2)
    h.close()


def test_a_link_over_two_years_old_is_allowed_with_a_notice(fresh):
    a, s = fresh
    g = interview(s, "asi-grund", date(2023, 1, 10), "grund")
    h = s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, date(2025, 2, 1), linked={"rid": g})
    assert h.notices == ["chain.warn.link_old"]
    h.close()
    h = s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, date(2024, 12, 1), linked={"rid": g})
    assert h.notices == []
    h.close()


def test_a_dropout_is_withdrawn_by_a_status_change_that_is_audited(fresh):
    a, anna = fresh
    g = interview(anna, "asi-grund", GRUND_DAY, "grund")
    d = register_dropout(anna, DROPOUT_DAY, g)
    olle = a.store.unlock(OLLE, OLLE_PW)
    with pytest.raises(NotAuthorized):
        olle.withdraw_dropout(d, "fel")  # neither the one who registered it nor an interviewer of its unit
    with pytest.raises(StoreError) as exc:
        anna.withdraw_dropout(d, "   ")
    assert exc.value.key == "chain.error.withdraw_reason"
    with pytest.raises(StoreError) as exc:
        anna.withdraw_dropout(g, "not a dropout")
    assert exc.value.key == "chain.error.withdraw_not_dropout"
    anna.withdraw_dropout(d, "Klienten intervjuades ändå.")
    doc = anna.index.get(d)
    assert doc["status"] == "withdrawn" and doc["kind"] == "dropout"
    h = anna.open_record(d, readonly=True)
    assert h.body["meta"]["withdrawn"]["reason"] == "Klienten intervjuades ändå."
    assert [e["status"] for e in h.body["history"]][-1] == "withdrawn"
    assert h.interview.answers["SE.B.orsak"] == "unreachable"  # nothing deleted
    h.close()
    h = anna.open_record(d)
    with pytest.raises(StoreError):  # it cannot be edited any more
        h.answer("G16", 40)
    h.close()
    with pytest.raises(StoreError) as exc:
        anna.withdraw_dropout(d, "again")
    assert exc.value.key == "chain.error.withdraw_already"
    # not in statistics: reports read completed records only
    assert d not in {b["rid"] for b in anna.read_bodies()}
    entries = [e for e in a.audit_entries() if e.get("rid") == d]
    assert [e["action"] for e in entries if e["action"] == "withdraw"] == ["withdraw"]
    assert next(e for e in entries if e["action"] == "withdraw")["user"] == ANNA
    # another interviewer of the record's unit may withdraw what Anna registered; an admin may not (issue 13)
    d2 = register_dropout(anna, DROPOUT_DAY + timedelta(days=1), g)
    with pytest.raises(NotAuthorized):
        a.withdraw_dropout(d2, "registrerad av misstag")
    a.add_user("ivar", "Ivar", "interviewer", "ivars-hemliga-fras-9", certified=True, units=["Enheten"])
    ivar = a.store.unlock("ivar", "ivars-hemliga-fras-9")
    ivar.withdraw_dropout(d2, "registrerad av misstag")
    assert a.index.get(d2)["status"] == "withdrawn"


def test_reactualisation_offered_after_a_closed_period_and_stored_in_the_index(chained):
    root, c = chained
    s = _anna(root)
    docs = s.list_records()
    # the Grund (2025-01-15) is under two years old and the chain ended with a follow-up
    assert reactualisation_offered(docs, CLIENT, date(2026, 11, 1))
    assert not reactualisation_offered(docs, CLIENT, date(2027, 1, 16))  # the Grund is too old by then
    assert not reactualisation_offered(docs, "K-NONE", date(2026, 11, 1))
    h = s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, date(2026, 11, 1), linked={"rid": c.u2},
                        meta={"reactualisation": True})
    h.pause()
    rid = h.rid
    h.close()
    doc = s.index.get(rid)
    assert doc["reactualisation"] is True and s.index.get(c.u2)["reactualisation"] is False
    s.close()


def test_reactualisation_is_refused_for_an_old_grund_or_a_grund(fresh):
    a, s = fresh
    g = interview(s, "asi-grund", date(2023, 1, 10), "grund")
    with pytest.raises(StoreError) as exc:
        s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, date(2025, 3, 1), linked={"rid": g}, meta={"reactualisation": True})
    assert exc.value.key == "chain.error.reactualisation_old"
    with pytest.raises(StoreError) as exc:
        s.create_record(bundled_bank("asi-grund"), CLIENT, date(2025, 3, 1), meta={"reactualisation": True})
    assert exc.value.key == "chain.error.reactualisation_instrument"


def test_a_record_on_the_old_bank_version_still_opens(fresh):
    """Records pin 1.0.0 by its sha256; the corrections came as 1.0.1 beside it."""
    a, _ = fresh
    old = next(b for b in bundled_banks() if (b.id, b.version) == ("asi-grund", "1.0.0"))
    h = a.create_record(old, "K-1", GRUND_DAY, unit="Enheten")
    assert h.answer("SE.G.kommun", "9999").ok  # 1.0.0's rules: no code list yet
    h.pause()
    h.close()
    again = Store.open(a.store.dir.root).unlock(ADMIN, ADMIN_PW).open_record(h.rid)
    assert (again.bank.version, again.bank.sha256) == ("1.0.0", old.sha256)
    assert again.interview.value("SE.G.kommun") == "9999"
    again.close()


def test_read_chain_gives_the_interviews_up_to_the_record(chained):
    root, c = chained
    s = _anna(root)
    assert [e.rid for e in read_chain(s, c.u1)] == [c.grund, c.u1]
    assert [(e.rid, e.instrument) for e in read_chain(s, c.u2)] == [(c.grund, "grund"), (c.u1, "uppfoljning"), (c.u2, "uppfoljning")]
    s.close()


def test_the_planners_anchor_is_the_follow_up_forms_first_candidate():
    """The planner (and the form's default link) pick the latest target
    without copying or sorting; it must be the first of the candidates the
    new-follow-up form lists."""
    import random

    from asi_tui.store.chain import latest_link_target

    rng = random.Random(16)
    kinds = [("interview", "grund"), ("interview", "uppfoljning"), ("interview", "spel"), ("dropout", None)]
    for trial in range(400):
        docs = []
        for n in range(rng.randint(0, 7)):
            kind, instrument = rng.choice(kinds)
            day = rng.choice(["2024-05-01", "2025-01-10", "2025-01-10", "2026-02-28", "", "not a date", None])
            docs.append({"rid": f"r{rng.randint(0, 99):02d}-{n}", "kind": kind, "instrument": instrument,
                         "client_ref": rng.choice(["K-1", " k-1 ", "K-1"]), "interview_date": day,
                         "status": rng.choice(["completed", "completed", "paused", "withdrawn"]),
                         "practice": rng.random() < 0.1})
        listed = link_candidates(docs, "K-1", date.max)
        expected = listed[0] if listed else None
        for got in (latest_link_target(docs), default_link(docs, "K-1", date.max)):
            assert (got and got["rid"]) == (expected and expected["rid"]), (trial, docs)
