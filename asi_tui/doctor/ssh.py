"""How interviewers reach the app: the service account's authorized_keys and
the sshd settings that apply to it.

Each key line must be `restrict,pty,command="<venv>/bin/asi-tui run --user
<id>" ssh-ed25519 …`: `restrict` turns off forwarding, agent, X11 and
~/.ssh/rc, `pty` turns the terminal back on, and the forced command binds
the key to one app user (who must exist and not be disabled).

sshd's own `ForceCommand` wins over a key's `command=` (OpenSSH session.c:
the config's forced command is checked first), so in a `Match User` block
for a captive account it would throw away every key's binding to its user.
Only the `User`, `Group` and `all` criteria of `Match` are evaluated here.
"""

from __future__ import annotations

import errno
import glob
import grp
import os
import re
import shlex
import stat
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterable

from . import Finding, Setup, info, ok, problem

KEY_TYPE_RE = re.compile(
    r"^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521)|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)"
    r"(?:-cert-v01@openssh\.com)?$"
)
REENABLING = ("port-forwarding", "agent-forwarding", "x11-forwarding", "user-rc")
SHELL_META = set(";&|`$<>(){}*?[]~\\\n")


CONFIG_MAX_BYTES = 4 * 1024 * 1024


def read_config(path: Path) -> str:
    """A config file's text; OSError for anything but a regular file of sane size
    (a FIFO given by mistake would block, /dev/zero never ends)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode) or st.st_size > CONFIG_MAX_BYTES:
        raise OSError(errno.EINVAL, "not a regular file of at most 4 MiB", str(path))
    return path.read_text(encoding="utf-8", errors="replace")


# ----------------------------------------------------------------------------- authorized_keys


@dataclass
class KeyLine:
    lineno: int
    options: dict[str, str | None]
    keytype: str
    comment: str


def _split_options(text: str) -> tuple[list[tuple[str, str | None]], str] | None:
    """`name[="value"],…` up to the first blank outside quotes, and the rest; None if malformed."""
    opts: list[tuple[str, str | None]] = []
    i, n = 0, len(text)
    while i < n:
        m = re.match(r"[A-Za-z0-9-]+", text[i:])
        if not m:
            return None
        name = m.group().lower()
        i += m.end()
        value = None
        if i < n and text[i] == "=":
            if i + 1 >= n or text[i + 1] != '"':
                return None
            j, buf = i + 2, []
            while j < n and text[j] != '"':
                if text[j] == "\\" and j + 1 < n and text[j + 1] == '"':
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                return None
            value, i = "".join(buf), j + 1
        opts.append((name, value))
        if i >= n or text[i] in " \t":
            return opts, text[i:].strip()
        if text[i] != ",":
            return None
        i += 1
    return None


def parse_key_line(line: str, lineno: int) -> KeyLine | None:
    """One authorized_keys line (not blank, not a comment); None if it cannot be read."""
    first = line.split(None, 1)[0]
    if KEY_TYPE_RE.match(first):
        options: list[tuple[str, str | None]] = []
        rest = line
    else:
        parsed = _split_options(line)
        if parsed is None:
            return None
        options, rest = parsed
    parts = rest.split(None, 2)
    if len(parts) < 2 or not KEY_TYPE_RE.match(parts[0]):
        return None
    opts: dict[str, str | None] = {}
    for name, value in options:
        opts.setdefault(name, value)
    return KeyLine(lineno, opts, parts[0], parts[2] if len(parts) > 2 else "")


@dataclass
class Command:
    """A forced command, read as `asi-tui [global options] run [--user ID] …`."""

    argv: list[str]
    user: str | None = None
    data: str | None = None
    runs_app: bool = False
    shell_chars: bool = False

    @classmethod
    def parse(cls, text: str) -> "Command":
        try:
            argv = shlex.split(text)
        except ValueError:
            return cls([text], shell_chars=True)
        cmd = cls(argv, shell_chars=any(ch in SHELL_META for ch in text))
        if argv and Path(argv[0]).name == "asi-tui" and "run" in argv:
            cmd.runs_app = True
            at = argv.index("run")
            cmd.user = _option(argv[at + 1:], "--user")
            cmd.data = _option(argv[:at], "--data")
        return cmd


def _option(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def _key_findings(setup: Setup, key: KeyLine, users: dict[str, bool] | None) -> list[Finding]:
    p: dict[str, Any] = {"line": key.lineno, "label": key.comment or key.keytype, "exe": str(setup.executable),
                         "path": str(setup.data_dir)}
    out = []
    command = key.options.get("command")
    if command is None:  # its fix (the whole prefix) also covers restrict and pty
        return [problem("doctor.keys.no_command", "doctor.fix.key_prefix", **p)]
    cmd = Command.parse(command)
    p["command"] = command
    if cmd.shell_chars:
        out.append(problem("doctor.keys.shell_chars", "doctor.fix.key_prefix", **p))
    elif not cmd.runs_app:
        out.append(problem("doctor.keys.not_the_app", "doctor.fix.key_prefix", **p))
    elif not os.path.isabs(cmd.argv[0]):
        out.append(problem("doctor.keys.relative", "doctor.fix.key_prefix", **p))
    elif cmd.user is None:
        out.append(problem("doctor.keys.no_user", "doctor.fix.key_prefix", **p))
    elif users is not None and cmd.user not in users:
        out.append(problem("doctor.keys.unknown_user", "doctor.fix.key_user", user=cmd.user, **p))
    elif users is not None and users[cmd.user]:
        out.append(problem("doctor.keys.disabled_user", "doctor.fix.key_remove", user=cmd.user, **p))
    if cmd.data is not None and os.path.realpath(cmd.data) != os.path.realpath(setup.data_dir):
        out.append(info("doctor.keys.other_data", data=cmd.data, **p))
    if "restrict" not in key.options:
        out.append(problem("doctor.keys.no_restrict", "doctor.fix.key_prefix", **p))
    if "pty" not in key.options or "no-pty" in key.options:
        out.append(problem("doctor.keys.no_pty", "doctor.fix.key_prefix", **p))
    for name in REENABLING:
        if name in key.options:
            out.append(problem("doctor.keys.reenabled", "doctor.fix.key_option", option=name, **p))
    if "environment" in key.options:
        out.append(problem("doctor.keys.reenabled", "doctor.fix.key_option", option="environment", **p))
    return out


def bound_users(lines: Iterable[KeyLine]) -> list[str]:
    return sorted({u for k in lines if (u := Command.parse(k.options.get("command") or "").user)})


def check_authorized_keys(setup: Setup, path: Path, users: dict[str, bool] | None) -> tuple[list[Finding], list[KeyLine]]:
    try:
        text = read_config(path)
    except FileNotFoundError:
        return [info("doctor.keys.none", path=str(path), account=setup.account)], []
    except OSError as exc:
        return [info("doctor.keys.unreadable", path=str(path), reason=exc.strerror or "")], []
    out: list[Finding] = _file_modes(setup, path)
    keys = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key = parse_key_line(line, lineno)
        if key is None:
            out.append(problem("doctor.keys.unparsable", "doctor.fix.key_remove", line=lineno, path=str(path)))
            continue
        keys.append(key)
        out += _key_findings(setup, key, users)
    if not any(f.is_problem for f in out):
        out.append(ok("doctor.keys.ok", path=str(path), n=len(keys), users=", ".join(bound_users(keys)) or "-"))
    return out, keys


def _file_modes(setup: Setup, path: Path) -> list[Finding]:
    """sshd trusts authorized_keys only as far as its file and directories: no one
    but the account (or root) may own or write them."""
    out = []
    for p in (path, path.parent, setup.home):
        try:
            st = os.stat(p)
        except OSError:
            continue
        if st.st_uid not in (0, setup.uid) or st.st_mode & 0o022:
            out.append(problem("doctor.keys.file_mode", "doctor.fix.key_file", file=str(p), account=setup.account,
                               mode=f"{stat.S_IMODE(st.st_mode):04o}"))
    return out


# ----------------------------------------------------------------------------- sshd_config


@dataclass
class SshdConfig:
    settings: list[tuple[str, str]] = field(default_factory=list)  # global, in order
    blocks: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)  # (criteria, settings)


def parse_sshd_config(path: Path, cfg: SshdConfig | None = None, depth: int = 0,
                      current: list[tuple[str, str]] | None = None) -> SshdConfig:
    """Keywords (lower case) and values, global and per `Match` block, with
    `Include` files read in place (relative to the config's directory). As in
    sshd, a Match block opened in an included file ends with that file, and
    an Include inside a Match block belongs to that block."""
    cfg = cfg or SshdConfig()
    target = current if current is not None else cfg.settings
    for raw in read_config(path).splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = re.split(r"[\s=]+", line, maxsplit=1)
        keyword, value = parts[0].lower(), (parts[1].strip() if len(parts) > 1 else "")
        if keyword == "include" and depth < 8:
            for pattern in value.split():
                full = pattern if os.path.isabs(pattern) else str(path.parent / pattern)
                for inc in sorted(glob.glob(full)):
                    parse_sshd_config(Path(inc), cfg, depth + 1, target if target is not cfg.settings else None)
        elif keyword == "match":
            cfg.blocks.append((value, []))
            target = cfg.blocks[-1][1]
        else:
            target.append((keyword, value))
    return cfg


def _patterns_match(patterns: str, name: str) -> bool:
    result = False
    for pat in patterns.split(","):
        if pat.startswith("!"):
            if fnmatchcase(name, pat[1:]):
                return False
        elif fnmatchcase(name, pat):
            result = True
    return result


def _block_applies(criteria: str, account: str, groups: set[str]) -> tuple[bool, bool]:
    """(applies, names the account by User)."""
    words = criteria.split()
    if [w.lower() for w in words] == ["all"]:
        return True, False
    applies, by_user = True, False
    for kind, value in zip(words[::2], words[1::2]):
        kind = kind.lower()
        if kind == "user":
            by_user = _patterns_match(value, account)
            applies = applies and by_user
        elif kind == "group":
            applies = applies and any(_patterns_match(value, g) for g in groups)
        else:  # Host, Address, LocalPort, …: unknown here, so not counted on
            applies = False
    return applies, by_user


def effective(cfg: SshdConfig, account: str, groups: set[str]) -> tuple[dict[str, str], bool]:
    """The settings sshd uses for `account` (first value wins, Match blocks
    before global ones), and whether a Match block names the account."""
    values: dict[str, str] = {}
    named = False
    for criteria, settings in cfg.blocks:
        applies, by_user = _block_applies(criteria, account, groups)
        named = named or (applies and by_user)
        if applies:
            for k, v in settings:
                values.setdefault(k, v)
    for k, v in cfg.settings:
        values.setdefault(k, v)
    return values, named


# setting -> (the value sshd assumes when it is not set, what it must be)
REQUIRED = {
    "allowtcpforwarding": ("yes", "no"),
    "x11forwarding": ("no", "no"),
    "permittty": ("yes", "yes"),
    "passwordauthentication": ("yes", "no"),
    "kbdinteractiveauthentication": ("yes", "no"),
}
SPELLING = {"allowtcpforwarding": "AllowTcpForwarding", "x11forwarding": "X11Forwarding", "permittty": "PermitTTY",
            "passwordauthentication": "PasswordAuthentication", "kbdinteractiveauthentication": "KbdInteractiveAuthentication",
            "clientaliveinterval": "ClientAliveInterval"}


def check_sshd(setup: Setup, cfg: SshdConfig, keys: list[KeyLine]) -> list[Finding]:
    try:
        groups = {g.gr_name for g in grp.getgrall() if setup.account in g.gr_mem}
    except KeyError:
        groups = set()
    values, named = effective(cfg, setup.account, groups)
    p = {"path": str(setup.sshd_config), "account": setup.account, "exe": str(setup.executable)}
    out = []
    if not named:
        out.append(problem("doctor.sshd.no_match", "doctor.fix.sshd_block", **p))
    no_forwarding = values.get("disableforwarding", "no").lower() == "yes"
    publickey_only = values.get("authenticationmethods", "any").lower() == "publickey"
    if "kbdinteractiveauthentication" not in values and "challengeresponseauthentication" in values:
        values["kbdinteractiveauthentication"] = values["challengeresponseauthentication"]  # the older name
    for key, (default, want) in REQUIRED.items():
        if (no_forwarding and key in ("allowtcpforwarding", "x11forwarding")) or (publickey_only and "authentication" in key):
            continue
        value = values.get(key, default).lower()
        if value != want:
            out.append(problem("doctor.sshd.setting", "doctor.fix.sshd_setting", setting=SPELLING[key], value=value,
                               want=want, **p))
    interval = values.get("clientaliveinterval", "0")
    if not re.fullmatch(r"[1-9]\d*[smhdw]?", interval.lower()):
        out.append(problem("doctor.sshd.setting", "doctor.fix.sshd_setting", setting="ClientAliveInterval",
                           value=interval, want="60", **p))
    force = values.get("forcecommand")
    if force and force.lower() != "none":
        if bound_users(keys):
            out.append(problem("doctor.sshd.force_overrides", "doctor.fix.sshd_force", command=force, **p))
        elif not Command.parse(force).runs_app:
            out.append(problem("doctor.sshd.force_other", "doctor.fix.sshd_force", command=force, **p))
    if not out:
        out.append(ok("doctor.sshd.ok", **p))
    return out


def _authorized_keys_path(setup: Setup, cfg: SshdConfig | None) -> Path:
    if setup.authorized_keys is not None:
        return setup.authorized_keys
    values = effective(cfg, setup.account, set())[0] if cfg else {}
    first = (values.get("authorizedkeysfile") or ".ssh/authorized_keys").split()[0]
    first = first.replace("%h", str(setup.home)).replace("%u", setup.account).replace("%%", "%")
    return Path(first) if os.path.isabs(first) else setup.home / first


def check_ssh(setup: Setup, users: list[Any] | None) -> list[Finding]:
    """authorized_keys, then sshd_config; `users` is the vault's user table if it could be read."""
    try:
        cfg: SshdConfig | None = parse_sshd_config(setup.sshd_config)
    except OSError as exc:
        cfg = None
        sshd = [info("doctor.sshd.unreadable", path=str(setup.sshd_config), reason=exc.strerror or "")]
    known = {u.id: bool(u.disabled) for u in users} if users is not None else None
    out, keys = check_authorized_keys(setup, _authorized_keys_path(setup, cfg), known)
    if cfg is not None:
        sshd = check_sshd(setup, cfg, keys)
    return out + sshd
