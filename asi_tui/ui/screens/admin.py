"""Admin: users (add, disable, reset passphrase, role, certified), key rotation, audit review.

Every change goes through the store's Session API, which checks the admin
role and audits it; this screen only collects input.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ...store.vault import ROLES
from ..lang import t


class AdminScreen(Screen[None]):
    BINDINGS = [
        Binding("a", "add", t("ui.admin.key.add"), id="admin.add"),
        Binding("d", "disable", t("ui.admin.key.disable"), id="admin.disable"),
        Binding("p", "reset", t("ui.admin.key.reset"), id="admin.reset"),
        Binding("c", "certify", t("ui.admin.key.certify"), id="admin.certify"),
        Binding("o", "role", t("ui.admin.key.role"), id="admin.role"),
        Binding("k", "rotate", t("ui.admin.key.rotate"), id="admin.rotate"),
        Binding("l", "audit", t("ui.admin.key.audit"), id="admin.audit"),
        Binding("b", "banks", t("ui.admin.key.banks"), id="admin.banks"),
        Binding("escape", "back", t("ui.key.back"), id="admin.back"),
    ]
    AUTO_FOCUS = "#users"

    def compose(self) -> ComposeResult:
        yield Static(t("ui.admin.title"), id="topbar")
        with Horizontal(id="body"):
            yield OptionList(id="users")
            yield Static("", id="admin-detail")
        yield Static("", id="admin-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.refresh_users()

    def refresh_users(self, keep: str | None = None) -> None:
        users = self.app.session.list_users()  # type: ignore[attr-defined]
        olist = self.query_one("#users", OptionList)
        olist.clear_options()
        for u in users:
            flags = t(f"role.{u.role}") + (f", {t('cli.user.certified')}" if u.certified else "") + (f", {t('cli.user.disabled')}" if u.disabled else "")
            olist.add_option(Option(f"{u.id:<14} {flags}", id=u.id))
        ids = [u.id for u in users]
        olist.highlighted = ids.index(keep) if keep in ids else 0
        self._detail()

    def _user_id(self) -> str | None:
        olist = self.query_one("#users", OptionList)
        if olist.highlighted is None:
            return None
        return olist.get_option_at_index(olist.highlighted).id

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._detail()

    def _selected_user(self):  # noqa: ANN202 - a vault User or None
        """The highlighted user, read from the (signed) user table."""
        uid = self._user_id()
        return next((u for u in self.app.session.list_users() if u.id == uid), None)  # type: ignore[attr-defined]

    def _detail(self) -> None:
        user = self._selected_user()
        if user is None:
            return
        self.query_one("#admin-detail", Static).update(
            t("ui.admin.detail", id=user.id, name=user.name, role=t(f"role.{user.role}"),
              certified=t("ui.admin.yes") if user.certified else t("ui.admin.no"),
              disabled=t("ui.admin.yes") if user.disabled else t("ui.admin.no"), created=user.created[:10])
        )

    def _status(self, text: str) -> None:
        self.query_one("#admin-status", Static).update(text)

    def _do(self, fn, done_key: str, **params: object) -> None:  # noqa: ANN001
        uid = self._user_id()
        try:
            fn()
        except StoreError as exc:
            self._status(t(exc.key, **exc.params))
            return
        self._status(t(done_key, **params))
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
        uid = self._user_id()
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
        uid = self._user_id()
        if not uid:
            return

        def chosen(secret: str | None) -> None:
            if secret:
                self._do(lambda: self.app.session.reset_passphrase(uid, secret), "cli.user.passwd", user=uid)  # type: ignore[attr-defined]

        self.app.push_screen(PassphraseDialog(t("ui.admin.reset_title", user=uid)), callback=chosen)

    def action_rotate(self) -> None:
        self._status(t("cli.key.rotating"))
        self._rotate()

    @work(thread=True, exclusive=True, group="rotate")
    def _rotate(self) -> None:
        def progress(done: int, total: int) -> None:
            self.app.call_from_thread(self._status, t("ui.admin.rotating", done=done, total=total))

        try:
            result = self.app.session.rotate_key(False, progress)  # type: ignore[attr-defined]
        except StoreError as exc:
            self.app.call_from_thread(self._status, t(exc.key, **exc.params))
            return
        key = "cli.key.rotated" if result["finished"] else "cli.key.incomplete"
        n = result["records"] if result["finished"] else len(result["skipped"])
        self.app.call_from_thread(self._status, t(key, gen=result["gen"], n=n))

    def action_audit(self) -> None:
        self.app.push_screen(AuditScreen())

    def action_banks(self) -> None:
        self.app.push_screen(BankVersionsScreen())

    def action_back(self) -> None:
        self.app.pop_screen()


class PassphraseDialog(ModalScreen[str | None]):
    """A new passphrase, typed twice; the fields are cleared after use."""

    BINDINGS = [Binding("escape", "cancel", t("ui.key.cancel"), id="pw.cancel")]
    AUTO_FOCUS = "#pw1"

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(password=True, id="pw1", placeholder=t("cli.secret.new", user=""))
            yield Input(password=True, id="pw2", placeholder=t("cli.secret.again"))
            yield Static("", id="pw-error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "pw1":
            self.query_one("#pw2", Input).focus()
            return
        a, b = self.query_one("#pw1", Input), self.query_one("#pw2", Input)
        first, second = a.value, b.value
        a.value = b.value = ""
        if first != second:
            self.query_one("#pw-error", Static).update(t("ui.admin.mismatch"))
            a.focus()
            return
        self.dismiss(first)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AddUserDialog(ModalScreen[tuple[str, str, str, bool, str] | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", t("ui.key.save"), id="adduser.save"),
        Binding("escape", "cancel", t("ui.key.cancel"), id="adduser.cancel"),
    ]
    AUTO_FOCUS = "#new-id"

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(t("ui.admin.add_title"), classes="dialog-title")
            yield Label(t("ui.admin.field.id"))
            yield Input(id="new-id", max_length=64, restrict=r"[a-z0-9._-]*")
            yield Label(t("ui.admin.field.name"))
            yield Input(id="new-name", max_length=80)
            yield Label(t("ui.admin.field.role"))
            yield OptionList(*[Option(t(f"role.{r}"), id=r) for r in ROLES], id="new-role")
            yield Label(t("ui.admin.field.passphrase"))
            yield Input(password=True, id="new-pw1")
            yield Input(password=True, id="new-pw2", placeholder=t("cli.secret.again"))
            yield Static(t("ui.admin.add_keys"), classes="dialog-keys")
            yield Static("", id="add-error")

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
            self.query_one("#add-error", Static).update(t("ui.admin.mismatch") if uid else t("store.error.bad_user_id", user=""))
            return
        self.dismiss((uid, name, role, False, first))

    def action_cancel(self) -> None:
        self.dismiss(None)


class AuditScreen(Screen[None]):
    """Access review (logguppföljning): filter by user or client."""

    BINDINGS = [Binding("escape", "back", t("ui.key.back"), id="audit.back")]
    AUTO_FOCUS = "#audit-filter"

    def compose(self) -> ComposeResult:
        yield Static(t("ui.audit.title"), id="topbar")
        yield Input(id="audit-filter", placeholder=t("ui.audit.filter"))
        yield OptionList(id="audit-list")
        yield Static("", id="audit-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self._load(None, None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        user = client = None
        if text.startswith("user:"):
            user = text[5:].strip() or None
        elif text:
            client = text
        self._load(user, client)
        self.query_one("#audit-list", OptionList).focus()

    def _load(self, user: str | None, client: str | None) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        try:
            entries = session.audit_entries(user, client)
            result = session.verify_audit()
        except StoreError as exc:
            self.query_one("#audit-status", Static).update(t(exc.key, **exc.params))
            return
        olist = self.query_one("#audit-list", OptionList)
        olist.clear_options()
        for e in reversed(entries[-500:]):
            olist.add_option(Option(f"{e['seq']:>5} {e['ts'][:16]} {e.get('user', ''):<10} {e.get('action', ''):<14} {e.get('client', '')}"))
        status = t("cli.audit.ok", n=result.entries) if result.ok else t(f"cli.audit.bad.{result.reason}", seq=result.first_bad, **result.params)
        self.query_one("#audit-status", Static).update(status)

    def action_back(self) -> None:
        self.app.pop_screen()


class BankVersionsScreen(Screen[None]):
    """Bank versions: which is active per instrument, which are retired, how many records use each."""

    BINDINGS = [
        Binding("enter", "activate", t("ui.banks.key.activate"), id="bankversions.activate"),
        Binding("r", "retire", t("ui.banks.key.retire"), id="bankversions.retire"),
        Binding("p", "publish", t("ui.banks.key.publish"), id="bankversions.publish"),
        Binding("escape", "back", t("ui.key.back"), id="bankversions.back"),
    ]
    AUTO_FOCUS = "#bank-list"

    def compose(self) -> ComposeResult:
        yield Static(t("ui.banks.title"), id="topbar")
        yield OptionList(id="bank-list")
        yield Static("", id="banks-status")
        yield Footer(show_command_palette=False)

    def _store(self):  # noqa: ANN202
        from ...store.banks import BankStore

        return BankStore.for_store(self.app.store)  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.refresh_versions()

    def refresh_versions(self) -> None:
        rows = self._store().versions(self.app.session)  # type: ignore[attr-defined]
        self.rows = rows
        olist = self.query_one("#bank-list", OptionList)
        olist.clear_options()
        for r in rows:
            flags = []
            if r.active:
                flags.append(t("ui.banks.active"))
            if r.retired:
                flags.append(t("ui.banks.retired"))
            if getattr(r, "altered", False):
                flags.append(t("ui.banks.altered"))
            source = t(f"ui.banks.source.{r.source}")
            records = getattr(r, "records", 0)
            olist.add_option(Option(f"{r.bank_id:<22} {r.version:<8} {source:<10} {records:>5}  {', '.join(flags)}"))
        if rows:
            olist.highlighted = 0

    def _row(self):  # noqa: ANN202
        i = self.query_one("#bank-list", OptionList).highlighted
        return self.rows[i] if i is not None and i < len(self.rows) else None

    def _run(self, fn, done: str) -> None:  # noqa: ANN001
        try:
            fn()
        except StoreError as exc:
            self.query_one("#banks-status", Static).update(t(exc.key, **exc.params))
            return
        self.query_one("#banks-status", Static).update(done)
        self.refresh_versions()

    def action_activate(self) -> None:
        r = self._row()
        if r is not None:
            self._run(lambda: self._store().activate(self.app.session, r.bank_id, r.version),  # type: ignore[attr-defined]
                      t("ui.banks.activated", bank=r.bank_id, version=r.version))

    def action_retire(self) -> None:
        r = self._row()
        if r is not None:
            self._run(lambda: self._store().retire(self.app.session, r.bank_id, r.version),  # type: ignore[attr-defined]
                      t("ui.banks.retired_done", bank=r.bank_id, version=r.version))

    def action_publish(self) -> None:
        from pathlib import Path

        from ...bank.loader import BankError

        def chosen(path: str | None) -> None:
            if not path:
                return
            try:
                info, _reports = self._store().publish(self.app.session, Path(path).expanduser())  # type: ignore[attr-defined]
            except BankError as exc:
                first = exc.problems[0] if exc.problems else None
                self.query_one("#banks-status", Static).update(t("ui.banks.broken", n=len(exc.problems), first=str(first or "")))
                return
            except StoreError as exc:
                self.query_one("#banks-status", Static).update(t(exc.key, **exc.params))
                return
            self.query_one("#banks-status", Static).update(t("ui.banks.published", bank=info.bank_id, version=info.version))
            self.refresh_versions()

        self.app.push_screen(PathDialog(t("ui.banks.publish_title")), callback=chosen)

    def action_back(self) -> None:
        self.app.pop_screen()


class PathDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", t("ui.key.cancel"), id="path.cancel")]
    AUTO_FOCUS = "#path-input"

    def __init__(self, title: str) -> None:
        super().__init__(classes="dialog")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box"):
            yield Static(self.title_text, classes="dialog-title")
            yield Input(id="path-input", placeholder="/sökväg/till/asi-grund-2.0.0.yaml")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
