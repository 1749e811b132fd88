"""De-identified exports: one row per completed interview, CSV, XLSX, SPSS
(.sav) or Stata (.dta), with a codebook.

What an export holds and what it leaves out:

* no client reference and no record id: rows are numbered `record_no` 1..n
  by instrument and interview date, and carry pseudonymous keys made for
  this run only (`pseudonym.py`): `interview_key`, `client_key`, and for a
  follow-up `linked_key` (the interview it links to) and `grund_key` (the
  Grund its chain starts from), whether or not those are in the file, so
  every Grund-Uppföljning pair survives a period export.
  `linked_record_no` is the linked interview's `record_no` when it is in
  the file. With `include_linked`, the interviews a follow-up in the
  selection links back to are added even when they fall outside it
  (`linked_only` = 1);
* no staff ids unless asked (`with_interviewer`), no free text: text and
  comment items are left out; the unit comes as `unit_id`/`unit_name`;
* age as a band (`age_band`: the band's lowest age) and dates as year and
  month, unless `exact_age` / `full_dates` are asked for: both are named in
  the audit entry;
* one column per item id: the union over every bank version present, in the
  order of the newest version of each bank, then the items only older
  versions have. A multi-choice item is one 0/1 column per code. Columns
  never shift; `bank_version` names the version of every row;
* numbers stay numbers: X and N are -9 and -8, declared as missing values
  (codebook.py); the codebook (`<name>.codebook.csv`, or a sheet in XLSX)
  gives labels, value labels, missing codes, bank versions and the names
  used in the .sav/.dta files.

Rows are streamed: each record is read once and kept as one encoded line
(a few hundred bytes), then written in order. Dropout registrations go to a
separate file (`<name>.dropouts.<ext>`) when asked for. Files are written
0600, atomically, and every file is audited.

`migrate(bank_id, version, answers) -> answers` (optional) maps the decoded
answers of an older bank version to the newest version's ids before the
union; by default older answers are exported under their own ids.
"""

from __future__ import annotations

import csv
import os
import secrets
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from ..bank.loader import QuestionBank
from ..bank.model import version_key
from ..engine.values import decode
from ..i18n import Translator
from .codebook import (
    AGE_BANDS,
    AGE_ITEM,
    CODEBOOK_HEADER,
    FORMAT_VERSION,
    INSTRUMENT_ORDER,
    LATE_META,
    NUMERIC,
    Variable,
    assign_names,
    band_value,
    check_missing_codes,
    codebook_path_for,
    codebook_rows,
    item_variables,
    meta_variables,
    safe_text,
    unique_columns,
)
from .common import ReportError
from .data import Progress
from .export_plan import ExportPlan
from .export_rows import RowEncoder, missing_code, quote
from .migrate import AnswerMigration
from .pseudonym import Pseudonyms
from .unit_ref import unit_of_body
from .xlsx import XlsxWriter

if TYPE_CHECKING:
    from ..store import Session

Migrate = Callable[[str, str, dict[str, Any]], dict[str, Any]]
FORMATS = ("csv", "xlsx", "sav", "dta")
_MISSING_TEXT = {"X": "-9", "N": "-8"}


@dataclass(frozen=True)
class ExportOptions:
    """What an export may reveal beyond the default. `identifying` lists the
    options that make rows easier to recognise: they are audited by name,
    and `stats --from-export` refuses such files."""

    full_dates: bool = False
    exact_age: bool = False
    with_interviewer: bool = False
    include_linked: bool = False

    @property
    def identifying(self) -> list[str]:
        return [name for name in ("full_dates", "exact_age", "with_interviewer") if getattr(self, name)]


@dataclass
class ExportResult:
    path: Path
    rows: int
    columns: list[str]
    codebook_path: Path | None = None
    dropouts: "ExportResult | None" = None
    banks: list[str] = field(default_factory=list)
    dropped: int = 0  # values that fit no column (damaged entries), left empty
    linked_only: int = 0  # rows added because a follow-up in the selection links to them


# ----------------------------------------------------------------------------- files


