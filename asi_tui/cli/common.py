"""What the CLI command modules share: the context object, the data directory,
passphrases and unlocking, dates, banks, and how errors reach the user.

Dependencies point one way: command modules -> common -> the headless layers.
This module never imports a command module or the package `asi_tui.cli`.

Passphrases come from a hidden prompt, or from `--passphrase-file` /
`--passphrase-fd` for scripts; never from the command line or the
environment, where other users of the machine could read them.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import re
import sys
import unicodedata
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

import click

from ..i18n import Translator

_FD_FILES: dict[int, TextIO] = {}


# ----------------------------------------------------------------------------- the context object


def ctx_obj(ctx: click.Context) -> dict[str, Any]:
    """What `main` put on the root context: `settings`, `t`, `lang`, `data`, `user`."""
    return ctx.find_root().obj


def translator(ctx: click.Context) -> Translator:
    return ctx_obj(ctx)["t"]


def resolve_data_dir(ctx: click.Context) -> Path:
    from ..store import default_data_dir

    return ctx_obj(ctx)["data"] or default_data_dir()


def default_demo_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("asi-tui", appauthor=False)) / "demo"


def current_user(ctx: click.Context) -> str:
    return ctx_obj(ctx)["user"] or getpass.getuser()


# ----------------------------------------------------------------------------- passphrases and unlocking


def read_secret(file: Path | None, fd: int | None, prompt: str, t: Translator, confirm: bool = False) -> str:
    if file is not None:
        try:
            with file.open(encoding="utf-8") as fh:
                line = fh.readline()
        except (OSError, UnicodeDecodeError):
            raise click.ClickException(t("cli.secret.unreadable")) from None
        return line.rstrip("\r\n")
    if fd is not None:
        try:
            fh = _FD_FILES.get(fd) or os.fdopen(fd, "r", encoding="utf-8", closefd=False)
        except OSError:
            raise click.ClickException(t("cli.secret.unreadable")) from None
        _FD_FILES[fd] = fh
        return fh.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.ClickException(t("cli.secret.no_tty"))
    value = click.prompt(prompt, hide_input=True, confirmation_prompt=t("cli.secret.again") if confirm else False)
    return str(value)


def passphrase_options(prefix: str = "") -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--{prefix}passphrase-file` and `--{prefix}passphrase-fd`, passed as `{prefix}passphrase_file/_fd`."""
    name = f"{prefix}passphrase"

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(f"--{prefix}passphrase-fd", f"{name.replace('-', '_')}_fd", type=int, help="Read the passphrase from this file descriptor.")(f)
        f = click.option(f"--{prefix}passphrase-file", f"{name.replace('-', '_')}_file", type=click.Path(path_type=Path), help="Read the passphrase from the first line of this file.")(f)
        return f

    return deco


def open_store(ctx: click.Context):  # noqa: ANN201
    from ..store import Store

    return Store.open(resolve_data_dir(ctx))


def unlock(ctx: click.Context, file: Path | None, fd: int | None):  # noqa: ANN201
    """A session for the current user, with the passphrase from `file`, `fd` or a prompt."""
    t = translator(ctx)
    store = open_store(ctx)
    user = current_user(ctx)
    secret = read_secret(file, fd, t("cli.secret.prompt", user=user), t)
    return store.unlock(user, secret)


# ----------------------------------------------------------------------------- dates and banks


def parse_date(value: str | None, t: Translator) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(t("error.date", value=value)) from None


def default_bank_paths() -> list[Path]:
    from ..resources import bundled_dir

    return [bundled_dir("question_bank")]


def resolve_bank(ref: str, t: Translator):  # noqa: ANN201
    """A bank by file path, or by id (newest bundled version)."""
    from ..bank.loader import BankError, load_bank
    from ..bank.registry import bundled_banks

    path = Path(ref)
    try:
        if path.suffix in (".yaml", ".yml") or path.exists():
            return load_bank(path)
        matches = [b for b in bundled_banks() if b.id == ref]
    except BankError as exc:
        print_problems(exc.problems, err=True)
        raise click.ClickException(t("cli.bank.broken", bank=ref)) from None
    if not matches:
        raise click.ClickException(t("cli.bank.not_found", bank=ref))
    return matches[-1]


# ----------------------------------------------------------------------------- user data on the terminal

# Escape sequences as a terminal reads them: CSI (ESC [ or 8-bit 0x9b) up to its
# final byte; OSC, DCS, SOS, PM, APC up to their terminator (or the end); any
# other ESC with the character after it.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b.?",
    re.DOTALL,
)


def _shown(ch: str) -> str:
    cat = unicodedata.category(ch)
    if ch in "\t\n\r" or cat in ("Zl", "Zp"):
        return " "
    return "" if cat in ("Cc", "Cf", "Cs", "Co", "Cn") else ch


