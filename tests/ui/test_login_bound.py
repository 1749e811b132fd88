"""`asi-tui run --user ID`, the SSH forced command of a captive service
account: the key's user is the only one the login screen signs in."""

from __future__ import annotations

from textual.widgets import Input

from asi_tui.ui.app import create_app
from asi_tui.ui.services import Services

from asi_tui.ui.lang import t

from .conftest import ADMIN_PW, TODAY, login, screen_text, wait_for


async def test_a_bound_user_cannot_be_switched_on_the_login_screen(data_dir, tmp_path):
    app = create_app(Services(data_dir=data_dir, today=lambda: TODAY, default_user="anna", user_fixed=True,
                              export_dir=tmp_path / "export"))
    async with app.run_test() as pilot:
        field = app.screen.query_one("#user", Input)
        assert field.disabled and field.value == "anna"
        field.value = "admin"  # even if the field were changed, the bound user is the one checked
        await pilot.press(*ADMIN_PW, "enter")
        wrong = t("store.error.wrong_passphrase")
        await wait_for(pilot, lambda: any(wrong in line for line in screen_text(app)))
        assert app.session is None  # the admin's passphrase does not open anna's slot


async def test_a_bound_user_signs_in_with_their_own_passphrase(data_dir, tmp_path):
    app = create_app(Services(data_dir=data_dir, today=lambda: TODAY, default_user="anna", user_fixed=True,
                              export_dir=tmp_path / "export"))
    async with app.run_test() as pilot:
        await login(pilot, app)
        assert app.session.user.id == "anna"
