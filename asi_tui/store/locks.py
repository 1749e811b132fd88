"""Cross-process locks with flock(2), never POSIX record locks.

A flock belongs to the open file description, survives other descriptors of
the file being closed, and disappears the moment the holder dies, so there is
no stale lock to clean up. Whoever holds a lock writes advisory holder info
(user, pid, host, since) into the lock file for the "open by <name> since
<time>" and "busy: held by <name> since <time>" messages.

Nobody may be able to hang the store by holding a lock: the short locks
(index, audit, vault) are tried without blocking, retried with a growing pause
and given up after `timeout()` seconds with `LockBusy`. A record's edit lock is
never waited for at all (`RecordLocked`, then read-only).

A lock only excludes as long as everyone locks the same file. A record's lock
file is therefore created once, with the record, and never recreated on the
fly: a missing one is reported as tampering (`LockFileMissing`; an admin
recreates it with `repair`). After the flock the descriptor's inode is checked
against the path, and the holder checks it again before every write
(`RecordLock.verify`), so a lock file unlinked and recreated behind a holder's
back stops the holder before two editors can interleave.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import math
import os
import socket
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import LockBusy, LockFileMissing, LockFileReplaced, RecordLocked, StoreError
from .fsutil import FILE_MODE, io_error, open_regular

DEFAULT_TIMEOUT_S = 10.0
MAX_TIMEOUT_S = 600.0
HOLDER_INFO_MAX = 4096

# The clock and the sleeper the retry loop uses; tests replace them.
monotonic: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep

_identity: dict[str, str] = {}


def timeout() -> float:
    """How long a short lock is waited for: `ASI_TUI_LOCK_TIMEOUT` seconds
    (bounded), else `DEFAULT_TIMEOUT_S`."""
    raw = os.environ.get("ASI_TUI_LOCK_TIMEOUT")
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        value = DEFAULT_TIMEOUT_S
    if not math.isfinite(value):
        value = DEFAULT_TIMEOUT_S
    return min(max(value, 0.0), MAX_TIMEOUT_S)


def set_identity(user_id: str | None) -> None:
    """Name the app user of this process in the holder info of the locks it takes."""
    if user_id:
        _identity["user"] = user_id
    else:
        _identity.pop("user", None)


def holder_info(user: str | None = None) -> dict[str, Any]:
    try:
        login = getpass.getuser()
    except (KeyError, OSError):
        login = str(os.geteuid())
    return {
        "user": user or _identity.get("user") or login,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _read_info(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, HOLDER_INFO_MAX, 0)
        data = json.loads(raw or b"{}")
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(data[k])[:64] for k in ("user", "pid", "host", "since") if k in data}


def _write_info(fd: int, info: dict[str, Any]) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(info).encode(), 0)


def _identity_of(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _path_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _live(info: dict[str, Any]) -> dict[str, Any]:
    """Holder info, or {} when it names a process of this host that has ended
    (then someone who writes no info holds the lock, and we do not know who)."""
    if info.get("host") == socket.gethostname():
        try:
            os.kill(int(info.get("pid", "")), 0)
        except ProcessLookupError:
            return {}
        except (ValueError, PermissionError, OverflowError):
            pass
    return info


@contextmanager
def exclusive(path: Path, wait: float | None = None, max_pause: float = 0.25) -> Iterator[None]:
    """Hold an exclusive flock on `path` for one read-modify-write.

    Tried without blocking and retried (backing off up to `max_pause` seconds
    between tries; short for locks held a few milliseconds) until `wait`
    (default `timeout()`) seconds have passed; then `LockBusy` names the holder. The lock file is
    created if missing (these locks guard rebuildable or chained files), but
    never through a symlink or a hard link.
    """
    limit = timeout() if wait is None else wait
    deadline = monotonic() + limit
    pause = min(0.005, max_pause / 4)
    while True:
        try:
            fd = open_regular(path, os.O_RDWR | os.O_CREAT, FILE_MODE, single_link=True)
        except OSError as exc:
            raise io_error(exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _live(_read_info(fd))
            os.close(fd)
            left = deadline - monotonic()
            if left <= 0:
                raise LockBusy(None, lock=path.name, user=info.get("user", "?"), since=info.get("since", "?"), pid=info.get("pid", "?")) from None
            sleep(min(pause, left))
            pause = min(pause * 2, max_pause)
            continue
        except OSError as exc:
            os.close(fd)
            raise io_error(exc) from None
        if _path_identity(path) != _identity_of(fd):
            os.close(fd)  # the file was replaced between open and flock: lock the new one
            if monotonic() > deadline:
                raise LockBusy(None, lock=path.name, user="?", since="?", pid="?")
            continue
        break
    identity = _identity_of(fd)
    try:
        try:
            _write_info(fd, holder_info())
        except OSError:
            pass  # the info is advisory; the flock is what excludes
        yield
    finally:
        _clear_info(fd, path, identity)  # so a holder that writes no info is not blamed on us
        os.close(fd)  # closing releases the flock


def _clear_info(fd: int, path: Path, identity: tuple[int, int] | None) -> None:
    try:
        if _path_identity(path) == identity:
            os.ftruncate(fd, 0)
    except OSError:
        pass


class RecordLock:
    """An edit lock on one record, held for the whole edit session."""

    def __init__(self, path: Path, user: str) -> None:
        self.path = path
        self.user = user
        self.fd: int | None = None
        self.identity: tuple[int, int] | None = None
        self.previous: dict[str, Any] | None = None  # stale holder info found on acquire

    @staticmethod
    def create_file(path: Path) -> None:
        """Create a new record's lock file; it lives as long as the record."""
        try:
            fd = open_regular(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE, single_link=True)
        except FileExistsError:
            return  # an old lock file of a deleted record id: reused only if it is a plain file
        except OSError as exc:
            raise io_error(exc) from None
        os.close(fd)

    def _open(self) -> int:
        try:
            return open_regular(self.path, os.O_RDWR, FILE_MODE, single_link=True)
        except FileNotFoundError:
            raise LockFileMissing(None, path=str(self.path), rid=self.path.stem) from None
        except OSError as exc:
            raise io_error(exc) from None

    def acquire(self) -> None:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_info(fd)
            os.close(fd)
            raise RecordLocked(holder) from None
        except OSError as exc:
            os.close(fd)
            raise io_error(exc) from None
        identity = _identity_of(fd)
        if _path_identity(self.path) != identity:
            os.close(fd)
            if _path_identity(self.path) is None:
                raise LockFileMissing(None, path=str(self.path), rid=self.path.stem)
            raise LockFileReplaced(None, path=str(self.path), rid=self.path.stem)
        self.previous = _read_info(fd) or None
        try:
            _write_info(fd, holder_info(self.user))
        except OSError:
            pass
        self.fd, self.identity = fd, identity

    def verify(self) -> None:
        """LockFileReplaced if another file now stands at the lock file's path:
        a second editor may have locked that one. A lock file that is only
        gone lets nobody else in (a missing lock file is refused), so the
        holder may go on; the next opener reports it."""
        if self.fd is None:
            return
        now = _path_identity(self.path)
        if now is not None and now != self.identity:
            raise LockFileReplaced(None, path=str(self.path), rid=self.path.stem)

    def release(self) -> None:
        if self.fd is not None:
            _clear_info(self.fd, self.path, self.identity)
            os.close(self.fd)
            self.fd = None

    @property
    def held(self) -> bool:
        return self.fd is not None


def read_holder(path: Path) -> dict[str, Any]:
    try:
        fd = open_regular(path)
    except (OSError, StoreError):  # missing, or not a plain file: no info
        return {}
    try:
        return _read_info(fd)
    finally:
        os.close(fd)


def is_locked(path: Path) -> bool:
    """True when some process holds the flock on `path` right now."""
    try:
        fd = open_regular(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
