"""AsiApp: a thin Textual app; screens do the work, the engine and store hold the rules."""

from __future__ import annotations

import asyncio
import signal
import time
from typing import TYPE_CHECKING, Any, Iterable

from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import Screen

from ..hygiene import TerminalWatchdog
from .lang import key_name, t, tk
from .navigation import Callback
from .services import Services

if TYPE_CHECKING:  # the store loads when the login screen unlocks it, not at start-up
    from ..store import Session, Store


class AsiApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "asi-tui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "keys", tk("ui.key.keys"), id="app.keys"),  # a screen with its own F1 (the interview) wins
        Binding("question_mark", "keys", tk("ui.key.keys"), id="app.keys_q", show=False),
        Binding("ctrl+p", "command_palette", tk("ui.key.palette"), id="app.palette", show=False),
        Binding("ctrl+l", "lock", tk("ui.key.lock"), id="app.lock", priority=True),
        Binding("ctrl+q", "quit", tk("ui.key.quit"), id="app.quit", priority=True),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.store: Store | None = None
        self.session: Session | None = None
        self.locked = False
        self._last_activity = time.monotonic()
        self.watchdog = TerminalWatchdog()

    # ------------------------------------------------------------------ lifecycle

    def get_driver_class(self) -> type[Driver]:
        """On a real terminal, a driver that survives the terminal vanishing (ui/terminal.py)."""
        from textual.drivers.linux_driver import LinuxDriver

        from .terminal import AsiDriver

        cls = super().get_driver_class()
        return AsiDriver if cls is LinuxDriver else cls

    def on_mount(self) -> None:
        self.theme = "ansi-dark"
        self.set_interval(0.25, self._check_idle, name="idle-lock")  # a clock compare: cheap
        self._loop = asyncio.get_running_loop()
        if not self.is_headless:  # a real terminal (tests run headless and keep their process's signals)
            # SSH dropped or killed: close records and leave (answers are already on disk). A plain
            # handler, not the loop's: it runs even when the loop is stuck on a dead terminal.
            for sig in (signal.SIGHUP, signal.SIGTERM):
                signal.signal(sig, lambda _signum, _frame: self.terminal_gone())
        self.open_screen("login")

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self._last_activity = time.monotonic()
        await super().on_event(event)

    def signed_in(self, session: Session) -> None:
        self.session = session
        self._last_activity = time.monotonic()
        self.open_screen("home", replace=True)

    # ------------------------------------------------------------------ navigation

    def open_screen(self, route: str, /, *, replace: bool = False, callback: Callback | None = None, **params: Any) -> None:
        """Open a screen by route name (`navigation.Navigator`): screens never import one another."""
        from .routes import build_screen

        screen = build_screen(route, **params)
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen, callback=callback)

    # ------------------------------------------------------------------ keys

    def get_key_display(self, binding: Binding) -> str:
        """Keys as the keyboard labels them (Esc, Ctrl+S, F1), never Textual's `esc`/`^s`."""
        return binding.key_display or key_name(binding.key)

    def action_keys(self) -> None:
        """Every key of the current screen (F1 or ?), also those the footer has no room for."""
        from .dialogs.keys import KeysDialog
        from .widgets.key_footer import screen_keys

        if isinstance(self.screen, KeysDialog) or self.locked:
            return
        self.push_screen(KeysDialog(screen_keys(self.screen, shown_only=False)))

    # ------------------------------------------------------------------ locking

    def _check_idle(self) -> None:
        if self.session is not None and not self.locked:
            if time.monotonic() - self._last_activity >= self.services.idle_lock_s:
                self.action_lock()

    def action_lock(self) -> None:
        if self.session is None or self.locked:
            return
        self.locked = True
        self.session.log("lock")
        self.open_screen("lock", callback=self._unlocked, user_id=self.session.user.id)

    def _unlocked(self, _result: object) -> None:
        self.locked = False
        self._last_activity = time.monotonic()

    def _close_everything(self) -> None:
        for screen in self.screen_stack:
            closer = getattr(screen, "close_record", None)
            if closer is not None:
                closer()
        if self.session is not None:
            self.session.close()
            self.session = None

    async def action_quit(self) -> None:
        self._close_everything()
        self.exit()

    def _hang_up(self) -> None:
        try:
            self._close_everything()
        finally:
            self.exit(return_code=129)

    def terminal_gone(self) -> None:
        """SIGHUP/SIGTERM, or the tty failing: leave now, and for sure within a few seconds.

        Called from a signal handler or a driver thread, so it only arms the
        watchdog (a plain thread) and hands the normal way out to the event loop.
        """
        self.watchdog.arm(self._close_records_quietly)
        loop = getattr(self, "_loop", None)
        if loop is not None:
            try:
                loop.call_soon_threadsafe(self._hang_up)
            except RuntimeError:  # the loop is closed: the watchdog finishes
                pass

    def _close_records_quietly(self) -> None:
        """The watchdog's last step: release what is still open (each close is idempotent)."""
        for screen in list(self.screen_stack):
            closer = getattr(screen, "close_record", None)
            if closer is not None:
                try:
                    closer()
                except Exception:  # noqa: BLE001
                    pass

    # ------------------------------------------------------------------ safety

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # no "Screenshot" (it writes an SVG of client data to ~/Downloads)
        for command in super().get_system_commands(screen):
            if command.title.lower() != "screenshot":
                yield command
        if self.session is not None:
            yield SystemCommand(t("ui.cmd.lock"), t("ui.cmd.lock_help"), self.action_lock)

    def copy_to_clipboard(self, text: str) -> None:  # OSC 52 would carry client data to the SSH client
        return

    def _fatal_error(self) -> None:
        """Show a generic line instead of Textual's traceback with locals."""
        from ..hygiene import write_crash_report

        self.bell()
        path = "-"
        if self._exception is not None:
            try:
                path = str(write_crash_report(self._exception))
            except OSError:
                pass
        self._exit_renderables.append(Text(t("error.unexpected", path=path)))
        self._close_messages_no_wait()


def create_app(services: Services) -> AsiApp:
    return AsiApp(services)