@contextmanager
def private_file(path: Path, text: bool = True) -> Iterator[Any]:
    """Write `path` 0600 through a temp file in the same directory (atomic replace)."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        raise ReportError("reports.error.write", path=str(path)) from None
    try:
        os.fchmod(fd, 0o600)
        with (open(fd, "w", encoding="utf-8", newline="") if text else open(fd, "wb")) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise ReportError("reports.error.write", path=str(path)) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def dropouts_path_for(out: Path, fmt: str) -> Path:
    return out.with_name(f"{out.stem if out.suffix else out.name}.dropouts.{fmt}")


# ----------------------------------------------------------------------------- one file's rows


class _Sheet:
    """Rows of one kind (interviews or dropouts): encoded while the records are
    read, numbered and written in order afterwards."""

    def __init__(self, banks: list[QuestionBank], opts: ExportOptions, dropout: bool, migrate: Migrate | None,
                 keys: Pseudonyms, unit_names: Mapping[str, str] | None = None) -> None:
        self.banks = banks
        self.names = dict(unit_names or {})  # unit id -> name, from the vault
        self.opts = opts
        self.dropout = dropout
        self.keys = keys
        # the one code path stats uses too: maps aimed at the newest version in this export
        self.migration = AnswerMigration(migrate, ((b.id, b.version) for b in banks))
        self.migrate = self.migration.migrate
        self.newest = self.migration.newest
        check_missing_codes(banks)
        self.age_items = frozenset({b.model.age_item for b in banks if b.model.age_item} | {AGE_ITEM})
        migrated = frozenset(k for k, as_version in self.answers_versions().items() if as_version != k[1])
        items = item_variables(banks, exclude=frozenset() if opts.exact_age else self.age_items, migrated=migrated)
        meta = meta_variables(dropout=dropout, full_dates=opts.full_dates, include_linked=opts.include_linked,
                              with_interviewer=opts.with_interviewer, instruments=(b.instrument for b in banks))
        self.variables: list[Variable] = [*meta, *items]
        unique_columns(self.variables)
        assign_names(self.variables)
        self.late = [v.column for v in meta if v.column in LATE_META]
        self.encoder = RowEncoder(items, opts.full_dates)
        # (sort key, rid, linked rid, unit id, encoded line)
        self.rows: list[tuple[tuple[Any, ...], str, str | None, str | None, bytes]] = []
        self.unit_names: Counter[tuple[str, str]] = Counter()

    @property
    def header(self) -> list[str]:
        return [v.column for v in self.variables]

    def add(self, body: Mapping[str, Any], linked_only: bool = False) -> None:
        bank = body.get("bank") or {}
        bank_id, version = str(bank.get("id", "")), str(bank.get("version", ""))
        answers: Mapping[str, Any] = body.get("answers") or {}
        if self.migration.applies(bank_id, version):
            decoded = {k: decode(v.get("v")) for k, v in answers.items() if isinstance(v, dict)}
            cells = self.encoder.decoded(self.migration(bank_id, version, decoded))
        else:
            cells = self.encoder.stored(answers)
        rid = str(body.get("rid"))
        linked = (body.get("linked") or {}).get("rid")
        day = str(body.get("interview_date") or "")
        meta = [self.keys.interview(rid), self.keys.client(rid, body.get("client_ref"))]
        if not self.dropout:
            meta.append(self.keys.grund(rid))
        meta.append(self.keys.interview(linked))
        if self.opts.include_linked and not self.dropout:
            meta.append("1" if linked_only else "0")
        meta += [quote(str(body.get("instrument") or "")), quote(bank_id), quote(version),
                 quote(day if self.opts.full_dates else day[:7]), self._age_band(answers)]
        if self.opts.with_interviewer:
            meta.append(quote(str(body.get("interviewer") or "")))
        unit = unit_of_body(body, self.names)
        if unit.id is not None:
            self.unit_names[(unit.id, unit.name or unit.id)] += 1
        key = (INSTRUMENT_ORDER.get(str(body.get("instrument")), 9), day, rid)
        self.rows.append((key, rid, linked, unit.id, ",".join(meta + cells).encode()))

    def _age_band(self, answers: Mapping[str, Any]) -> str:
        for item in self.age_items:
            entry = answers.get(item)
            if isinstance(entry, dict):
                v = entry.get("v")
                code = missing_code(v)
                if code is not None:
                    return _MISSING_TEXT[code]
                band = band_value(v, AGE_BANDS)
                return "" if band is None else str(band)
        return ""

    def lines(self, keep: Callable[[str], bool] = lambda rid: True) -> Iterator[bytes]:
        """The data lines (no header) in order, numbered; rows are released as they go."""
        rows = sorted((r for r in self.rows if keep(r[1])), key=lambda r: r[0])
        self.rows = []
        numbers = {r[1]: i for i, r in enumerate(rows, 1)}
        names: dict[str, str] = {}
        for (unit_id, name), _n in sorted(self.unit_names.items(), key=lambda kv: (-kv[1], kv[0][1])):
            names.setdefault(unit_id, name)
        for i, (_key, _rid, linked, unit_id, line) in enumerate(rows, 1):
            late = [str(i)]
            if "linked_record_no" in self.late:
                late.append(str(numbers.get(linked, "")) if linked else "")
            late += [quote(unit_id or ""), quote(safe_text(names.get(unit_id or "", "")) or "")]  # type: ignore[arg-type]
            yield (",".join(late) + ",").encode() + line
            rows[i - 1] = None  # type: ignore[call-overload]

    def answers_versions(self) -> dict[tuple[str, str], str]:
        """For each bank version present: the version whose ids and codes its rows' answers use."""
        out = {}
        for b in self.banks:
            target = b.version
            if self.migrate is not None and self.newest.get(b.id) != b.version:
                path = getattr(self.migrate, "path", None)
                if path is None:
                    target = self.newest[b.id]
                elif path(b.id, b.version) is not None:
                    found = self.migrate.target_for(b.id, b.version)  # type: ignore[attr-defined]
                    target = found[1] if found else b.version
            out[(b.id, b.version)] = target
        return out


