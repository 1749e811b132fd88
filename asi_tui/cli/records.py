"""CLI commands: `asi-tui record import|list|show|print|responsible|withdraw|delete`.

Each needs the user's passphrase; opening a record is audited by the store,
which also decides who may (the unit's interviewers; an admin with a stated
`--reason`). Links between interviews follow the chain rules of `store/chain.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from .common import (
    PARTIAL_RECORD,
    answers_file_error,
    check_record_id,
    clean,
    ctx_obj,
    echo,
    json_text,
    parse_date,
    passphrase_options,
    resolve_bank,
    translator,
    unlock,
)


@click.group()
def record() -> None:
    """Records: import, list, show, print, withdraw, delete."""


@record.command("import")
@click.argument("answers_paths", metavar="ANSWERS.yaml...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--bank", "bank_ref", help="Bank id or file.")
@click.option("--client", "client_ref", help="Client reference.")
@click.option("--date", "date_str", help="Interview date YYYY-MM-DD.")
@click.option("--linked", "linked_rid", help="Record id of the earlier interview, Grund or Uppföljning (default for a "
              "follow-up: the client's latest completed one); for a dropout, the interview whose follow-up it closes.")
@click.option("--reactualisation", is_flag=True, help="Mark a follow-up used instead of a new Grund for a returning client.")
@click.option("--complete", "complete", is_flag=True, help="Complete the record if nothing is missing.")
@click.option("--practice", is_flag=True, help="A training record, kept apart from client data.")
@click.option("--unit", "unit_ref", help="The record's unit (id or name; default: your only unit).")
@click.option("--dry-run", is_flag=True, help="Check every interview; write nothing.")
@click.option("--stop-on-error", is_flag=True, help="Stop at the first interview that cannot be imported.")
@passphrase_options()
@click.pass_context
def record_import(ctx: click.Context, answers_paths: tuple[Path, ...], bank_ref: str | None, client_ref: str | None,
                  date_str: str | None, linked_rid: str | None, reactualisation: bool, complete: bool, practice: bool,
                  unit_ref: str | None, dry_run: bool, stop_on_error: bool, passphrase_file: Path | None,
                  passphrase_fd: int | None) -> None:
    """Enter interviews from answers files (e.g. coded on paper).

    One answers file with --bank, --client and --date is one record, as
    always. Many files, a directory, or a JSON-lines or CSV file with one
    interview per row are a batch (docs/import.md): each interview is checked
    completely before its record is written, a bad one is listed and leaves
    nothing behind, and one passphrase covers them all.
    """
    from ..engine.batch_input import is_batch_source
    from .batch import Defaults, run_batch

    single = (len(answers_paths) == 1 and not is_batch_source(answers_paths[0]) and not dry_run and not stop_on_error
              and bank_ref is not None and client_ref is not None and date_str is not None)
    if not single:
        defaults = Defaults(bank_ref, client_ref, date_str, unit_ref, linked_rid, complete, practice, reactualisation)
        run_batch(ctx, list(answers_paths), defaults, dry_run, stop_on_error, passphrase_file, passphrase_fd)
        return
    assert bank_ref is not None and client_ref is not None and date_str is not None
    _import_one(ctx, answers_paths[0], bank_ref, client_ref, date_str, linked_rid, reactualisation, complete, practice,
                unit_ref, passphrase_file, passphrase_fd)


def _import_one(ctx: click.Context, answers_path: Path, bank_ref: str, client_ref: str, date_str: str,
                linked_rid: str | None, reactualisation: bool, complete: bool, practice: bool, unit_ref: str | None,
                passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """One answers file, one record (the form before batches, unchanged): the
    whole file is read and run through the engine before the record is
    created, so a file that cannot be used leaves nothing behind."""
    from datetime import date as Date

    from ..engine.answers_file import AnswersFileError, read_answers
    from ..engine.interview import CompletionRefused, Interview
    from ..engine.limits import InvalidReference, check_ref

    t = translator(ctx)
    try:
        client_ref = check_ref(client_ref)
    except InvalidReference as exc:
        raise click.ClickException(t(exc.key, **exc.params)) from None
    if linked_rid:
        linked_rid = check_record_id(linked_rid, t)
    qbank = resolve_bank(bank_ref, t)
    interview_date = parse_date(date_str, t)
    assert interview_date is not None
    try:
        answers = read_answers(answers_path)
    except AnswersFileError as exc:
        raise answers_file_error(exc, answers_path, t) from None
    session = unlock(ctx, passphrase_file, passphrase_fd)
    # a record must be reopenable: only bundled or published versions may hold one
    session.store.resolver(qbank.id, qbank.version, qbank.sha256)
    try:
        unit_id = None if practice else session.choose_unit(unit_ref)  # before anything else: refused in one line
        link = {"rid": linked_rid} if linked_rid else _default_link(session, qbank, client_ref, interview_date, practice, t)
        meta = {"reactualisation": True} if reactualisation else None
        # the chain rules (same client, earlier, no dropout, ...), before anything is written
        linked, notices = session.check_link(qbank, link, client_ref, interview_date, practice, dict(meta or {}))
        # dry run on a bare interview: every message, nothing stored yet
        trial = Interview(qbank, interview_date, Date.fromisoformat(linked["date"]) if linked else None, today=Date.today())
        accepted, problems = _apply_answers(qbank, answers, trial.is_visible, trial.answer, t)
        handle = session.create_record(qbank, client_ref, interview_date, linked=link, practice=practice, meta=meta,
                                       unit=unit_id)
    except BaseException:
        session.close()
        raise
    ctx_obj(ctx)[PARTIAL_RECORD] = handle.rid
    for notice in notices:
        echo(f"{t('cli.sim.soft')}: {t(notice)}", err=True)
    try:
        for item_id in accepted:
            handle.answer(item_id, answers[item_id])
        from ..scoring.simulate import message_text

        for w in handle.interview.open_warnings():
            echo(f"{t('cli.sim.soft')} {w.item_id}: {message_text(qbank, t, w.message)}", err=True)
        if complete:
            try:
                handle.complete()
            except CompletionRefused as exc:
                handle.pause()
                missing = exc.missing_items + exc.missing_ratings
                echo(t("cli.record.not_complete", n=len(missing), items=" ".join(missing[:20])), err=True)
        else:
            handle.pause()
    finally:
        rid = handle.rid
        handle.close()
        session.close()
    ctx_obj(ctx).pop(PARTIAL_RECORD, None)
    click.echo(t("cli.record.imported", rid=rid, status=t(f"status.{handle.status}"), problems=problems))


def _apply_answers(qbank: Any, answers: dict[str, Any], is_visible: Callable[[str], bool],
                   answer: Callable[[str, Any], Any], t: Any) -> tuple[list[str], int]:
    """Give `answers` in bank order, as an interviewer meets the items; print
    each ignored or rejected one on stderr. Returns the accepted item ids (in
    order) and the number rejected."""
    from ..scoring.simulate import message_text

    for k in answers:
        if k not in qbank.by_id:
            echo(f"{t('cli.sim.ignored')} {k}: {t('cli.sim.reason.unknown_item')}", err=True)
    accepted, rejected = [], 0
    for item in qbank.items:
        if item.id not in answers:
            continue
        if not is_visible(item.id):
            echo(f"{t('cli.sim.ignored')} {item.id}: {t('cli.sim.reason.hidden')}", err=True)
            continue
        outcome = answer(item.id, answers[item.id])
        if outcome.ok:
            accepted.append(item.id)
        else:
            rejected += 1
            echo(f"{t('cli.sim.rejected')} {item.id}: {message_text(qbank, t, outcome.message or '', outcome.params)}", err=True)
    return accepted, rejected


def _default_link(session: Any, qbank: Any, client_ref: str, day: Any, practice: bool, t: Any) -> dict[str, Any] | None:
    """A follow-up without --linked links to the client's latest completed interview (said on stderr)."""
    from ..store.chain import default_link, linkable_for

    if not qbank.is_followup or practice:
        return None
    doc = default_link(session.client_records(client_ref), client_ref, day, linkable_for(qbank.instrument))
    if doc is None:
        return None  # the store refuses a follow-up without a link, with the reason
    click.echo(t("cli.record.linked_default", rid=doc["rid"], date=doc["interview_date"],
                 instrument=t(f"followup.short.{doc['instrument']}") if doc["instrument"] != "spel" else "Spel"), err=True)
    return {"rid": doc["rid"]}


