"""Following a client in the TUI (issue 14): the change view from home and from an
Uppföljning's Återkoppling, its export, the printable interview, and starting the
next follow-up (or its dropout) linked to the latest interview of the chain."""

from __future__ import annotations

import stat

import pytest

from asi_tui.store import Store

from tests.chain_scenario import CLIENT, build_chain

from .conftest import ANNA_PW, login, screen_text, wait_for


@pytest.fixture
def chain(data_dir):
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    c = build_chain(session)
    session.close()
    return c


def _row(app, rid: str) -> int:
    olist = app.screen.query_one("#records")
    return next(i for i, o in enumerate(olist.options) if o.id == rid)


async def _open_change_from_home(pilot, app, rid: str) -> None:
    await login(pilot, app)
    app.screen.query_one("#records").highlighted = _row(app, rid)
    await pilot.press("k")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "ChangeScreen")


async def test_change_view_from_home_shows_each_area_and_exports_in_the_clients_language(make_app, chain, tmp_path):
    app = make_app()
    async with app.run_test() as pilot:
        await _open_change_from_home(pilot, app, chain.grund)  # any record of the client: its chain
        screen = app.screen
        assert [p.rid for p in screen.view.points] == [chain.grund, chain.u1, chain.u2]
        entries = [str(o.prompt) for o in screen.query_one("#ch-areas").options]
        assert len(entries) == 7 and "oförändrat" in entries[0] and "sämre" in entries[4]
        text = "\n".join(screen_text(app))
        assert "Sammanvägt index" in text and "0.31" in text and "▅▃▃" in text
        await pilot.press("down")  # employment
        await wait_for(pilot, lambda: "Dagar med betalt arbete" in "\n".join(screen_text(app)))
        await pilot.press("e")
        await pilot.press("l", "e")
        await pilot.pause()
    for lang in ("sv", "en"):
        path = tmp_path / "export" / f"forandring-{chain.u2}-{lang}.md"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Work and income" in (tmp_path / "export" / f"forandring-{chain.u2}-en.md").read_text(encoding="utf-8")


def test_change_view_snapshot_80x24(make_app, chain, snap_compare):
    app = make_app()

    async def run_before(pilot) -> None:
        await _open_change_from_home(pilot, app, chain.u2)
        await pilot.press("down", "down")  # alcohol
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_an_uppfoljning_feedback_shows_the_change_and_prints_the_interview(make_app, chain, tmp_path):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        app.screen.query_one("#records").highlighted = _row(app, chain.u2)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "FeedbackScreen")
        assert "Sedan förra intervjun: oförändrat (0.31 → 0.31)" in "\n".join(screen_text(app))
        await pilot.press("u")
        await pilot.pause()
        page = (tmp_path / "export" / f"intervju-{chain.u2}.html").read_text(encoding="utf-8")
        assert "<h2>Fysisk hälsa</h2>" in page and CLIENT in page
        await pilot.press("k")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ChangeScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "FeedbackScreen")


async def test_a_grund_alone_has_no_change_view(make_app, data_dir):
    import random
    from datetime import date

    from asi_tui.bank.registry import bundled_bank
    from asi_tui.demo import fill

    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    h = session.create_record(bundled_bank("asi-grund"), "K-ALONE", date(2026, 3, 1))
    fill(h, random.Random(1), heavy=False)
    h.complete()
    h.close()
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        app.screen.query_one("#records").highlighted = _row(app, h.rid)
        await pilot.press("k")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_the_next_follow_up_links_to_the_latest_interview_and_offers_reactualisation(make_app, chain, data_dir):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        app.screen.query_one("#records").highlighted = _row(app, f"followup:{chain.u2}")  # due: 9 months after
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        screen = app.screen
        assert [d["rid"] for d in screen.grund_records] == [chain.u2, chain.u1, chain.grund]
        assert screen._chosen_link()["rid"] == chain.u2
        box = screen.query_one("#reactualisation")
        assert box.display  # the Grund is under two years old and the last period ended with a follow-up
        box.value = True
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "InterviewScreen")
        rid = app.screen.handle.rid
    doc = Store.open(data_dir).unlock("anna", ANNA_PW).index.get(rid)
    assert doc["linked_rid"] == chain.u2


async def test_a_dropout_from_a_due_follow_up_closes_that_occasion(make_app, chain, data_dir):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        app.screen.query_one("#records").highlighted = _row(app, f"followup:{chain.u2}")
        await pilot.press("b")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        assert app.screen.query_one("#client").value == CLIENT
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "InterviewScreen")
        handle = app.screen.handle
        assert handle.interview.value("SE.B.instrument") == 2
        assert handle.body["linked"]["rid"] == chain.u2
