"""A growing wait after wrong passphrases, per user, kept in the data directory.

`throttle/<hash of the user id>.json` holds the number of failures in a row
and the earliest time of the next attempt; it survives restarts and is removed
by a successful unlock. After `FREE_FAILURES` failures the wait doubles from
one second up to `MAX_DELAY_S`. An attempt within the wait is refused at once
(`Throttled`, saying how long to wait) without running the KDF, so parallel
attempts gain nothing: each attempt reserves the wait it would cause if it
failed before it runs. Unknown user ids are throttled exactly like known ones,
and the file names are hashes, so neither the answer nor the files tell which
users exist.

A group member with write access can delete these files (group-shared mode);
in captive mode nobody else can reach them. If the directory cannot be
written, attempts are not throttled rather than refused: a lockout that an
insider could cause by breaking the directory would be worse.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

from .errors import StoreError, Throttled, WrongPassphrase
from .fsutil import atomic_write, make_dir, read_regular
from .locks import exclusive

FREE_FAILURES = 2
MAX_DELAY_S = 300.0
_STATE_MAX_BYTES = 4096

# The wall clock (the wait must hold across processes and restarts); tests replace it.
now: Callable[[], float] = time.time


def delay_after(failures: int) -> float:
    """Seconds to wait after `failures` wrong passphrases in a row: 0, 0, 1, 2, 4, ... MAX_DELAY_S."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(2.0 ** min(failures - FREE_FAILURES - 1, 32), MAX_DELAY_S)


class Throttle:
    def __init__(self, directory: Path, lock_path: Path, tmp_dir: Path) -> None:
        self.dir = directory
        self.lock_path = lock_path
        self.tmp_dir = tmp_dir

    def path(self, user_id: str) -> Path:
        digest = hashlib.sha256(b"asi-tui/throttle/v1\0" + user_id.encode("utf-8", "surrogatepass")).hexdigest()
        return self.dir / f"{digest[:32]}.json"

    def _read(self, path: Path) -> tuple[int, float]:
        """(failures, next allowed time); a missing or unreadable file is a clean slate."""
        try:
            data = json.loads(read_regular(path, _STATE_MAX_BYTES))
        except (OSError, ValueError, RecursionError, StoreError):
            return 0, 0.0
        if not isinstance(data, dict):
            return 0, 0.0
        failures, next_at = data.get("failures"), data.get("next")
        if not isinstance(failures, int) or isinstance(failures, bool) or not isinstance(next_at, (int, float)):
            return 0, 0.0
        if not math.isfinite(next_at):
            return 0, 0.0
        # never longer than the longest wait from now, whatever the file says
        return max(0, min(failures, 1000)), min(float(next_at), now() + MAX_DELAY_S)

    def _write(self, path: Path, failures: int, next_at: float) -> None:
        make_dir(self.dir, 0o2770)
        state: dict[str, Any] = {"failures": failures, "next": next_at}
        atomic_write(path, json.dumps(state).encode(), self.tmp_dir)

    def _clear(self, path: Path) -> None:
        path.unlink(missing_ok=True)

    def _locked(self, action: Callable[[], Any]) -> Any:
        try:
            with exclusive(self.lock_path):
                return action()
        except (OSError, StoreError) as exc:
            if isinstance(exc, Throttled):
                raise
            return None  # cannot keep the count: do not throttle (see the module doc)

    @contextmanager
    def attempt(self, user_id: str) -> Iterator[None]:
        """Wrap one passphrase check: Throttled while the user must wait;
        WrongPassphrase from the block counts a failure, success clears the count."""
        path = self.path(user_id)

        def begin() -> None:
            failures, next_at = self._read(path)
            wait = next_at - now()
            if wait > 0:
                raise Throttled(None, seconds=math.ceil(wait))
            reserve = delay_after(failures + 1)
            if reserve > 0:
                self._write(path, failures, now() + reserve)

        self._locked(begin)
        try:
            yield
        except WrongPassphrase:

            def failed() -> None:
                failures, _next = self._read(path)
                failures += 1
                self._write(path, failures, now() + delay_after(failures))

            self._locked(failed)
            raise
        self._locked(lambda: self._clear(path) if os.path.lexists(path) else None)


def spend_like_a_real_unlock(data: dict[str, Any], user_id: str, passphrase: str) -> None:
    """Run the KDF an unlock of `user_id` would run, for a user id with no
    usable slot (unknown, disabled, reserved), so that refusing it takes as
    long as refusing a wrong passphrase of a real user. The parameters are
    those of an existing slot; the salt is derived from the user id, so it is
    the same on every try, like a real slot's."""
    from . import crypto as C

    slots = data.get("slots")
    kdfs = [s.get("kdf") for s in slots.values() if isinstance(s, dict)] if isinstance(slots, dict) else []
    salt = hashlib.sha256(f"asi-tui/dummy-salt/v1\0{data.get('vault_id')}\0{user_id}".encode("utf-8", "surrogatepass")).digest()[:16]
    for kdf in kdfs:
        try:
            C.check_kdf_params(kdf)
            C.derive_kek(passphrase, {**kdf, "salt": C.b64e(salt)})
            return
        except (C.CryptoError, ValueError, TypeError):
            continue