# ----------------------------------------------------------------------------- writing


def _codebook_info(sheet: _Sheet, kind: str, fmt: str, out: Path, rows: int, lang: str, keys: Pseudonyms,
                   date_from: date | None, date_to: date | None, unit: str | None,
                   instruments: tuple[str, ...] | None) -> dict[str, str]:
    opts = sheet.opts
    info = {
        "format": FORMAT_VERSION,
        "export_id": keys.export_id,
        "kind": kind,
        "data_file": out.name,
        "data_format": fmt,
        "language": lang,
        "rows": str(rows),
        "full_dates": str(int(opts.full_dates)),
        "exact_age": str(int(opts.exact_age)),
        "with_interviewer": str(int(opts.with_interviewer)),
        "include_linked": str(int(opts.include_linked)),
        "from": date_from.isoformat() if date_from else "",
        "to": date_to.isoformat() if date_to else "",
        "unit": unit or "",
        "instruments": " ".join(instruments or ()),
        "age_bands": " ".join(f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in AGE_BANDS),
    }
    as_version = sheet.answers_versions()
    for b in sorted(sheet.banks, key=lambda b: (b.id, version_key(b.version))):
        info[f"bank {b.id} {b.version}"] = f"{b.sha256} {as_version[(b.id, b.version)]}"
    return info


def _write(sheet: _Sheet, lines: Iterable[bytes], out: Path, fmt: str, lang: str,
           info: Callable[[int], dict[str, str]]) -> tuple[int, Path | None]:
    """Write the data file (and the codebook beside it, or as a sheet); returns (rows, codebook path)."""
    counter = _Count(lines)
    if fmt == "xlsx":
        with private_file(out, text=False) as fh:
            xw = XlsxWriter(fh)
            numeric = [v.storage == NUMERIC for v in sheet.variables]
            xw.add_sheet("data", sheet.header, csv.reader(line.decode() for line in counter), numeric=numeric)
            xw.add_sheet("codebook", CODEBOOK_HEADER, codebook_rows(sheet.variables, info(counter.n)))
            xw.close()
        return counter.n, None
    if fmt == "sav":
        from .spss import write_sav

        write_sav(out, sheet.variables, counter, lang)
    elif fmt == "dta":
        from .stata import write_dta

        with private_file(out, text=False) as fh:
            write_dta(fh, sheet.variables, counter, lang, Translator(lang)("reports.export.file_label"))
    else:
        with private_file(out, text=False) as fh:
            fh.write((",".join(quote(c) for c in sheet.header) + "\n").encode())
            for line in counter:
                fh.write(line + b"\n")
    cb = codebook_path_for(out)
    with private_file(cb) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(CODEBOOK_HEADER)
        w.writerows(codebook_rows(sheet.variables, info(counter.n)))
    return counter.n, cb


