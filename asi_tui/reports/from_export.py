"""Regional compilations: statistics over de-identified CSV exports from
several municipalities (`asi-tui stats --from-export FILE...`).

Each file is a CSV export with its codebook beside it (`<name>.codebook.csv`;
a dropouts file counts as a file of its own). A file is refused, with one
line naming it, when

* its codebook is missing, malformed or of an unknown format, or the file's
  columns are not the codebook's;
* it identifies: made with full dates, exact age or interviewer ids, or
  holding such a column, a client reference, a free-text item or a column
  this program does not know (checked on the columns, not only on the
  codebook's word);
* a value does not fit its column (numbers, year-months, keys);
* it was given twice, or a bank version has other content (SHA-256) than
  the same version in another file;
* its bank versions cannot be brought to the newest version present through
  the published migration maps known here (the data directory's, if any).

The rows are rebuilt as record bodies and turned into statistics rows by the
same `row_from_body` that `load_dataset` uses, so the table builders see a
`Dataset` like any other. An export has ages as bands (the band's lowest age
stands for the age) and dates as months (the 1st stands for the day): a
report over exports must use whole bands and whole months (`check_filters`).
Row keys are the export's pseudonymous keys, prefixed by its export id, so
pairs never cross files and two runs never join.
"""

from __future__ import annotations

import csv
import re
from calendar import monthrange
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

from ..bank.loader import QuestionBank
from ..bank.migration import Migrator
from ..bank.missing import MissingCode
from ..bank.model import version_key
from ..engine.values import encode
from .codebook import (
    AGE_BANDS,
    AGE_ITEM,
    EXCLUDED_TYPES,
    FORMAT_VERSION,
    INSTRUMENT_ORDER,
    MISSING_VALUES,
    NUMERIC,
    Codebook,
    Variable,
    codebook_path_for,
    read_codebook,
)
from .common import Filters, ReportError
from .data import BankCache, Dataset, Row, row_from_body

Resolver = Callable[[str, str, str], QuestionBank]
MAX_ROWS = 1_000_000  # per file
MAX_TEXT = 200
_MISSING_OF = {v: MissingCode(k) for k, v in MISSING_VALUES.items()}
_MISSING_TEXT = {str(v): MissingCode(k) for k, v in MISSING_VALUES.items()}
_KEY_RE = re.compile(r"^[0-9a-f]{16}$")
_YM_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")
IDENTIFYING_OPTIONS = ("full_dates", "exact_age", "with_interviewer")
IDENTIFYING_COLUMNS = frozenset({"interview_date", "interviewer", "client_ref", "rid", "record_id"})
META_COLUMNS = frozenset({"record_no", "linked_record_no", "unit_id", "unit_name", "interview_key", "client_key",
                          "grund_key", "linked_key", "linked_only", "instrument", "bank_id", "bank_version",
                          "year_month", "age_band"})
KEY_COLUMNS = ("interview_key", "client_key", "grund_key", "linked_key")
REQUIRED_COLUMNS = ("interview_key", "instrument", "bank_id", "bank_version", "year_month")


@dataclass
class ExportFile:
    path: Path
    codebook: Codebook
    kind: str  # interview | dropout
    export_id: str
    banks: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (id, version) -> (sha256, answers' version)


def _err(key: str, path: Path, **params: Any) -> ReportError:
    """An error naming the file; texts taken from a file are cut and stripped of control characters."""
    clean = {k: _printable(v) if isinstance(v, str) else v for k, v in params.items()}
    return ReportError(f"reports.from_export.error.{key}", path=str(path), **clean)


def _printable(text: str, limit: int = 60) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text[:limit])


# ----------------------------------------------------------------------------- checking the files


