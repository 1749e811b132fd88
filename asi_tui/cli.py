"""Command line: `asi-tui` and its subcommands.

Errors a user can cause are printed as one line each with a non-zero exit;
tracebacks are for bugs only, and even then no values are shown.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from .i18n import LANGUAGES, Translator


def _translator(ctx: click.Context) -> Translator:
    return ctx.find_root().obj["t"]


@click.group(invoke_without_command=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default="sv", show_default=True, help="UI language.")
@click.version_option(package_name="asi-tui")
@click.pass_context
def main(ctx: click.Context, lang: str) -> None:
    """asi-tui: conduct and manage ASI interviews in the terminal."""
    ctx.ensure_object(dict)
    ctx.obj["t"] = Translator(lang)
    ctx.obj["lang"] = lang
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


# ----------------------------------------------------------------------------- bank


@main.group()
def bank() -> None:
    """Question banks: validate, list, diff, simulate."""


def _default_bank_paths() -> list[Path]:
    from .resources import bundled_dir

    return [bundled_dir("question_bank")]


@bank.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def bank_validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check banks and code lists; one line per problem, exit 1 if any."""
    from .bank.loader import iter_bank_files, validate_paths

    t = _translator(ctx)
    targets = list(paths) or _default_bank_paths()
    banks, problems = validate_paths(targets)
    for p in problems:
        click.echo(str(p))
    if problems:
        click.echo(t("cli.bank.problems", n=len(problems)), err=True)
        ctx.exit(1)
    n = sum(1 for _ in iter_bank_files(targets))
    if n == 0:
        click.echo(t("cli.bank.no_banks"), err=True)
        ctx.exit(1)
    click.echo(t("cli.bank.clean", n=n))


def _parse_date(value: str | None, t: Translator) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(t("error.date", value=value)) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
