"""Canary (storage-design #20) for the TUI: sentinel client ref, answer and
passphrase never reach any file, the terminal output or the temp directory."""

from __future__ import annotations

import tempfile
from pathlib import Path

from asi_tui.store import Store
from asi_tui.ui.screens.home import HomeScreen
from asi_tui.ui.screens.interview import InterviewScreen

from .conftest import ADMIN_PW, login, wait_for

CLIENT = "KANARIE-KLIENT-5150"
ANSWER = "KANARIE-SVAR-5151"
PASSPHRASE = "KANARIE-LÖSEN-5152-lång"


def all_bytes(root: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in root.rglob("*") if p.is_file()]


async def test_sentinels_leave_no_trace(data_dir, make_app, capsys):
    admin = Store.open(data_dir).unlock("admin", ADMIN_PW)
    admin.add_user("kim", "Kim", "interviewer", PASSPHRASE, certified=True)
    admin.close()
    before_tmp = set(Path(tempfile.gettempdir()).iterdir())
    app = make_app(user="kim")
    async with app.run_test() as pilot:
        await login(pilot, app, PASSPHRASE)
        await pilot.press("n", *CLIENT, "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        screen = app.screen
        await pilot.press("ctrl+g", *"E3", "enter")
        await wait_for(pilot, lambda: screen.item is not None and screen.item.id == "E3")
        await pilot.press("1")  # E3 yes: E3s, a text item, follows
        await wait_for(pilot, lambda: screen.item is not None and screen.item.id == "E3s")
        await pilot.press(*ANSWER, "enter")
        await wait_for(pilot, lambda: app.screen.interview.value("E3s") == ANSWER)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen))
    captured = capsys.readouterr()
    sentinels = [CLIENT, ANSWER, PASSPHRASE, "KANARIE"]
    for text in (captured.out, captured.err):
        assert not any(s in text for s in sentinels)
    new_tmp = [p for p in Path(tempfile.gettempdir()).iterdir() if p not in before_tmp and p.is_file()]
    for path, data in all_bytes(data_dir) + [(p, p.read_bytes()) for p in new_tmp]:
        for s in sentinels:
            assert s.encode() not in data, path
            assert s.encode("utf-16-le") not in data, path
    # and the record is really there, encrypted
    session = Store.open(data_dir).unlock("kim", PASSPHRASE)
    assert [d["client_ref"] for d in session.list_records()] == [CLIENT]