def open_export(path: Path, bands: tuple[tuple[int, int | None], ...] = AGE_BANDS) -> ExportFile:
    """Read and check one export's codebook (the rows are checked while read)."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise _err("csv_only", path)
    if not path.is_file():
        raise _err("unreadable", path)
    cb_path = codebook_path_for(path)
    if not cb_path.is_file():
        raise _err("no_codebook", path, codebook=cb_path.name)
    try:
        cb = read_codebook(cb_path)
    except ReportError:
        raise _err("codebook", path) from None
    info = cb.info
    if info.get("format") != FORMAT_VERSION:
        raise _err("format", path, value=info.get("format", ""))
    kind = {"interviews": "interview", "dropouts": "dropout"}.get(info.get("kind", ""))
    export_id = info.get("export_id", "")
    if kind is None or not _KEY_RE.match(export_id):
        raise _err("codebook", path)
    for option in IDENTIFYING_OPTIONS:
        if info.get(option) != "0":
            raise _err("identifying", path, what=option)
    for var in cb.variables:
        _check_variable(path, var)
    if not set(REQUIRED_COLUMNS) <= {v.column for v in cb.variables}:
        raise _err("codebook", path)
    wanted = " ".join(f"{lo}-{hi}" if hi is not None else f"{lo}+" for lo, hi in bands)
    if info.get("age_bands") != wanted:
        raise _err("bands", path, bands=info.get("age_bands", ""))
    found = ExportFile(path, cb, kind, export_id)
    for key, value in info.items():
        if key.startswith("bank "):
            _, bank_id, version = (key.split(" ") + ["", ""])[:3]
            sha, _, as_version = value.partition(" ")
            if not bank_id or not _VERSION_RE.match(version) or not _VERSION_RE.match(as_version):
                raise _err("codebook", path)
            found.banks[(bank_id, version)] = (sha, as_version)
    if not found.banks:
        raise _err("codebook", path)
    return found


def _check_variable(path: Path, var: Variable) -> None:
    if var.column in IDENTIFYING_COLUMNS:
        raise _err("identifying", path, what=var.column)
    if var.kind == "meta":
        if var.column not in META_COLUMNS:
            raise _err("identifying", path, what=var.column)
    elif var.item == AGE_ITEM or var.type in EXCLUDED_TYPES:
        raise _err("identifying", path, what=var.column)
    elif var.storage != NUMERIC and var.type != "date":
        raise _err("identifying", path, what=var.column)


def check_filters(f: Filters) -> None:
    """Exports know months, not days: a period must start on a 1st and end on a month's last day."""
    if f.date_from is not None and f.date_from.day != 1:
        raise ReportError("reports.from_export.error.period")
    if f.date_to is not None and f.date_to.day != monthrange(f.date_to.year, f.date_to.month)[1]:
        raise ReportError("reports.from_export.error.period")


def _targets(files: list[ExportFile], migrator: Migrator) -> Migrator:
    """One version per bank: the newest present; refuse what the maps cannot move there."""
    seen: dict[tuple[str, str], tuple[str, Path]] = {}
    present: set[tuple[str, str]] = set()
    for f in files:
        for (bank_id, version), (sha, as_version) in f.banks.items():
            other = seen.setdefault((bank_id, version), (sha, f.path))
            if other[0] != sha:
                raise ReportError("reports.from_export.error.bank_content", bank=f"{bank_id} {version}",
                                  path=str(f.path), other=str(other[1]))
            present.add((bank_id, as_version))
    aimed = migrator.for_versions(present)
    for f in files:
        for bank_id, as_version in {(b, a) for (b, _v), (_s, a) in f.banks.items()}:
            newest = max((v for b, v in present if b == bank_id), key=version_key)
            if as_version == newest:
                continue
            target = aimed.target_for(bank_id, as_version)
            if target is None or target[0] != bank_id or aimed.path(bank_id, as_version) in (None, []):
                raise ReportError("reports.from_export.error.versions", path=str(f.path),
                                  bank=f"{bank_id} {as_version}", target=f"{bank_id} {newest}")
    return aimed


# ----------------------------------------------------------------------------- reading rows


