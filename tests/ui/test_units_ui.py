"""Units in the TUI (issue 13): the admin's units screen and a user's units,
the unit choice when an interview starts, the admin's stated reason, and the
home screen of roles without client data. Keys only."""

from __future__ import annotations

from datetime import date

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Store
from asi_tui.ui.dialogs.prompt import PromptDialog
from asi_tui.ui.dialogs.reason import ReasonDialog
from asi_tui.ui.screens.admin import AdminScreen
from asi_tui.ui.screens.home import HomeScreen
from asi_tui.ui.screens.interview import InterviewScreen
from asi_tui.ui.screens.units import UnitsScreen

from .conftest import ADMIN_PW, ANNA_PW, login, screen_text, wait_for


async def test_admin_adds_a_unit_and_puts_a_user_in_it(make_app, data_dir):
    app = make_app(user="admin")
    async with app.run_test() as pilot:
        await login(pilot, app, ADMIN_PW)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AdminScreen))
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, UnitsScreen))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog))
        await pilot.press(*"Vuxenenheten", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, UnitsScreen))
        assert {u.id for u in app.session.list_units()} == {"enheten", "vuxenenheten"}
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AdminScreen))
        olist = app.screen.query_one("#users")
        olist.highlighted = [o.id for o in olist.options].index("anna")
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog))
        await pilot.press(*"enheten, Vuxenenheten", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, AdminScreen))
        assert {u.id: u for u in app.session.list_users()}["anna"].units == ("enheten", "vuxenenheten")
    anna = Store.open(data_dir).unlock("anna", ANNA_PW)
    assert anna.keys.held_units() == {"enheten", "vuxenenheten"}


async def test_a_member_of_two_units_chooses_the_unit_when_the_interview_starts(make_app, data_dir):
    admin = Store.open(data_dir).unlock("admin", ADMIN_PW)
    admin.add_unit("Vuxenenheten")
    admin.update_user("anna", units=["enheten", "vuxenenheten"])
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "NewInterviewScreen")
        assert "Enhet:" in "\n".join(screen_text(app))
        app.screen.query_one("#unit").highlighted = 1  # Vuxenenheten
        await pilot.press(*"K-UNIT", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, InterviewScreen))
        assert app.screen.handle.unit == "vuxenenheten"
        assert app.session.index.get(app.screen.handle.rid)["unit"] == "vuxenenheten"


async def test_an_admin_states_a_reason_to_open_another_persons_record(make_app, data_dir):
    anna = Store.open(data_dir).unlock("anna", ANNA_PW)
    h = anna.create_record(bundled_bank("asi-grund"), "K-REASON", date(2026, 10, 1))
    assert h.answer("G16", 30).ok
    h.pause()
    h.close()
    app = make_app(user="admin")
    async with app.run_test() as pilot:
        await login(pilot, app, ADMIN_PW)
        assert [d["client_ref"] for d in app.session.list_records()] == ["K-REASON"]
        from asi_tui.ui.dialogs.reason import open_asking_reason

        opened = []
        open_asking_reason(app.screen, app.session, h.rid, True, opened.append)
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press(*"Registerutdrag", "enter")
        await wait_for(pilot, lambda: bool(opened))
        assert opened[0].rid == h.rid
        opened[0].close(log=False)
    entry = [e for e in Store.open(data_dir).unlock("admin", ADMIN_PW).audit_entries() if e["action"] == "view"][-1]
    assert entry["detail"] == {"reason": "Registerutdrag"} and entry["client"] == "K-REASON" and entry["user"] == "admin"


async def test_roles_without_client_data_see_no_client_on_home(make_app, data_dir):
    admin = Store.open(data_dir).unlock("admin", ADMIN_PW)
    admin.add_user("fou", "FoU", "analyst", "fous-lösenfras-333")
    admin.add_user("tove", "Tove", "interviewer", "toves-lösenfras-44", certified=False)
    anna = Store.open(data_dir).unlock("anna", ANNA_PW)
    anna.create_record(bundled_bank("asi-grund"), "K-HIDDEN", date(2026, 10, 1)).close()
    for user, pw in (("fou", "fous-lösenfras-333"), ("tove", "toves-lösenfras-44")):
        app = make_app(user=user)
        async with app.run_test() as pilot:
            await login(pilot, app, pw)
            assert isinstance(app.screen, HomeScreen)
            assert "K-HIDDEN" not in "\n".join(screen_text(app))
