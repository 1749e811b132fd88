"""The interviewer's whole path through the TUI, driven by keys only."""

from __future__ import annotations

import re

from asi_tui.engine.values import N
from asi_tui.store import Store
from asi_tui.ui.dialogs.soft_check import SoftCheckDialog
from asi_tui.ui.screens.feedback import FeedbackScreen
from asi_tui.ui.screens.home import HomeScreen
from asi_tui.ui.screens.interview import InterviewScreen
from asi_tui.ui.screens.login import LoginScreen
from asi_tui.ui.screens.ratings import RatingsScreen
from asi_tui.ui.screens.review import ReviewScreen

from .conftest import ANNA_PW, login, wait_for


async def goto(pilot, screen, item_id: str) -> None:
    await pilot.press("ctrl+g", *item_id, "enter")
    await wait_for(pilot, lambda: screen.item is not None and screen.item.id == item_id)


async def type_answer(pilot, text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


def journal_items(data_dir, rid):
    """Item ids in the record's journal, read through a separate session (what is on disk)."""
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    handle = session.open_record(rid, readonly=True)
    try:
        return dict(handle.interview.answers), set(handle.interview.deferred), handle.status
    finally:
        handle.close(log=False)


async def test_full_interview_flow_with_pause_resume_and_feedback(make_app, data_dir, tmp_path, ticking_clock):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        await pilot.press(*"K-TEST-1", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        screen = app.screen
        rid = screen.handle.rid
        # contact mode came from the form; the unit is the record's (issue 13), so the first item is G4
        assert screen.interview.value("G9") == 1
        assert screen.handle.unit == "enheten"
        assert screen.item.id == "G4"
        # skip logic: no hospital stays hides M2, the next item shown is M3
        await goto(pilot, screen, "M1")
        await type_answer(pilot, "0")
        assert screen.item.id == "M3"
        assert screen.interview.value("M2") is N
        # a single-key answer (yes/no) moves on without Enter
        await pilot.press("0")
        await pilot.pause()
        assert screen.item.id == "M4"
        # a soft check: income from work but no days worked -> defer it
        await goto(pilot, screen, "E11")
        await type_answer(pilot, "0")
        await type_answer(pilot, "5000")
        await wait_for(pilot, lambda: isinstance(app.screen, SoftCheckDialog))
        await pilot.press("u")
        await wait_for(pilot, lambda: app.screen is screen)
        assert any(k.startswith("E12#") for k in screen.interview.deferred)
        # a hard check rejects in place and keeps the item
        await goto(pilot, screen, "D1a")
        await type_answer(pilot, "4")
        await type_answer(pilot, "2")  # D1b
        await type_answer(pilot, "9")  # D2a > D1a
        assert screen.item.id == "D2a"
        assert "kan inte vara fler" in str(screen.query_one("#message").render())
        # pause: back home, everything on disk
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
    answers, deferred, status = journal_items(data_dir, rid)
    assert answers["M1"] == 0 and answers["M2"] is N and answers["E12"] == 5000
    assert "D2a" not in answers and status == "paused"
    assert any(k.startswith("E12#") for k in deferred)

    # a new app instance resumes the paused interview where it was left
    app2 = make_app()
    async with app2.run_test() as pilot:
        await login(pilot, app2)
        await pilot.press("enter")  # the paused interview is the first entry
        await wait_for(pilot, lambda: isinstance(app2.screen, InterviewScreen))
        screen = app2.screen
        assert screen.handle.rid == rid
        # on the item after the last one answered (D1b): D2a, refused before the pause
        assert screen.item.id == "D2a"
        assert screen.interview.value("E12") == 5000
        # fill the rest through the same store path the keys use, then rate by keys
        from asi_tui.demo import fill
        import random

        fill(screen.handle, random.Random(1), heavy=False, upto=0.999)
        for item in screen.interview.flow_items():
            if screen.interview.value(item.id) is None:
                screen.handle.answer(item.id, "X" if "X" in item.missing else 0)
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app2.screen, RatingsScreen))
        await pilot.press(*"3456123")
        assert screen.interview.missing() == ([], [])
        await pilot.press("escape")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app2.screen, ReviewScreen))
        review_text = " ".join(str(o.prompt) for o in app2.screen.query_one("#review-list").options)
        assert "E12" in review_text and "uppskjuten" in review_text
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app2.screen, FeedbackScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app2.screen).__name__ == "CommentDialog")
        await pilot.press(*"Har ett stabilt boende", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app2.screen, FeedbackScreen))
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app2.screen, HomeScreen))
    answers, _deferred, status = journal_items(data_dir, rid)
    assert status == "completed" and answers["M9"] == 3 and answers["P21"] == 3
    export = tmp_path / "export" / f"aterkoppling-{rid}.md"
    text = export.read_text(encoding="utf-8")
    assert "Har ett stabilt boende" in text and "K-TEST-1" in text
    assert oct(export.stat().st_mode & 0o777) == "0o600"