class _Count:
    """Counts the lines that pass through."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self.lines = lines
        self.n = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self.lines:
            self.n += 1
            yield line


# ----------------------------------------------------------------------------- the export


def export_records(
    session: "Session",
    out: Path,
    fmt: str = "csv",
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    unit: str | None = None,
    instruments: tuple[str, ...] | None = None,
    dropouts: bool = False,
    full_dates: bool = False,
    exact_age: bool = False,
    with_interviewer: bool = False,
    include_linked: bool = False,
    lang: str = "sv",
    migrate: Migrate | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Export completed, non-practice interviews (and with `dropouts` the
    dropout registrations, to a second file); returns what was written."""
    if fmt not in FORMATS:
        raise ReportError("reports.export.error.format", value=fmt, formats=", ".join(FORMATS))
    if date_from and date_to and date_from > date_to:
        raise ReportError("reports.error.period", start=date_from.isoformat(), end=date_to.isoformat())
    out = Path(out)
    if not out.parent.is_dir():
        raise ReportError("reports.error.write", path=str(out))
    if fmt == "sav":
        from .spss import require_stats_extra

        require_stats_extra()
    opts = ExportOptions(full_dates, exact_age, with_interviewer, include_linked)
    every = session.report_docs("export")  # refused (audited) for roles without exports; an analyst's units only
    if opts.identifying:
        session.require("export.identifying")
    names = session.unit_names()
    unit_id = session.find_unit(unit).id if unit else None
    keys = Pseudonyms(every)
    plan = ExportPlan(every, date_from, date_to, instruments, dropouts, include_linked)
    del every
    resolved: dict[tuple[str, str], QuestionBank] = {}
    for bank_id, version, _kind in plan.bank_keys:
        resolved[(bank_id, version)] = session.store.resolver(bank_id, version, "")  # StoreError if a bank is gone
    interview_banks = [resolved[(b, v)] for b, v, k in plan.bank_keys if k == "interview"]
    dropout_banks = [resolved[(b, v)] for b, v, k in plan.bank_keys if k == "dropout"]
    main = _Sheet(interview_banks, opts, False, migrate, keys, names)
    drop = _Sheet(dropout_banks, opts, True, migrate, keys, names) if dropouts else None
    kept: set[str] = set()  # selected rows that passed every filter
    total, done = len(plan.wanted), 0
    for body in session.read_bodies(statuses=("completed",), include_practice=False, purpose="export"):
        rid = str(body.get("rid"))
        if rid not in plan.wanted:
            continue  # (a record completed after the listing waits for the next export)
        done += 1
        if progress and done % 200 == 0:
            progress(done, max(total, done))
        linked_only = rid in plan.extra
        if not linked_only and not plan.body_matches(body, unit_id):
            continue
        sheet = drop if body.get("kind") == "dropout" else main
        if sheet is None:
            continue
        sheet.add(body, linked_only)
        if not linked_only:
            kept.add(rid)
    if progress:
        progress(max(total, done), max(total, done))

    def needed(rid: str) -> bool:  # a linked-only row stays when a kept follow-up links to it
        return rid not in plan.extra or any(dep in kept for dep in plan.extra[rid])

    def info_for(sheet: _Sheet, kind: str, path: Path, fmt_: str) -> Callable[[int], dict[str, str]]:
        return lambda n: _codebook_info(sheet, kind, fmt_, path, n, lang, keys, date_from, date_to, unit_id, instruments)

    extra_rows = sum(1 for r in main.rows if r[1] in plan.extra and needed(r[1]))
    n, cb = _write(main, main.lines(needed), out, fmt, lang, info_for(main, "interviews", out, fmt))
    result = ExportResult(out, n, main.header, cb, banks=[f"{b.id} {b.version}" for b in interview_banks],
                          dropped=main.encoder.dropped, linked_only=extra_rows)
    _audit(session, fmt, "interviews", n, len(main.header), opts, date_from, date_to, unit_id, instruments)
    if drop is not None:
        dpath = dropouts_path_for(out, fmt)
        dn, dcb = _write(drop, drop.lines(), dpath, fmt, lang, info_for(drop, "dropouts", dpath, fmt))
        result.dropouts = ExportResult(dpath, dn, drop.header, dcb, banks=[f"{b.id} {b.version}" for b in dropout_banks],
                                       dropped=drop.encoder.dropped)
        _audit(session, fmt, "dropouts", dn, len(drop.header), opts, date_from, date_to, unit_id, None)
    return result


def _audit(session: "Session", fmt: str, kind: str, rows: int, columns: int, opts: ExportOptions,
           date_from: date | None, date_to: date | None, unit: str | None, instruments: tuple[str, ...] | None) -> None:
    session.log(
        "export",
        detail={
            "format": fmt,
            "kind": kind,
            "rows": rows,
            "columns": columns,
            "full_dates": opts.full_dates,
            "exact_age": opts.exact_age,
            "with_interviewer": opts.with_interviewer,
            "include_linked": opts.include_linked,
            "identifying_options": opts.identifying,
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
            "unit": unit,
            "instruments": list(instruments) if instruments else None,
        },
        unit=unit,
    )
