"""The data directory as the operating system sees it: which mode it is in,
who owns and may write what, and whether anything in it is a symlink or a
special file; plus what the vault says without a key (users, rotation due).

Modes (docs/deploy.md):
* captive service account: the directory is 0700 and owned by the one account
  the app runs as; interviewers reach it only through SSH forced commands;
* group-shared: 2770, every interviewer a Unix user in the owning group. Any
  group member can then delete files or put older copies back, so this mode
  is for small teams only, and doctor reports it unless told to accept it.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path
from typing import Any

from . import INFO, PROBLEM, Finding, Setup, ok, problem


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> tuple[str, list[str]]:
    try:
        g = grp.getgrgid(gid)
        members = set(g.gr_mem) | {p.pw_name for p in pwd.getpwall() if p.pw_gid == gid}
        return g.gr_name, sorted(members)
    except KeyError:
        return str(gid), []


def check_data_dir(setup: Setup) -> list[Finding]:
    root = setup.data_dir
    base = {"path": str(root), "account": setup.account}
    try:
        st = os.lstat(root)
    except FileNotFoundError:
        return [problem("doctor.data.missing", "doctor.fix.init", **base)]
    except OSError as exc:
        return [problem("doctor.data.unreadable", "doctor.fix.run_as", reason=exc.strerror or "", **base)]
    if stat.S_ISLNK(st.st_mode):
        return [problem("doctor.data.symlink", "doctor.fix.real_path", target=os.path.realpath(root), **base)]
    if not stat.S_ISDIR(st.st_mode):
        return [problem("doctor.data.not_a_dir", None, **base)]
    out = [_mode_finding(setup, st)]
    if st.st_uid != setup.uid:
        out.append(problem("doctor.data.owner", "doctor.fix.chown", owner=_user_name(st.st_uid), **base))
    if st.st_mode & 0o007:
        out.append(problem("doctor.data.world", "doctor.fix.chmod_other", mode=f"{stat.S_IMODE(st.st_mode):04o}", **base))
    if not (root / "vault.json").exists():
        out.append(problem("doctor.data.not_initialised", "doctor.fix.init", **base))
    out += _inside(setup, st)
    out += _parents(setup)
    from ..store.fsutil import is_network_fs

    if is_network_fs(root):
        out.append(problem("doctor.data.network_fs", "doctor.fix.local_disk", **base))
    return out


def _mode_finding(setup: Setup, st: os.stat_result) -> Finding:
    mode = stat.S_IMODE(st.st_mode)
    group, members = _group(st.st_gid)
    params: dict[str, Any] = {"path": str(setup.data_dir), "account": setup.account, "mode": f"{mode:04o}",
                              "group": group, "members": ", ".join(members) or "-"}
    if not mode & 0o070:
        return ok("doctor.data.captive", **params)
    if mode & 0o070 == 0o070:
        level = INFO if setup.accept_group_shared else PROBLEM
        return Finding(level, "doctor.data.group_shared", params, "doctor.fix.captive")
    return problem("doctor.data.group_partial", "doctor.fix.chmod_group", **params)


def _inside(setup: Setup, root_st: os.stat_result) -> list[Finding]:
    """Everything below the data directory, one line per kind of problem
    (with a count and an example) rather than one per file."""
    root = setup.data_dir
    group_shared = bool(root_st.st_mode & 0o070)
    found: dict[str, list[str]] = {}
    errors: list[OSError] = []

    def note(kind: str, path: str) -> None:
        found.setdefault(kind, []).append(os.path.relpath(path, root))

    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError as exc:
                errors.append(exc)
                continue
            if stat.S_ISLNK(st.st_mode):
                note("symlinks", path)
            elif not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                note("special", path)
            if group_shared:
                if st.st_gid != root_st.st_gid:
                    note("group_owner", path)
                if stat.S_ISDIR(st.st_mode) and not st.st_mode & stat.S_ISGID:
                    note("no_setgid", path)
            elif st.st_uid != setup.uid and not stat.S_ISLNK(st.st_mode):
                note("owner", path)
            if st.st_mode & 0o007 and not stat.S_ISLNK(st.st_mode):
                note("world", path)
    fixes = {"symlinks": "doctor.fix.remove", "special": "doctor.fix.remove", "owner": "doctor.fix.chown",
             "group_owner": "doctor.fix.chgrp", "no_setgid": "doctor.fix.setgid", "world": "doctor.fix.chmod_other"}
    group = _group(root_st.st_gid)[0]
    out = [
        problem(f"doctor.inside.{kind}", fixes[kind], n=len(paths), example=paths[0], path=str(root),
                account=setup.account, group=group)
        for kind, paths in found.items()
    ]
    if errors:
        out.append(problem("doctor.data.unreadable", "doctor.fix.run_as", path=errors[0].filename or str(root),
                           reason=errors[0].strerror or "", account=setup.account))
    return out


def _parents(setup: Setup) -> list[Finding]:
    """Whoever may write a parent directory can rename the data directory and
    put another in its place: only root or the account may own them, and no
    one else may write them unless the sticky bit is set (as on /tmp)."""
    out = []
    for parent in Path(os.path.realpath(setup.data_dir)).parents:
        try:
            st = os.stat(parent)
        except OSError:
            continue
        if st.st_uid not in (0, setup.uid):
            out.append(problem("doctor.parent.owner", "doctor.fix.parent_owner", parent=str(parent),
                               owner=_user_name(st.st_uid), account=setup.account))
        elif st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
            out.append(problem("doctor.parent.writable", "doctor.fix.parent_mode", parent=str(parent),
                               mode=f"{stat.S_IMODE(st.st_mode):04o}"))
    return out


# ----------------------------------------------------------------------------- what the vault says without a key


def _vault(root: Path):  # noqa: ANN202
    from ..store.datadir import DataDir
    from ..store.vault import Vault

    d = DataDir(root)
    return Vault(d.vault, d.locks / "vault.lock", d.tmp)


# A damaged vault must be a finding, not a crash of the check meant to find it
# (a 30,000-deep JSON nesting raises RecursionError in json.loads, wrong types
# TypeError/KeyError/AttributeError).
_UNREADABLE = (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError)


def vault_users(root: Path) -> list[Any] | None:
    """The signed user table, or None when there is no vault or it cannot be trusted."""
    from ..store.errors import StoreError

    try:
        vault = _vault(root)
        return vault.users() if vault.exists() else None
    except (StoreError, *_UNREADABLE):
        return None


def check_rotation(root: Path) -> list[Finding]:
    """The vault's verdict without a key: readable and signed, and whether a
    key rotation is due (users disabled since the last one)."""
    from ..store.errors import StoreError

    from ..store.errors import VaultOutdated

    vault = _vault(root)
    try:
        if not vault.exists():
            return []
        vault.users()
    except VaultOutdated:  # an earlier version's data directory: not damage (issue 13)
        return [problem("doctor.vault.outdated", "doctor.fix.migrate")]
    except (StoreError, *_UNREADABLE):
        return [problem("doctor.vault.altered", "doctor.fix.vault", path=str(vault.path))]
    try:
        due = vault.rotation_due()  # signed flag set by `user disable`, cleared by a rotation
    except (StoreError, *_UNREADABLE):
        return [problem("doctor.vault.altered", "doctor.fix.vault", path=str(vault.path))]
    if due is None:
        return [ok("doctor.vault.no_rotation")]
    since, reason = due.since[:10], ", ".join(due.users)
    return [problem("doctor.vault.rotation_due", "doctor.fix.rotate", since=since or "?", reason=reason or "-")]