async def test_wrong_passphrase_shows_message_and_keeps_login(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.press(*"fel-lösenfras", "enter")
        await wait_for(pilot, lambda: "Fel användare" in str(app.screen.query_one("#login-error").render()))
        assert app.session is None and isinstance(app.screen, LoginScreen)
        assert app.screen.query_one("#passphrase").value == ""
        await login(pilot, app)
        assert app.session.user.id == "anna"


async def test_idle_auto_lock_and_unlock_resumes_same_item(make_app):
    from asi_tui.ui.screens.lock import LockScreen

    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("n", *"K-LOCK", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        screen = app.screen
        await type_answer(pilot, "2026-11-01")  # G4
        app.services.idle_lock_s = 0.3  # now leave the keyboard alone
        item_before = screen.item.id
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))
        # the lock screen covers everything: no item text is on it
        assert not app.screen.query("#item-head")
        await pilot.press(*"fel-lösenfras-xx", "enter")
        await wait_for(pilot, lambda: "Fel" in str(app.screen.query_one("#unlock-error").render()))
        app.services.idle_lock_s = 300
        await pilot.press(*ANNA_PW, "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert screen.item.id == item_before and not app.locked
        # explicit lock key
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))


async def test_second_instance_opens_the_record_read_only(make_app):
    first, second = make_app(), make_app()
    async with first.run_test() as p1:
        await login(p1, first)
        await p1.press("n", *"K-TWO", "ctrl+s")
        await wait_for(p1, lambda: isinstance(first.screen, InterviewScreen))
        await type_answer(p1, "2026-10-01")  # G4 (the unit is the record's since bank 1.0.2)
        async with second.run_test() as p2:
            await login(p2, second)
            await p2.press("enter")
            await wait_for(p2, lambda: isinstance(second.screen, InterviewScreen))
            screen = second.screen
            assert screen.handle.readonly
            said = " ".join(str(n.message) for n in second._notifications)
            assert "Posten är öppen för redigering av anna sedan" in said
            assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", said)  # a local time, not the store's ISO UTC stamp
            assert str(screen.interview.value("G4")) == "2026-10-01"
            assert screen.query_one("#item-input").disabled
            assert "skrivskyddad" in str(screen.query_one("#topbar").render())


