"""Data entry without silent traps (issue 12): retyping replaces, a duration needs
its units, times name their format, values are read back in words, and an
interview reopens on the item after the last one answered."""

from __future__ import annotations

from datetime import datetime

from asi_tui.ui.screens.home import HomeScreen
from asi_tui.ui.screens.interview import InterviewScreen

from .conftest import login, wait_for


async def start(pilot, app, client: str) -> InterviewScreen:
    await login(pilot, app)
    await pilot.press("n", *client, "ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
    return app.screen


async def goto(pilot, screen, item_id: str) -> None:
    await pilot.press("ctrl+g", *item_id, "enter")
    await wait_for(pilot, lambda: screen.item is not None and screen.item.id == item_id)


def shown(screen, widget_id: str) -> str:
    return str(screen.query_one(f"#{widget_id}").render())


async def test_going_back_to_an_answer_and_typing_replaces_it(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        screen = await start(pilot, app, "K-RETYPE")
        await goto(pilot, screen, "D24")
        await pilot.press(*"250", "enter")
        await wait_for(pilot, lambda: screen.item.id != "D24")
        await pilot.press("up")
        await wait_for(pilot, lambda: screen.item.id == "D24")
        assert screen.query_one("#item-input").value == "250"
        await pilot.press(*"100", "enter")
        await wait_for(pilot, lambda: screen.item.id != "D24")
        assert screen.interview.value("D24") == 100  # not 250100


async def test_a_bare_number_for_years_and_months_is_refused_and_12_years_is_12_years(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        screen = await start(pilot, app, "K-SKOLA")
        await goto(pilot, screen, "E1")
        await pilot.press(*"12", "enter")
        await pilot.pause()
        assert screen.item.id == "E1" and screen.interview.value("E1") is None
        assert "12:0 för 12 år, 0:12 för 12 månader" in shown(screen, "message")
        await pilot.press("backspace", "backspace", *"12 år")
        await pilot.pause()
        assert shown(screen, "echo") == "= 12 år"  # read back in words before Enter stores it
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.item.id != "E1")
        assert screen.interview.value("E1") == 144
        await pilot.press("up")
        await wait_for(pilot, lambda: screen.item.id == "E1")
        assert shown(screen, "echo") == "= 12 år"
        await goto(pilot, screen, "G14")
        await pilot.press(*"3:6")
        await pilot.pause()
        assert shown(screen, "echo") == "= 3 år 6 mån"
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.interview.value("G14") == 42)


async def test_start_time_is_suggested_from_the_clock_and_a_bad_time_names_the_format(make_app):
    app = make_app()
    app.services.now = lambda: datetime(2026, 11, 20, 9, 41)
    async with app.run_test() as pilot:
        screen = await start(pilot, app, "K-KLOCKA")
        await goto(pilot, screen, "G6")
        field = screen.query_one("#item-input")
        assert field.value == "09:41" and "TT:MM" in shown(screen, "item-hint")
        await pilot.press(*"kvart i tio", "enter")
        await pilot.pause()
        assert screen.item.id == "G6"
        assert "TT:MM (24 timmar), t.ex. 09:30" in shown(screen, "message")
        await pilot.press(*["backspace"] * len("kvart i tio"), *"930", "enter")  # typed the short way
        await wait_for(pilot, lambda: screen.item.id != "G6")
        assert screen.interview.value("G6") == "09:30"


async def test_the_end_time_is_not_asked_on_the_way(make_app):
    app = make_app()
    app.services.now = lambda: datetime(2026, 11, 20, 9, 41)
    async with app.run_test() as pilot:
        screen = await start(pilot, app, "K-SLUT")
        await pilot.press(*"2026-11-01", "enter")  # G4
        await wait_for(pilot, lambda: screen.item.id == "G6")
        await pilot.press("enter")  # G6: the suggested start time
        await wait_for(pilot, lambda: screen.item.id != "G6")
        assert screen.item.id == "G9"  # G7 (end time) waits for the end
        assert screen.query_one("#item-input").value == "1"  # G9 from the form, Enter keeps it
        assert screen.interview.value("G6") == "09:41" and screen.interview.value("G7") is None


async def reopen(pilot, app, rid: str) -> InterviewScreen:
    await login(pilot, app)
    olist = app.screen.query_one("#records")
    olist.highlighted = next(i for i, o in enumerate(olist.options) if o.id == rid)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
    return app.screen


async def test_an_interview_reopens_after_the_last_answered_item_however_it_ended(make_app, ticking_clock):
    """Answer item N, end the session without pausing (as kill/SIGHUP would), reopen: item N+1."""
    app = make_app()
    async with app.run_test() as pilot:
        screen = await start(pilot, app, "K-ÅTER")
        rid = screen.handle.rid
        await goto(pilot, screen, "M1")
        await pilot.press("0", "enter")  # M1 = 0 hides M2
        await wait_for(pilot, lambda: screen.item.id == "M3")
        await pilot.press("1")  # M3 yes -> M3s
        await wait_for(pilot, lambda: screen.item.id == "M3s")
        app._hang_up()  # no Ctrl+S: the terminal went away (SIGHUP); kill -9 is in test_pty_kill
    for ending in ("quit", "lock-then-quit", "pause"):
        app = make_app()
        async with app.run_test() as pilot:
            screen = await reopen(pilot, app, rid)
            assert screen.item.id == "M3s", ending
            await pilot.press(*"Astma", "enter")  # M3s answered; next is M4
            await wait_for(pilot, lambda: screen.item.id == "M4")
            await pilot.press("up")  # looking back does not move the place
            await wait_for(pilot, lambda: screen.item.id == "M3s")
            if ending == "quit":
                await pilot.press("ctrl+q")
            elif ending == "lock-then-quit":
                await pilot.press("ctrl+l")
                await pilot.pause()
                app._hang_up()  # locked, then the connection dropped
            else:
                await pilot.press("ctrl+s")
                await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
        app = make_app()
        async with app.run_test() as pilot:
            screen = await reopen(pilot, app, rid)
            assert screen.item.id == "M4", ending
            await pilot.press("up")  # back to M3s for the next round
            await wait_for(pilot, lambda: app.screen.item.id == "M3s")
            app.screen.handle.clear("M3s")
            app.screen.handle.close()
            app.exit()


async def test_the_end_time_is_asked_when_completing_with_the_clock_suggested(make_app):
    import random

    from asi_tui.demo import fill
    from asi_tui.ui.dialogs.end_time import EndTimeDialog
    from asi_tui.ui.screens.feedback import FeedbackScreen
    from asi_tui.ui.screens.review import ReviewScreen

    app = make_app()
    app.services.now = lambda: datetime(2026, 11, 20, 11, 7)
    async with app.run_test() as pilot:
        screen = await start(pilot, app, "K-AVSLUT")
        handle = screen.handle
        fill(handle, random.Random(2), heavy=False, upto=0.999)
        for item in [*screen.interview.flow_items(), *screen.interview.interviewer_rating_items()]:
            if screen.interview.value(item.id) is None and item.id != "G7":
                handle.answer(item.id, "X" if "X" in item.missing else 3 if item.type == "interviewer_rating" else 0)
        if screen.interview.value("G7") is not None:
            handle.clear("G7")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        review = app.screen
        assert "frågas när du avslutar" in " ".join(str(o.prompt) for o in review.query_one("#review-list").options)
        assert "tryck c" in str(review.query_one("#review-status").render())
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, EndTimeDialog))
        assert app.screen.query_one("#end-time").value == "11:07"
        await pilot.press(*"25:00", "enter")  # replaces the suggestion; not a time
        await pilot.pause()
        assert "TT:MM" in str(app.screen.query_one("#end-time-error").render())
        await pilot.press(*["backspace"] * 5, *"1105", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedbackScreen))
        assert handle.interview.value("G7") == "11:05" and handle.status == "completed"
