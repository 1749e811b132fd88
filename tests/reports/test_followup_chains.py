"""The planner follows the chain (issue 14): the next follow-up is due 6-12 months
after the latest interview, Grund or Uppföljning; a follow-up dropout closes the
occasion until it is withdrawn; intervals come from the settings."""

from __future__ import annotations

from datetime import date

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.reports.followups import Intervals, followups, intervals_for, plan_followups, save_interval_settings
from asi_tui.store import Store, crypto

from tests.chain_scenario import CLIENT, DROPOUT_DAY, GRUND_DAY, U1_DAY, U2_DAY, interview, register_dropout

ADMIN, ADMIN_PW, ANNA, ANNA_PW = "chef", "chefens lösenfras 1", "anna", "annas lösenfras 22"


@pytest.fixture
def sessions(tmp_path):
    crypto.allow_test_kdf()
    store, _ = Store.init(tmp_path / "d", ADMIN, "Chef", ADMIN_PW)
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_user(ANNA, "Anna", "interviewer", ANNA_PW, certified=True)
    return admin, store.unlock(ANNA, ANNA_PW)


def _plan(session, today, **kw):
    return {f.client_ref: f for f in plan_followups(session.list_records(), today, **kw)}


def test_the_next_follow_up_is_planned_after_every_interview_of_the_chain(sessions):
    admin, s = sessions
    g = interview(s, "asi-grund", GRUND_DAY, "grund")
    f = _plan(s, date(2025, 7, 16))[CLIENT]
    assert (f.status, f.anchor_rid, f.due_from, f.due_by) == ("due", g, date(2025, 7, 15), date(2026, 1, 15))

    u1 = interview(s, "asi-uppfoljning", U1_DAY, "u1", linked={"rid": g})
    assert CLIENT not in _plan(s, date(2026, 1, 19))  # under 6 months since the follow-up: not yet
    f = _plan(s, date(2026, 1, 19), include_upcoming=True)[CLIENT]
    assert (f.status, f.anchor_rid, f.anchor_instrument, f.grund_rid, f.followups) == ("upcoming", u1, "uppfoljning", g, 1)
    f = _plan(s, date(2026, 1, 25))[CLIENT]
    assert (f.status, f.due_from, f.due_by, f.months) == ("due", date(2026, 1, 20), date(2026, 7, 20), 6)

    # the client cannot be reached: a dropout for this follow-up closes the occasion
    d = register_dropout(s, DROPOUT_DAY, u1)
    assert CLIENT not in _plan(s, date(2026, 2, 1), include_upcoming=True)
    # the client turns up after all: withdrawing the dropout opens it again
    s.withdraw_dropout(d, "Klienten kom på besök och intervjuades.")
    assert _plan(s, date(2026, 2, 1))[CLIENT].anchor_rid == u1

    # a second follow-up under way closes the occasion; completed, it is the new anchor
    h = s.create_record(bundled_bank("asi-uppfoljning"), CLIENT, U2_DAY, linked={"rid": u1})
    h.pause()
    h.close()
    assert CLIENT not in _plan(s, date(2026, 2, 21), include_upcoming=True)
    u2 = interview(s, "asi-uppfoljning", U2_DAY, "u2", linked={"rid": u1}, client=CLIENT)
    f = _plan(s, date(2026, 9, 1))[CLIENT]
    assert (f.status, f.anchor_rid, f.grund_rid, f.followups) == ("due", u2, g, 2)
    assert (f.due_from, f.due_by) == (date(2026, 8, 20), date(2027, 2, 20))
    assert _plan(s, date(2027, 2, 21))[CLIENT].status == "overdue"
    assert _plan(s, date(2028, 2, 21))[CLIENT].status == "new_grund"


def test_intervals_per_unit_come_from_the_settings(sessions):
    admin, s = sessions
    assert intervals_for() == Intervals(6, 12, 24)
    settings = {"default": {"due": 3, "overdue": 9}, "units": {"enhet-b": {"due": 4, "overdue": 8, "new_grund": 18}}}
    assert intervals_for(None, settings) == Intervals(3, 9, 24)
    assert intervals_for("enhet-b", settings) == Intervals(4, 8, 18)
    assert intervals_for("enhet-x", settings) == Intervals(3, 9, 24)  # a unit without its own: the default
    assert intervals_for(None, {"default": {"due": 13, "overdue": 12}}) == Intervals()  # not sane: ignored
    with pytest.raises(Exception):
        save_interval_settings(s, Intervals(3, 9, 24))  # an interviewer may not
    save_interval_settings(admin, Intervals(3, 9, 24))
    g = interview(s, "asi-grund", GRUND_DAY, "grund")
    result = followups(s, date(2025, 4, 16))
    assert [(f.anchor_rid, f.status, f.due_from, f.due_by) for f in result] == [(g, "due", date(2025, 4, 15), date(2025, 10, 15))]
    assert [e for e in admin.audit_entries() if e["action"] == "settings"]