async def test_home_lists_follow_ups_due_from_the_grund_date(make_app, data_dir):
    import random
    from datetime import timedelta

    from asi_tui.bank.registry import bundled_bank
    from asi_tui.demo import fill

    from .conftest import TODAY

    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    for client, days in (("K-DUE", 240), ("K-RECENT", 30), ("K-OLD", 500)):
        handle = session.create_record(bundled_bank("asi-grund"), client, TODAY - timedelta(days=days))
        fill(handle, random.Random(days), heavy=False)
        handle.complete()
        handle.close()
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        lines = [str(o.prompt) for o in app.screen.query_one("#records").options]
        text = "\n".join(lines)
        due_at = next(i for i, ln in enumerate(lines) if "Uppföljning att göra" in ln)
        assert "(1)" in lines[due_at] and "K-DUE" in lines[due_at + 1]
        assert "försenad" in text and "K-OLD" in text.split("försenad")[1].split("──")[0]
        # choosing the due follow-up starts an Uppföljning linked to that Grund
        olist = app.screen.query_one("#records")
        olist.highlighted = due_at + 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        assert app.screen.query_one("#client").value == "K-DUE"


async def test_dropout_registration_by_keys(make_app, data_dir):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("b")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        await pilot.press(*"K-DROP", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        screen = app.screen
        assert screen.bank.id == "asi-bortfall" and screen.item.id == "SE.B.instrument"
        await pilot.press("1")  # ASI Grund, one key
        await wait_for(pilot, lambda: screen.item.id == "SE.B.orsak")
        codes = screen.bank.codes_for(screen.item).codes
        assert "3 " + codes[2].label.get("sv")[:10] in str(screen.query_one("#codes").render())
        await pilot.press("3")  # the third reason, chosen by its number
        await wait_for(pilot, lambda: screen.interview.value("SE.B.orsak") == codes[2].code)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    (doc,) = session.list_records(client_ref="K-DROP")
    assert doc["kind"] == "dropout" and doc["instrument"] == "bortfall"


async def test_completed_interview_opens_on_feedback_and_answers_are_read_only(make_app, data_dir):
    import random

    from asi_tui.bank.registry import bundled_bank
    from asi_tui.demo import fill
    from asi_tui.ui.screens.feedback import FeedbackScreen

    from .conftest import TODAY

    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    handle = session.create_record(bundled_bank("asi-grund"), "K-DONE", TODAY)
    fill(handle, random.Random(5), heavy=False)
    handle.complete()
    handle.close()
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        olist = app.screen.query_one("#records")
        olist.highlighted = next(i for i, o in enumerate(olist.options) if "K-DONE" in str(o.prompt))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        screen = app.screen
        assert screen.locked_for_edit and screen.query_one("#item-input").disabled
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        # the record is still open for the feedback texts
        await pilot.press("r")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommentDialog")
        await pilot.press(*"Stöd från syster", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        assert "Stöd från syster" in str(app.screen.query_one("#fb-texts").render())


async def test_the_index_is_read_while_signing_in_not_by_the_home_screen(make_app, data_dir, monkeypatch):
    """Reading the whole index and building the follow-up plan takes seconds
    at 100,000 records: it happens on the sign-in worker (the login screen
    says it is checking) so the UI thread never freezes on it."""
    import importlib
    import threading

    followups = importlib.import_module("asi_tui.reports.followups")  # the package also exports a function of this name
    segments = importlib.import_module("asi_tui.store.segments")

    from asi_tui.bank.registry import bundled_bank

    from .conftest import TODAY

    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    session.create_record(bundled_bank("asi-grund"), "K-IDX", TODAY).close()
    for part in session.index.partitions.values():
        assert part.compact(session.keys.write_gen)  # a base for the app to read
    session.close()
    calls: list[tuple[str, bool]] = []
    for cls, name in ((segments.Partition, "_read_base"), (followups.Planner, "refresh")):
        original = getattr(cls, name)

        def spy(self, *a, _name=name, _original=original, **kw):
            calls.append((_name, threading.current_thread() is threading.main_thread()))
            return _original(self, *a, **kw)

        monkeypatch.setattr(cls, name, spy)
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        assert ("refresh", False) in calls  # the planner was built on the worker
        assert not [c for c in calls if c[1] and c[0] == "_read_base"]
        assert "K-IDX" in "\n".join(str(o.prompt) for o in app.screen.query_one("#records").options)
