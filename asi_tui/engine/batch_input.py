"""What a batch import reads: many answers files, a directory of them, or one
interview per row of a JSON-lines or CSV file.

Every source is hostile input, read within the bounds of `limits.py`: files
are regular files of bounded size (in a directory, symlinks and special files
are refused by name), text is UTF-8 (a byte-order mark is skipped), a row or
line is bounded, and so is the number of rows and files. A JSON line must be
an object without repeated keys, NaN or over-long numbers; a CSV file needs a
header row of distinct names, and an empty cell means "not answered". A cell
that a spreadsheet would run as a formula (`=`, `@`, or `+`/`-` not followed
by a number) is refused, so nothing imported can later turn into one.

Each interview comes out as an `Entry` (where it came from, its metadata
fields and its answers) or, when it cannot even be read, as an `Entry` with
`error` set, so one bad row or file never stops the others. Nothing here
knows about banks or the store: `store/bulk.py` validates the entries.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from .answers_file import ITEM_ID_MAX, AnswersFileError, read_answers, read_bounded
from .limits import (
    ANSWERS_MAX_DEPTH,
    BATCH_FILE_MAX_BYTES,
    BATCH_MAX_FILES,
    BATCH_MAX_ROWS,
    BATCH_ROW_MAX_BYTES,
    META_MAX,
    NUMBER_MAX_DIGITS,
)

META_KEYS = ("bank", "client", "date", "unit", "linked", "complete", "practice", "reactualisation")
ANSWERS_SUFFIXES = (".yaml", ".yml")
ROW_SUFFIXES = (".jsonl", ".csv")
_FORMULA = re.compile(r"^(?:[=@\t\r]|[+-](?![0-9.]))")
_BOM = b"\xef\xbb\xbf"


@dataclass
class Entry:
    """One interview to import: `source` names it in messages ("a.yaml",
    "rows.csv:12"), `meta` holds the fields of META_KEYS it gives, `answers`
    item id -> raw answer. `error` (a locale key and params) when it could not be read."""

    source: str
    meta: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    error: tuple[str, dict[str, Any]] | None = None


def _fail(source: str, key: str, **params: Any) -> Entry:
    return Entry(source, error=(key, params))


def is_batch_source(path: Path) -> bool:
    """A path only the batch form reads: a directory, JSON lines or CSV."""
    return path.is_dir() or path.suffix.lower() in ROW_SUFFIXES


def expand(paths: list[Path]) -> Iterator[tuple[Path, bool] | Entry]:
    """The files to read, in order: each path as given (a directory: its answers,
    JSON-lines and CSV files, sorted by name, not recursive). Yields (path,
    from_directory) or an error Entry for what cannot be used."""
    count = 0
    for path in paths:
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError as exc:
            yield _fail(str(path), "error.answers.unreadable", reason=exc.strerror or "")
            continue
        if not is_dir:
            count += 1
            if count > BATCH_MAX_FILES:
                yield _fail(str(path), "error.batch.too_many_files", max=BATCH_MAX_FILES)
                return
            yield path, False
            continue
        try:
            names = sorted(os.listdir(path))
        except OSError as exc:
            yield _fail(str(path), "error.answers.unreadable", reason=exc.strerror or "")
            continue
        for name in names:
            child = path / name
            if name.startswith("."):
                continue
            try:
                st = os.lstat(child)
            except OSError as exc:
                yield _fail(str(child), "error.answers.unreadable", reason=exc.strerror or "")
                continue
            if stat.S_ISDIR(st.st_mode):
                continue  # not recursive
            if child.suffix.lower() not in ANSWERS_SUFFIXES + ROW_SUFFIXES:
                continue
            if stat.S_ISLNK(st.st_mode):
                yield _fail(str(child), "error.answers.symlink")
                continue
            if not stat.S_ISREG(st.st_mode):
                yield _fail(str(child), "error.answers.not_a_file")
                continue
            count += 1
            if count > BATCH_MAX_FILES:
                yield _fail(str(path), "error.batch.too_many_files", max=BATCH_MAX_FILES)
                return
            yield child, True


def _split(source: str, data: dict[str, Any]) -> Entry:
    """An entry from one mapping: META_KEYS are metadata, the rest answers."""
    entry = Entry(source)
    for key, value in data.items():
        if key in META_KEYS:
            if value is not None and len(str(value)) > META_MAX:
                return _fail(source, "error.batch.meta_too_long", field=key, max=META_MAX)
            entry.meta[key] = value
        else:
            entry.answers[key] = value
    problem = formula_cell(entry)
    if problem is not None:
        return _fail(source, "error.batch.formula", field=problem)
    return entry


def formula_cell(entry: Entry) -> str | None:
    """The first field whose text a spreadsheet would run as a formula, if any."""
    for key, value in (*entry.meta.items(), *entry.answers.items()):
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and _FORMULA.match(v) for v in values):
            return key
    return None


def _text(source: str, raw: bytes) -> str | Entry:
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _fail(source, "error.batch.not_utf8", line=raw.count(b"\n", 0, exc.start) + 1)


def read_entries(path: Path, nofollow: bool = False) -> Iterator[Entry]:
    """The interviews in one file: an answers file gives one, a JSON-lines or
    CSV file one per row (its rows are read lazily: memory stays bounded by
    the file size)."""
    suffix = path.suffix.lower()
    name = str(path)
    if suffix not in ROW_SUFFIXES:
        try:
            yield _split(name, read_answers(path, nofollow=nofollow, strip_bom=True))
        except AnswersFileError as exc:
            yield _fail(name, exc.key, **exc.params)
        return
    try:
        raw = read_bounded(path, BATCH_FILE_MAX_BYTES, nofollow)
    except AnswersFileError as exc:
        yield _fail(name, exc.key, **exc.params)
        return
    text = _text(name, raw)
    del raw
    if isinstance(text, Entry):
        yield text
        return
    yield from (_jsonl_rows if suffix == ".jsonl" else _csv_rows)(name, text)


def count_rows(path: Path) -> int:
    """A cheap estimate of the interviews in a file, for the progress bar."""
    if path.suffix.lower() not in ROW_SUFFIXES:
        return 1
    try:
        size = os.stat(path).st_size
    except OSError:
        return 1
    if size > BATCH_FILE_MAX_BYTES:
        return 1
    with open(path, "rb") as fh:
        return max(1, sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b"")))


# ----------------------------------------------------------------------------- JSON lines


class _Refused(ValueError):
    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _Refused("error.batch.duplicate_key", item=k[:ITEM_ID_MAX])
        if len(k) > ITEM_ID_MAX:
            raise _Refused("error.batch.key_too_long", max=ITEM_ID_MAX)
        out[k] = v
    return out


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > NUMBER_MAX_DIGITS:
        raise _Refused("error.batch.big_number", max=NUMBER_MAX_DIGITS)
    return int(text)


def _no_constant(name: str) -> Any:
    raise _Refused("error.batch.bad_number", constant=name)


def _depth(value: Any, level: int = 1) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


def _jsonl_rows(name: str, text: str) -> Iterator[Entry]:
    rows = 0
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if not line.strip():
            continue
        source = f"{name}:{number}"
        rows += 1
        if rows > BATCH_MAX_ROWS:
            yield _fail(source, "error.batch.too_many_rows", max=BATCH_MAX_ROWS)
            return
        if len(line.encode("utf-8")) > BATCH_ROW_MAX_BYTES:
            yield _fail(source, "error.batch.row_too_long", max=BATCH_ROW_MAX_BYTES // 1024)
            continue
        try:
            data = json.loads(line, object_pairs_hook=_no_duplicates, parse_int=_bounded_int, parse_constant=_no_constant)
        except _Refused as exc:
            yield _fail(source, exc.key, **exc.params)
            continue
        except (ValueError, RecursionError):
            yield _fail(source, "error.batch.bad_json")
            continue
        if not isinstance(data, dict):
            yield _fail(source, "error.batch.not_object")
            continue
        if _depth(data) > ANSWERS_MAX_DEPTH:
            yield _fail(source, "error.answers.too_deep", line=number, max=ANSWERS_MAX_DEPTH)
            continue
        yield _split(source, data)


# ----------------------------------------------------------------------------- CSV


def _csv_rows(name: str, text: str) -> Iterator[Entry]:
    old_limit = csv.field_size_limit()
    csv.field_size_limit(BATCH_ROW_MAX_BYTES)
    try:
        yield from _csv_rows_bounded(name, text)
    finally:
        csv.field_size_limit(old_limit)


def _csv_rows_bounded(name: str, text: str) -> Iterator[Entry]:
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = max(",;\t", key=first.count)  # the header's separator: comma, or semicolon as Swedish spreadsheets write
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
    except csv.Error:
        yield _fail(f"{name}:1", "error.batch.bad_csv")
        return
    if not header:
        yield _fail(name, "error.batch.no_header")
        return
    header = [h.strip() for h in header]
    if any(not h for h in header) or any(len(h) > ITEM_ID_MAX for h in header):
        yield _fail(f"{name}:1", "error.batch.bad_header")
        return
    seen: set[str] = set()
    for h in header:
        if h in seen:
            yield _fail(f"{name}:1", "error.batch.duplicate_column", item=h)
            return
        seen.add(h)
    rows = 0
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader cannot be trusted past a broken quote or a huge cell
            key = "error.batch.cell_too_long" if "field larger" in str(exc) else "error.batch.bad_csv"
            yield _fail(f"{name}:{line}", key, max=BATCH_ROW_MAX_BYTES // 1024)
            return
        if not any(c.strip() for c in cells):
            continue
        source = f"{name}:{line}"
        rows += 1
        if rows > BATCH_MAX_ROWS:
            yield _fail(source, "error.batch.too_many_rows", max=BATCH_MAX_ROWS)
            return
        if sum(len(c) for c in cells) > BATCH_ROW_MAX_BYTES:
            yield _fail(source, "error.batch.row_too_long", max=BATCH_ROW_MAX_BYTES // 1024)
            continue
        if len(cells) != len(header):
            yield _fail(source, "error.batch.cells", n=len(cells), expected=len(header))
            continue
        yield _split(source, {h: c.strip() for h, c in zip(header, cells) if c.strip()})
