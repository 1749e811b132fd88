"""Access review (logguppföljning): the audit log, filtered by user or client, and whether its chain holds."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ..lang import esc, local_time, t, tk, tm
from ..limits import CLIENT_REF_MAX_LENGTH
from ..widgets.key_footer import KeyFooter


class AuditScreen(Screen[None]):
    """Access review (logguppföljning): filter by user or client."""

    BINDINGS = [Binding("escape", "back", tk("ui.key.back"), id="audit.back")]
    AUTO_FOCUS = "#audit-filter"

    def compose(self) -> ComposeResult:
        yield Static(t("ui.audit.title"), id="topbar")
        yield Input(id="audit-filter", placeholder=t("ui.audit.filter"), max_length=CLIENT_REF_MAX_LENGTH + 5)
        yield OptionList(id="audit-list")
        yield Static("", id="audit-status")
        yield KeyFooter()

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
            self.query_one("#audit-status", Static).update(tm(exc.key, **exc.params))
            return
        olist = self.query_one("#audit-list", OptionList)
        olist.clear_options()
        for e in reversed(entries[-500:]):
            olist.add_option(Option(f"{e['seq']:>5} {local_time(e['ts'])} {esc(e.get('user', '')):<10} {esc(e.get('action', '')):<14} {esc(e.get('client') or '')}"))
        status = t("cli.audit.ok", n=result.entries) if result.ok else t(f"cli.audit.bad.{result.reason}", seq=result.first_bad, **result.params)
        self.query_one("#audit-status", Static).update(status)

    def action_back(self) -> None:
        self.app.pop_screen()
