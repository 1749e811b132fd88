"""CLI commands over the data directory: init, user, recover, key, index, audit.

Passphrases come from a hidden prompt, or from `--passphrase-file` /
`--passphrase-fd` for scripts; never from the command line or the
environment, where other users of the machine could read them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .common import (
    current_user,
    echo,
    json_text,
    open_store,
    passphrase_options,
    progress_bar,
    read_secret,
    resolve_data_dir,
    translator,
    unlock,
)


# ----------------------------------------------------------------------------- init


@click.command("init")
@click.option("--admin", "admin_id", help="User id of the first admin (default: your login name).")
@click.option("--name", "admin_name", help="Display name of the first admin.")
@click.option("--unit", "unit_name", help="Name of the first unit (default: Enheten; rename it with `unit rename`).")
@passphrase_options()
@click.pass_context
def init_cmd(ctx: click.Context, admin_id: str | None, admin_name: str | None, unit_name: str | None,
             passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Create a data directory, its first admin and its first unit; prints a one-time recovery code."""
    from ..store import Store
    from ..store.units import FIRST_UNIT

    t = translator(ctx)
    admin_id = admin_id or current_user(ctx)
    secret = read_secret(passphrase_file, passphrase_fd, t("cli.secret.new", user=admin_id), t, confirm=True)
    root = resolve_data_dir(ctx)
    _store, code = Store.init(root, admin_id, admin_name or admin_id, secret, unit_name or FIRST_UNIT)
    click.echo(t("cli.init.done", path=root, user=admin_id))
    click.echo(t("cli.init.recovery"))
    click.echo(f"    {code}")


# ----------------------------------------------------------------------------- users


@click.group()
def user() -> None:
    """Users: add, passwd, disable, update, list."""


