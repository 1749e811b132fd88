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


# ----------------------------------------------------------------------------- migrate


@click.command("migrate")
@click.option("--dry-run", is_flag=True, help="Only list what would change; write nothing.")
@click.option("--map", "maps", multiple=True, metavar='"SPELLING=UNIT"',
              help="Put the records whose free-text unit (G3) is SPELLING into UNIT (a name or id); repeatable.")
@click.option("--map-file", type=click.Path(path_type=Path, dir_okay=False),
              help="SPELLING=UNIT lines (# comments), as --map.")
@click.option("--assign", "assigns", multiple=True, metavar="USER=UNIT",
              help="Give USER this unit (repeatable; a user named here gets exactly the units named).")
@click.option("--default-unit", help="The unit of records that name none and whose user has no single unit.")
@passphrase_options()
@click.pass_context
def migrate_cmd(ctx: click.Context, dry_run: bool, maps: tuple[str, ...], map_file: Path | None, assigns: tuple[str, ...],
                default_unit: str | None, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Upgrade a data directory written by an earlier version (admin): units from the
    free-text G3 spellings, a key per unit, every record sealed to its unit's key,
    a key rotation. Run with --dry-run first: it lists what it will change."""
    from ..store.migrate import migrate
    from ..store.unitplan import parse_map_lines
    from .common import current_user, read_secret, resolve_data_dir

    t = translator(ctx)
    lines = list(maps)
    if map_file is not None:
        try:
            lines += map_file.read_text(encoding="utf-8").splitlines()[:10_000]
        except (OSError, UnicodeDecodeError):
            raise click.ClickException(t("cli.migrate.map_file", path=map_file)) from None
    mapping = parse_map_lines(lines)
    assign: dict[str, list[str]] = {}
    for item in assigns:
        user_id, sep, unit_ref = item.partition("=")
        if not sep or not user_id.strip() or not unit_ref.strip():
            raise click.ClickException(t("cli.migrate.bad_assign", value=item[:80]))
        assign.setdefault(user_id.strip(), []).append(unit_ref.strip())
    user = current_user(ctx)
    secret = read_secret(passphrase_file, passphrase_fd, t("cli.secret.prompt", user=user), t)
    root = resolve_data_dir(ctx)
    from ..store import Store

    Store.open(root)  # permissions, file system: the usual checks first
    up = migrate(root, user, secret, mapping, assign or None, default_unit, dry_run=dry_run)
    _print_upgrade(t, up, dry_run)
    if dry_run and up.plan.missing:
        ctx.exit(1)


def _print_upgrade(t, up, dry_run: bool) -> None:  # noqa: ANN001
    plan = up.plan
    if up.source == "current":
        click.echo(t("cli.migrate.nothing"))
        return
    click.echo(t(f"cli.migrate.source.{up.source}"))
    click.echo(t("cli.migrate.steps", records=up.records, docs=up.docs))
    if plan.spellings:
        click.echo(t("cli.migrate.spellings"))
        for s in plan.spellings:
            how = t("cli.migrate.mapped") if s.mapped else t("cli.migrate.proposed")
            echo(f'  "{s.text}"  {t("cli.migrate.n_records", n=s.records)}  -> {s.unit}  ({how})')
    if plan.units:
        click.echo(t("cli.migrate.units"))
        for uid, name, new in plan.units:
            echo(f"  {uid:<24} {name}" + (f"  ({t('cli.migrate.new')})" if new else ""))
    if plan.without:
        click.echo(t("cli.migrate.without"))
        for rid, kind, user_id, unit_id, how in plan.without:
            echo(f"  {rid}  {kind:<9} {user_id:<12} -> {unit_id or '?'}  ({t('cli.migrate.how.' + how)})")
    if plan.practice:
        click.echo(t("cli.migrate.practice", n=plan.practice))
    click.echo(t("cli.migrate.users"))
    names = {uid: name for uid, name, _new in plan.units}
    for user_id, units in plan.users.items():
        echo(f"  {user_id:<16} {', '.join(names.get(u, u) for u in units) or '-'}")
    for key in plan.unknown_maps:
        echo(t("cli.migrate.unknown_map", spelling=key), err=True)
    if plan.missing:
        click.echo(t("cli.migrate.missing", n=len(plan.missing)), err=True)
    if dry_run:
        click.echo(t("cli.migrate.dry_run"))
    elif up.done:
        gen = (up.rotation or {}).get("gen")
        click.echo(t("cli.migrate.done", records=up.records, gen=gen if gen is not None else "-"))


unit.add_command(migrate_cmd, "migrate")