class _Columns:
    """How to read one file's columns back into answers."""

    def __init__(self, cb: Codebook) -> None:
        self.header = [v.column for v in cb.variables]
        self.index = {v.column: i for i, v in enumerate(cb.variables)}
        self.items: list[tuple[int, Variable]] = []
        self.dummies: dict[str, list[tuple[int, object]]] = {}
        self.numbered: dict[int, dict[int, object]] = {}
        for i, var in enumerate(cb.variables):
            if var.kind == "dummy":
                self.dummies.setdefault(var.item, []).append((i, _code(var.code)))
            elif var.kind == "item":
                self.items.append((i, var))
                if var.type == "single_text":
                    self.numbered[i] = {int(v.value): v.code for v in var.values}
        self.numeric = [v.storage == NUMERIC for v in cb.variables]
        age = cb.variable("age_band")
        self.bands = {int(v.value) for v in age.values} if age is not None else set()
        self.dates = {i for i, v in enumerate(cb.variables) if v.type == "date" and v.kind == "item"}


def _code(text: object) -> object:
    """A code from the codebook's text: a number when it looks like one."""
    s = str(text)
    return int(s) if re.fullmatch(r"-?\d+", s) else s


def _rows(ef: ExportFile) -> Iterator[tuple[int, list[str]]]:
    try:
        with ef.path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header != [v.column for v in ef.codebook.variables]:
                raise _err("header", ef.path)
            for n, row in enumerate(reader, 2):
                if n > MAX_ROWS:
                    raise _err("too_large", ef.path, rows=MAX_ROWS)
                yield n, row
    except (OSError, UnicodeDecodeError, csv.Error):
        raise _err("unreadable", ef.path) from None


def _body(ef: ExportFile, cols: _Columns, n: int, row: list[str]) -> tuple[dict[str, Any], str | None]:
    """One export row as a record body (stored form), and its unit id."""
    if len(row) != len(cols.header):
        raise _err("header", ef.path)

    def bad(i: int) -> ReportError:
        return _err("value", ef.path, row=n, column=cols.header[i])

    values: list[int | str | None] = []
    for i, (text, numeric) in enumerate(zip(row, cols.numeric)):
        if not numeric:
            if len(text) > MAX_TEXT:
                raise bad(i)
            values.append(text)
        elif text == "":
            values.append(None)
        else:
            try:
                values.append(int(text))
            except ValueError:
                raise bad(i) from None

    def meta(name: str) -> Any:
        i = cols.index.get(name)
        return values[i] if i is not None else None

    for name in KEY_COLUMNS:
        key = meta(name)
        if key and not _KEY_RE.match(str(key)):
            raise bad(cols.index[name])
    ym = str(meta("year_month") or "")
    if not _YM_RE.match(ym):
        raise bad(cols.index.get("year_month", 0))
    instrument = str(meta("instrument") or "")
    bank_id, version = str(meta("bank_id") or ""), str(meta("bank_version") or "")
    if instrument not in INSTRUMENT_ORDER or (bank_id, version) not in ef.banks or not meta("interview_key"):
        raise bad(cols.index["instrument"])
    answers: dict[str, Any] = {}
    for i, var in cols.items:
        v = values[i]
        if v is None or v == "":
            continue
        if isinstance(v, int) and v in _MISSING_OF:
            answers[var.item] = _MISSING_OF[v]
        elif i in cols.dates and v in _MISSING_TEXT:
            answers[var.item] = _MISSING_TEXT[v]  # type: ignore[index]
        elif i in cols.dates:
            if not (isinstance(v, str) and _YM_RE.match(v)):
                raise bad(i)
            answers[var.item] = v
        elif i in cols.numbered:
            if v not in cols.numbered[i]:
                raise bad(i)
            answers[var.item] = _code(cols.numbered[i][v])  # type: ignore[index]
        else:
            answers[var.item] = v
    for item, slots in cols.dummies.items():
        got = [values[i] for i, _c in slots]
        if all(v is None for v in got):
            continue
        if got[0] in _MISSING_OF and all(v == got[0] for v in got):
            answers[item] = _MISSING_OF[got[0]]  # type: ignore[index]
        elif all(v in (0, 1) for v in got):
            answers[item] = [c for (_i, c), v in zip(slots, got) if v == 1]
        else:
            raise bad(slots[0][0])
    band = meta("age_band")
    if band is not None:
        if band not in cols.bands and band not in _MISSING_OF:
            raise bad(cols.index["age_band"])
        answers[AGE_ITEM] = _MISSING_OF.get(band, band)
    body: dict[str, Any] = {
        "rid": f"{ef.export_id}:{meta('interview_key')}",
        "kind": ef.kind,
        "instrument": instrument,
        "bank": {"id": bank_id, "version": version, "sha256": ef.banks[(bank_id, version)][0]},
        "interview_date": f"{ym}-01",
        "answers": answers,
        "meta": {},
    }
    if meta("linked_key"):
        body["linked"] = {"rid": f"{ef.export_id}:{meta('linked_key')}"}
    unit = _unsafe(str(meta("unit_id") or "")) or None
    if ef.kind == "dropout" and unit:
        body["meta"]["unit"] = unit
    return body, unit


