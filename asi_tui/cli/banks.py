"""CLI commands: `asi-tui bank ...` on bank files and bundled banks.

validate, list, diff, simulate, coverage, suggest-map, check-map. The commands
that publish versions into a data directory live in `bank_admin` and are
added to this group here. Admin commands never import the UI.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from . import bank_admin
from .common import (
    answers_file_error,
    ctx_obj,
    default_bank_paths,
    echo,
    json_text,
    parse_date,
    print_problems,
    print_warnings,
    resolve_bank,
    resolve_data_dir,
    translator,
)


@click.group()
def bank() -> None:
    """Question banks: validate, list, diff, simulate."""


@bank.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Also fail when a Swedish or English text is missing.")
@click.pass_context
def bank_validate(ctx: click.Context, paths: tuple[Path, ...], strict: bool = False) -> None:
    """Check banks, code lists and exercises; one line per problem, exit 1 if any."""
    from ..bank.loader import iter_bank_files
    from ..training.exercises import validate_banks_and_exercises

    t = translator(ctx)
    targets = list(paths) or default_bank_paths()
    banks, problems = validate_banks_and_exercises(targets)
    if strict:
        problems = problems + strict_coverage(ctx, targets)
    for p in problems:
        click.echo(str(p))
    if problems:
        click.echo(t("cli.bank.problems", n=len(problems)), err=True)
        ctx.exit(1)
    n = sum(1 for _ in iter_bank_files(targets))
    if n == 0:
        click.echo(t("cli.bank.no_banks"), err=True)
        ctx.exit(1)
    click.echo(t("cli.bank.clean", n=n))


@bank.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def bank_list(ctx: click.Context, as_json: bool) -> None:
    """List the bundled question banks."""
    from ..bank.registry import bundled_banks

    t = translator(ctx)
    lang = ctx_obj(ctx)["lang"]
    rows = [
        {
            "id": b.id,
            "version": b.version,
            "instrument": b.model.variant and f"{b.instrument}/{b.model.variant}" or b.instrument,
            "title": b.model.title.get(lang),
            "sections": len(b.sections),
            "items": len(b.items),
            "sha256": b.sha256,
            "path": str(b.path),
        }
        for b in bundled_banks()
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(t("cli.bank.list_header"))
    for r in rows:
        click.echo(f"{r['id']:<24} {r['version']:<8} {r['instrument']:<18} {r['items']:>4}  {r['title']}")


@bank.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--suggest-map", is_flag=True, help="Print a migration map skeleton instead.")
@click.pass_context
def bank_diff(ctx: click.Context, old: str, new: str, as_json: bool, suggest_map: bool = False) -> None:
    """Items added, removed and changed between two bank versions.

    Changes that break comparability of data (type, codes, range, time frame,
    unit) are flagged.
    """
    from ..bank.diff import diff_banks

    t = translator(ctx)
    if suggest_map:
        click.echo(suggest_map_text(ctx, old, new), nl=False)
        return
    result = diff_banks(resolve_bank(old, t), resolve_bank(new, t))
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    for line in result.lines(t):
        click.echo(line)


@bank.command("simulate")
@click.argument("bank_ref", metavar="BANK")
@click.option("--answers", "answers_path", required=True, type=click.Path(path_type=Path), help="YAML: item id -> value, X or N.")
@click.option("--date", "date_str", help="Interview date YYYY-MM-DD (default today).")
@click.option("--linked-date", "linked_str", help="Date of the linked earlier interview (follow-ups).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def bank_simulate(
    ctx: click.Context, bank_ref: str, answers_path: Path, date_str: str | None, linked_str: str | None, as_json: bool
) -> None:
    """Run the engine over an answers file and report what it did."""
    from ..engine.interview import EngineError
    from ..scoring.simulate import AnswersFileError, read_answers, simulate

    t = translator(ctx)
    lang = ctx_obj(ctx)["lang"]
    qbank = resolve_bank(bank_ref, t)
    interview_date = parse_date(date_str, t) or date.today()
    linked = parse_date(linked_str, t)
    try:
        answers = read_answers(answers_path)
        report = simulate(qbank, answers, interview_date, linked, lang)
    except AnswersFileError as exc:
        raise answers_file_error(exc, answers_path, t) from None
    except EngineError as exc:
        raise click.ClickException(t(exc.key, **exc.params)) from None
    if as_json:
        click.echo(json_text(report.to_dict()))
    else:
        for line in report.lines(t):
            echo(line)


def _resolve_any(ctx: click.Context, ref: str):  # noqa: ANN202
    """A bank by file, bundled id, or `id@version` (published in the data directory, verified)."""
    path = Path(ref)
    if "@" in ref and not path.exists():
        from ..store.banks import BankStore

        bank_id, _, version = ref.partition("@")
        return BankStore(resolve_data_dir(ctx)).load(bank_id, version)
    return resolve_bank(ref, translator(ctx))


# ----------------------------------------------------------------------------- coverage


@bank.command("coverage")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 when a Swedish or English text is missing.")
@click.pass_context
def bank_coverage(ctx: click.Context, paths: tuple[Path, ...], strict: bool) -> None:
    """Texts missing in Swedish or English (and long texts identical in both: untranslated?)."""
    t = translator(ctx)
    missing, suspicious, broken = coverage_of(list(paths) or default_bank_paths())
    print_problems(broken)
    print_problems(missing)
    print_warnings(ctx, suspicious)
    if broken:
        raise click.ClickException(t("cli.bank.problems", n=len(broken)))
    if missing:
        click.echo(t("banks.cli.coverage_missing", n=len(missing), warnings=len(suspicious)), err=True)
        if strict:
            ctx.exit(1)
        return
    click.echo(t("banks.cli.coverage_clean", warnings=len(suspicious)))


def strict_coverage(ctx: click.Context, paths: list[Path]) -> list[Any]:
    """For `bank validate --strict`: prints the untranslated-text warnings and
    returns the missing texts as problems (printed and counted by validate)."""
    missing, suspicious, _broken = coverage_of(paths)  # broken banks: validate reports them itself
    print_warnings(ctx, suspicious)
    return missing


def coverage_of(paths: list[Path]) -> tuple[list[Any], list[Any], list[Any]]:
    """(missing, suspicious, broken) for every bank and code list under `paths`, without duplicates.

    `bank validate --strict` can call this on the same paths."""
    from ..bank.lint import codelist_coverage, locale_coverage
    from ..bank.loader import BankError, iter_bank_files, load_bank, load_codelist
    from ..bank.yamlsrc import YamlReadError, read_yaml

    missing: dict[str, Any] = {}
    suspicious: dict[str, Any] = {}
    broken: list[Any] = []
    for kind, f in iter_bank_files(paths):
        if kind == "exercise":
            continue  # exercises are written in one language; `bank validate` checks them
        try:
            if kind == "codes":
                m, s = codelist_coverage(load_codelist(f), str(f), read_yaml(f))
            else:
                m, s = locale_coverage(load_bank(f))
        except BankError as exc:
            broken.extend(exc.problems)
            continue
        except YamlReadError:
            continue  # reported by the loader above in practice
        missing.update((str(p), p) for p in m)
        suspicious.update((str(p), p) for p in s)
    return list(missing.values()), list(suspicious.values()), broken


# ----------------------------------------------------------------------------- migration maps


@bank.command("suggest-map")
@click.argument("old")
@click.argument("new")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the map here instead of printing it.")
@click.pass_context
def bank_suggest_map(ctx: click.Context, old: str, new: str, output: Path | None) -> None:
    """A migration map skeleton from OLD to NEW (files, bundled ids or ID@VERSION): check every line."""
    t = translator(ctx)
    text = suggest_map_text(ctx, old, new)
    if output is None:
        click.echo(text, nl=False)
        return
    if output.exists():
        raise click.ClickException(t("banks.cli.exists", path=output))
    output.write_text(text, encoding="utf-8")
    click.echo(t("banks.cli.map_written", path=output))


def suggest_map_text(ctx: click.Context, old: str, new: str) -> str:
    """For `bank diff OLD NEW --suggest-map`."""
    from ..bank.migration import suggest

    return suggest(_resolve_any(ctx, old), _resolve_any(ctx, new))


@bank.command("check-map")
@click.argument("map_file", metavar="MAP", type=click.Path(path_type=Path))
@click.option("--old", "old_ref", help="The old bank (file, bundled id or ID@VERSION); default: the map's `from`.")
@click.option("--new", "new_ref", help="The new bank; default: the map's `to`.")
@click.pass_context
def bank_check_map(ctx: click.Context, map_file: Path, old_ref: str | None, new_ref: str | None) -> None:
    """Validate a migration map against both banks; one line per problem."""
    from ..bank.loader import BankError
    from ..bank.migration import load_map

    t = translator(ctx)
    try:
        lmap = load_map(map_file)
    except BankError as exc:
        print_problems(exc.problems)
        raise click.ClickException(t("banks.cli.map_problems", n=len(exc.problems))) from None
    old = _resolve_any(ctx, old_ref or "@".join(lmap.source))
    new = _resolve_any(ctx, new_ref or "@".join(lmap.target))
    report = lmap.validate(old, new)
    print_problems(report.errors)
    print_warnings(ctx, report.warnings)
    if report.errors:
        raise click.ClickException(t("banks.cli.map_problems", n=len(report.errors)))
    click.echo(t("banks.cli.map_ok", warnings=len(report.warnings)))


for _command in bank_admin.COMMANDS:
    bank.add_command(_command)
