"""The variables of an export and their codebook (`<name>.codebook.csv`).

One `Variable` per data column: its CSV name (the item id, `<item>_<code>`
for the 0/1 columns of a multi-choice item, or a meta name), a name valid in
SPSS and Stata (`name`), storage (numeric or string), type, labels in both
languages, value labels and the bank versions it comes from.

Missing codes: X (not answered) and N (not applicable) are written as -9 and
-8 in every numeric column and declared as missing values (SPSS: user
missing; Stata: the extended missing values .x and .n). Bank ranges start at
0 (the bank model refuses a negative range), and `check_missing_codes`
refuses a bank whose codes include -9 or -8, so the codes cannot collide
with an answer. A column with no answer at all is empty (system missing).

Labels per bank version are resolved: the variable and value labels are the
newest version's; a code only an older version has keeps its own label, and
a code whose text changed between versions gets one value row per wording in
the codebook (the data files carry the newest). Codes that are text in the
bank (e.g. the dropout reasons) are numbered 1..k in code-list order; the
codebook keeps the bank's code beside each number.

The codebook is long-format CSV, one line per fact (`record`): `file` lines
(format, kind, options, bank versions), one `missing` line per missing code,
one `variable` line per column and one `value` line per value label.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..bank.loader import QuestionBank
from ..bank.model import version_key
from ..i18n import Translator
from .common import AGE_BANDS, AGE_ITEM, ReportError

FORMAT_VERSION = "1"
MISSING_VALUES: dict[str, int] = {"X": -9, "N": -8}
STATA_MISSING: dict[str, str] = {"X": "x", "N": "n"}
NUMERIC, STRING = "numeric", "string"
EXCLUDED_TYPES = frozenset({"text", "comment"})
CODED_TYPES = frozenset({"yes_no", "single", "multi", "client_rating", "interviewer_rating"})
INSTRUMENT_ORDER = {"grund": 0, "uppfoljning": 1, "spel": 2, "bortfall": 3}
CODEBOOK_HEADER = ["record", "variable", "name", "kind", "storage", "type", "item", "bank_id", "bank_versions", "value",
                   "code", "label_sv", "label_en", "missing"]
_COL = {name: i for i, name in enumerate(CODEBOOK_HEADER)}
KINDS = ("meta", "item", "dummy")
UNDER_FIRST_BAND = 0  # the age_band value of an age below the first band


@dataclass
class ValueLabel:
    value: int | str  # the number in the data (a string only for string meta columns)
    code: object  # the bank's code (differs from value for text codes)
    sv: str
    en: str
    versions: str = ""

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.sv


@dataclass
class Variable:
    column: str  # the CSV column
    kind: str  # meta | item | dummy
    storage: str  # numeric | string
    type: str  # the item type, or the meta column's type
    sv: str
    en: str
    item: str = ""  # items and dummies: the item id
    code: object = None  # dummies: the code this column stands for
    bank_id: str = ""
    versions: str = ""
    values: list[ValueLabel] = field(default_factory=list)
    missing: bool = False  # X/N may occur (declared as missing values)
    name: str = ""  # valid in SPSS and Stata, set by `assign_names`
    max_value: int | None = None  # numeric: the largest valid value (None: unknown), for storage types

    def label(self, lang: str) -> str:
        return self.en if lang == "en" else self.sv

    def value_labels(self, lang: str) -> dict[Any, str]:
        """One label per value (the first, newest wording), plus X and N when declared."""
        out: dict[Any, str] = {}
        for v in self.values:
            out.setdefault(v.value, v.label(lang))
        return out


# ----------------------------------------------------------------------------- banks -> variables


def in_bank_order(banks: Iterable[QuestionBank]) -> list[QuestionBank]:
    """By instrument, variant and id; within one bank the newest version first."""
    newest_first = sorted(banks, key=lambda b: version_key(b.version), reverse=True)
    return sorted(newest_first, key=lambda b: (INSTRUMENT_ORDER.get(b.instrument, 9), b.model.variant or "", b.id))


def item_columns(banks: list[QuestionBank]) -> list[str]:
    """Union of exportable item ids: newest version's order first, then older-only items."""
    seen: dict[str, None] = {}
    for bank in in_bank_order(banks):
        for item in bank.items:
            if item.type not in EXCLUDED_TYPES and item.id not in seen:
                seen[item.id] = None
    return list(seen)


