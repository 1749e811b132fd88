"""What the CLI command modules share: the context object, the data directory,
passphrases and unlocking, dates, banks, and how errors reach the user.

Dependencies point one way: command modules -> common -> the headless layers.
This module never imports a command module or the package `asi_tui.cli`.

Passphrases come from a hidden prompt, or from `--passphrase-file` /
`--passphrase-fd` for scripts; never from the command line or the
environment, where other users of the machine could read them.
"""

from __future__ import annotations

import getpass
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable, TextIO

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


# ----------------------------------------------------------------------------- errors


def print_problems(problems: list[Any], err: bool = False) -> None:
    """One line per problem (`file:line: item: message`)."""
    for p in problems:
        click.echo(str(p), err=err)


def print_warnings(ctx: click.Context, problems: list[Any]) -> None:
    """One line per warning on stderr, marked as a warning in the user's language."""
    t = translator(ctx)
    for p in problems:
        click.echo(f"{p.file}:{p.line}: {p.item}: {t('banks.cli.warning')}: {p.message}", err=True)


class UnexpectedError(click.ClickException):
    """A bug: exit code 70 (EX_SOFTWARE), one line pointing at the scrubbed crash report."""

    exit_code = 70


class AsiGroup(click.Group):
    """Turns typed errors into one translated line and bugs into a scrubbed report."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        from ..engine.interview import EngineError
        from ..store.errors import StoreError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None
        except (StoreError, EngineError) as exc:
            t = ctx.find_root().obj["t"] if ctx.find_root().obj else Translator()
            raise click.ClickException(t(exc.key, **exc.params)) from None
        except Exception as exc:  # a bug: no traceback on screen, no values anywhere
            from ..hygiene import write_crash_report

            t = ctx.find_root().obj["t"] if ctx.find_root().obj else Translator()
            try:
                path = str(write_crash_report(exc))
            except OSError:
                path = "-"
            raise UnexpectedError(t("error.unexpected", path=path)) from None
