"""SVG snapshots of every screen and dialog at 80x24, in Swedish and in English.

Both languages render in one pytest run: binding descriptions remember their
locale key and are drawn in the current language (`lang.tk`), every other text
is looked up when drawn, so `set_language` before the app is created is enough.

Frozen for repeatable pictures: the app's clock (Services.today/now), the
store's clock (one second per reading from a fixed start), the time zone (UTC),
the cursor blink, and the data: one data directory built once per module with
seeded answers and copied for every test.

Update after a deliberate change: `pytest tests/ui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

import itertools
import random
import shutil
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Awaitable, Callable

import pytest
from textual.widgets import Input, TextArea

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Store, clock, crypto
from asi_tui.ui.app import AsiApp, create_app
from asi_tui.ui.lang import set_language, t
from asi_tui.ui.services import Services

from .conftest import ADMIN_PW, ANNA_PW, TODAY, wait_for

NOW = datetime(2026, 11, 20, 9, 41)
TOVE_PW = "tove-lösenfras-33"
PASSWORDS = {"anna": ANNA_PW, "admin": ADMIN_PW, "tove": TOVE_PW}


def _frozen_store_clock() -> Callable[[], str]:
    start = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    ticks = itertools.count()
    return lambda: (start + timedelta(seconds=next(ticks))).isoformat(timespec="seconds")


class _FrozenDatetime(datetime):
    """The audit log reads `datetime.now` itself: a fixed moment for it."""

    @classmethod
    def now(cls, tz=None):  # noqa: ANN001, ANN206
        return cls(2026, 11, 20, 8, 30, tzinfo=timezone.utc).astimezone(tz) if tz else cls(2026, 11, 20, 8, 30)


def _freeze_clocks(patch) -> None:
    from asi_tui.store import audit

    patch(clock, "now", _frozen_store_clock())
    patch(audit, "datetime", _FrozenDatetime)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """Users and records every picture draws on; built once, with the store clock frozen."""
    from asi_tui.demo import fill
    from asi_tui.training.exercises import bundled_exercise
    from tests.training.conftest import do_attempt

    from asi_tui.store import audit

    crypto.allow_test_kdf()
    saved = clock.now, audit.datetime
    _freeze_clocks(setattr)
    try:
        root = tmp_path_factory.mktemp("snap") / "data"
        store, _ = Store.init(root, "admin", "Admin Adminsson", ADMIN_PW)
        admin = store.unlock("admin", ADMIN_PW)
        admin.add_user("anna", "Anna Andersson", "interviewer", ANNA_PW, certified=True)
        admin.add_user("tove", "Tove Trainee", "interviewer", TOVE_PW)
        admin.close()
        anna = Store.open(root).unlock("anna", ANNA_PW)
        grund = bundled_bank("asi-grund")
        done = anna.create_record(grund, "K-1002", TODAY - timedelta(days=240), meta={"contact_mode": 1})
        fill(done, random.Random(7), heavy=True)
        done.complete()
        done.close()
        nearly = anna.create_record(grund, "K-1003", TODAY, meta={"contact_mode": 1})  # all but the end time
        fill(nearly, random.Random(8), heavy=False)
        for item in [*nearly.interview.flow_items(), *nearly.interview.interviewer_rating_items()]:
            if nearly.interview.value(item.id) is None:
                nearly.answer(item.id, "X" if "X" in item.missing else 4 if item.type == "interviewer_rating" else 0)
        nearly.clear("G7")
        nearly.pause()
        nearly.close()
        open_ = anna.create_record(grund, "K-1001", TODAY, meta={"contact_mode": 1, "prefilled": ["G9"]})
        for item_id, value in (("G9", 1), ("G4", "2026-11-02"), ("G6", "09:30")):
            open_.answer(item_id, value)
        open_.close()
        do_attempt(anna, bundled_exercise("grund-02-amir"), changes={"E11": 10})
        anna.close()
        return root
    finally:
        clock.now, audit.datetime = saved
        crypto.allow_test_kdf(False)


@pytest.fixture
def snap_app(template, tmp_path, monkeypatch):
    """An app over a fresh copy of the template, in `lang`, with every clock frozen."""
    data = tmp_path / "data"
    shutil.copytree(template, data)
    _freeze_clocks(monkeypatch.setattr)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)  # the cursor stays as it is: no blink
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)

    def factory(lang: str, user: str) -> AsiApp:
        set_language(lang)
        return create_app(
            Services(data_dir=data, lang=lang, today=lambda: TODAY, now=lambda: NOW, default_user=user, export_dir=tmp_path / "x")
        )

    yield factory
    set_language("sv")
    monkeypatch.undo()
    time.tzset()


# ---------------------------------------------------------------------- how to reach each view


async def signed_in(pilot) -> None:
    """Signed in through the store, as the login screen does, without typing the passphrase
    key by key (each simulated key costs ~50 ms; the login screen has its own picture)."""
    app = pilot.app
    await wait_for(pilot, lambda: type(app.screen).__name__ == "LoginScreen")
    app.store = Store.open(app.services.data_dir)
    app.signed_in(app.store.unlock(app.services.default_user, PASSWORDS[app.services.default_user]))

    def listed() -> bool:
        records = app.screen.query("#records") if type(app.screen).__name__ == "HomeScreen" else []
        return bool(records) and records.first().option_count > 0

    await wait_for(pilot, listed)


async def screen_is(pilot, name: str) -> None:
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == name)


async def keys(pilot, *pressed: str, then: str) -> None:
    await pilot.press(*pressed)
    await screen_is(pilot, then)


async def open_record(pilot, client: str, then: str = "InterviewScreen") -> None:
    await signed_in(pilot)
    olist = pilot.app.screen.query_one("#records")
    olist.highlighted = next(
        i for i, o in enumerate(olist.options) if client in str(o.prompt) and not (o.id or "followup:").startswith("followup:")
    )
    await keys(pilot, "enter", then=then)


async def in_interview(pilot, *pressed: str, then: str = "InterviewScreen") -> None:
    await open_record(pilot, "K-1001")
    if pressed:
        await keys(pilot, *pressed, then=then)


async def as_admin(pilot, *pressed: str, then: str) -> None:
    await signed_in(pilot)
    await keys(pilot, "a", then="AdminScreen")
    if pressed:
        await keys(pilot, *pressed, then=then)


async def error_dialog(pilot) -> None:
    from asi_tui.ui.dialogs.error import ErrorDialog

    await in_interview(pilot)
    pilot.app.push_screen(ErrorDialog(t("store.error.io", error="ENOSPC")))
    await screen_is(pilot, "ErrorDialog")


async def statistics(pilot) -> None:
    await signed_in(pilot)
    await keys(pilot, "s", then="StatisticsScreen")
    await wait_for(pilot, lambda: pilot.app.screen.tables)


async def trainer(pilot, *pressed: str, then: str = "TrainerScreen") -> None:
    await signed_in(pilot)
    await keys(pilot, "g", then="TrainerScreen")
    await wait_for(pilot, lambda: "…" not in str(pilot.app.screen.query_one("#trainer-results").render()))
    if pressed:
        await keys(pilot, *pressed, then=then)


@dataclass(frozen=True)
class View:
    user: str
    go: Callable[..., Awaitable[None]] | None


async def _nothing(pilot) -> None:
    await pilot.pause()


VIEWS: dict[str, View] = {
    # screens
    "login": View("anna", _nothing),
    "home": View("anna", signed_in),
    "lock": View("anna", lambda p: _then(signed_in(p), p, "ctrl+l", "LockScreen")),
    "new_interview": View("anna", lambda p: _then(signed_in(p), p, "n", "NewInterviewScreen")),
    "new_interview_refused": View("tove", lambda p: _then(signed_in(p), p, "n", "NewInterviewScreen")),
    "interview": View("anna", in_interview),
    "interview_long_codes": View("anna", lambda p: in_interview(p, "ctrl+g", *"D14", "enter")),
    "interview_refused_answer": View("anna", lambda p: in_interview(p, "ctrl+g", *"E1", "enter", *"12", "enter")),
    "ratings": View("anna", lambda p: in_interview(p, "f9", then="RatingsScreen")),
    "review": View("anna", lambda p: in_interview(p, "f10", then="ReviewScreen")),
    "feedback": View("anna", lambda p: open_record(p, "K-1002", then="FeedbackScreen")),
    "exercises": View("anna", lambda p: _then(signed_in(p), p, "t", "ExercisePickerScreen")),
    "exercise": View("anna", lambda p: _then(signed_in(p), p, "t", "ExercisePickerScreen", "enter", "TrainingInterviewScreen")),
    "scorecard": View("anna", lambda p: _then(signed_in(p), p, "t", "ExercisePickerScreen", "down", "ExercisePickerScreen", "s", "ScorecardScreen")),
    "trainer": View("admin", trainer),
    "statistics": View("admin", statistics),
    "admin": View("admin", lambda p: as_admin(p, then="AdminScreen")),
    "audit": View("admin", lambda p: as_admin(p, "l", then="AuditScreen")),
    "bank_versions": View("admin", lambda p: as_admin(p, "b", then="BankVersionsScreen")),
    # dialogs
    "keys": View("anna", lambda p: _then(signed_in(p), p, "f1", "KeysDialog")),
    "help": View("anna", lambda p: in_interview(p, "f1", then="HelpDialog")),
    "jump": View("anna", lambda p: in_interview(p, "ctrl+g", then="JumpDialog")),
    "comment": View("anna", lambda p: in_interview(p, "f2", then="CommentDialog")),
    "soft_check": View("anna", lambda p: in_interview(p, "ctrl+g", *"E11", "enter", "0", "enter", *"5000", "enter", then="SoftCheckDialog")),
    "alert": View("anna", lambda p: in_interview(p, "ctrl+g", *"P20", "enter", "1", then="SafetyAlertDialog")),
    "error": View("anna", error_dialog),
    "end_time": View("anna", lambda p: _then(open_record(p, "K-1003"), p, "f10", "ReviewScreen", "c", "EndTimeDialog")),
    "add_user": View("admin", lambda p: as_admin(p, "a", then="AddUserDialog")),
    "passphrase": View("admin", lambda p: as_admin(p, "p", then="PassphraseDialog")),
    "path": View("admin", lambda p: as_admin(p, "b", then="BankVersionsScreen")),
    "prompt": View("admin", lambda p: trainer(p, "c", then="PromptDialog")),
}


async def _then(first: Awaitable[None], pilot, *steps: str) -> None:
    """`first`, then pairs of (key, the screen it leads to)."""
    await first
    for key, screen in zip(steps[::2], steps[1::2]):
        await keys(pilot, key, then=screen)


async def _path_dialog(pilot) -> None:
    await as_admin(pilot, "b", then="BankVersionsScreen")
    await keys(pilot, "p", then="PathDialog")


VIEWS["path"] = View("admin", _path_dialog)


@pytest.mark.parametrize("lang", ["sv", "en"])
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_screen_and_dialog_at_80x24(view, lang, snap_app, snap_compare):
    spec = VIEWS[view]
    app = snap_app(lang, spec.user)
    assert snap_compare(app, run_before=spec.go, terminal_size=(80, 24))
