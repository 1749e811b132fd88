"""CLI commands that open the interview program: `run` (the default) and `demo`.

The UI is imported inside `_start_tui` only, so that admin commands such as
`bank validate` or `export` never load Textual.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import ctx_obj, default_demo_dir, resolve_data_dir, translator


def _start_tui(ctx: click.Context, data_dir: Path, idle_minutes: float | None = None, default_user: str | None = None,
               user_fixed: bool = False) -> None:
    """Open the TUI on `data_dir` (checked first, so a bad directory is one line, not a screen)."""
    from ..store.datadir import DataDir

    data = DataDir(data_dir)  # what `Store.open` checks, without loading the whole store (start-up time):
    data.check()  # the login screen opens the store itself
    data.sweep_tmp()
    from ..ui.lang import set_language

    set_language(ctx_obj(ctx)["lang"])  # before the UI classes are created
    from ..ui.app import create_app
    from ..ui.services import DEFAULT_IDLE_LOCK_S, Services

    services = Services(
        data_dir=data_dir,
        lang=ctx_obj(ctx)["lang"],
        idle_lock_s=(idle_minutes or ctx_obj(ctx).get("idle") or ctx_obj(ctx)["settings"].idle_lock_minutes
                     or DEFAULT_IDLE_LOCK_S / 60) * 60,
        default_user=default_user or ctx_obj(ctx)["user"],
        user_fixed=user_fixed,
    )
    create_app(services).run()  # full-screen (alternate screen); never inline


@click.command("run")
@click.option("--idle-lock", "idle_minutes", type=float, help="Minutes without a key press before the screen locks (default 5).")
@click.option("--user", "bound_user", help="Sign in only as this user: the SSH forced command binds each key to its user (docs/deploy.md).")
@click.pass_context
def run(ctx: click.Context, idle_minutes: float | None = None, bound_user: str | None = None) -> None:
    """Open the interview program (the default when no command is given)."""
    _start_tui(ctx, resolve_data_dir(ctx), idle_minutes, default_user=bound_user, user_fixed=bound_user is not None)


@click.command("demo")
@click.option("--idle-lock", "idle_minutes", type=float, help="Minutes without a key press before the screen locks (default 5).")
@click.option("--no-run", is_flag=True, help="Only create the demo data directory.")
@click.pass_context
def demo(ctx: click.Context, idle_minutes: float | None, no_run: bool) -> None:
    """Create (once) a demo data directory with synthetic users and records, and open it."""
    from ..demo import create_demo

    t = translator(ctx)
    root = ctx_obj(ctx)["data"] or default_demo_dir()
    if create_demo(root):
        click.echo(t("cli.demo.created", path=root), err=True)
        click.echo(t("cli.demo.other_commands", path=root), err=True)
    if not no_run:
        _start_tui(ctx, root, idle_minutes, default_user="anna")
