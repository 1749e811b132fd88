"""Headless Pilot tests of the TUI. The UI language is fixed before the UI is imported."""

from __future__ import annotations

import itertools
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from asi_tui.ui.lang import set_language

set_language("sv")

from asi_tui.ui.app import AsiApp, create_app  # noqa: E402
from asi_tui.ui.services import Services  # noqa: E402

ADMIN_PW = "admin-lösenfras-1"
ANNA_PW = "anna-lösenfras-22"
TODAY = date(2026, 11, 20)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    from asi_tui.store import Store

    root = tmp_path / "data"
    store, _ = Store.init(root, "admin", "Admin", ADMIN_PW)
    admin = store.unlock("admin", ADMIN_PW)
    admin.add_user("anna", "Anna A", "interviewer", ANNA_PW, certified=True)
    admin.close()
    return root


@pytest.fixture
def ticking_clock(monkeypatch):
    """The store's clock one second on at every reading, so answers a fast test
    gives within one real second still have their order (resume tests)."""
    from asi_tui.store import clock

    start = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc)
    ticks = itertools.count()
    monkeypatch.setattr(clock, "now", lambda: (start + timedelta(seconds=next(ticks))).isoformat(timespec="seconds"))


@pytest.fixture
def make_app(data_dir, tmp_path):
    def factory(user: str = "anna", idle_lock_s: float = 300.0) -> AsiApp:
        return create_app(
            Services(
                data_dir=data_dir,
                today=lambda: TODAY,
                idle_lock_s=idle_lock_s,
                default_user=user,
                export_dir=tmp_path / "export",
            )
        )

    return factory


async def wait_for(pilot, predicate, timeout: float = 20.0) -> None:
    """Let the app run until `predicate()` holds (worker threads, screen switches).
    The bound is generous: CI runs two workers on two cores next to subprocess
    tests, and a condition that holds is met in milliseconds anyway."""
    deadline = time.monotonic() + timeout
    while not predicate():
        await pilot.pause(0.01)
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")


async def login(pilot, app, passphrase: str = ANNA_PW) -> None:
    await pilot.press(*passphrase, "enter")
    await wait_for(pilot, lambda: app.session is not None and type(app.screen).__name__ == "HomeScreen")
    # the home screen fills its list on mount, which can come a frame after the push
    await wait_for(pilot, lambda: any(o.option_count for o in app.screen.query("#records")))


def screen_text(app) -> list[str]:
    """The 80x24 screen as plain text lines, as the terminal shows it (modals included)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(seg.text for seg in strip) for strip in strips]