def _unsafe(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


# ----------------------------------------------------------------------------- the dataset


# Follow-up coverage counts months between exact interview dates and windows
# that end on a day; exports carry months only, so it is not compiled from them.
UNAVAILABLE_SECTIONS = ("followup",)


def sections_from_exports(sections: tuple[str, ...]) -> tuple[str, ...]:
    """The statistics sections an export compilation can give exactly (ReportError if one asked for cannot)."""
    wanted = [s for s in sections if s not in UNAVAILABLE_SECTIONS]
    if len(wanted) < len(sections):
        raise ReportError("reports.from_export.error.section", sections=", ".join(UNAVAILABLE_SECTIONS))
    return tuple(wanted)


def load_exports(paths: list[Path], *, resolver: Resolver | None = None, migrator: Migrator | None = None,
                 bands: tuple[tuple[int, int | None], ...] = AGE_BANDS) -> Dataset:
    """The statistics rows of several exports, checked (see the module docstring).

    `resolver(bank_id, version, sha256)` finds bank versions (default: the
    bundled ones); `migrator` holds the published maps (default: none, so
    only equal versions combine)."""
    if not paths:
        raise ReportError("reports.from_export.error.no_files")
    files: list[ExportFile] = []
    runs: dict[tuple[str, str], Path] = {}
    for p in paths:
        ef = open_export(Path(p), bands)
        if (ef.export_id, ef.kind) in runs:
            raise _err("twice", ef.path)
        runs[(ef.export_id, ef.kind)] = ef.path
        files.append(ef)
    aimed = _targets(files, migrator if migrator is not None else _bundled_migrator())
    cache = BankCache(SimpleNamespace(store=SimpleNamespace(resolver=resolver or _bundled_resolver)))  # type: ignore[arg-type]
    rows: list[Row] = []
    for ef in files:
        cols = _Columns(ef.codebook)
        for n, raw in _rows(ef):
            body, unit = _body(ef, cols, n, raw)
            bank = body["bank"]
            as_version = ef.banks[(bank["id"], bank["version"])][1]
            target = aimed.target_for(bank["id"], as_version)
            if target is not None and target[1] != as_version:
                body["answers"] = aimed(bank["id"], as_version, body["answers"])
                as_version = target[1]
            body["bank"] = {"id": bank["id"], "version": as_version, "sha256": ""}
            body["answers"] = {k: {"v": encode(v)} for k, v in body["answers"].items()}
            row = row_from_body(body, cache)
            if row is not None:
                row.unit = unit
                rows.append(row)
    return Dataset(rows, cache.banks, 0)


def _bundled_resolver(bank_id: str, version: str, sha256: str) -> QuestionBank:
    from ..store.bank_versions import bundled_resolver

    return bundled_resolver(bank_id, version, "")


def _bundled_migrator() -> Migrator:
    """No maps: only equal versions combine."""
    from ..bank.registry import bundled_banks
    from ..store.bank_versions import instrument_key

    keys = {(b.id, b.version): instrument_key(b) for b in bundled_banks()}
    return Migrator([], {}, lambda bank_id, version: keys.get((bank_id, version)))

