"""The terminal driver, hardened for a terminal that vanishes (SSH dropped, tmux killed).

Textual's Linux driver writes through a thread with a bounded queue: when the
tty starts failing with EIO the thread dies, the queue fills and the next write
blocks the event loop for ever; a read error panics the app. Here the output
file swallows errors after the first, and both directions report the loss to
the app (`AsiApp.terminal_gone`), which closes the records, exits, and arms a
watchdog (`hygiene.TerminalWatchdog`) in case the exit itself hangs.
"""

from __future__ import annotations

from typing import IO, Any, Callable

from textual.drivers.linux_driver import LinuxDriver


class GuardedOutput:
    """A file that reports its first OSError and drops everything after it."""

    def __init__(self, file: IO[str], gone: Callable[[], None]) -> None:
        self._file = file
        self._gone = gone
        self.lost = False

    def _lose(self) -> None:
        if not self.lost:
            self.lost = True
            self._gone()

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                return self._file.write(text)
            except (OSError, ValueError):  # EIO/EPIPE; ValueError: closed
                self._lose()
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self._file.flush()
            except (OSError, ValueError):
                self._lose()

    def __getattr__(self, name: str) -> Any:  # fileno, isatty, encoding ...
        return getattr(self._file, name)


class AsiDriver(LinuxDriver):
    """LinuxDriver whose tty errors end the session instead of hanging or panicking."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self._file = GuardedOutput(self._file, self._terminal_gone)  # type: ignore[arg-type]

    def _terminal_gone(self) -> None:
        gone = getattr(self._app, "terminal_gone", None)
        if gone is not None:
            gone()

    def _run_input_thread(self) -> None:
        try:
            self.run_input_thread()
        except OSError:  # EIO: the terminal is gone
            self._terminal_gone()
        except BaseException:  # noqa: BLE001 - anything else: Textual's own handling
            super()._run_input_thread()