def _versions_text(refs: list[tuple[str, str]]) -> str:
    """"asi-grund 1.0.0 1.1.0; asi-uppfoljning 1.0.0"."""
    by_bank: dict[str, list[str]] = {}
    for bank_id, version in refs:
        by_bank.setdefault(bank_id, [])
        if version not in by_bank[bank_id]:
            by_bank[bank_id].append(version)
    return "; ".join(f"{b} {' '.join(sorted(v, key=version_key))}" for b, v in by_bank.items())


def check_missing_codes(banks: Iterable[QuestionBank]) -> None:
    """Refuse banks whose codes are the numbers that stand for X and N."""
    taken = set(MISSING_VALUES.values())
    for bank in banks:
        for item in bank.items:
            codes = bank.codes_for(item) if item.type in CODED_TYPES else None
            clash = sorted(c for c in (codes.values if codes else ()) if c in taken and not isinstance(c, bool))
            if clash:
                raise ReportError("reports.export.error.missing_clash", item=item.id, bank=f"{bank.id} {bank.version}",
                                  code=clash[0])


def _values_of(item_id: str, banks: list[QuestionBank]) -> tuple[list[ValueLabel], bool]:
    """Value labels of a coded item over every bank version (newest wording first) and
    whether its codes are text (then numbered 1..k)."""
    labels: list[ValueLabel] = []
    refs: dict[tuple[object, str, str], list[tuple[str, str]]] = {}
    text_codes = False
    for bank in banks:
        item = bank.by_id.get(item_id)
        codes = bank.codes_for(item) if item is not None and item.type in CODED_TYPES else None
        for c in codes.codes if codes else ():
            key = (c.code, c.label.sv, c.label.en)
            if key not in refs:
                refs[key] = []
                labels.append(ValueLabel(c.code, c.code, c.label.sv, c.label.en))
                text_codes = text_codes or isinstance(c.code, str)
            refs[key].append((bank.id, bank.version))
    numbers: dict[object, int] = {}
    for v in labels:
        v.versions = _versions_text(refs[(v.code, v.sv, v.en)])
        if text_codes:
            v.value = numbers.setdefault(v.code, len(numbers) + 1)
    return labels, text_codes


def item_variables(banks: list[QuestionBank], exclude: frozenset[str] = frozenset(),
                   migrated: frozenset[tuple[str, str]] = frozenset()) -> list[Variable]:
    """The item columns of `banks` (newest version's order, then older-only items);
    a multi-choice item becomes one 0/1 column per code. The codes of `migrated`
    versions (id, version) were mapped to a newer version's: their labels are left out."""
    ordered = in_bank_order(banks)
    sv, en = Translator("sv"), Translator("en")
    no_yes = [ValueLabel(0, 0, sv("reports.export.value.no"), en("reports.export.value.no")),
              ValueLabel(1, 1, sv("reports.export.value.yes"), en("reports.export.value.yes"))]
    out: list[Variable] = []
    for item_id in item_columns(banks):
        if item_id in exclude:
            continue
        having = [b for b in ordered if item_id in b.by_id and b.by_id[item_id].type not in EXCLUDED_TYPES]
        first = having[0].by_id[item_id]
        versions = _versions_text([(b.id, b.version) for b in having])
        labelled = [b for b in having if (b.id, b.version) not in migrated] or having
        values, text_codes = _values_of(item_id, labelled) if first.type in CODED_TYPES else ([], False)
        common: dict[str, Any] = dict(item=item_id, bank_id=having[0].id, versions=versions, missing=True)
        if first.type == "multi":
            for v in values:
                out.append(Variable(f"{item_id}_{v.code}", "dummy", NUMERIC, "multi",
                                    f"{first.label.sv}: {v.sv}", f"{first.label.en}: {v.en}", code=v.code,
                                    values=list(no_yes), max_value=1, **common))
            continue
        storage = STRING if first.type == "date" else NUMERIC
        var = Variable(item_id, "item", storage, first.type, first.label.sv, first.label.en, values=values, **common)
        if text_codes:
            var.type = "single_text"
            var.max_value = len({v.value for v in values})
        elif storage == NUMERIC:
            tops = [_max_of(b, b.by_id[item_id]) for b in having]
            var.max_value = None if None in tops or not tops else max(t for t in tops if t is not None)
        out.append(var)
    return out


def _max_of(bank: QuestionBank, item: Any) -> int | None:
    """The largest valid value of a numeric or coded item in one bank version."""
    if item.value_range is not None:
        return int(item.value_range[1])
    codes = bank.codes_for(item) if item.type in CODED_TYPES else None
    numbers = [c for c in (codes.values if codes else ()) if isinstance(c, int) and not isinstance(c, bool)]
    return max(numbers) if numbers else None


