"""Coding exercises in the TUI: a trainee codes a case and gets the scorecard;
an uncertified interviewer may practise but not interview; the trainer view."""

from __future__ import annotations

import re

import pytest

from asi_tui.engine.values import N
from asi_tui.store import Store
from asi_tui.training.agreement import weighted_kappa
from asi_tui.training.exercises import bundled_exercise
from asi_tui.ui.screens.exercises import ExercisePickerScreen
from asi_tui.ui.screens.interview import InterviewScreen
from asi_tui.ui.screens.ratings import RatingsScreen
from asi_tui.ui.screens.review import ReviewScreen
from asi_tui.ui.screens.scorecard import ScorecardScreen
from asi_tui.ui.screens.trainer import TrainerScreen
from asi_tui.ui.screens.training import TrainingInterviewScreen

from .conftest import ADMIN_PW, screen_text, wait_for

TOVE_PW = "t0ve-pw-33xk"  # short (12, the minimum): every key press costs harness time
ULLA_PW = "u1la-pw-44xk"


@pytest.fixture
def trainees(data_dir):
    """tove: an interviewer who is not certified; ulla: a trainer leading a group with tove."""
    admin = Store.open(data_dir).unlock("admin", ADMIN_PW)
    admin.add_user("tove", "Tove T", "interviewer", TOVE_PW, certified=False)
    admin.add_user("ulla", "Ulla U", "trainer", ULLA_PW)
    admin.close()
    return data_dir


async def sign_in(pilot, app, passphrase):
    await pilot.press(*passphrase, "enter")
    await wait_for(pilot, lambda: app.session is not None and type(app.screen).__name__ == "HomeScreen")


async def type_answer(pilot, text: str) -> None:
    await pilot.press(*text, "enter")
    await pilot.pause()


async def goto(pilot, screen, item_id: str) -> None:
    """Go to an item as Ctrl+G does (the dialog itself is tested in test_flow)."""
    screen.jump_to(item_id)
    await wait_for(pilot, lambda: screen.item is not None and screen.item.id == item_id)


async def open_exercise(pilot, app, exercise_id: str) -> TrainingInterviewScreen:
    app.push_screen(ExercisePickerScreen())  # the home screen's `t` key does this
    await wait_for(pilot, lambda: isinstance(app.screen, ExercisePickerScreen) and bool(app.screen.exercises))
    picker = app.screen
    ids = [e.id for e in picker.exercises]
    for _ in range(ids.index(exercise_id)):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, TrainingInterviewScreen))
    await pilot.pause()
    return app.screen


def fill_from_key(screen, exercise, changes: dict) -> None:
    """Answer every remaining visible item through the store handle, as the keys would."""
    answers = {k: e.value for k, e in exercise.model.key.items()} | changes
    for item in exercise.bank.items:
        if item.type in ("comment", "interviewer_rating") or not screen.interview.is_visible(item.id):
            continue
        if screen.interview.value(item.id) is None and item.id in answers:
            assert screen.handle.answer(item.id, answers[item.id]).ok, item.id


