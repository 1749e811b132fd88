"""CLI commands over the record store: init, user, key, recover, record, index, audit.

Passphrases come from a hidden prompt, or from `--passphrase-file` /
`--passphrase-fd` for scripts; never from the command line or the
environment, where other users of the machine could read them.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, TextIO

import click

from .cli import _parse_date, _resolve_bank, _translator, main
from .i18n import Translator

_FD_FILES: dict[int, TextIO] = {}


def _obj(ctx: click.Context) -> dict[str, Any]:
    return ctx.find_root().obj


def _data_dir(ctx: click.Context) -> Path:
    from .store import default_data_dir

    return _obj(ctx)["data"] or default_data_dir()


def _user_id(ctx: click.Context) -> str:
    return _obj(ctx)["user"] or getpass.getuser()


def _read_secret(file: Path | None, fd: int | None, prompt: str, t: Translator, confirm: bool = False) -> str:
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
    name = f"{prefix}passphrase"

    def deco(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option(f"--{prefix}passphrase-fd", f"{name.replace('-', '_')}_fd", type=int, help="Read the passphrase from this file descriptor.")(f)
        f = click.option(f"--{prefix}passphrase-file", f"{name.replace('-', '_')}_file", type=click.Path(path_type=Path), help="Read the passphrase from the first line of this file.")(f)
        return f

    return deco


def _open_store(ctx: click.Context):  # noqa: ANN202
    from .store import Store

    return Store.open(_data_dir(ctx))


def _unlock(ctx: click.Context, file: Path | None, fd: int | None):  # noqa: ANN202
    t = _translator(ctx)
    store = _open_store(ctx)
    user = _user_id(ctx)
    secret = _read_secret(file, fd, t("cli.secret.prompt", user=user), t)
    return store.unlock(user, secret)


# ----------------------------------------------------------------------------- init


@main.command("init")
@click.option("--admin", "admin_id", help="User id of the first admin (default: your login name).")
@click.option("--name", "admin_name", help="Display name of the first admin.")
@passphrase_options()
@click.pass_context
def init_cmd(ctx: click.Context, admin_id: str | None, admin_name: str | None, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Create a data directory and its first admin; prints a one-time recovery code."""
    from .store import Store

    t = _translator(ctx)
    admin_id = admin_id or _user_id(ctx)
    secret = _read_secret(passphrase_file, passphrase_fd, t("cli.secret.new", user=admin_id), t, confirm=True)
    root = _data_dir(ctx)
    _store, code = Store.init(root, admin_id, admin_name or admin_id, secret)
    click.echo(t("cli.init.done", path=root, user=admin_id))
    click.echo(t("cli.init.recovery"))
    click.echo(f"    {code}")


# ----------------------------------------------------------------------------- users


@main.group()
def user() -> None:
    """Users: add, passwd, disable, update, list."""


