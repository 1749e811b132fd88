"""The lock screen: covers everything; the same user's passphrase resumes exactly where they were."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ...store.errors import StoreError
from ..lang import t, tm
from ..limits import PASSPHRASE_MAX_LENGTH


class LockScreen(ModalScreen[bool]):
    """Modal over the whole screen; nothing of the interview shows through."""

    AUTO_FOCUS = "#unlock-passphrase"
    BINDINGS = [
        # swallow the app-level lock/quit keys while locked
        Binding("ctrl+l", "noop", show=False, priority=True, id="lock.noop"),
        Binding("ctrl+q", "noop", show=False, priority=True, id="lock.noquit"),
        Binding("ctrl+p", "noop", show=False, priority=True, id="lock.nopalette"),
    ]

    def __init__(self, user_id: str) -> None:
        super().__init__(id="lock-screen")
        self.user_id = user_id

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(t("ui.lock.title"), id="lock-title")
            yield Static(tm("ui.lock.who", user=self.user_id))
            yield Input(password=True, id="unlock-passphrase", max_length=PASSPHRASE_MAX_LENGTH)
            yield Static("", id="unlock-error")

    def action_noop(self) -> None:
        pass

    def on_input_submitted(self, event: Input.Submitted) -> None:
        secret = event.input.value
        event.input.value = ""
        event.input.disabled = True
        self._check(secret)

    @work(thread=True, exclusive=True, group="unlock")
    def _check(self, secret: str) -> None:
        try:
            self.app.store.vault.unlock(self.user_id, secret)  # type: ignore[attr-defined]
        except StoreError as exc:
            self.app.call_from_thread(self._failed, tm(exc.key, **exc.params))
            return
        self.app.call_from_thread(self._ok)

    def _ok(self) -> None:
        self.app.session.log("unlock")  # type: ignore[attr-defined]
        self.dismiss(True)

    def _failed(self, message: str) -> None:
        self.app.session.log("unlock-failed")  # type: ignore[attr-defined]
        field = self.query_one("#unlock-passphrase", Input)
        field.disabled = False
        field.focus()
        self.query_one("#unlock-error", Static).update(message)
