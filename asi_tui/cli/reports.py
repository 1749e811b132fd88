"""CLI commands: reports (registered on `main` by `asi_tui.cli`).

`asi-tui stats`     de-identified statistics with disclosure control: groups, change,
                    dropout, trends, follow-up coverage, units, subgroups (audited)
`asi-tui followups` the follow-up planning list (names clients; audited)
`asi-tui export`    de-identified CSV/XLSX export of completed interviews (audited)

None of them imports Textual.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from .common import ctx_obj, parse_date, passphrase_options, translator, unlock
from ..i18n import Translator


@contextlib.contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (only on a terminal: scripts get clean output)."""
    hidden = not sys.stderr.isatty()
    with click.progressbar(length=1, label=label, file=sys.stderr, hidden=hidden) as bar:
        state = {"pos": 0}

        def update(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - state["pos"])
            state["pos"] = done

        yield update


def _gender_code(value: str | None, t: Translator) -> int | str | None:
    """A gender code from a code ("2") or a label in either language ("man", "Kvinna")."""
    if value is None:
        return None
    from ..bank.registry import bundled_banks

    wanted = value.strip().casefold()
    for bank in reversed(bundled_banks()):
        codes = bank.codelists.get("gender")
        if codes is None:
            continue
        for c in codes.codes:
            if wanted == str(c.code).casefold() or wanted in (c.label.sv.casefold(), c.label.en.casefold()):
                return c.code
        break
    raise click.ClickException(t("reports.error.gender", value=value))


def _filters(ctx: click.Context, date_from: str | None, date_to: str | None, unit: str | None, group: str | None,
             gender: str | None, instrument: str):  # noqa: ANN202
    from ..reports import Filters, parse_age_group

    t = translator(ctx)
    return Filters(
        date_from=parse_date(date_from, t),
        date_to=parse_date(date_to, t),
        unit=unit,
        age_groups=parse_age_group(group) if group else (),
        gender=_gender_code(gender, t),
        instrument=None if instrument == "all" else instrument,
    )


@click.command("stats")
@click.option("--from", "date_from", help="First interview date of the period, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Last interview date of the period, YYYY-MM-DD.")
@click.option("--unit", help="Only interviews of this unit (the G3 answer; case and spaces ignored).")
@click.option("--group", help="Age group: one or more fixed bands, e.g. 25-34 or 18-24,25-34 (18-24, 25-34, 35-44, "
              "45-54, 55-64, 65+).")
@click.option("--gender", help="Gender: a code or a name from the code list (1/kvinna/woman, 2/man, 3).")
@click.option("--instrument", type=click.Choice(["grund", "uppfoljning", "all"]), default="grund", show_default=True,
              help="Interviews described by the group compilation.")
@click.option("--section", "sections", multiple=True,
              type=click.Choice(["groups", "change", "dropout", "trends", "followup", "units", "compare", "quality"]),
              help="Only these parts (repeatable; default all but quality, which admins ask for by name).")
@click.option("--compare", "compare_text", help="Subgroups beside the whole group: one or two of women, men, homeless, "
              "young (18-34), young_women, young_men; e.g. --compare young_women,young_men.")
@click.option("--round", "round_to", type=click.Choice(["3", "5", "10"]),
              help="Round every published count to this base (shares from the rounded counts).")
