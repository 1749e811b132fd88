"""`asi-tui record import` of many interviews: answers files, a directory of
them, or one interview per row of a JSON-lines or CSV file (docs/import.md).

One unlock for the whole batch. Each interview is read (`engine/batch_input`),
validated completely and only then written in one step (`store/bulk`); a bad
one is reported by its file name or row with a one-line reason and never
stops the others (unless --stop-on-error). A progress bar on stderr (only on
a terminal), then the error list on stderr and a summary; the exit code is 1
if anything failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..i18n import Translator
from .common import echo, progress_bar, resolve_bank, translator, unlock

_TRUE = {"1", "true", "yes", "ja", "y", "j", "x"}
_FALSE = {"0", "false", "no", "nej", "n", ""}


class Refused(Exception):
    """One interview that cannot be imported: its one-line reason, translated."""


@dataclass
class Defaults:
    """What the command line gives every interview that does not say otherwise."""

    bank: str | None
    client: str | None
    date: str | None
    unit: str | None
    linked: str | None
    complete: bool
    practice: bool
    reactualisation: bool


class _Banks:
    """Banks by reference, each resolved once: the command line's --bank as
    `resolve_bank` reads it (id or file); a row's `bank` only as an id."""

    def __init__(self, t: Translator, default: str | None) -> None:
        self.t = t
        self.cache: dict[str, Any] = {}
        if default is not None:
            self.cache[default] = resolve_bank(default, t)  # a bad --bank is one line before any unlock

    def get(self, ref: str) -> Any:
        if ref not in self.cache:
            from ..bank.registry import bundled_banks

            if "/" in ref or ref.lower().endswith((".yaml", ".yml")):
                self.cache[ref] = Refused(self.t("cli.batch.bank_id_only", bank=ref))
            else:
                found = [b for b in bundled_banks() if b.id == ref]
                self.cache[ref] = found[-1] if found else Refused(self.t("cli.bank.not_found", bank=ref))
        found = self.cache[ref]
        if isinstance(found, Refused):
            raise found
        return found


def _flag(value: Any, default: bool, name: str, t: Translator) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Refused(t("cli.batch.not_yes_no", field=name))


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _spec(entry: Any, d: Defaults, banks: _Banks, t: Translator) -> Any:
    from ..store.bulk import BulkSpec

    meta = entry.meta
    bank_ref = _text(meta.get("bank")) or d.bank
    if not bank_ref:
        raise Refused(t("cli.batch.missing", field="bank"))
    client = _text(meta.get("client")) or d.client
    if not client:
        raise Refused(t("cli.batch.missing", field="client"))
    day = meta.get("date") or d.date
    if not day:
        raise Refused(t("cli.batch.missing", field="date"))
    if not isinstance(day, date):
        try:
            day = date.fromisoformat(str(day).strip())
        except ValueError:
            raise Refused(t("error.date", value=str(day)[:40])) from None
    return BulkSpec(
        bank=banks.get(bank_ref), client_ref=client, interview_date=day, answers=entry.answers,
        unit=_text(meta.get("unit")) or d.unit, linked=_text(meta.get("linked")) or d.linked,
        complete=_flag(meta.get("complete"), d.complete, "complete", t),
        practice=_flag(meta.get("practice"), d.practice, "practice", t),
        reactualisation=_flag(meta.get("reactualisation"), d.reactualisation, "reactualisation", t),
    )


def _reason(exc: Exception, spec: Any, t: Translator) -> str:
    from ..scoring.simulate import message_text
    from ..store.bulk import ImportRefused

    if isinstance(exc, ImportRefused) and exc.problems:
        item, key, params = exc.problems[0]
        line = f"{item}: {message_text(spec.bank, t, key, params)}"
        more = len(exc.problems) - 1
        return line + (" " + t("cli.batch.more_problems", n=more) if more else "")
    return t(exc.key, **exc.params)  # type: ignore[attr-defined]


def _entries(paths: list[Path]) -> tuple[list[Any], int]:
    """The sources in order (a path or an error Entry) and the interviews they
    hold, roughly (for the progress bar)."""
    from ..engine.batch_input import count_rows, expand

    sources = list(expand(paths))
    total = sum(1 if not isinstance(s, tuple) else count_rows(s[0]) for s in sources)
    return sources, total


def run_batch(ctx: click.Context, paths: list[Path], d: Defaults, dry_run: bool, stop_on_error: bool,
              passphrase_file: Path | None, passphrase_fd: int | None) -> None:
    from ..engine.batch_input import read_entries
    from ..engine.interview import EngineError
    from ..store.bulk import BulkImporter
    from ..store.errors import StoreError

    t = translator(ctx)
    if d.date is not None:
        try:
            date.fromisoformat(d.date)
        except ValueError:
            raise click.ClickException(t("error.date", value=d.date)) from None
    banks = _Banks(t, d.bank)
    sources, total = _entries(paths)
    if not sources:  # e.g. a directory without answers files: said before the passphrase is asked
        raise click.ClickException(t("cli.batch.nothing"))
    session = unlock(ctx, passphrase_file, passphrase_fd)
    importer = BulkImporter(session)
    done = imported = completed = 0
    failed: list[str] = []
    notes: list[str] = []
    saved: list[str] = []
    stopped = False
    try:
        with progress_bar(t("cli.batch.progress")) as progress:
            for source in sources:
                entries = [source] if not isinstance(source, tuple) else read_entries(source[0], nofollow=source[1])
                for entry in entries:
                    done += 1
                    progress(done, max(total, done))
                    if entry.error is not None:
                        key, params = entry.error
                        params = {**params, "value": "…"} if "value" in params else params  # no answer values in the log
                        failed.append(f"{entry.source}: {t(key, **params)}")
                    else:
                        spec = None
                        try:
                            spec = _spec(entry, d, banks, t)
                            prepared = importer.prepare(spec, entry.source)
                            rid = "-" if dry_run else importer.write(prepared)
                        except Refused as exc:
                            failed.append(f"{entry.source}: {exc}")
                        except (StoreError, EngineError) as exc:
                            failed.append(f"{entry.source}: {_reason(exc, spec, t)}")
                        else:
                            imported += 1
                            completed += prepared.completed
                            status = t("status.completed" if prepared.completed else "status.paused")
                            if not dry_run:
                                saved.append(t("cli.batch.one", source=entry.source, rid=rid, status=status))
                            for notice in prepared.notices:
                                notes.append(f"{entry.source}: {t('cli.sim.soft')}: {t(notice)}")
                            if prepared.missing:
                                notes.append(f"{entry.source}: " + t("cli.record.not_complete", n=len(prepared.missing),
                                                                       items=" ".join(prepared.missing[:20])))
                    if failed and stop_on_error:
                        stopped = True
                        break
                if stopped:
                    break
    finally:
        session.close()
    if not done:
        raise click.ClickException(t("cli.batch.nothing"))
    for line in saved:
        echo(line)
    for line in notes:
        echo(line, err=True)
    for line in failed:
        echo(f"{t('cli.batch.failed_mark')} {line}", err=True)
    if stopped:
        echo(t("cli.batch.stopped"), err=True)
    key = "cli.batch.summary_dry" if dry_run else "cli.batch.summary"
    echo(t(key, imported=imported, completed=completed, failed=len(failed)))
    if failed:
        ctx.exit(1)
