"""Command line: `asi-tui` and its subcommands.

Errors a user can cause are printed as one line each with a non-zero exit;
tracebacks are for bugs only, and even then no values are shown.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from .i18n import LANGUAGES, Translator


def _translator(ctx: click.Context) -> Translator:
    return ctx.find_root().obj["t"]


class UnexpectedError(click.ClickException):
    exit_code = 70


class AsiGroup(click.Group):
    """Turns typed errors into one translated line and bugs into a scrubbed report."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        from .engine.interview import EngineError
        from .store.errors import StoreError

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise SystemExit(1) from None
        except (StoreError, EngineError) as exc:
            t = ctx.find_root().obj["t"] if ctx.find_root().obj else Translator()
            raise click.ClickException(t(exc.key, **exc.params)) from None
        except Exception as exc:  # a bug: no traceback on screen, no values anywhere
            from .hygiene import write_crash_report

            t = ctx.find_root().obj["t"] if ctx.find_root().obj else Translator()
            try:
                path = str(write_crash_report(exc))
            except OSError:
                path = "-"
            raise UnexpectedError(t("error.unexpected", path=path)) from None


@click.group(cls=AsiGroup, invoke_without_command=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default=None, help="UI language (default sv, or `lang` in the config file).")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help="Data directory (default: $ASI_TUI_DATA or the per-user data dir).")
@click.option("--user", "user_id", help="Your user id (default: your login name).")
@click.version_option(package_name="asi-tui")
@click.pass_context
def main(ctx: click.Context, lang: str, data_dir: Path | None, user_id: str | None) -> None:
    """asi-tui: conduct and manage ASI interviews in the terminal."""
    from .config import load_settings
    from .hygiene import prepare_process

    prepare_process()
    settings = load_settings()
    lang = lang or settings.lang or "sv"
    data_dir = data_dir or settings.data
    if settings.problem:
        click.echo(Translator(lang)("cli.config.ignored", problem=settings.problem), err=True)
    ctx.ensure_object(dict)
    ctx.obj["settings"] = settings
    ctx.obj["t"] = Translator(lang)
    ctx.obj["lang"] = lang
    ctx.obj["data"] = data_dir
    ctx.obj["user"] = user_id
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


def _start_tui(ctx: click.Context, data_dir: Path, idle_minutes: float | None = None, default_user: str | None = None) -> None:
    """Open the TUI on `data_dir` (checked first, so a bad directory is one line, not a screen)."""
    from .store import Store

    Store.open(data_dir)
    from .ui.lang import set_language

    set_language(ctx.find_root().obj["lang"])  # before the UI classes are created
    from .ui.app import create_app
    from .ui.services import DEFAULT_IDLE_LOCK_S, Services

    services = Services(
        data_dir=data_dir,
        lang=ctx.find_root().obj["lang"],
        idle_lock_s=(idle_minutes or ctx.find_root().obj["settings"].idle_lock_minutes or DEFAULT_IDLE_LOCK_S / 60) * 60,
        default_user=default_user or ctx.find_root().obj["user"],
    )
    create_app(services).run()  # full-screen (alternate screen); never inline


@main.command("run")
@click.option("--idle-lock", "idle_minutes", type=float, help="Minutes without a key press before the screen locks (default 5).")
@click.pass_context
def run(ctx: click.Context, idle_minutes: float | None = None) -> None:
    """Open the interview program (the default when no command is given)."""
    from .store import default_data_dir

    _start_tui(ctx, ctx.find_root().obj["data"] or default_data_dir(), idle_minutes)


@main.command("demo")
@click.option("--idle-lock", "idle_minutes", type=float, help="Minutes without a key press before the screen locks (default 5).")
@click.option("--no-run", is_flag=True, help="Only create the demo data directory.")
@click.pass_context
def demo(ctx: click.Context, idle_minutes: float | None, no_run: bool) -> None:
    """Create (once) a demo data directory with synthetic users and records, and open it."""
    import platformdirs

    from .demo import create_demo

    t = _translator(ctx)
    root = ctx.find_root().obj["data"] or Path(platformdirs.user_data_dir("asi-tui", appauthor=False)) / "demo"
    if create_demo(root):
        click.echo(t("cli.demo.created", path=root), err=True)
    if not no_run:
        _start_tui(ctx, root, idle_minutes, default_user="anna")


# ----------------------------------------------------------------------------- bank


@main.group()
def bank() -> None:
    """Question banks: validate, list, diff, simulate."""


def _default_bank_paths() -> list[Path]:
    from .resources import bundled_dir

    return [bundled_dir("question_bank")]


@bank.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Also fail when a Swedish or English text is missing.")
@click.pass_context
def bank_validate(ctx: click.Context, paths: tuple[Path, ...], strict: bool = False) -> None:
    """Check banks, code lists and exercises; one line per problem, exit 1 if any."""
    from .bank.loader import iter_bank_files, validate_paths

    t = _translator(ctx)
    targets = list(paths) or _default_bank_paths()
    banks, problems = validate_paths(targets)
    if strict:
        from .cli_banks import strict_coverage

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


def _resolve_bank(ref: str, t: Translator):
    """A bank by file path, or by id (newest bundled version)."""
    from .bank.loader import BankError, load_bank
    from .bank.registry import bundled_banks

    path = Path(ref)
    try:
        if path.suffix in (".yaml", ".yml") or path.exists():
            return load_bank(path)
        matches = [b for b in bundled_banks() if b.id == ref]
    except BankError as exc:
        for p in exc.problems:
            click.echo(str(p), err=True)
        raise click.ClickException(t("cli.bank.broken", bank=ref)) from None
    if not matches:
        raise click.ClickException(t("cli.bank.not_found", bank=ref))
    return matches[-1]


@bank.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def bank_list(ctx: click.Context, as_json: bool) -> None:
    """List the bundled question banks."""
    from .bank.registry import bundled_banks

    t = _translator(ctx)
    lang = ctx.find_root().obj["lang"]
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
    from .bank.diff import diff_banks

    t = _translator(ctx)
    if suggest_map:
        from .cli_banks import suggest_map_text

        click.echo(suggest_map_text(ctx, old, new), nl=False)
        return
    result = diff_banks(_resolve_bank(old, t), _resolve_bank(new, t))
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
    from .engine.interview import EngineError
    from .scoring.simulate import AnswersFileError, read_answers, simulate

    t = _translator(ctx)
    lang = ctx.find_root().obj["lang"]
    qbank = _resolve_bank(bank_ref, t)
    interview_date = _parse_date(date_str, t) or date.today()
    linked = _parse_date(linked_str, t)
    try:
        answers = read_answers(answers_path)
        report = simulate(qbank, answers, interview_date, linked, lang)
    except AnswersFileError as exc:
        raise click.ClickException(t("error.answers_file", path=answers_path, reason=exc.reason)) from None
    except EngineError as exc:
        raise click.ClickException(t(exc.key, **exc.params)) from None
    if as_json:
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        for line in report.lines(t):
            click.echo(line)


def _parse_date(value: str | None, t: Translator) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.ClickException(t("error.date", value=value)) from None


if __name__ != "__main__":  # under `python -m` the package's own copy registers them
    from . import cli_store  # noqa: E402,F401 - registers the store commands on `main`
    from . import cli_reports  # noqa: E402,F401 - statistics, follow-ups, exports
    from . import cli_banks  # noqa: E402,F401 - publishing bank versions, migrations
    from . import cli_train  # noqa: E402,F401 - coding exercises

if __name__ == "__main__":  # pragma: no cover
    from asi_tui.cli import main as _main

    sys.exit(_main())
