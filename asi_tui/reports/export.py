"""De-identified exports: one row per completed interview, CSV or XLSX.

What an export holds and what it leaves out:

* no client reference, no record id (rows are numbered `record_no` 1..n in
  the file, by instrument and interview date), no staff ids unless asked
  (`with_interviewer`), no free text: text and comment items are left out;
* dates (the interview date and date items) reduced to year and month
  unless `full_dates`;
* `linked_record_no`: for an Uppföljning, the `record_no` of its Grund when
  that Grund is in the same file, so that change can be analysed;
* one column per item id: the union over every bank version present, in the
  order of the newest version of each bank, then the items only older
  versions have, in their own order. A row from an older version leaves the
  columns it lacks empty: columns never shift. `bank_version` names the
  version of every row;
* values as stored: codes, numbers, X (not answered), N (not applicable),
  multi-choice codes joined by ";";
* value labels (item labels, code labels, X and N) in a second sheet
  (XLSX) or `<name>.labels.csv` (CSV).

Dropout registrations go to a separate file (`<name>.dropouts.<ext>`) when
asked for. Files are written 0600, atomically, and every file is audited.

`migrate(bank_id, version, answers) -> answers` (optional) maps the decoded
answers of an older bank version to the newest version's ids before the
union; by default older answers are exported under their own ids.
"""

from __future__ import annotations

import csv
import os
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from ..bank.loader import QuestionBank
from ..bank.model import version_key
from ..engine.values import MissingCode, decode
from ..i18n import Translator
from .common import ReportError, normalize_unit
from .data import Progress
from .xlsx import XlsxWriter

if TYPE_CHECKING:
    from ..store import Session

Migrate = Callable[[str, str, dict[str, Any]], dict[str, Any]]
FORMATS = ("csv", "xlsx")
EXCLUDED_TYPES = frozenset({"text", "comment"})
_NO_ANSWER: dict[str, Any] = {"v": None}
INSTRUMENT_ORDER = {"grund": 0, "uppfoljning": 1, "spel": 2, "bortfall": 3}


@dataclass
class ExportResult:
    path: Path
    rows: int
    columns: list[str]
    labels_path: Path | None = None
    dropouts: "ExportResult | None" = None
    banks: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- columns


def _in_bank_order(banks: list[QuestionBank]) -> list[QuestionBank]:
    """By instrument, variant and id; within one bank the newest version first."""
    newest_first = sorted(banks, key=lambda b: version_key(b.version), reverse=True)
    return sorted(newest_first, key=lambda b: (INSTRUMENT_ORDER.get(b.instrument, 9), b.model.variant or "", b.id))


def item_columns(banks: list[QuestionBank]) -> list[str]:
    """Union of exportable item ids: newest version's order first, then older-only items."""
    seen: dict[str, None] = {}
    for bank in _in_bank_order(banks):
        for item in bank.items:
            if item.type not in EXCLUDED_TYPES and item.id not in seen:
                seen[item.id] = None
    return list(seen)


def _newest_versions(banks: list[QuestionBank]) -> dict[str, str]:
    newest: dict[str, QuestionBank] = {}
    for b in banks:
        if b.id not in newest or version_key(b.version) > version_key(newest[b.id].version):
            newest[b.id] = b
    return {k: b.version for k, b in newest.items()}


# ----------------------------------------------------------------------------- values


def _ym(text: str) -> str:
    return text[:7]


def cell_value(v: object, is_date: bool, full_dates: bool) -> object:
    """An answer (encoded or decoded) as an export cell."""
    if v is None:
        return ""
    if isinstance(v, dict):
        return v.get("code", "")
    if isinstance(v, MissingCode):
        return v.code
    if isinstance(v, list):
        return ";".join(map(str, v))
    if isinstance(v, date):
        v = v.isoformat()
    if is_date and isinstance(v, str) and not full_dates:
        return _ym(v)
    if isinstance(v, bool):
        return int(v)
    return v


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


def labels_path_for(out: Path) -> Path:
    return out.with_name(f"{out.stem if out.suffix else out.name}.labels.csv")


def dropouts_path_for(out: Path, fmt: str) -> Path:
    return out.with_name(f"{out.stem if out.suffix else out.name}.dropouts.{fmt}")


# ----------------------------------------------------------------------------- building