def clean(value: object) -> str:
    """`value` as one line that is safe to print on a terminal.

    Client references, names, answers, audit details and input quoted in
    errors come from users: terminal escape sequences (a window title set by
    OSC, a screen cleared by CSI) are removed whole, other control and format
    characters (e.g. a right-to-left override) are dropped, and line breaks
    become spaces, so a value can neither drive the terminal nor fake a line.
    """
    text = _ESCAPES.sub("", str(value))
    if text.isprintable():
        return text
    return "".join(_shown(ch) for ch in text)


def echo(line: object = "", err: bool = False) -> None:
    """click.echo of one line holding user data, through `clean`."""
    click.echo(clean(line), err=err)


_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_text(data: Any) -> str:
    """Readable JSON (UTF-8, indented) whose strings cannot drive a terminal:
    json escapes C0 controls; this escapes DEL, C1 controls and bidi and line
    separators too (`\\u009b`), so the output stays valid JSON with the same values."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def check_record_id(rid: str, t: Translator) -> str:
    """A record id given on the command line, or one clear line (it also names a file)."""
    from ..engine.limits import InvalidReference, check_ref

    try:
        return check_ref(rid, "record_id")
    except InvalidReference as exc:
        raise click.ClickException(t(exc.key, **exc.params)) from None


def answers_file_error(exc: Any, path: Path, t: Translator) -> click.ClickException:
    """The one line for an answers file that cannot be used (`AnswersFileError`)."""
    return click.ClickException(t("error.answers_file", path=path, reason=t(exc.key, **exc.params)))


# ----------------------------------------------------------------------------- errors


def print_problems(problems: list[Any], err: bool = False) -> None:
    """One line per problem (`file:line: item: message`)."""
    for p in problems:
        echo(p, err=err)


def print_warnings(ctx: click.Context, problems: list[Any]) -> None:
    """One line per warning on stderr, marked as a warning in the user's language."""
    t = translator(ctx)
    for p in problems:
        echo(f"{p.file}:{p.line}: {p.item}: {t('banks.cli.warning')}: {p.message}", err=True)


PARTIAL_RECORD = "partial_record"  # ctx.obj key: the record a command is writing, named if it crashes


class UnexpectedError(click.ClickException):
    """A bug: exit code 70 (EX_SOFTWARE), one line pointing at the scrubbed crash report."""

    exit_code = 70


class AsiGroup(click.Group):
    """Turns typed errors into one translated line and bugs into a scrubbed report;
    before parsing, reads the settings file and sets the language of help and
    errors (`cli/lang.py`)."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        from ..config import load_settings
        from .lang import prepare

        settings = load_settings()
        argv = list(sys.argv[1:] if args is None else args)
        lang, argv = prepare(self, argv, settings.lang)
        obj = extra.pop("obj", None) or {}
        obj.update(settings=settings, lang=lang)
        return super().main(argv, prog_name or "asi-tui", complete_var, standalone_mode, obj=obj, **extra)

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        from ..engine.outcome import EngineError
        from ..store.errors import StoreError

        try:
            return super().invoke(ctx)
        except click.ClickException as exc:  # may quote what the user typed
            exc.message = clean(exc.message)
            raise
        except (click.exceptions.Exit, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None
        except (StoreError, EngineError) as exc:
            obj = ctx.find_root().obj or {}
            t = obj.get("t") or Translator()
            message = t(exc.key, **exc.params)
            demo = default_demo_dir()
            if exc.key == "store.error.not_initialised" and (demo / "vault.json").exists() and not obj.get("data"):
                message += " " + t("cli.demo.hint", path=demo)  # `asi-tui demo` was run: point at it
            if obj.get(PARTIAL_RECORD):  # the record a command was writing is left unfinished: say so
                message += " " + t("cli.record.partial", rid=obj[PARTIAL_RECORD])
            raise click.ClickException(clean(message)) from None
        except Exception as exc:  # a bug: no traceback on screen, no values anywhere
            from ..hygiene import write_crash_report

            obj = ctx.find_root().obj or {}
            t = obj.get("t") or Translator()
            try:
                path = str(write_crash_report(exc))
            except OSError:
                path = "-"
            # "no answers were lost" is the TUI's promise (each answer is on disk
            # before it is acknowledged); a command that was writing a record says which
            rid = obj.get(PARTIAL_RECORD)
            message = t("error.unexpected_import", rid=rid, path=path) if rid else t("error.unexpected_cli", path=path)
            raise UnexpectedError(message) from None


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (only on a terminal: scripts get clean output);
    yields `update(done, total)`."""
    hidden = not sys.stderr.isatty()
    with click.progressbar(length=1, label=label, file=sys.stderr, hidden=hidden) as bar:
        state = {"pos": 0}

        def update(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - state["pos"])
            state["pos"] = done

        yield update
