"""Command line: `asi-tui` and its subcommands.

This package holds the click group `main` (the `asi-tui` entry point) and its
global options. Each command group has its own module (app, banks, bank_admin,
store, units, records, reports, train, doctor), and what they share is in `common`. Command
modules never import this package: they define their commands, and the loop at
the end adds them to `main`, so the imports point one way.

Errors a user can cause are printed as one line each with a non-zero exit;
tracebacks are for bugs only, and even then no values are shown.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..config import load_settings
from ..i18n import LANGUAGES, Translator
from . import app, banks, doctor, records, reports, store, train, units
from .common import AsiGroup


@click.group(cls=AsiGroup, invoke_without_command=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, help="Language (default sv; or `lang` in the settings file, or LANG).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help="Data directory (default: $ASI_TUI_DATA or the per-user data dir).")
@click.option("--user", "user_id", help="Your user id (default: your login name).")
@click.option("--idle-lock", "idle_minutes", type=float, help="Minutes without a key press before the screen locks (default 5).")
@click.version_option(package_name="asi-tui")
@click.pass_context
def main(ctx: click.Context, lang: str | None, data_dir: Path | None, user_id: str | None, idle_minutes: float | None) -> None:
    """asi-tui: conduct and manage ASI interviews in the terminal."""
    from ..hygiene import prepare_process

    prepare_process()
    ctx.ensure_object(dict)
    settings = ctx.obj.get("settings") or load_settings()
    lang = lang or ctx.obj.get("lang") or "sv"  # chosen before parsing (cli/lang.py)
    t = Translator(lang)
    for problem in settings.problems:
        click.echo(t(problem.key, **problem.params), err=True)
    ctx.obj.update(settings=settings, t=t, lang=lang, data=data_dir or settings.data, user=user_id, idle=idle_minutes)
    if ctx.invoked_subcommand is None:
        ctx.invoke(app.run)


for _command in (
    app.run,
    app.demo,
    banks.bank,
    store.init_cmd,
    store.user,
    units.unit,
    units.migrate_cmd,
    store.recover,
    store.key,
    store.lock,
    records.record,
    store.index,
    store.audit,
    reports.stats,
    reports.followups_cmd,
    reports.export_cmd,
    train.train,
    doctor.doctor,
):
    main.add_command(_command)