async def test_trainee_codes_a_case_and_gets_the_scorecard(make_app, trainees):
    ex = bundled_exercise("grund-01-lena")
    app = make_app(user="tove")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, app, TOVE_PW)
        screen = await open_exercise(pilot, app, "grund-01-lena")
        assert screen.handle.body["practice"] is True and screen.interview.date == ex.interview_date
        # the case text sits beside the item at 80x24
        text = "\n".join(screen_text(app))
        assert "ÖVNING" in text and "Fallet: Allmän information" in text and "G3" in text
        assert all(len(line) <= 80 for line in screen_text(app))
        # the first items by keys, exactly as in a real interview
        await type_answer(pilot, "Vux")  # G3: any unit name agrees with the key's text
        assert screen.item.id == "G4"
        await goto(pilot, screen, "G9")
        await pilot.press("1")  # G9 in person: one key, moves on
        await pilot.pause()
        assert screen.item.id == "G10"
        await pilot.press("1")
        await pilot.press("n")  # G12: N
        await pilot.pause()
        assert screen.interview.value("G12") is N and screen.item.id == "G14"
        # a typical mistake: the adult children counted as children under 18
        await goto(pilot, screen, "SE.G.barn")
        await type_answer(pilot, "2")
        assert screen.interview.is_visible("SE.G.barn_hemma")  # shown, though the key hides it
        await type_answer(pilot, "0")
        await pilot.press("0")
        # a skip mistake: no hospital stays (key: 2) hides M2, which the key shows
        await goto(pilot, screen, "M1")
        await type_answer(pilot, "0")
        assert screen.item.id == "M3" and not screen.interview.is_visible("M2")
        # the excerpt for the item is in the panel: E11 and its transcript
        await goto(pilot, screen, "E11")
        assert "Femton pass" in "\n".join(screen_text(app))
        await type_answer(pilot, "15")  # forgot the paid holiday (key: 20)
        # F4 switches to the section list and back
        await pilot.press("f4")
        await pilot.pause()
        assert "Arbete och försörjning" in " ".join(" ".join(ln.split("│")[0] for ln in screen_text(app)).split()) and not screen.query_one("#case-panel").display
        await pilot.press("f4")
        await pilot.pause()
        assert screen.query_one("#case-panel").display
        await goto(pilot, screen, "D17")
        await type_answer(pilot, "1")  # took withdrawal for delirium (key: 0)
        fill_from_key(screen, ex, {})
        assert screen.interview.missing()[0] == []
        # the ratings by keys: one step off on alcohol (5 for the key's 6)
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, RatingsScreen))
        await pilot.press(*"3350143")
        assert screen.interview.missing() == ([], [])
        await pilot.press("escape")
        await pilot.press("f10")
        await wait_for(pilot, lambda: isinstance(app.screen, ReviewScreen))
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, ScorecardScreen))
        card_screen = app.screen
        await pilot.pause()
        card = card_screen.card
        # 246 items visible under the key, plus the two the trainee showed wrongly; 7 disagree
        assert (card.overall.agree, card.overall.total) == (241, 248)
        areas = dict(card.areas)
        assert (areas["G"].agree, areas["G"].total) == (16, 19)
        assert (areas["M"].agree, areas["M"].total) == (9, 11)
        assert (areas["E"].agree, areas["E"].total) == (23, 24)
        assert (areas["A"].agree, areas["A"].total) == (11, 12)
        assert (areas["F"].agree, areas["F"].total) == (87, 87)
        # 41 items have a skip rule: barn_hemma and barn_oro shown wrongly, M2 hidden wrongly
        assert (card.skips.agree, card.skips.total) == (38, 41)
        assert (card.ratings_exact.agree, card.ratings_within_one.agree, card.ratings_exact.total) == (6, 7, 7)
        kappa = weighted_kappa([3, 3, 6, 0, 1, 4, 3], [3, 3, 5, 0, 1, 4, 3])
        assert card.kappa == pytest.approx(kappa)
        assert [(d.item_id, d.kind) for d in card.disagreements] == [
            ("SE.G.barn", "value"), ("SE.G.barn_hemma", "shown_wrongly"), ("SE.G.barn_oro", "shown_wrongly"),
            ("M1", "value"), ("M2", "hidden_wrongly"), ("E11", "value"), ("D17", "value"), ("D32", "rating"),
        ]
        # what the trainee sees
        text = "\n".join(screen_text(app))
        assert "Totalt" in text and "241/248" in text and "97 %" in text
        assert "Hoppbeslut" in text and "38/41" in text and "93 %" in text
        assert "Inom ±1" in text and "7/7" in text and f"{kappa:.2f}" in text
        assert re.search(r"SE\.G\.barn_hemma +N ≠ 0 +visad", text) and re.search(r"M2 +1:05 ≠ N +dold", text)
        # the first disagreement's explanation is under the list
        assert "Bara egna barn under 18" in text
        # Enter on M2 opens the item the trainee's answers hid, read-only, with the key beside it
        for _ in range(4):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainingInterviewScreen))
        review = app.screen
        await wait_for(pilot, lambda: review.item is not None and review.item.id == "M2")
        assert review.handle.readonly and review.query_one("#item-input").disabled
        text = "\n".join(screen_text(app))
        assert "Nyckeln: 1:05" in text and "Ditt svar: N (dold)" in text and "Oktober 2024" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is card_screen)
        # and E11, with the transcript excerpt
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TrainingInterviewScreen))
        review = app.screen
        await wait_for(pilot, lambda: review.item is not None and review.item.id == "E11")
        text = "\n".join(screen_text(app))
        assert "Nyckeln: 20" in text and "Ditt svar: 15" in text and "15 arbetspass" in text and "Femton pass" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is card_screen)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ExercisePickerScreen))
        await pilot.pause()
        assert "Senaste: 97 %" in "\n".join(screen_text(app))
    # the practice record: completed, practice, and not among client records
    session = Store.open(trainees).unlock("tove", TOVE_PW)
    docs = session.list_records(practice=True)  # a trainee lists practice records only (issue 13)
    assert [(d["practice"], d["status"], d["client_ref"]) for d in docs] == [(True, "completed", "övning:grund-01-lena")]
    from asi_tui.store.errors import NotAuthorized

    with pytest.raises(NotAuthorized):  # no client data for a trainee, not even for statistics (issue 13)
        list(session.read_bodies())
    session.close()


