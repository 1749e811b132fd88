"""Admin: users (add, disable, reset passphrase, role, certified, units), units, key rotation, audit review.

Every change goes through the store's Session API, which checks the admin
role and audits it; this screen only collects input.
"""

from __future__ import annotations

from textual import work
from textual.binding import Binding
from textual.widgets import Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ...store.vault import ROLES
from ..dialogs.add_user import AddUserDialog
from ..dialogs.passphrase import PassphraseDialog
from ..dialogs.prompt import PromptDialog
from ..lang import esc, t, tk, tm
from ..navigation import open_audit, open_bank_versions, open_units
from .list_detail import ListDetailScreen


class AdminScreen(ListDetailScreen[None]):
    BINDINGS = [
        Binding("a", "add", tk("ui.admin.key.add"), id="admin.add"),
        Binding("d", "disable", tk("ui.admin.key.disable"), id="admin.disable"),
        Binding("p", "reset", tk("ui.admin.key.reset"), id="admin.reset"),
        Binding("c", "certify", tk("ui.admin.key.certify"), id="admin.certify"),
        Binding("o", "role", tk("ui.admin.key.role"), id="admin.role"),
        Binding("k", "rotate", tk("ui.admin.key.rotate"), id="admin.rotate"),
        Binding("l", "audit", tk("ui.admin.key.audit"), id="admin.audit"),
        Binding("b", "banks", tk("ui.admin.key.banks"), id="admin.banks"),
        Binding("e", "units", tk("ui.units.key.units"), id="admin.units"),
        Binding("u", "user_units", tk("ui.units.key.user_units"), id="admin.user_units"),
        Binding("escape", "back", tk("ui.key.back"), id="admin.back"),
    ]
    LIST_ID, DETAIL_ID, STATUS_ID = "users", "admin-detail", "admin-status"
    AUTO_FOCUS = "#users"

    def topbar_text(self) -> str:
        return t("ui.admin.title")

    def on_mount(self) -> None:
        self.refresh_users()

    def refresh_users(self, keep: str | None = None) -> None:
        users = self.app.session.list_users()  # type: ignore[attr-defined]
        options = []
        for u in users:
            flags = t(f"role.{u.role}") + (f", {t('cli.user.certified')}" if u.certified else "") + (f", {t('cli.user.disabled')}" if u.disabled else "")
            options.append(Option(f"{esc(u.id):<14} {flags}", id=u.id))
        ids = [u.id for u in users]
        self.set_options(options, ids.index(keep) if keep in ids else 0)
        self.show_detail()

    def _selected_user(self):  # noqa: ANN202 - a vault User or None
        """The highlighted user, read from the (signed) user table."""
        uid = self.highlighted_id()
        return next((u for u in self.app.session.list_users() if u.id == uid), None)  # type: ignore[attr-defined]

    def show_detail(self) -> None:
        user = self._selected_user()
        if user is None:
            return
        self.query_one("#admin-detail", Static).update(
            tm("ui.admin.detail", id=user.id, name=user.name, role=t(f"role.{user.role}"),
              certified=t("ui.admin.yes") if user.certified else t("ui.admin.no"),
              disabled=t("ui.admin.yes") if user.disabled else t("ui.admin.no"), created=user.created[:10])
            + "\n" + t("ui.units.user_units", units=", ".join(user.units) or "-")
        )

    def _do(self, fn, done_key: str, **params: object) -> None:  # noqa: ANN001
        uid = self.highlighted_id()
        try:
            fn()
        except StoreError as exc:
            self.set_status(tm(exc.key, **exc.params))
            return
        self.set_status(tm(done_key, **params))
        self.refresh_users(keep=uid)

    def action_add(self) -> None:
        def added(result: tuple[str, str, str, bool, str] | None) -> None:
            if result is None:
                return
            uid, name, role, certified, secret = result
            self._do(lambda: self.app.session.add_user(uid, name, role, secret, certified), "cli.user.added",  # type: ignore[attr-defined]
                     user=uid, role=t(f"role.{role}"))
            self.refresh_users(keep=uid)

        self.app.push_screen(AddUserDialog(), callback=added)

    def action_disable(self) -> None:
        uid = self.highlighted_id()
        if uid:
            self._do(lambda: self.app.session.update_user(uid, disabled=True), "cli.user.disabled_done", user=uid)  # type: ignore[attr-defined]

    def action_certify(self) -> None:
        user = self._selected_user()
        if user is not None:
            self._do(lambda: self.app.session.update_user(user.id, certified=not user.certified), "cli.user.updated", user=user.id)  # type: ignore[attr-defined]

    def action_role(self) -> None:
        user = self._selected_user()
        if user is not None:
            role = ROLES[(ROLES.index(user.role) + 1) % len(ROLES)]
            self._do(lambda: self.app.session.update_user(user.id, role=role), "cli.user.updated", user=user.id)  # type: ignore[attr-defined]

    def action_reset(self) -> None:
        uid = self.highlighted_id()
        if not uid:
            return

        def chosen(secret: str | None) -> None:
            if secret:
                self._do(lambda: self.app.session.reset_passphrase(uid, secret), "cli.user.passwd", user=uid)  # type: ignore[attr-defined]

        self.app.push_screen(PassphraseDialog(tm("ui.admin.reset_title", user=uid)), callback=chosen)

    def action_rotate(self) -> None:
        self.set_status(t("cli.key.rotating"))
        self._rotate()

    @work(thread=True, exclusive=True, group="rotate")
    def _rotate(self) -> None:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self.set_status, t("ui.admin.rotating", done=done, total=total))

        try:
            result = self.app.session.rotate_key(False, progress)  # type: ignore[attr-defined]
        except StoreError as exc:
            self.app.call_from_thread(self.set_status, tm(exc.key, **exc.params))
            return
        key = "cli.key.rotated" if result["finished"] else "cli.key.incomplete"
        n = result["records"] if result["finished"] else len(result["skipped"])
        self.app.call_from_thread(self.set_status, t(key, gen=result["gen"], n=n))

    def action_audit(self) -> None:
        open_audit(self)

    def action_banks(self) -> None:
        open_bank_versions(self)

    def action_units(self) -> None:
        open_units(self)

    def action_user_units(self) -> None:
        """The highlighted user's units: unit ids or names, separated by commas."""
        user = self._selected_user()
        if user is None:
            return

        def chosen(text: str | None) -> None:
            if text is not None:
                units = [u.strip() for u in text.split(",") if u.strip() and u.strip() != "-"]
                self._do(lambda: self.app.session.update_user(user.id, units=units), "cli.user.updated", user=user.id)  # type: ignore[attr-defined]

        self.app.push_screen(PromptDialog(t("ui.units.user_units_title", user=user.id), ", ".join(user.units)),
                             callback=chosen)
