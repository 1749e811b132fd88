"""Sign in: user id and a masked passphrase, cleared as soon as it is used."""

from __future__ import annotations

import getpass

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ...store.errors import StoreError
from ..lang import t, tm
from ..limits import PASSPHRASE_MAX_LENGTH
from ..widgets.key_footer import KeyFooter


class LoginScreen(Screen[None]):
    AUTO_FOCUS = "#passphrase"

    def compose(self) -> ComposeResult:
        services = self.app.services  # type: ignore[attr-defined]
        with Vertical(id="login-box"):
            yield Static(t("ui.login.title"), id="login-title")
            yield Label(t("ui.login.user"))
            yield Input(services.default_user or getpass.getuser(), id="user", max_length=64, disabled=services.user_fixed)
            yield Label(t("ui.login.passphrase"))
            yield Input(password=True, id="passphrase", max_length=PASSPHRASE_MAX_LENGTH)
            yield Static("", id="login-error")
            yield Static(t("ui.login.hint"), id="login-hint")
        yield KeyFooter()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "user":
            self.query_one("#passphrase", Input).focus()
            return
        services = self.app.services  # type: ignore[attr-defined]
        user = services.default_user if services.user_fixed else self.query_one("#user", Input).value.strip()
        field = self.query_one("#passphrase", Input)
        secret = field.value
        field.value = ""  # never keep the passphrase in a widget
        if not user or not secret:
            self.query_one("#login-error", Static).update(t("store.error.wrong_passphrase"))
            return
        self.query_one("#login-error", Static).update(t("ui.login.checking"))
        field.disabled = True
        self._unlock(user, secret)

    @work(thread=True, exclusive=True, group="unlock")
    def _unlock(self, user: str, secret: str) -> None:
        from ...store import Store

        try:
            store = self.app.store or Store.open(self.app.services.data_dir)  # type: ignore[attr-defined]
            self.app.store = store  # type: ignore[attr-defined]
            session = store.unlock(user, secret)
        except StoreError as exc:
            self.app.call_from_thread(self._failed, tm(exc.key, **exc.params))
            return
        from ...reports.home import prepare_home

        prepare_home(session, self.app.services.today())  # type: ignore[attr-defined]
        self.app.call_from_thread(self.app.signed_in, session)  # type: ignore[attr-defined]

    def _failed(self, message: str) -> None:
        field = self.query_one("#passphrase", Input)
        field.disabled = False
        field.focus()
        self.query_one("#login-error", Static).update(message)