async def test_uncertified_interviewer_can_practise_but_not_interview(make_app, trainees):
    app = make_app(user="tove")
    async with app.run_test() as pilot:
        await sign_in(pilot, app, TOVE_PW)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        await pilot.pause()
        # said at once, before anything is typed; the fields take nothing
        assert "certifierade" in str(app.screen.query_one("#form-refusal").render())
        assert app.screen.query_one("#client").disabled
        await pilot.press(*"K-REAL-1", "ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "NewInterviewScreen" and app.screen.query_one("#client").value == ""
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen")
        screen = await open_exercise(pilot, app, "uppf-01-lena")  # a follow-up exercise needs no real Grund
        assert isinstance(screen, InterviewScreen) and screen.interview.linked_date is not None
        await pilot.press("ctrl+s")  # pause: nothing lost
        await wait_for(pilot, lambda: isinstance(app.screen, ExercisePickerScreen))
    session = Store.open(trainees).unlock("tove", TOVE_PW)
    assert [(d["practice"], d["status"]) for d in session.list_records(practice=True)] == [(True, "paused")]
    session.close()


async def test_trainer_view_shows_group_results(make_app, trainees):
    from tests.training.conftest import do_attempt
    from asi_tui.training.results import add_member, create_group

    ex = bundled_exercise("grund-02-amir")
    ulla = Store.open(trainees).unlock("ulla", ULLA_PW)
    create_group(ulla, "kurs-1")
    add_member(ulla, "kurs-1", "tove")
    ulla.close()
    tove = Store.open(trainees).unlock("tove", TOVE_PW)
    do_attempt(tove, ex, {"F11": 2, "P6m": 1}, {"P21": 5})
    tove.close()
    app = make_app(user="ulla")
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, app, ULLA_PW)
        app.push_screen(TrainerScreen())  # the home screen's `g` key does this
        await wait_for(pilot, lambda: isinstance(app.screen, TrainerScreen))
        screen = app.screen
        await pilot.press("down")  # grund-02-amir
        await wait_for(pilot, lambda: "F11" in str(screen.query_one("#trainer-results").render()))
        text = str(screen.query_one("#trainer-results").render())
        assert "Avslutade försök: 1, deltagare: 1" in text
        assert "tove" in text and "kappa" in text
        assert "kurs-1 (tove)" in str(screen.query_one("#trainer-groups").render())
        # a new group through the dialog
        await pilot.press("c")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PromptDialog")
        await pilot.press(*"kurs-2", "enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert "Gruppen kurs-2 är skapad" in str(screen.query_one("#trainer-status").render())
