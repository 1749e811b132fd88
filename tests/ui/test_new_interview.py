"""The new-interview form: choices visible without focus, and a warning before a
second record of the same instrument for the same client (same day, or still open)."""

from __future__ import annotations

from datetime import timedelta

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Store
from asi_tui.ui.screens.interview import InterviewScreen

from .conftest import ADMIN_PW, ANNA_PW, TODAY, login, screen_text, wait_for


def records_for(data_dir, client):
    session = Store.open(data_dir).unlock("anna", ANNA_PW)
    try:
        return session.list_records(client_ref=client)
    finally:
        session.close()


def test_similar_records_are_same_day_or_still_open_of_the_same_instrument(data_dir):
    admin = Store.open(data_dir).unlock("admin", ADMIN_PW)
    grund, uppf = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning")
    admin.create_record(grund, "K-1", TODAY).close()  # today, open
    done = admin.create_record(grund, "K-2", TODAY - timedelta(days=30))
    done.close()
    admin.create_record(grund, "K-3", TODAY - timedelta(days=3)).close()  # open since three days
    assert [d["client_ref"] for d in admin.similar_records("K-1", grund, TODAY)] == ["K-1"]
    assert admin.similar_records("K-1", uppf, TODAY) == []  # another instrument
    assert [d["client_ref"] for d in admin.similar_records("K-3", grund, TODAY)] == ["K-3"]  # still open
    admin.close()


async def test_choices_show_without_focus(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        await pilot.pause()
        assert app.screen.focused is app.screen.query_one("#client")
        text = "\n".join(screen_text(app))
        assert "● ASI Grund" in text and "○ ASI Uppföljning" in text and "● Personligt möte" in text


async def test_a_second_grund_the_same_day_is_warned_about_before_it_is_created(make_app, data_dir):
    admin = Store.open(data_dir).unlock("admin", ADMIN_PW)
    admin.create_record(bundled_bank("asi-grund"), "K-DUBBEL", TODAY).close()
    admin.close()
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await login(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        await pilot.press(*"K-DUBBEL")
        await pilot.pause()
        warning = str(app.screen.query_one("#form-warning").render())
        assert "Klienten har redan" in warning and TODAY.isoformat() in warning and "admin" in warning
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "NewInterviewScreen" and len(records_for(data_dir, "K-DUBBEL")) == 1
        assert "en gång till" in str(app.screen.query_one("#form-error").render())
        await pilot.press("ctrl+s")  # seen, and meant
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
    assert len(records_for(data_dir, "K-DUBBEL")) == 2
