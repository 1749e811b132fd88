"""Process and terminal hygiene (storage-design §2).

* no core dumps, and other processes of the same user cannot attach;
* every TEXTUAL* variable (debug hooks such as TEXTUAL, TEXTUAL_LOG,
  TEXTUAL_SCREENSHOT*, and any later ones) is removed from the environment
  before Textual can read it: none of them is needed in production;
* SIGHUP (SSH dropped) and SIGTERM end the process through SystemExit, so
  `finally` blocks close journals and release locks;
* a crash leaves a report with exception type and code locations only: no
  message text, no local variables, nothing typed by a user;
* when the terminal goes away (SIGHUP, or EIO on the tty), the process is gone
  within a few seconds even if the normal shutdown hangs (`TerminalWatchdog`).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import threading
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

PR_SET_DUMPABLE = 4


def harden_process() -> None:
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def scrub_environment() -> None:
    for name in list(os.environ):
        if name.startswith("TEXTUAL"):
            del os.environ[name]


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    for sig in (signal.SIGHUP, signal.SIGTERM):
        try:
            signal.signal(sig, _exit_on_signal)
        except (ValueError, OSError):  # not the main thread
            pass


def scrubbed_traceback(exc: BaseException) -> str:
    """Exception type and frame locations; never messages or values."""
    lines = [f"{type(exc).__module__}.{type(exc).__qualname__}"]
    for frame in traceback.extract_tb(exc.__traceback__):
        lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
    cause = exc.__cause__ or exc.__context__
    if cause is not None and cause is not exc:
        lines.append("caused by:")
        lines.extend("  " + ln for ln in scrubbed_traceback(cause).splitlines())
    return "\n".join(lines) + "\n"


def crash_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_state_dir("asi-tui", appauthor=False)) / "crash"


def write_crash_report(exc: BaseException, directory: Path | None = None) -> Path:
    directory = directory or crash_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / f"crash-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(scrubbed_traceback(exc))
    return path


TERMINAL_GONE_GRACE_S = 3.0


class TerminalWatchdog:
    """A deadline for leaving once the terminal is gone.

    The normal way out (close the records, stop Textual, exit) can hang when
    the terminal vanishes mid-redraw: Textual's writer thread blocks or dies
    with a full queue, and the event loop waits on it forever (seen when a
    tmux session was killed right after F1). `arm` starts a thread that, if
    the process still runs `grace` seconds later, runs `cleanup` (closing
    record handles: every acknowledged answer is already fsynced) and ends
    the process with `os._exit`, which also releases every lock it held.
    """

    def __init__(self, grace: float = TERMINAL_GONE_GRACE_S) -> None:
        self.grace = grace
        self._armed = threading.Event()

    @property
    def armed(self) -> bool:
        return self._armed.is_set()

    def arm(self, cleanup: Callable[[], None]) -> None:
        """Start the deadline (once; later calls do nothing). Safe from signal handlers and threads."""
        if self._armed.is_set():
            return
        self._armed.set()
        threading.Thread(target=self._expire, args=(cleanup,), name="asi-terminal-watchdog", daemon=True).start()

    def _expire(self, cleanup: Callable[[], None]) -> None:
        threading.Event().wait(self.grace)
        try:
            cleanup()
        except BaseException:  # noqa: BLE001 - leaving is what matters now
            pass
        os._exit(128 + signal.SIGHUP)


def prepare_process() -> None:
    os.umask(0o007)  # data shared within the unit's group, never with others
    harden_process()
    scrub_environment()
    install_signal_handlers()