class _Sheet:
    """Rows of one kind (interviews or dropouts) collected before numbering."""

    def __init__(self, banks: list[QuestionBank], full_dates: bool, with_interviewer: bool, dropout: bool,
                 migrate: Migrate | None) -> None:
        self.banks = banks
        self.items = item_columns(banks)
        self.full_dates = full_dates
        self.with_interviewer = with_interviewer
        self.dropout = dropout
        if migrate is not None and hasattr(migrate, "for_versions"):
            # aim the maps at the newest version in this export, whose columns exist
            migrate = migrate.for_versions((b.id, b.version) for b in banks)
        self.migrate = migrate
        self.newest = _newest_versions(banks)
        dates = {i.id for b in banks for i in b.items if i.type == "date"}
        self.is_date = [i in dates for i in self.items]
        self.date_idx = [i for i, d in enumerate(self.is_date) if d]
        self.meta = ["record_no", "instrument", "bank_id", "bank_version", "interview_date" if full_dates else "year_month"]
        if not dropout:
            self.meta.append("linked_record_no")
        if with_interviewer:
            self.meta.append("interviewer")
        self.rows: list[tuple[tuple[Any, ...], str, str | None, list[object]]] = []

    @property
    def header(self) -> list[str]:
        return [*self.meta, *self.items]

    def add(self, body: Mapping[str, Any]) -> None:
        bank = body.get("bank") or {}
        bank_id, version = str(bank.get("id", "")), str(bank.get("version", ""))
        answers: Mapping[str, Any] = body.get("answers") or {}
        full = self.full_dates
        if self.migrate is not None and self.newest.get(bank_id, version) != version:
            decoded = {k: decode(v.get("v")) for k, v in answers.items() if isinstance(v, dict)}
            moved = self.migrate(bank_id, version, decoded)
            values = [cell_value(moved.get(i), d, full) for i, d in zip(self.items, self.is_date)]
        else:
            get = answers.get
            try:  # kept fast (one comprehension, no call per integer): 10,000 rows x 280 columns
                values = [v if type(v := get(i, _NO_ANSWER)["v"]) is int else cell_value(v, False, True) for i in self.items]
            except (KeyError, TypeError):  # a malformed entry: the careful way
                values = [cell_value(e.get("v") if isinstance(e, dict) else None, False, True) for e in map(get, self.items)]
            if not full:
                for i in self.date_idx:
                    if isinstance(values[i], str):
                        values[i] = _ym(values[i])
        day = str(body.get("interview_date") or "")
        meta: list[object] = [None, body.get("instrument"), bank_id, version, day if full else _ym(day)]
        if not self.dropout:
            meta.append(None)  # linked_record_no, set when numbering
        if self.with_interviewer:
            meta.append(body.get("interviewer") or "")
        key = (INSTRUMENT_ORDER.get(str(body.get("instrument")), 9), day, str(body.get("rid")))
        self.rows.append((key, str(body.get("rid")), (body.get("linked") or {}).get("rid"), meta + values))

    def numbered(self) -> list[list[object]]:
        self.rows.sort(key=lambda r: r[0])
        numbers = {rid: i for i, (_, rid, _, _) in enumerate(self.rows, 1)}
        out = []
        for i, (_, _, linked, row) in enumerate(self.rows, 1):
            row[0] = i
            if not self.dropout:
                row[5] = numbers.get(linked, "") if linked else ""
            out.append(row)
        self.rows = []
        return out

    def label_rows(self, t: Translator) -> list[list[object]]:
        """variable, bank_id, bank_versions, type, value, label."""
        lang = t.lang
        rows: list[list[object]] = [
            ["*", "", "", "code", "X", t("reports.export.label.X")],
            ["*", "", "", "code", "N", t("reports.export.label.N")],
        ]
        for m in self.meta:
            rows.append([m, "", "", "meta", "", t(f"reports.export.meta.{m}")])
        for instr in sorted({b.instrument for b in self.banks}, key=lambda i: INSTRUMENT_ORDER.get(i, 9)):
            rows.append(["instrument", "", "", "meta", instr, t(f"reports.instrument.{instr}")])
        by_bank: dict[str, list[QuestionBank]] = {}
        for b in _in_bank_order(self.banks):
            by_bank.setdefault(b.id, []).append(b)
        for item_id in self.items:
            for bank_id, versions in by_bank.items():
                groups: list[tuple[tuple[Any, ...], list[str], list[list[object]]]] = []
                for b in versions:
                    item = b.by_id.get(item_id)
                    if item is None or item.type in EXCLUDED_TYPES:
                        continue
                    codes = b.codes_for(item) if item.type in ("yes_no", "single", "multi", "client_rating", "interviewer_rating") else None
                    lines: list[list[object]] = [[item_id, bank_id, "", item.type, "", item.label.get(lang)]]
                    if codes is not None:
                        lines += [[item_id, bank_id, "", item.type, c.code, c.label.get(lang)] for c in codes.codes]
                    sig = tuple(tuple(x[3:]) for x in lines)
                    same = next((g for g in groups if g[0] == sig), None)
                    if same:
                        same[1].append(b.version)
                    else:
                        groups.append((sig, [b.version], lines))
                for _, vers, lines in groups:
                    for line in lines:
                        line[2] = " ".join(sorted(vers, key=version_key))
                        rows.append(line)
        return rows


LABEL_HEADER = ["variable", "bank_id", "bank_versions", "type", "value", "label"]


