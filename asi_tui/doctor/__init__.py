"""`asi-tui doctor`: is this server set up as docs/deploy.md says?

Headless checks, no Textual: the data directory's mode (captive service
account or group-shared), owners and permissions of everything in it, the
SSH settings that reach the app (authorized_keys and sshd_config), the
Python and library versions, the terminal, and whether a key rotation is due.

Each check returns `Finding`s: a locale key for the line (`doctor.*`), the
params for it, and for a problem the key of its fix. The CLI prints them; the
checks never print, so tests call them with an injected `Setup` (another
expected owner, other config files, another terminal).
"""

from __future__ import annotations

import os
import pwd
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

OK = "ok"
PROBLEM = "problem"
INFO = "info"

SSHD_CONFIG = Path("/etc/ssh/sshd_config")


@dataclass(frozen=True)
class Finding:
    level: str  # OK, PROBLEM or INFO
    key: str  # locale key of the line
    params: Mapping[str, Any] = field(default_factory=dict)
    fix: str | None = None  # locale key of the fix (problems), same params

    @property
    def is_problem(self) -> bool:
        return self.level == PROBLEM


def ok(key: str, /, **params: Any) -> Finding:
    return Finding(OK, key, params)


def info(key: str, /, **params: Any) -> Finding:
    return Finding(INFO, key, params)


def problem(key: str, fix: str | None = None, /, **params: Any) -> Finding:
    return Finding(PROBLEM, key, params, fix)


@dataclass
class Setup:
    """What the checks look at. `uid` is the account that should own the data
    directory: the service account in captive mode, the one running doctor
    by default."""

    data_dir: Path
    account: str
    uid: int
    home: Path
    authorized_keys: Path | None = None  # default: from sshd_config's AuthorizedKeysFile, else ~/.ssh/authorized_keys
    sshd_config: Path = SSHD_CONFIG
    executable: Path = field(default_factory=lambda: Path(sys.prefix) / "bin" / "asi-tui")
    accept_group_shared: bool = False
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    terminal_size: tuple[int, int] | None = None  # columns, lines; None: not a terminal

    @classmethod
    def for_account(cls, data_dir: Path, account: str | None = None, **kw: Any) -> "Setup":
        """For `account` (a login name; default: the current one). Raises KeyError for an unknown account."""
        entry = pwd.getpwnam(account) if account else pwd.getpwuid(os.getuid())
        return cls(data_dir=Path(data_dir), account=entry.pw_name, uid=entry.pw_uid, home=Path(entry.pw_dir), **kw)


def run_checks(setup: Setup) -> list[Finding]:
    """Every check, in the order the lines are printed."""
    from .datadir import check_data_dir, check_rotation, vault_users
    from .runtime import check_runtime, check_terminal
    from .ssh import check_ssh

    findings = check_data_dir(setup)
    findings += check_rotation(setup.data_dir)
    findings += check_ssh(setup, vault_users(setup.data_dir))
    findings += check_runtime()
    findings += check_terminal(setup.env, setup.terminal_size)
    return findings
