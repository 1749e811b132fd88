"""CLI commands: `asi-tui unit add|rename|retire|list|migrate` (units, issue 13).

A unit has a stable id (made from its name unless `--id` is given, never
reused) and a name; users belong to units (`user add/update --unit`), every
record to exactly one. Adding, renaming and retiring need an admin and are
audited. `unit migrate` is `asi-tui migrate`: the upgrade of a data
directory written by an earlier version, free-text units (G3) included.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import echo, json_text, passphrase_options, translator, unlock


@click.group()
def unit() -> None:
    """Units: add, rename, retire, list, migrate."""


@unit.command("list")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def unit_list(ctx: click.Context, as_json: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Every unit with its id, name, members and whether it is retired."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        units = session.list_units()
        users = session.list_users()
    finally:
        session.close()
    members = {u.id: sorted(x.id for x in users if u.id in x.units and not x.disabled) for u in units}
    if as_json:
        click.echo(json_text([{**u.to_dict(), "members": members[u.id]} for u in units]))
        return
    for u in units:
        flag = f"  [{t('cli.unit.retired')}]" if u.retired else ""
        echo(f"{u.id:<24} {u.name:<32} {', '.join(members[u.id])}{flag}")
    if not units:
        click.echo(t("cli.unit.none"))


@unit.command("add")
@click.argument("name")
@click.option("--id", "unit_id", help="The unit's id (a-z, 0-9, -; default: made from the name). Never reused.")
@passphrase_options()
@click.pass_context
def unit_add(ctx: click.Context, name: str, unit_id: str | None, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Add a unit (admin): a key of its own, given to its members as they are added."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        added = session.add_unit(name, unit_id)
    finally:
        session.close()
    echo(t("cli.unit.added", unit=added.id, name=added.name))


@unit.command("rename")
@click.argument("ref", metavar="UNIT")
@click.argument("name")
@passphrase_options()
@click.pass_context
def unit_rename(ctx: click.Context, ref: str, name: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Give UNIT (id or name) a new name (admin); its id and records stay."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        changed = session.change_unit(ref, name=name)
    finally:
        session.close()
    echo(t("cli.unit.renamed", unit=changed.id, name=changed.name))


@unit.command("retire")
@click.argument("ref", metavar="UNIT")
@click.option("--undo", is_flag=True, help="Take the unit back into use.")
@passphrase_options()
@click.pass_context
def unit_retire(ctx: click.Context, ref: str, undo: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Retire UNIT (admin): no new records; its records stay readable."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        changed = session.change_unit(ref, retired=not undo)
    finally:
        session.close()
    echo(t("cli.unit.reactivated" if undo else "cli.unit.retired_done", unit=changed.id, name=changed.name))
