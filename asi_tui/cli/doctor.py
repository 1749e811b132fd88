"""CLI command: `asi-tui doctor`, the server check of docs/deploy.md.

One line per finding; a problem's line ends with its fix. Exit 1 if there is
any problem, 0 (and a one-line all-clear) otherwise. Needs no passphrase and
never imports the UI.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .common import echo, resolve_data_dir, translator


def _terminal_size() -> tuple[int, int] | None:
    for stream in (sys.__stdout__, sys.__stdin__, sys.__stderr__):
        try:
            size = os.get_terminal_size(stream.fileno())  # type: ignore[union-attr]
            return size.columns, size.lines
        except (AttributeError, OSError, ValueError):
            continue
    return None


@click.command("doctor")
@click.option("--account", help="The account that should own the data directory (default: the one running doctor).")
@click.option("--authorized-keys", "authorized_keys", type=click.Path(path_type=Path),
              help="The authorized_keys file to check (default: as sshd_config says, else ~ACCOUNT/.ssh/authorized_keys).")
@click.option("--sshd-config", "sshd_config", type=click.Path(path_type=Path), default=Path("/etc/ssh/sshd_config"),
              show_default=True, help="The sshd configuration to check.")
@click.option("--accept-group-shared", is_flag=True, help="The group-shared mode is chosen on purpose: report it, do not fail on it.")
@click.option("--quiet", is_flag=True, help="Print problems only, and nothing when all is well (for cron).")
@click.pass_context
def doctor(ctx: click.Context, account: str | None, authorized_keys: Path | None, sshd_config: Path,
           accept_group_shared: bool, quiet: bool) -> None:
    """Check the data directory, SSH access, versions and terminal; one line per problem with its fix."""
    from ..doctor import INFO, PROBLEM, Setup, run_checks

    t = translator(ctx)
    try:
        setup = Setup.for_account(resolve_data_dir(ctx), account, authorized_keys=authorized_keys, sshd_config=sshd_config,
                                  accept_group_shared=accept_group_shared, terminal_size=_terminal_size())
    except KeyError:
        raise click.ClickException(t("doctor.no_account", account=account)) from None
    findings = run_checks(setup)
    marks = {PROBLEM: t("doctor.mark.problem"), INFO: t("doctor.mark.info")}
    for f in findings:
        if quiet and not f.is_problem:
            continue
        line = f"{marks.get(f.level, t('doctor.mark.ok')):<8} {t(f.key, **f.params)}"
        if f.fix:
            line += f" {t('doctor.mark.fix')}: {t(f.fix, **f.params)}"
        echo(line)
    problems = sum(1 for f in findings if f.is_problem)
    if problems:
        click.echo(t("doctor.summary.problems", n=problems), err=True)
        ctx.exit(1)
    if not quiet:
        click.echo(t("doctor.summary.ok"))
