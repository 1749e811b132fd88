"""Named fault points for crash tests.

A test driver process arms a point; when execution reaches it the process
kills itself with SIGKILL (or raises an OSError such as ENOSPC).  Nothing is
armed in production: the module-level set starts empty and nothing outside
the test drivers touches it.
"""

from __future__ import annotations

import errno
import os
import signal

_armed: dict[str, str] = {}


def arm(name: str, action: str = "kill") -> None:
    _armed[name] = action


def disarm_all() -> None:
    _armed.clear()


def point(name: str) -> None:
    action = _armed.get(name)
    if action is None:
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    elif action == "eio":
        raise OSError(errno.EIO, os.strerror(errno.EIO))
