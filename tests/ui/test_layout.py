"""At 80x24 the item, its time frame with calendar dates and the key hints all fit."""

from __future__ import annotations

from asi_tui.ui.screens.interview import InterviewScreen

from .conftest import login, screen_text, wait_for


async def open_new_grund(pilot, app, client: str = "K-LAYOUT"):
    await login(pilot, app)
    await pilot.press("n", *client, "ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
    return app.screen


async def test_80x24_shows_item_timeframe_dates_and_keys(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_grund(pilot, app)
        await pilot.press("ctrl+g", *"D1a", "enter")
        await wait_for(pilot, lambda: screen.item.id == "D1a")
        lines = screen_text(app)
        text = "\n".join(lines)
        assert len(lines) == 24 and all(len(ln) <= 80 for ln in lines)
        assert "D1a" in text
        # the 30-day window ends the day before the interview date (2026-11-20)
        assert "senaste 30 dagarna: 21 okt – 19 nov 2026" in text
        footer = lines[-1]
        for hint in ("F1 Hjälp", "F2 Komm.", "Ctrl+G Gå till", "F9 Skattn.", "F10 Granska", "Ctrl+S Pausa", "Ctrl+L Lås"):
            assert hint in footer, footer
        label = screen.item.label.get("sv")
        # the whole question is on screen, wrapped, never cut
        assert " ".join(label.split()) in " ".join(" ".join(ln.split("│", 1)[-1] for ln in lines[1:8]).split())


async def test_80x24_coded_item_shows_every_code_whole_and_scrolls_to_the_rest(make_app):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_new_grund(pilot, app)
        await pilot.press("ctrl+g", *"D14", "enter")
        await wait_for(pilot, lambda: screen.item.id == "D14")
        codes = screen.bank.codes_for(screen.item).codes
        def pane() -> str:
            return " ".join(" ".join(ln.split("│", 1)[-1] for ln in screen_text(app)).split())

        seen = pane()
        assert "fler koder · Ctrl+↓" in seen  # 16 codes with whole labels are more than the pane holds
        await pilot.press("ctrl+down")
        await pilot.pause()
        seen += " " + pane()
        for c in codes:  # every label whole (wrapped lines joined), beside its code
            assert f"{c.code} {c.label.get('sv')}" in seen, c.label.get("sv")
        assert screen.focused is screen.query_one("#item-input")  # scrolling never takes the answer field's focus


async def test_16_colour_theme_by_default(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.theme == "ansi-dark"