@click.option("--as-of", "as_of", help="Date the follow-up coverage is computed for, YYYY-MM-DD (default today).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv", "xlsx"]), default="text", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file (mode 0600) instead of standard output; required for xlsx.")
@passphrase_options()
@click.pass_context
def stats(ctx: click.Context, date_from: str | None, date_to: str | None, unit: str | None, group: str | None,
          gender: str | None, instrument: str, sections: tuple[str, ...], compare_text: str | None, round_to: str | None,
          as_of: str | None, fmt: str, out: Path | None, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """De-identified statistics: group compilation, change Grund -> Uppföljning,
    dropout, trends, follow-up coverage, units side by side; subgroups with
    --compare; the interviewer quality tables for admins (--section quality).

    Disclosure control: counts of 1-4 clients, and every count that would
    reveal one through the totals, are shown as ".."; shares and statistics
    resting on them as "–"; a table of fewer than 10 clients carries a note
    that it allows no conclusions. The run is audited.
    """
    from ..reports import run_stats
    from ..reports.stats import SECTIONS
    from ..reports.subgroups import parse_compare

    t = translator(ctx)
    f = _filters(ctx, date_from, date_to, unit, group, gender, instrument)
    compare = parse_compare(compare_text) if compare_text else ()
    day = parse_date(as_of, t)
    if fmt == "xlsx" and out is None:
        raise click.ClickException(t("reports.error.xlsx_out"))
    if out is not None and not out.parent.is_dir():
        raise click.ClickException(t("reports.error.write", path=str(out)))
    wanted = sections or (SECTIONS + (("compare",) if compare else ()))
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        with _progress(t("reports.cli.reading")) as progress:
            report = run_stats(session, f, ctx_obj(ctx)["lang"], progress, sections=wanted,
                               round_to=int(round_to) if round_to else None, compare=compare, as_of=day)
    finally:
        session.close()
    if fmt == "xlsx":
        from ..reports.stats_xlsx import write_xlsx

        assert out is not None
        write_xlsx(report, out, t)
        click.echo(t("reports.stats.written", path=str(out)))
        return
    if fmt == "json":
        text = report.to_json() + "\n"
    elif fmt == "csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(report.csv_rows())
        text = buf.getvalue()
    else:
        text = "\n".join(report.text_lines(t)) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    from ..reports.export import private_file

    with private_file(out) as fh:
        fh.write(text)
    click.echo(t("reports.stats.written", path=str(out)))


@click.command("followups")
@click.option("--as-of", "as_of", help="Plan as of this date, YYYY-MM-DD (default today).")
@click.option("--all", "include_upcoming", is_flag=True, help="Also list Grund interviews under 6 months old.")
@click.option("--mine", is_flag=True, help="Only clients whose Grund I did.")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def followups_cmd(ctx: click.Context, as_of: str | None, include_upcoming: bool, mine: bool, as_json: bool,
                  passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Clients whose ASI Uppföljning is due (Grund 6-12 months old), overdue
    (over 12 months) or replaced by a new Grund (over 2 years). Names clients:
    a working list for staff, not a statistic. Audited."""
    from ..reports import followups

    t = translator(ctx)
    today = parse_date(as_of, t) or date.today()
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        result = followups(session, today, include_upcoming, session.user.id if mine else None)
    finally:
        session.close()
    if as_json:
        click.echo(json.dumps([f.to_dict() for f in result], ensure_ascii=False, indent=2))
        return
    click.echo(t("reports.followup.header", today=today.isoformat()))
    if not result:
        click.echo(t("reports.followup.none"))
        return
    cols = [t(f"reports.followup.col.{c}") for c in ("client", "grund", "months", "due_by", "interviewer")]
    widths = [max(len(cols[0]), *(len(f.client_ref) for f in result)), 10, max(len(cols[2]), 3), 10,
              max(len(cols[4]), *(len(f.interviewer or "") for f in result))]
    status = None
    for f in result:
        if f.status != status:
            status = f.status
            click.echo("")
            click.echo(f"{t(f'reports.followup.status.{status}')}:")
            click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
        cells = [f.client_ref, f.grund_date.isoformat(), str(f.months), f.due_by.isoformat(), f.interviewer or ""]
        click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    counts: dict[str, Any] = {s: sum(1 for f in result if f.status == s) for s in ("due", "overdue", "new_grund")}
    click.echo("")
    click.echo(t("reports.followup.counts", **counts))


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), required=True)
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="File to write (mode 0600).")
@click.option("--from", "date_from", help="First interview date, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Last interview date, YYYY-MM-DD.")
@click.option("--unit", help="Only interviews of this unit (the G3 answer).")
@click.option("--instrument", type=click.Choice(["grund", "uppfoljning", "spel", "all"]), default="all", show_default=True)
@click.option("--dropouts", is_flag=True, help="Also export dropout registrations, to <name>.dropouts.<format>.")
@click.option("--full-dates", is_flag=True, help="Full dates instead of year and month.")
@click.option("--with-interviewer", is_flag=True, help="Add the interviewer's user id.")
@passphrase_options()
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, out: Path, date_from: str | None, date_to: str | None, unit: str | None,
               instrument: str, dropouts: bool, full_dates: bool, with_interviewer: bool, passphrase_file: Path | None,
               passphrase_fd: int | None) -> None:
    """De-identified export of completed interviews: one row per interview,
    one column per item id (stable across bank versions), value labels beside.
    No client reference and no free text. Audited."""
    from ..store.banks import BankStore
    from ..reports import export_records

    t = translator(ctx)
    start, end = parse_date(date_from, t), parse_date(date_to, t)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    migrate = BankStore.for_store(session.store).migrator()  # published maps line older versions up
    try:
        with _progress(t("reports.cli.exporting")) as progress:
            result = export_records(
                session,
                out,
                fmt,
                date_from=start,
                date_to=end,
                unit=unit,
                instruments=None if instrument == "all" else (instrument,),
                dropouts=dropouts,
                full_dates=full_dates,
                with_interviewer=with_interviewer,
                migrate=migrate,
                lang=ctx_obj(ctx)["lang"],
                progress=progress,
            )
    finally:
        session.close()
    click.echo(t("reports.export.done", rows=result.rows, path=result.path, columns=len(result.columns)))
    if result.labels_path:
        click.echo(t("reports.export.labels", path=result.labels_path))
    if result.banks:
        click.echo(t("reports.export.banks", banks=", ".join(result.banks)))
    if result.dropouts is not None:
        click.echo(t("reports.export.dropouts_done", rows=result.dropouts.rows, path=result.dropouts.path))