def _safe_text(v: object) -> object:
    """Label texts in CSV: never let a spreadsheet read them as a formula."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def _write(sheet: _Sheet, rows: list[list[object]], out: Path, fmt: str, t: Translator) -> Path | None:
    labels = sheet.label_rows(t)
    if fmt == "xlsx":
        with private_file(out, text=False) as fh:
            xw = XlsxWriter(fh)
            xw.add_sheet("data", sheet.header, rows)
            xw.add_sheet("labels", LABEL_HEADER, labels)
            xw.close()
        return None
    with private_file(out) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(sheet.header)
        w.writerows(rows)
    lp = labels_path_for(out)
    with private_file(lp) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(LABEL_HEADER)
        w.writerows([[_safe_text(v) for v in r] for r in labels])
    return lp


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
    with_interviewer: bool = False,
    lang: str = "sv",
    migrate: Migrate | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Export completed, non-practice interviews (and with `dropouts` the
    dropout registrations, to a second file); returns what was written."""
    if fmt not in FORMATS:
        raise ReportError("reports.error.format", value=fmt)
    if date_from and date_to and date_from > date_to:
        raise ReportError("reports.error.period", start=date_from.isoformat(), end=date_to.isoformat())
    out = Path(out)
    if not out.parent.is_dir():
        raise ReportError("reports.error.write", path=str(out))
    t = Translator(lang)
    docs = [d for d in session.list_records(status="completed") if not d.get("practice")]

    def wanted(d: Mapping[str, Any]) -> bool:
        if d.get("kind") == "dropout":
            return dropouts
        return instruments is None or d.get("instrument") in instruments

    keys = sorted({(str(d.get("bank_id")), str(d.get("bank_version")), d.get("kind")) for d in docs if wanted(d)})
    resolved: dict[tuple[str, str], QuestionBank] = {}
    for bank_id, version, _kind in keys:
        resolved[(bank_id, version)] = session.store.resolver(bank_id, version, "")  # StoreError if a bank is gone
    interview_banks = [resolved[(b, v)] for b, v, k in keys if k == "interview"]
    dropout_banks = [resolved[(b, v)] for b, v, k in keys if k == "dropout"]
    main = _Sheet(interview_banks, full_dates, with_interviewer, False, migrate)
    drop = _Sheet(dropout_banks, full_dates, with_interviewer, True, migrate) if dropouts else None
    norm_unit = normalize_unit(unit) if unit else None
    listed = {d["rid"] for d in docs if wanted(d)}
    total = len(docs)
    done = 0
    for body in session.read_bodies(statuses=("completed",), include_practice=False):
        done += 1
        if progress and done % 200 == 0:
            progress(done, max(total, done))
        kind = body.get("kind")
        if body.get("rid") not in listed or kind not in ("interview", "dropout"):
            continue  # (a record completed after the listing waits for the next export)
        sheet = drop if kind == "dropout" else main
        if sheet is None or (kind == "interview" and instruments is not None and body.get("instrument") not in instruments):
            continue
        day = _date(body.get("interview_date"))
        if (date_from and (day is None or day < date_from)) or (date_to and (day is None or day > date_to)):
            continue
        if norm_unit is not None:
            g3 = (body.get("answers") or {}).get("G3")
            text = g3.get("v") if isinstance(g3, dict) else (body.get("meta") or {}).get("unit")
            if normalize_unit(text) != norm_unit:
                continue
        sheet.add(body)
    if progress:
        progress(max(total, done), max(total, done))
    rows = main.numbered()
    labels = _write(main, rows, out, fmt, t)
    result = ExportResult(out, len(rows), main.header, labels, banks=[f"{b.id} {b.version}" for b in interview_banks])
    _audit(session, fmt, "interviews", len(rows), len(main.header), full_dates, with_interviewer, date_from, date_to, unit, instruments)
    if drop is not None:
        drows = drop.numbered()
        dpath = dropouts_path_for(out, fmt)
        dlabels = _write(drop, drows, dpath, fmt, t)
        result.dropouts = ExportResult(dpath, len(drows), drop.header, dlabels, banks=[f"{b.id} {b.version}" for b in dropout_banks])
        _audit(session, fmt, "dropouts", len(drows), len(drop.header), full_dates, with_interviewer, date_from, date_to, unit, None)
    return result


def _date(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None


def _audit(session: "Session", fmt: str, kind: str, rows: int, columns: int, full_dates: bool, with_interviewer: bool,
           date_from: date | None, date_to: date | None, unit: str | None, instruments: tuple[str, ...] | None) -> None:
    session.log(
        "export",
        detail={
            "format": fmt,
            "kind": kind,
            "rows": rows,
            "columns": columns,
            "full_dates": full_dates,
            "with_interviewer": with_interviewer,
            "from": date_from.isoformat() if date_from else None,
            "to": date_to.isoformat() if date_to else None,
            "unit": unit,
            "instruments": list(instruments) if instruments else None,
        },
    )