@user.command("list")
@passphrase_options()
@click.pass_context
def user_list(ctx: click.Context, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    names = session.unit_names()
    for u in session.list_users():
        flags = [t(f"role.{u.role}")]
        if u.certified:
            flags.append(t("cli.user.certified"))
        if u.disabled:
            flags.append(t("cli.user.disabled"))
        units = ", ".join(names.get(x, x) for x in u.units)
        echo(f"{u.id:<16} {u.name:<28} {', '.join(flags)}" + (f"  [{units}]" if units else ""))
    session.close()


ROLE_CHOICE = click.Choice(["admin", "interviewer", "trainer", "analyst"])


@user.command("add")
@click.argument("user_id")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", type=ROLE_CHOICE, default="interviewer", show_default=True)
@click.option("--certified/--not-certified", default=False, help="Certified interviewers may run real interviews.")
@click.option("--unit", "units", multiple=True,
              help="A unit (id or name) the user works in, or (analyst) is granted; repeatable. "
                   "Default: the only unit, when there is one.")
@passphrase_options()
@passphrase_options("new-")
@click.pass_context
def user_add(ctx: click.Context, user_id: str, name: str, role: str, certified: bool, units: tuple[str, ...],
             passphrase_file: Path | None, passphrase_fd: int | None, new_passphrase_file: Path | None,
             new_passphrase_fd: int | None) -> None:
    """Add a user (admin). The new user's first passphrase is asked for twice."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    secret = read_secret(new_passphrase_file, new_passphrase_fd, t("cli.secret.new", user=user_id), t, confirm=True)
    try:
        session.add_user(user_id, name, role, secret, certified, list(units) if units else None)
    finally:
        session.close()
    click.echo(t("cli.user.added", user=user_id, role=t(f"role.{role}")))


@user.command("passwd")
@click.argument("user_id", required=False)
@passphrase_options()
@passphrase_options("new-")
@click.pass_context
def user_passwd(ctx: click.Context, user_id: str | None, passphrase_file: Path | None, passphrase_fd: int | None,
                new_passphrase_file: Path | None, new_passphrase_fd: int | None) -> None:
    """Change your own passphrase, or (admin) set a new one for USER_ID."""
    t = translator(ctx)
    me = current_user(ctx)
    store = open_store(ctx)
    old = read_secret(passphrase_file, passphrase_fd, t("cli.secret.prompt", user=me), t)
    session = store.unlock(me, old)
    target = user_id or me
    new = read_secret(new_passphrase_file, new_passphrase_fd, t("cli.secret.new", user=target), t, confirm=True)
    if target == me:
        session.change_passphrase(old, new)
    else:
        session.reset_passphrase(target, new)
    session.close()
    click.echo(t("cli.user.passwd", user=target))


@user.command("disable")
@click.argument("user_id")
@passphrase_options()
@click.pass_context
def user_disable(ctx: click.Context, user_id: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Disable a user (admin): their key slot is removed now; a key rotation makes it final."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    due = session.disable_user(user_id)
    session.close()
    click.echo(t("cli.user.disabled_done", user=user_id))
    if due is not None:
        click.echo(t("cli.user.rotation_due", since=due.since, users=", ".join(due.users)))


@user.command("update")
@click.argument("user_id")
@click.option("--name")
@click.option("--role", type=ROLE_CHOICE)
@click.option("--certified/--not-certified", default=None)
@click.option("--unit", "add_units", multiple=True, help="Add the user to this unit (id or name); repeatable.")
@click.option("--remove-unit", "remove_units", multiple=True, help="Take the user out of this unit; repeatable.")
@passphrase_options()
@click.pass_context
def user_update(ctx: click.Context, user_id: str, name: str | None, role: str | None, certified: bool | None,
                add_units: tuple[str, ...], remove_units: tuple[str, ...], passphrase_file: Path | None,
                passphrase_fd: int | None) -> None:
    """Change a user's name, role, certified flag or units (admin). Leaving a unit
    takes full effect at the next key rotation (they may have kept its key)."""
    t = translator(ctx)
    changes: dict[str, object] = {k: v for k, v in {"name": name, "role": role, "certified": certified}.items() if v is not None}
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        if add_units or remove_units:
            current = next((u for u in session.list_users() if u.id == user_id), None)
            have = list(current.units) if current is not None else []
            drop = {session.find_unit(r).id for r in remove_units}
            add = [session.find_unit(r).id for r in add_units]
            changes["units"] = [u for u in [*have, *add] if u not in drop]
        session.update_user(user_id, **changes)
        due = session.rotation_due() if "units" in changes or "certified" in changes or "role" in changes else None
    finally:
        session.close()
    click.echo(t("cli.user.updated", user=user_id))
    if due is not None and user_id in due.users:
        click.echo(t("cli.user.rotation_due", since=due.since, users=", ".join(due.users)))


@click.command("recover")
@click.argument("user_id")
@click.option("--code-file", type=click.Path(path_type=Path), help="Read the recovery code from this file.")
@passphrase_options("new-")
@click.pass_context
def recover(ctx: click.Context, user_id: str, code_file: Path | None, new_passphrase_file: Path | None, new_passphrase_fd: int | None) -> None:
    """Set a new passphrase for USER_ID with the recovery code printed at init."""
    t = translator(ctx)
    store = open_store(ctx)
    code = read_secret(code_file, None, t("cli.secret.recovery"), t)
    session = store.unlock_recovery(code)
    new = read_secret(new_passphrase_file, new_passphrase_fd, t("cli.secret.new", user=user_id), t, confirm=True)
    session.reset_passphrase(user_id, new)
    session.close()
    click.echo(t("cli.user.passwd", user=user_id))


# ----------------------------------------------------------------------------- keys


@click.group()
def key() -> None:
    """The vault key."""


@key.command("rotate")
@click.option("--reencrypt", is_flag=True, help="Also give every record a new key and rewrite it (suspected compromise).")
@passphrase_options()
@click.pass_context
def key_rotate(ctx: click.Context, reencrypt: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """New vault key for every record (admin). Safe to rerun if interrupted."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    with click.progressbar(length=1, label=t("cli.key.rotating"), file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(1)

        result = session.rotate_key(reencrypt, progress)
    session.close()
    for user_id in result["users_left_out"]:
        click.echo(t("cli.key.left_out", user=user_id), err=True)
    for doc in result["docs_damaged"]:
        click.echo(t("cli.key.docs_damaged", doc=doc), err=True)
    if result["finished"]:
        click.echo(t("cli.key.rotated", gen=result["gen"], n=result["records"]))
    else:
        raise click.ClickException(t("cli.key.incomplete", n=len(result["skipped"])))


# ----------------------------------------------------------------------------- record lock files


@click.group()
def lock() -> None:
    """Record lock files."""


@lock.command("repair")
@passphrase_options()
@click.pass_context
def lock_repair(ctx: click.Context, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Recreate lock files removed outside asi-tui (admin; audited)."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    repaired = session.repair_locks()
    session.close()
    for rid in repaired:
        click.echo(t("cli.lock.repaired", rid=rid))
    if not repaired:
        click.echo(t("cli.lock.none"))


# ----------------------------------------------------------------------------- index and audit


@click.group()
def index() -> None:
    """The record index."""


@index.command("rebuild")
@passphrase_options()
@click.pass_context
def index_rebuild(ctx: click.Context, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Recreate the index from the record files; reports damaged, rolled-back,
    missing records and lost answers by record id (exit 1 if any)."""
    from ..store.rebuild_read import default_workers

    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        with progress_bar(t("cli.index.rebuilding")) as update:
            report = session.rebuild_index(progress=update, workers=default_workers())
    finally:
        session.close()
    click.echo(t("cli.index.rebuilt", n=report.records))
    for rid in report.damaged:
        click.echo(t("cli.index.damaged", rid=rid), err=True)
    for rid, gen, hwm in report.older:
        click.echo(t("cli.index.older", rid=rid, gen=gen, hwm=hwm), err=True)
    for rid, created in report.missing:
        click.echo(t("cli.index.missing", rid=rid, created=created), err=True)
    for rid, first, last in report.lost:
        click.echo(t("cli.index.lost", rid=rid, first=first, last=last), err=True)
    if not report.clean:
        ctx.exit(1)


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.option("--accept", is_flag=True, help="Admin: after looking into a reported vault or checkpoint problem, take vault.json as it is and write a new checkpoint.")
@passphrase_options()
@click.pass_context
def audit_verify(ctx: click.Context, accept: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Check the hash chain, the checkpoints and vault.json against it; reports the first problem."""
    t = translator(ctx)
    user = current_user(ctx)
    store = open_store(ctx)
    secret = read_secret(passphrase_file, passphrase_fd, t("cli.secret.prompt", user=user), t)
    session = store.unlock(user, secret, verify_only=True)  # an older vault.json must not stop the check
    result = session.verify_audit()
    if accept and not result.ok:
        # what was found is printed; a break inside the chain stays reported after accepting
        click.echo(t(f"cli.audit.bad.{result.reason}", seq=result.first_bad if result.first_bad is not None else "-", **result.params))
        state = session.accept_vault()
        click.echo(t("cli.audit.accepted", serial=state.serial))
        result = session.verify_audit()
    session.close()
    if result.ok:
        click.echo(t("cli.audit.ok", n=result.entries))
        return
    if result.line is not None:  # an unparsable line: say where it is
        raise click.ClickException(t("cli.audit.bad_at", file=result.file, line=result.line, prev=result.entries))
    message = t(f"cli.audit.bad.{result.reason}", seq=result.first_bad if result.first_bad is not None else "-", **result.params)
    if result.reason in ACCEPTABLE:
        message += "\n" + t("cli.audit.accept_hint")
    raise click.ClickException(message)


# what `audit verify --accept` resolves: vault.json or the checkpoints no longer
# matching the chain (for a cut tail, by taking the shorter chain as it is)
ACCEPTABLE = ("vault_older", "vault_mismatch", "checkpoint_missing", "checkpoint_older", "truncated", "checkpoint")


@audit.command("show")
@click.option("--user", "user_filter", help="Only this user's actions.")
@click.option("--client", "client_filter", help="Only actions on this client's records.")
@click.option("--unit", "unit_filter", help="Only actions on this unit's records (id or name).")
@click.option("--denied", is_flag=True, help="Only refused attempts (who, what, which record or unit).")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def audit_show(ctx: click.Context, user_filter: str | None, client_filter: str | None, unit_filter: str | None,
               denied: bool, as_json: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Audit entries for access reviews (admin)."""
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        entries = session.audit_entries(user_filter, client_filter, unit_filter, denied)
    finally:
        session.close()
    if as_json:
        click.echo(json_text(entries))
        return
    for e in entries:
        detail = json.dumps(e["detail"], ensure_ascii=False) if "detail" in e else ""
        unit_id = e.get("unit", "")
        echo(f"{e['seq']:>6} {e['ts']} {e.get('user', ''):<12} {e.get('action', ''):<16} {e.get('rid', ''):<20} "
             f"{unit_id:<16} {e.get('client', '')} {detail}")
