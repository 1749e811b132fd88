"""User data is shown as typed, never read as markup (issue 11): a client ref
like `K-TRASIG[/b]` once crashed the home screen of everyone who listed it."""

from __future__ import annotations

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Store
from asi_tui.ui.lang import esc
from asi_tui.ui.screens.home import HomeScreen
from asi_tui.ui.screens.interview import InterviewScreen

from .conftest import ADMIN_PW, ANNA_PW, TODAY, login, screen_text, wait_for

HOSTILE = ["K-TRASIG[/b]", "[ny klient]", "[@click=app.quit]klicka[/]"]


async def test_markup_in_client_refs_and_names_is_shown_as_typed(make_app, data_dir):
    admin = Store.open(data_dir).unlock("admin", ADMIN_PW)
    admin.update_user("anna", name="Anna [b]A[/b]")
    admin.close()
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    for ref in HOSTILE:
        session.create_record(bundled_bank("asi-grund"), ref, TODAY).close()
    session.close()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, app)
        text = "\n".join(screen_text(app))
        for ref in HOSTILE:
            assert ref in text
        assert "Anna [b]A[/b]" in text
        # open the one whose ref looks like an action: the ref is shown, nothing runs
        olist = app.screen.query_one("#records")
        olist.highlighted = next(i for i, o in enumerate(olist.options) if "@click" in str(o.prompt))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        assert HOSTILE[2] in "\n".join(screen_text(app))
        await pilot.click("#topbar")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, InterviewScreen)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))


async def test_a_typed_answer_with_markup_is_stored_and_shown_as_typed(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("n", *"K-SVAR", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        screen = app.screen
        await pilot.press("ctrl+g", *"E3", "enter")
        await wait_for(pilot, lambda: screen.item is not None and screen.item.id == "E3")
        await pilot.press("1")  # E3 yes: E3s, a text item, follows
        await wait_for(pilot, lambda: screen.item is not None and screen.item.id == "E3s")
        await pilot.press(*"Snickare [red]Nord[/red]\\", "enter")
        await wait_for(pilot, lambda: screen.item.id != "E3s")
        assert screen.interview.value("E3s") == "Snickare [red]Nord[/red]\\"


def test_escaped_text_reads_back_exactly():
    from textual.markup import to_content

    for raw in ["a\\", "\\[b]", "x[/]y", "[@click=app.quit]", "\\\\[i]", "ok\x1b[2J"]:
        shown = to_content(f"[b]{esc(raw)}[/b] slut").plain.replace("\u200b", "")
        assert shown == raw.replace("\x1b", "\ufffd") + " slut"


async def test_inputs_are_bounded_and_an_overlong_comment_is_refused_in_place(make_app):
    from asi_tui.ui.dialogs.comment import CommentDialog
    from asi_tui.ui.limits import CLIENT_REF_MAX_LENGTH, COMMENT_MAX_LENGTH, TEXT_MAX_LENGTH

    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        assert app.screen.query_one("#client").max_length == CLIENT_REF_MAX_LENGTH
        await pilot.press(*"K-LÅNG", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        screen = app.screen
        await pilot.press("ctrl+g", *"E3", "enter")
        await wait_for(pilot, lambda: screen.item is not None and screen.item.id == "E3")
        await pilot.press("1")  # E3 yes: E3s, a text item, follows
        await wait_for(pilot, lambda: screen.item is not None and screen.item.id == "E3s")
        assert screen.query_one("#item-input").max_length == TEXT_MAX_LENGTH
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, CommentDialog))
        app.screen.query_one("#comment-text").text = "x" * (COMMENT_MAX_LENGTH + 1)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CommentDialog)  # kept open, with the text, to shorten
        assert str(COMMENT_MAX_LENGTH) in str(app.screen.query_one("#comment-error").render())
        assert screen.interview.value("G.comment") is None