@record.command("list")
@click.option("--status", type=click.Choice(["in_progress", "paused", "completed", "withdrawn"]))
@click.option("--client", "client_ref")
@click.option("--unit", "unit_ref", help="Only this unit's records (id or name).")
@click.option("--mine", is_flag=True, help="Only my records.")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def record_list(ctx: click.Context, status: str | None, client_ref: str | None, unit_ref: str | None, mine: bool,
                as_json: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """The records of your units (and your practice records)."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        unit_id = session.find_unit(unit_ref).id if unit_ref else None
        docs = session.list_records(status=status, client_ref=client_ref, unit=unit_id,
                                    interviewer=session.user.id if mine else None)
    finally:
        session.close()
    if as_json:
        click.echo(json_text(docs))
        return
    for d in docs:
        mark = f"  [{t('cli.record.reactualisation')}]" if d.get("reactualisation") else ""
        echo(
            f"{d['rid']}  {d.get('interview_date') or '':<10}  {t('status.' + str(d.get('status'))):<14} "
            f"{(d.get('bank_id') or ''):<22} {d.get('unit') or '':<16} {d.get('interviewer') or '':<12} "
            f"{d.get('client_ref') or ''}{mark}"
        )
    if not docs:
        click.echo(t("cli.record.none"))


REASON_HELP = "Why you open another person's client record (admins; it goes into the audit log)."


@record.command("show")
@click.argument("rid")
@click.option("--json", "as_json", is_flag=True)
@click.option("--reason", help=REASON_HELP)
@passphrase_options()
@click.pass_context
def record_show(ctx: click.Context, rid: str, as_json: bool, reason: str | None, passphrase_file: Path | None,
                passphrase_fd: int | None) -> None:
    """Show a record read-only (opening it is audited)."""
    from ..engine.values import encode
    from ..scoring.composite import composites

    t = translator(ctx)
    lang = ctx_obj(ctx)["lang"]
    rid = check_record_id(rid, t)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        handle = session.open_record(rid, readonly=True, reason=reason)
    except BaseException:
        session.close()
        raise
    try:
        iv = handle.interview
        missing_items, missing_ratings = iv.missing()
        data = {
            "rid": rid,
            "status": handle.status,
            "client_ref": handle.client_ref,
            "unit": handle.unit,
            "unit_name": session.unit_names().get(handle.unit or "", None),
            "responsible": (handle.body.get("meta") or {}).get("responsible"),
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
        click.echo(json_text(data))
        return
    echo(f"{rid}  {data['bank']['id']} {data['bank']['version']}  {data['interview_date']}  {t('status.' + data['status'])}")
    echo(f"{t('cli.record.client')}: {data['client_ref']}   {t('cli.record.interviewer')}: {data['interviewer']}   "
         f"{t('cli.record.unit')}: {data['unit_name'] or '-'}")
    for notice in data["notices"]:
        echo(f"! {t(notice, **getattr(notice, 'params', {}))}")
    for section in handle.bank.sections:
        echo(f"-- {section.title.get(lang)}")
        for item in section.items:
            if item.id in data["answers"]:
                echo(f"   {item.id:<14} {clean(_show_value(data['answers'][item.id])):<12} {item.label.get(lang)[:48]}")


def _show_value(v: Any) -> str:
    if isinstance(v, dict) and "code" in v:
        return str(v["code"])
    if isinstance(v, list):
        return ",".join(map(str, v))
    return str(v)


@record.command("print")
@click.argument("rid")
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("-o", "--output", "directory", type=click.Path(path_type=Path, file_okay=False),
              help="Write intervju-RID.md/.html (mode 0600) into this directory instead of standard output.")
@click.option("--reason", help=REASON_HELP)
@passphrase_options()
@click.pass_context
def record_print(ctx: click.Context, rid: str, fmt: str, directory: Path | None, reason: str | None,
                 passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """The whole interview for the case file: every item in the form's order with its
    time frame, codes with labels, ratings, comments and the Återkoppling (audited)."""
    from ..reports.casefile import print_record

    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        handle = session.open_record(check_record_id(rid, t), readonly=True, reason=reason)
        try:
            out = print_record(session, handle, fmt, ctx_obj(ctx)["lang"], directory)
        finally:
            handle.close(log=False)
    finally:
        session.close()
    click.echo(t("cli.record.printed", path=out) if directory is not None else out, nl=directory is not None)


@record.command("responsible")
@click.argument("rid")
@click.argument("user_id")
@passphrase_options()
@click.pass_context
def record_responsible(ctx: click.Context, rid: str, user_id: str, passphrase_file: Path | None,
                       passphrase_fd: int | None) -> None:
    """Make USER_ID the responsible case worker of the client whose ASI Grund RID is
    (an interviewer of its unit; journalled and audited). They see the client's
    follow-ups in the planner."""
    t = translator(ctx)
    rid = check_record_id(rid, t)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        session.set_responsible(rid, user_id)
    finally:
        session.close()
    echo(t("cli.record.responsible", rid=rid, user=user_id))


@record.command("withdraw")
@click.argument("rid")
@click.option("--reason", required=True, help="Why, e.g. 'the client was interviewed after all'.")
@passphrase_options()
@click.pass_context
def record_withdraw(ctx: click.Context, rid: str, reason: str, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Withdraw a dropout registration (by whoever registered it, or an interviewer of its unit): the
    record stays, marked withdrawn and audited; statistics and planning skip it."""
    t = translator(ctx)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        session.withdraw_dropout(rid, reason)
    finally:
        session.close()
    click.echo(t("cli.record.withdrawn", rid=rid))


@record.command("delete")
@click.argument("rid")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@passphrase_options()
@click.pass_context
def record_delete(ctx: click.Context, rid: str, yes: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Delete a record for good (admin): its key is destroyed with it."""
    t = translator(ctx)
    rid = check_record_id(rid, t)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        session.require_admin()  # refused before anything is asked
        if not yes and not click.confirm(t("cli.record.confirm_delete", rid=rid)):
            raise click.Abort()
        session.delete_record(rid)
    finally:
        session.close()
    click.echo(t("cli.record.deleted", rid=rid))