@user.command("list")
@passphrase_options()
@click.pass_context
def user_list(ctx: click.Context, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    for u in session.list_users():
        flags = [t(f"role.{u.role}")]
        if u.certified:
            flags.append(t("cli.user.certified"))
        if u.disabled:
            flags.append(t("cli.user.disabled"))
        click.echo(f"{u.id:<16} {u.name:<28} {', '.join(flags)}")
    session.close()


@user.command("add")
@click.argument("user_id")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", type=click.Choice(["admin", "interviewer", "trainer"]), default="interviewer", show_default=True)
@click.option("--certified/--not-certified", default=False, help="Certified interviewers may run real interviews.")
@passphrase_options()
@passphrase_options("new-")
@click.pass_context
def user_add(ctx: click.Context, user_id: str, name: str, role: str, certified: bool, passphrase_file: Path | None,
             passphrase_fd: int | None, new_passphrase_file: Path | None, new_passphrase_fd: int | None) -> None:
    """Add a user (admin). The new user's first passphrase is asked for twice."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    secret = _read_secret(new_passphrase_file, new_passphrase_fd, t("cli.secret.new", user=user_id), t, confirm=True)
    session.add_user(user_id, name, role, secret, certified)
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
    t = _translator(ctx)
    me = _user_id(ctx)
    store = _open_store(ctx)
    old = _read_secret(passphrase_file, passphrase_fd, t("cli.secret.prompt", user=me), t)
    session = store.unlock(me, old)
    target = user_id or me
    new = _read_secret(new_passphrase_file, new_passphrase_fd, t("cli.secret.new", user=target), t, confirm=True)
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
    """Disable a user (admin): their key slot is removed. Consider `key rotate`."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    session.update_user(user_id, disabled=True)
    session.close()
    click.echo(t("cli.user.disabled_done", user=user_id))


@user.command("update")
@click.argument("user_id")
@click.option("--name")
@click.option("--role", type=click.Choice(["admin", "interviewer", "trainer"]))
@click.option("--certified/--not-certified", default=None)
@passphrase_options()
@click.pass_context
def user_update(ctx: click.Context, user_id: str, name: str | None, role: str | None, certified: bool | None,
                passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Change a user's name, role or certified flag (admin)."""
    t = _translator(ctx)
    changes = {k: v for k, v in {"name": name, "role": role, "certified": certified}.items() if v is not None}
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    session.update_user(user_id, **changes)
    session.close()
    click.echo(t("cli.user.updated", user=user_id))


@main.command("recover")
@click.argument("user_id")
@click.option("--code-file", type=click.Path(path_type=Path), help="Read the recovery code from this file.")
@passphrase_options("new-")
@click.pass_context
def recover(ctx: click.Context, user_id: str, code_file: Path | None, new_passphrase_file: Path | None, new_passphrase_fd: int | None) -> None:
    """Set a new passphrase for USER_ID with the recovery code printed at init."""
    t = _translator(ctx)
    store = _open_store(ctx)
    code = _read_secret(code_file, None, t("cli.secret.recovery"), t)
    session = store.unlock_recovery(code)
    new = _read_secret(new_passphrase_file, new_passphrase_fd, t("cli.secret.new", user=user_id), t, confirm=True)
    session.reset_passphrase(user_id, new)
    session.close()
    click.echo(t("cli.user.passwd", user=user_id))


# ----------------------------------------------------------------------------- keys


@main.group()
def key() -> None:
    """The vault key."""


@key.command("rotate")
@click.option("--reencrypt", is_flag=True, help="Also give every record a new key and rewrite it (suspected compromise).")
@passphrase_options()
@click.pass_context
def key_rotate(ctx: click.Context, reencrypt: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """New vault key for every record (admin). Safe to rerun if interrupted."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    with click.progressbar(length=1, label=t("cli.key.rotating"), file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(1)

        result = session.rotate_key(reencrypt, progress)
    session.close()
    if result["finished"]:
        click.echo(t("cli.key.rotated", gen=result["gen"], n=result["records"]))
    else:
        raise click.ClickException(t("cli.key.incomplete", n=len(result["skipped"])))


# ----------------------------------------------------------------------------- records


@main.group()
def record() -> None:
    """Records: import, list, show, delete."""


@record.command("import")
@click.argument("answers_path", metavar="ANSWERS.yaml", type=click.Path(path_type=Path))
@click.option("--bank", "bank_ref", required=True, help="Bank id or file.")
@click.option("--client", "client_ref", required=True, help="Client reference.")
@click.option("--date", "date_str", required=True, help="Interview date YYYY-MM-DD.")
@click.option("--linked", "linked_rid", help="Record id of the earlier Grund (follow-ups).")
@click.option("--complete", "complete", is_flag=True, help="Complete the record if nothing is missing.")
@click.option("--practice", is_flag=True, help="A training record, kept apart from client data.")
@passphrase_options()
@click.pass_context
def record_import(ctx: click.Context, answers_path: Path, bank_ref: str, client_ref: str, date_str: str, linked_rid: str | None,
                  complete: bool, practice: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Enter an interview from an answers file (e.g. one coded on paper)."""
    from .engine.answers_file import AnswersFileError, read_answers
    from .engine.interview import CompletionRefused
    from .scoring.simulate import message_text

    t = _translator(ctx)
    qbank = _resolve_bank(bank_ref, t)
    interview_date = _parse_date(date_str, t)
    assert interview_date is not None
    try:
        answers = read_answers(answers_path)
    except AnswersFileError as exc:
        raise click.ClickException(t("error.answers_file", path=answers_path, reason=exc.reason)) from None
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    # a record must be reopenable: only bundled or published versions may hold one
    session.store.resolver(qbank.id, qbank.version, qbank.sha256)
    linked = None
    if linked_rid:
        earlier = session.open_record(linked_rid, readonly=True)
        linked = {"rid": linked_rid, "date": earlier.body["interview_date"]}
        same_client = earlier.client_ref == client_ref
        earlier.close()
        if not same_client:
            raise click.ClickException(t("cli.record.link_other_client"))
    handle = session.create_record(qbank, client_ref, interview_date, linked=linked, practice=practice)
    problems = 0
    try:
        unknown = [k for k in answers if k not in qbank.by_id]
        for k in unknown:
            click.echo(f"{t('cli.sim.ignored')} {k}: {t('cli.sim.reason.unknown_item')}", err=True)
        for item in qbank.items:
            if item.id not in answers:
                continue
            if not handle.interview.is_visible(item.id):
                click.echo(f"{t('cli.sim.ignored')} {item.id}: {t('cli.sim.reason.hidden')}", err=True)
                continue
            outcome = handle.answer(item.id, answers[item.id])
            if not outcome.ok:
                problems += 1
                click.echo(f"{t('cli.sim.rejected')} {item.id}: {message_text(qbank, t, outcome.message or '', outcome.params)}", err=True)
        for w in handle.interview.open_warnings():
            click.echo(f"{t('cli.sim.soft')} {w.item_id}: {message_text(qbank, t, w.message)}", err=True)
        if complete:
            try:
                handle.complete()
            except CompletionRefused as exc:
                handle.pause()
                missing = exc.missing_items + exc.missing_ratings
                click.echo(t("cli.record.not_complete", n=len(missing), items=" ".join(missing[:20])), err=True)
        else:
            handle.pause()
    finally:
        rid = handle.rid
        handle.close()
        session.close()
    click.echo(t("cli.record.imported", rid=rid, status=t(f"status.{handle.status}"), problems=problems))


@record.command("list")
@click.option("--status", type=click.Choice(["in_progress", "paused", "completed"]))
@click.option("--client", "client_ref")
@click.option("--mine", is_flag=True, help="Only my records.")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def record_list(ctx: click.Context, status: str | None, client_ref: str | None, mine: bool, as_json: bool,
                passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    docs = session.list_records(status=status, client_ref=client_ref, interviewer=session.user.id if mine else None)
    session.close()
    if as_json:
        click.echo(json.dumps(docs, ensure_ascii=False, indent=2))
        return
    for d in docs:
        click.echo(
            f"{d['rid']}  {d.get('interview_date') or '':<10}  {t('status.' + str(d.get('status'))):<14} "
            f"{(d.get('bank_id') or ''):<22} {d.get('interviewer') or '':<12} {d.get('client_ref') or ''}"
        )
    if not docs:
        click.echo(t("cli.record.none"))


@record.command("show")
@click.argument("rid")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def record_show(ctx: click.Context, rid: str, as_json: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Show a record read-only (opening it is audited)."""
    from .engine.values import encode
    from .scoring.composite import composites

    t = _translator(ctx)
    lang = _obj(ctx)["lang"]
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    handle = session.open_record(rid, readonly=True)
    try:
        iv = handle.interview
        missing_items, missing_ratings = iv.missing()
        data = {
            "rid": rid,
            "status": handle.status,
            "client_ref": handle.client_ref,
            "interviewer": handle.body.get("interviewer"),
            "bank": handle.body.get("bank"),
            "interview_date": handle.body.get("interview_date"),
            "linked": handle.body.get("linked"),
            "practice": handle.body.get("practice", False),
            "answers": {k: encode(v) for k, v in iv.answers.items()},
            "answered_by": handle.answer_meta,
            "warnings": sorted(iv.warnings),
            "deferred": sorted(iv.deferred),
            "alerts": sorted(iv.alerts),
            "missing_items": missing_items,
            "missing_ratings": missing_ratings,
            "composites": {a: {"score": c.score, "missing": list(c.missing)} for a, c in composites(iv.answers).items()},
            "meta": handle.body.get("meta", {}),
            "notices": handle.notices,
        }
    finally:
        handle.close(log=False)
        session.close()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(f"{rid}  {data['bank']['id']} {data['bank']['version']}  {data['interview_date']}  {t('status.' + data['status'])}")
    click.echo(f"{t('cli.record.client')}: {data['client_ref']}   {t('cli.record.interviewer')}: {data['interviewer']}")
    for notice in data["notices"]:
        click.echo(f"! {t(notice)}")
    for section in handle.bank.sections:
        click.echo(f"-- {section.title.get(lang)}")
        for item in section.items:
            if item.id in data["answers"]:
                click.echo(f"   {item.id:<14} {_show_value(data['answers'][item.id]):<12} {item.label.get(lang)[:48]}")


def _show_value(v: Any) -> str:
    if isinstance(v, dict) and "code" in v:
        return str(v["code"])
    if isinstance(v, list):
        return ",".join(map(str, v))
    return str(v)


@record.command("delete")
@click.argument("rid")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@passphrase_options()
@click.pass_context
def record_delete(ctx: click.Context, rid: str, yes: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Delete a record for good (admin): its key is destroyed with it."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    if not yes and not click.confirm(t("cli.record.confirm_delete", rid=rid)):
        session.close()
        raise click.Abort()
    session.delete_record(rid)
    session.close()
    click.echo(t("cli.record.deleted", rid=rid))


# ----------------------------------------------------------------------------- index and audit


@main.group()
def index() -> None:
    """The record index."""


@index.command("rebuild")
@passphrase_options()
@click.pass_context
def index_rebuild(ctx: click.Context, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Recreate the index from the record files."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    n, damaged = session.rebuild_index()
    session.close()
    click.echo(t("cli.index.rebuilt", n=n))
    for rid in damaged:
        click.echo(t("cli.index.damaged", rid=rid), err=True)


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@passphrase_options()
@click.pass_context
def audit_verify(ctx: click.Context, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Check the hash chain; reports the first bad entry."""
    t = _translator(ctx)
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    result = session.verify_audit()
    if result.ok:
        click.echo(t("cli.audit.ok", n=result.entries))
        return
    raise click.ClickException(t(f"cli.audit.bad.{result.reason}", seq=result.first_bad if result.first_bad is not None else "-"))


@audit.command("show")
@click.option("--user", "user_filter", help="Only this user's actions.")
@click.option("--client", "client_filter", help="Only actions on this client's records.")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def audit_show(ctx: click.Context, user_filter: str | None, client_filter: str | None, as_json: bool,
               passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Audit entries for access reviews (admin)."""
    session = _unlock(ctx, passphrase_file, passphrase_fd)
    entries = session.audit_entries(user_filter, client_filter)
    session.close()
    if as_json:
        click.echo(json.dumps(entries, ensure_ascii=False, indent=2))
        return
    for e in entries:
        detail = json.dumps(e["detail"], ensure_ascii=False) if "detail" in e else ""
        click.echo(f"{e['seq']:>6} {e['ts']} {e.get('user', ''):<12} {e.get('action', ''):<16} {e.get('rid', ''):<20} {e.get('client', '')} {detail}")
