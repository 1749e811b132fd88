"""Cross-process locks with flock(2), never POSIX record locks.

A flock belongs to the open file description, survives other descriptors of
the file being closed, and disappears the moment the holder dies, so there is
no stale lock to clean up.  Record locks write advisory holder info into the
lock file for the "open by <name> since <time>" message.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from .errors import RecordLocked
from .fsutil import FILE_MODE


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `path` for one read-modify-write (blocking)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the flock


class RecordLock:
    """An edit lock on one record, held for the whole edit session."""

    def __init__(self, path: Path, user: str) -> None:
        self.path = path
        self.user = user
        self.fd: int | None = None
        self.previous: dict[str, Any] | None = None  # stale holder info found on acquire

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = read_holder(self.path)
            os.close(fd)
            raise RecordLocked(holder) from None
        self.previous = read_holder(self.path) or None
        info = {
            "user": self.user,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None

    @property
    def held(self) -> bool:
        return self.fd is not None


def read_holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_bytes() or b"{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def is_locked(path: Path) -> bool:
    """True when some process holds the flock on `path` right now."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
