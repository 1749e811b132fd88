"""CLI commands: reports (registered on `main` by `asi_tui.cli`).

`asi-tui stats`     de-identified statistics with disclosure control: groups, change,
                    dropout, trends, follow-up coverage, units, subgroups (audited)
`asi-tui followups` the follow-up planning list (names clients; audited)
`asi-tui export`    de-identified CSV/XLSX/SPSS/Stata export of completed interviews (audited)

None of them imports Textual.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from .common import (ctx_obj, echo, json_text, parse_date, passphrase_options, progress_bar, resolve_data_dir, translator,
                     unlock)
from ..i18n import Translator


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


def _export_dataset(ctx: click.Context, files: tuple[Path, ...], f: Any):  # noqa: ANN202
    """`stats --from-export`: the statistics rows of the export files, checked. The data
    directory, when there is one, lends its published bank versions and migration maps."""
    from ..reports.from_export import check_filters, load_exports
    from ..store.bank_versions import BankVersions

    t = translator(ctx)
    if not files:
        raise click.ClickException(t("reports.from_export.error.no_files"))
    check_filters(f)
    root = resolve_data_dir(ctx)
    resolver = migrator = None
    if (root / "vault.json").is_file():
        versions = BankVersions(root)
        resolver, migrator = versions.load, versions.migrator()
    ds = load_exports(list(files), resolver=resolver, migrator=migrator)
    click.echo(t("reports.from_export.note", files=len(files), rows=len(ds.rows)), err=True)
    return ds


@click.command("stats")
@click.option("--from", "date_from", help="First interview date of the period, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Last interview date of the period, YYYY-MM-DD.")
@click.option("--unit", help="Only interviews of this unit (id or name; with --from-export the export's unit_id).")
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
@click.option("--from-export", "from_export", is_flag=True,
              help="Compile over de-identified CSV exports (FILES, each with its codebook) instead of the records.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@passphrase_options()
@click.pass_context
def stats(ctx: click.Context, date_from: str | None, date_to: str | None, unit: str | None, group: str | None,
          gender: str | None, instrument: str, sections: tuple[str, ...], compare_text: str | None, round_to: str | None,
          as_of: str | None, fmt: str, out: Path | None, from_export: bool, files: tuple[Path, ...],
          passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """De-identified statistics: group compilation, change Grund -> Uppföljning,
    dropout, trends, follow-up coverage, units side by side; subgroups with
    --compare; the interviewer quality tables for admins (--section quality);
    with --from-export, the same tables over de-identified exports.

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
    if files and not from_export:
        raise click.ClickException(t("reports.from_export.error.files_without_flag"))
    wanted = sections or (SECTIONS + (("compare",) if compare else ()))
    rounding = int(round_to) if round_to else None
    if from_export:  # no records are read: no login, nothing to audit; disclosure control as always
        from ..reports.from_export import UNAVAILABLE_SECTIONS, sections_from_exports
        from ..reports.stats import build_report

        wanted = sections_from_exports(sections) if sections else tuple(s for s in wanted if s not in UNAVAILABLE_SECTIONS)
        report = build_report(_export_dataset(ctx, files, f), f, ctx_obj(ctx)["lang"], wanted, rounding, compare, day)
    else:
        session = unlock(ctx, passphrase_file, passphrase_fd)
        try:
            if unit:
                found = session.find_unit(unit)
                f = dataclasses.replace(f, unit=found.id, unit_name=found.name)
            with progress_bar(t("reports.cli.reading")) as progress:
                report = run_stats(session, f, ctx_obj(ctx)["lang"], progress, sections=wanted,
                                   round_to=rounding, compare=compare, as_of=day)
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
@click.option("--all", "include_upcoming", is_flag=True, help="Also list clients whose latest interview is under 6 months old.")
@click.option("--mine", is_flag=True, help="Only clients whose latest interview I did.")
@click.option("--json", "as_json", is_flag=True)
@passphrase_options()
@click.pass_context
def followups_cmd(ctx: click.Context, as_of: str | None, include_upcoming: bool, mine: bool, as_json: bool,
                  passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """Clients whose next ASI Uppföljning is due (6-12 months after their latest
    interview, Grund or Uppföljning), overdue (over 12 months) or replaced by a
    new Grund (over 2 years). Names clients: a working list for staff, not a
    statistic. Audited."""
    from ..reports import followups

    t = translator(ctx)
    today = parse_date(as_of, t) or date.today()
    session = unlock(ctx, passphrase_file, passphrase_fd)
    try:
        result = followups(session, today, include_upcoming, session.user.id if mine else None)
    finally:
        session.close()
    if as_json:
        click.echo(json_text([f.to_dict() for f in result]))
        return
    click.echo(t("reports.followup.header", today=today.isoformat()))
    if not result:
        click.echo(t("reports.followup.none"))
        return
    cols = [t(f"reports.followup.col.{c}") for c in ("client", "latest", "months", "due_by", "interviewer")]
    latest = {f.anchor_rid: f"{(f.anchor_date or f.grund_date).isoformat()} {t('followup.short.' + f.anchor_instrument)}"
              for f in result}  # the interview the next follow-up counts from (issue 14)
    widths = [max(len(cols[0]), *(len(f.client_ref) for f in result)), max(len(cols[1]), *map(len, latest.values())),
              max(len(cols[2]), 3), 10, max(len(cols[4]), *(len(f.interviewer or "") for f in result))]
    status = None
    for f in result:
        if f.status != status:
            status = f.status
            click.echo("")
            click.echo(f"{t(f'reports.followup.status.{status}')}:")
            click.echo("  " + "  ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
        cells = [f.client_ref, latest[f.anchor_rid], str(f.months), f.due_by.isoformat(), f.interviewer or ""]
        echo("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    counts: dict[str, Any] = {s: sum(1 for f in result if f.status == s) for s in ("due", "overdue", "new_grund")}
    click.echo("")
    click.echo(t("reports.followup.counts", **counts))


@click.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "sav", "dta"]), required=True,
              help="csv, xlsx, Stata .dta, or SPSS .sav (needs the extra asi-tui[stats]).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="File to write (mode 0600).")
@click.option("--from", "date_from", help="First interview date, YYYY-MM-DD.")
@click.option("--to", "date_to", help="Last interview date, YYYY-MM-DD.")
@click.option("--unit", help="Only interviews of this unit (id or name).")
@click.option("--instrument", type=click.Choice(["grund", "uppfoljning", "spel", "all"]), default="all", show_default=True)
@click.option("--dropouts", is_flag=True, help="Also export dropout registrations, to <name>.dropouts.<format>.")
@click.option("--include-linked", is_flag=True,
              help="Also add the interviews that follow-ups in the selection link to, when outside it (linked_only = 1).")
@click.option("--full-dates", is_flag=True, help="Full dates instead of year and month (identifying; audited).")
@click.option("--exact-age", is_flag=True, help="Exact age beside the age band (identifying; audited).")
@click.option("--with-interviewer", is_flag=True, help="Add the interviewer's user id (audited).")
@passphrase_options()
@click.pass_context
def export_cmd(ctx: click.Context, fmt: str, out: Path, date_from: str | None, date_to: str | None, unit: str | None,
               instrument: str, dropouts: bool, include_linked: bool, full_dates: bool, exact_age: bool,
               with_interviewer: bool, passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    """De-identified export of completed interviews: one row per interview,
    one column per item id (stable across bank versions), numbers with X/N as
    declared missing values (-9/-8) and a codebook beside. No client
    reference and no free text; pseudonymous keys made for this export only.
    Audited."""
    from ..store.banks import BankStore
    from ..reports import export_records

    t = translator(ctx)
    start, end = parse_date(date_from, t), parse_date(date_to, t)
    session = unlock(ctx, passphrase_file, passphrase_fd)
    migrate = BankStore.for_store(session.store).migrator()  # published maps line older versions up
    try:
        with progress_bar(t("reports.cli.exporting")) as progress:
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
                exact_age=exact_age,
                with_interviewer=with_interviewer,
                include_linked=include_linked,
                migrate=migrate,
                lang=ctx_obj(ctx)["lang"],
                progress=progress,
            )
    finally:
        session.close()
    click.echo(t("reports.export.done", rows=result.rows, path=result.path, columns=len(result.columns)))
    if result.codebook_path:
        click.echo(t("reports.export.codebook", path=result.codebook_path))
    if result.banks:
        click.echo(t("reports.export.banks", banks=", ".join(result.banks)))
    if result.linked_only:
        click.echo(t("reports.export.linked_only", n=result.linked_only))
    if result.dropouts is not None:
        click.echo(t("reports.export.dropouts_done", rows=result.dropouts.rows, path=result.dropouts.path))
    dropped = result.dropped + (result.dropouts.dropped if result.dropouts else 0)
    if dropped:
        click.echo(t("reports.export.dropped", n=dropped), err=True)
    named = [t(f"reports.export.option.{o}") for o, on in (("full_dates", full_dates), ("exact_age", exact_age),
                                                            ("with_interviewer", with_interviewer)) if on]
    if named:
        click.echo(t("reports.export.identifying", options=", ".join(named)), err=True)
