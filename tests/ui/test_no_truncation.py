"""Every item of every bundled bank at 80x24, in both languages: the item's label,
its time frame, its hint, every code with its whole label and every check
message of the item are on screen (or, for a long code list, in the list that
Ctrl+Down scrolls), never cut off.

It reads what the widgets render at their laid-out size, not a screenshot.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from rich.cells import cell_len
from textual.geometry import Region

from asi_tui.bank.registry import bundled_banks
from asi_tui.demo import fill
from asi_tui.store import Store
from asi_tui.store.chain import linkable_for
from asi_tui.ui.lang import set_language
from asi_tui.ui.screens.interview import InterviewScreen

from .conftest import ANNA_PW, TODAY, login, wait_for


def rendered(widget) -> list[str]:
    """The lines the widget draws at its laid-out size."""
    width, height = widget.size
    return ["".join(seg.text for seg in strip).rstrip() for strip in widget.render_lines(Region(0, 0, width, height))]


async def settle(pilot) -> None:
    """Let the screen process its messages and lay itself out (what `pilot.pause()` does,
    without waiting for the machine to be idle: 1000 items on a busy machine)."""
    for _ in range(2):
        await pilot._wait_for_screen()
        pilot.app.screen._on_timer_update()


def flat(text: str) -> str:
    return " ".join(text.split())


def assert_whole(widget, expected: str, what: str) -> None:
    """All of `expected` is drawn by `widget`, and the widget lies inside the screen above the footer."""
    lines = rendered(widget)
    assert flat(expected) in flat(" ".join(lines)), f"{what}: {expected!r} is cut: {lines!r}"
    assert "…" not in "".join(lines) or "…" in expected, what
    screen = widget.screen
    bottom = screen.query_one("KeyFooter").region.y
    assert widget.region.bottom <= bottom and widget.region.right <= screen.size.width, f"{what} reaches past the screen"


def open_banks(data_dir):
    """One open record per bundled bank (follow-ups linked to a completed interview 300 days back)."""
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    handles = []
    for bank in bundled_banks():
        linked = None
        if bank.is_followup:
            base = next(b for b in reversed(bundled_banks())
                        if not b.is_followup and b.instrument in linkable_for(bank.instrument) and b.instrument != "bortfall")
            earlier = session.create_record(base, f"K-{bank.id}", TODAY - timedelta(days=300))
            fill(earlier, random.Random(1), heavy=True)
            earlier.complete()
            earlier.close()
            linked = {"rid": earlier.rid}
        handles.append(session.create_record(bank, f"K-{bank.id}", TODAY, linked=linked))
    for h in handles:
        h.close()
    session.close()
    return [h.rid for h in handles]


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_every_item_of_every_bank_fits_at_80x24(make_app, data_dir, lang):
    rids = open_banks(data_dir)
    set_language(lang)
    try:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await login(pilot, app)
            checked = 0
            for rid in rids:
                handle = app.session.open_record(rid)
                app.open_screen("interview", handle=handle)
                await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen) and app.screen.handle is handle and app.screen.item is not None)
                screen = app.screen
                bank = screen.bank
                for item in bank.items:
                    screen.show(item)
                    await settle(pilot)
                    label = item.label.get(lang)
                    assert_whole(screen.query_one("#item-head"), f"{item.id} {label}", f"{item.id} label")
                    timeframe = screen.query_one("#timeframe")
                    assert cell_len(str(screen._shown.get("timeframe", ""))) <= timeframe.size.width, f"{item.id} time frame"
                    assert_whole(screen.query_one("#item-hint"), str(screen._shown["item-hint"]), f"{item.id} hint")
                    codes = bank.codes_for(item)
                    if codes is not None:
                        widget = screen.query_one("#codes")
                        drawn = flat(" ".join(rendered(widget)))
                        assert all(cell_len(ln) <= widget.size.width for ln in rendered(widget)), f"{item.id} codes too wide"
                        for n, c in enumerate(codes.codes, 1):
                            shown_code = n if all(isinstance(x.code, str) for x in codes.codes) and len(codes.codes) <= 9 else c.code
                            assert flat(f"{shown_code} {c.label.get(lang)}") in drawn, f"{item.id} code {c.code} cut"
                        scroll = screen.query_one("#codes-scroll")
                        assert scroll.size.height >= 3, f"{item.id}: no room for the codes"
                        assert widget.size.height == str(screen._shown["codes"]).count("\n") + 1  # none of it clipped: Ctrl+Down reaches all
                    texts = [bank.message_text(c.message, lang) or c.message for c in item.checks]
                    if texts:  # all of the item's check messages at once: the region grows
                        screen._refuse("\n".join(texts))
                        await settle(pilot)
                        for text in texts:
                            assert_whole(screen.query_one("#message"), text, f"{item.id} message {text[:30]}")
                    checked += 1
                screen.action_pause()
                await wait_for(pilot, lambda: type(app.screen).__name__ == "HomeScreen" and not screen.is_attached)
            assert checked == sum(len(b.items) for b in bundled_banks())
    finally:
        set_language("sv")
