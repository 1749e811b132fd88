"""The admin screen: users are managed by keys; non-admins never see it."""

from __future__ import annotations

from asi_tui.store import Store
from asi_tui.ui.dialogs.add_user import AddUserDialog
from asi_tui.ui.screens.admin import AdminScreen
from asi_tui.ui.screens.audit import AuditScreen
from asi_tui.ui.screens.home import HomeScreen

from .conftest import ADMIN_PW, login, wait_for


async def test_admin_adds_certifies_and_disables_a_user(make_app, data_dir):
    app = make_app(user="admin")
    async with app.run_test() as pilot:
        await login(pilot, app, ADMIN_PW)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AdminScreen))
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AddUserDialog))
        await pilot.press(*"bo", "tab", *"Bo Berg", "tab", "tab", *"bos-lösenfras-1", "tab", *"bos-lösenfras-1", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, AdminScreen))
        users = {u.id: u for u in app.session.list_users()}
        assert users["bo"].role == "interviewer" and not users["bo"].certified
        olist = app.screen.query_one("#users")
        olist.highlighted = [o.id for o in olist.options].index("bo")
        await pilot.press("c")
        await pilot.pause()
        assert {u.id: u for u in app.session.list_users()}["bo"].certified
        await pilot.press("d")
        await pilot.pause()
        assert {u.id: u for u in app.session.list_users()}["bo"].disabled
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, AuditScreen))
        text = " ".join(str(o.prompt) for o in app.screen.query_one("#audit-list").options)
        assert "user-add" in text and "user-update" in text
    # the new user really cannot sign in any more
    store = Store.open(data_dir)
    try:
        store.unlock("bo", "bos-lösenfras-1")
        raise AssertionError("a disabled user signed in")
    except Exception as exc:  # noqa: BLE001
        assert type(exc).__name__ == "WrongPassphrase"


async def test_interviewer_has_no_admin_key(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_admin_sees_bank_versions_and_publishes_one(make_app, tmp_path):
    from asi_tui.bank.registry import bundled_bank
    from asi_tui.ui.dialogs.path import PathDialog
    from asi_tui.ui.screens.bank_versions import BankVersionsScreen

    source = bundled_bank("asi-grund").path.read_text(encoding="utf-8").replace(f"version: {bundled_bank('asi-grund').version}\n", "version: 1.1.0\n", 1)
    new = tmp_path / "q" / "grund" / "asi-grund-1.1.0.yaml"
    new.parent.mkdir(parents=True)
    (tmp_path / "q" / "codes").symlink_to(bundled_bank("asi-grund").path.parent.parent / "codes")
    new.write_text(source, encoding="utf-8")
    app = make_app(user="admin")
    async with app.run_test() as pilot:
        await login(pilot, app, ADMIN_PW)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AdminScreen))
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BankVersionsScreen))
        before = [str(o.prompt) for o in app.screen.query_one("#bank-list").options]
        assert any("asi-grund" in line and "1.0.0" in line for line in before)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PathDialog))
        await pilot.press(*str(new), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, BankVersionsScreen))
        await wait_for(pilot, lambda: any("1.1.0" in str(o.prompt) for o in app.screen.query_one("#bank-list").options))
        from asi_tui.store.banks import BankStore

        assert BankStore.for_store(app.store).active_bank("grund").version == "1.1.0"
