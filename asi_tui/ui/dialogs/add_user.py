"""Admin: a new user (id, name, role, first passphrase typed twice)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from ...store.vault import ROLES
from ..lang import t, tk
from ..limits import PASSPHRASE_MAX_LENGTH, USER_NAME_MAX_LENGTH
from ..widgets.choice_list import ChoiceList
from .base import DialogScreen

NewUser = tuple[str, str, str, bool, str]  # id, name, role, certified, passphrase


class AddUserDialog(DialogScreen[NewUser]):
    BINDINGS = [Binding("ctrl+s", "save", tk("ui.key.save"), id="adduser.save")]
    KEYS = "ui.admin.add_keys"
    ERROR_ID = "add-error"
    AUTO_FOCUS = "#new-id"

    def __init__(self) -> None:
        super().__init__(t("ui.admin.add_title"))

    def compose_body(self) -> ComposeResult:
        yield Label(t("ui.admin.field.id"))
        yield Input(id="new-id", max_length=64, restrict=r"[a-z0-9._-]*")
        yield Label(t("ui.admin.field.name"))
        yield Input(id="new-name", max_length=USER_NAME_MAX_LENGTH)
        yield Label(t("ui.admin.field.role"))
        yield ChoiceList(*[Option(t(f"role.{r}"), id=r) for r in ROLES], id="new-role")
        yield Label(t("ui.admin.field.passphrase"))
        yield Input(password=True, id="new-pw1", max_length=PASSPHRASE_MAX_LENGTH)
        yield Input(password=True, id="new-pw2", placeholder=t("cli.secret.again"), max_length=PASSPHRASE_MAX_LENGTH)

    def on_mount(self) -> None:
        self.query_one("#new-role", OptionList).highlighted = 1  # interviewer

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_save(self) -> None:
        uid = self.query_one("#new-id", Input).value.strip()
        name = self.query_one("#new-name", Input).value.strip() or uid
        roles = self.query_one("#new-role", OptionList)
        role = str(roles.get_option_at_index(roles.highlighted or 0).id)
        a, b = self.query_one("#new-pw1", Input), self.query_one("#new-pw2", Input)
        first, second = a.value, b.value
        a.value = b.value = ""
        if not uid or first != second:
            self.show_error(t("ui.admin.mismatch") if uid else t("store.error.bad_user_id", user=""))
            return
        self.dismiss((uid, name, role, False, first))