def age_band_values(bands: tuple[tuple[int, int | None], ...] = AGE_BANDS) -> list[ValueLabel]:
    """The age_band column holds the band's lowest age (0 below the first band)."""
    sv, en = Translator("sv"), Translator("en")
    first = bands[0][0]
    out = [ValueLabel(UNDER_FIRST_BAND, UNDER_FIRST_BAND, sv("reports.row.age_under", age=first),
                      en("reports.row.age_under", age=first))]
    for lo, hi in bands:
        key = "reports.row.age_band" if hi is not None else "reports.row.age_from"
        band = f"{lo}–{hi}" if hi is not None else None
        params = {"band": band} if hi is not None else {"age": lo}
        out.append(ValueLabel(lo, lo, sv(key, **params), en(key, **params)))
    return out


def band_value(age: object, bands: tuple[tuple[int, int | None], ...] = AGE_BANDS) -> int | None:
    """An age as its band's lowest age (None when there is no age)."""
    if not isinstance(age, int) or isinstance(age, bool):
        return None
    if age < bands[0][0]:
        return UNDER_FIRST_BAND
    for lo, hi in bands:
        if age >= lo and (hi is None or age <= hi):
            return lo
    return None


# (column, storage, type) of the meta columns, in file order; see `meta_variables`.
_META: tuple[tuple[str, str, str], ...] = (
    ("record_no", NUMERIC, "count"),
    ("linked_record_no", NUMERIC, "count"),
    ("unit_id", STRING, "unit"),
    ("unit_name", STRING, "unit"),
    ("interview_key", STRING, "key"),
    ("client_key", STRING, "key"),
    ("grund_key", STRING, "key"),
    ("linked_key", STRING, "key"),
    ("linked_only", NUMERIC, "yes_no"),
    ("instrument", STRING, "code"),
    ("bank_id", STRING, "bank"),
    ("bank_version", STRING, "version"),
    ("interview_date", STRING, "date"),
    ("year_month", STRING, "year_month"),
    ("age_band", NUMERIC, "age_band"),
    ("interviewer", STRING, "user"),
)
# Filled when the rows are numbered, after reading: they come first in every row.
LATE_META = ("record_no", "linked_record_no", "unit_id", "unit_name")


def meta_variables(*, dropout: bool, full_dates: bool, include_linked: bool, with_interviewer: bool,
                   instruments: Iterable[str] = ()) -> list[Variable]:
    sv, en = Translator("sv"), Translator("en")
    skip = {"year_month" if full_dates else "interview_date"}
    if dropout:
        skip |= {"linked_record_no", "grund_key", "linked_only"}
    if not include_linked:
        skip.add("linked_only")
    if not with_interviewer:
        skip.add("interviewer")
    out = []
    for column, storage, type_ in _META:
        if column in skip:
            continue
        key = f"reports.export.meta.{column}"
        var = Variable(column, "meta", storage, type_, sv(key), en(key))
        if column == "age_band":
            var.values, var.missing, var.item = age_band_values(), True, AGE_ITEM
            var.max_value = max(int(v.value) for v in var.values)
        elif column == "linked_only":
            var.values = [ValueLabel(i, i, sv(f"reports.export.value.{k}"), en(f"reports.export.value.{k}"))
                          for i, k in ((0, "no"), (1, "yes"))]
            var.max_value = 1
        elif column == "instrument":
            var.values = [ValueLabel(i, i, sv(f"reports.instrument.{i}"), en(f"reports.instrument.{i}"))
                          for i in sorted(set(instruments), key=lambda i: INSTRUMENT_ORDER.get(i, 9))]
        out.append(var)
    return out


# ----------------------------------------------------------------------------- names valid in SPSS and Stata

NAME_MAX = 32
_RESERVED = {
    # Stata
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n", "_pi", "_pred",
    "_rc", "_skip", "str", "strl", "using", "with",
    # SPSS (case-insensitive)
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to",
}


def valid_name(column: str) -> str:
    """A name SPSS and Stata both accept: [A-Za-z][A-Za-z0-9_]*, at most 32
    characters, no trailing underscore, no reserved word."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", column)
    name = re.sub(r"_+", "_", name).strip("_")
    if not name or not name[0].isalpha():
        name = f"v_{name}".rstrip("_")
    name = name[:NAME_MAX].rstrip("_")
    if name.lower() in _RESERVED or re.fullmatch(r"str\d+", name.lower()):
        name = f"{name}_v"
    return name


def assign_names(variables: list[Variable]) -> None:
    """Set each variable's `name`: valid and unique, also ignoring case (SPSS)."""
    taken: set[str] = set()
    for var in variables:
        base = valid_name(var.column)
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            suffix = f"_{n}"
            name = base[: NAME_MAX - len(suffix)].rstrip("_") + suffix
        taken.add(name.lower())
        var.name = name


def unique_columns(variables: list[Variable]) -> None:
    """CSV column names must differ too (an item id could equal a meta name or a dummy name)."""
    taken: set[str] = set()
    for var in variables:
        column, n = var.column, 1
        while column in taken:
            n += 1
            column = f"{var.column}_{n}"
        taken.add(column)
        var.column = column


# ----------------------------------------------------------------------------- the codebook file


def safe_text(v: object) -> object:
    """Text in a CSV cell: never let a spreadsheet read it as a formula."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def codebook_rows(variables: list[Variable], info: dict[str, str]) -> list[list[object]]:
    """The codebook as rows under CODEBOOK_HEADER (see the module docstring)."""
    sv, en = Translator("sv"), Translator("en")
    blank = [""] * len(CODEBOOK_HEADER)

    def line(**cells: object) -> list[object]:
        row = list(blank)
        for key, value in cells.items():
            row[_COL[key]] = value
        return row

    rows = [line(record="file", variable=key, value=value) for key, value in info.items()]
    for code, number in MISSING_VALUES.items():
        rows.append(line(record="missing", value=number, code=code, label_sv=sv(f"reports.export.label.{code}"),
                         label_en=en(f"reports.export.label.{code}"), missing=STATA_MISSING[code]))
    for var in variables:
        rows.append(line(record="variable", variable=var.column, name=var.name, kind=var.kind, storage=var.storage,
                         type=var.type, item=var.item, bank_id=var.bank_id, bank_versions=var.versions,
                         code="" if var.code is None else var.code, label_sv=safe_text(var.sv),
                         label_en=safe_text(var.en),
                         missing=" ".join(str(v) for v in MISSING_VALUES.values()) if var.missing else ""))
        for v in var.values:
            rows.append(line(record="value", variable=var.column, name=var.name, bank_versions=v.versions,
                             value=v.value, code=v.code, label_sv=safe_text(v.sv), label_en=safe_text(v.en)))
    return rows


@dataclass
class Codebook:
    """A codebook read back (for `stats --from-export`)."""

    path: Path
    info: dict[str, str]
    variables: list[Variable]

    def variable(self, column: str) -> Variable | None:
        return next((v for v in self.variables if v.column == column), None)


MAX_CODEBOOK_ROWS = 200_000


def read_codebook(path: Path) -> Codebook:
    """Parse a codebook; a malformed one is a ReportError naming the file."""
    bad = ReportError("reports.from_export.error.codebook", path=str(path))
    info: dict[str, str] = {}
    variables: list[Variable] = []
    by_column: dict[str, Variable] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            if next(reader, None) != CODEBOOK_HEADER:
                raise bad
            for n, row in enumerate(reader):
                if n > MAX_CODEBOOK_ROWS or len(row) != len(CODEBOOK_HEADER):
                    raise bad
                rec, column, name, kind, storage, type_, item, bank_id, versions, value, code, lsv, len_, missing = row
                if rec == "file":
                    info[column] = value
                elif rec == "variable":
                    if storage not in (NUMERIC, STRING) or kind not in KINDS or column in by_column:
                        raise bad
                    var = Variable(column, kind, storage, type_, _unsafe(lsv), _unsafe(len_), item=item,
                                   code=code or None, bank_id=bank_id, versions=versions, missing=bool(missing),
                                   name=name)
                    variables.append(var)
                    by_column[column] = var
                elif rec == "value":
                    var = by_column.get(column)
                    if var is None:
                        raise bad
                    number: int | str = value
                    if var.storage == NUMERIC:
                        number = int(value)
                    var.values.append(ValueLabel(number, code, _unsafe(lsv), _unsafe(len_), versions))
                elif rec != "missing":
                    raise bad
    except (OSError, UnicodeDecodeError, csv.Error, ValueError):
        raise bad from None
    return Codebook(path, info, variables)


def _unsafe(text: str) -> str:
    return text[1:] if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@", "\t", "\r") else text


def codebook_path_for(out: Path) -> Path:
    return out.with_name(f"{out.stem if out.suffix else out.name}.codebook.csv")
