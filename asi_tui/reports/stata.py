"""Stata .dta files (format 118, Stata 14 and later), written row by row.

Why not pyreadstat here: it hands the frame to narwhals, which types a
pandas object column by its first 100 values; a column with X/N written as
Stata's `.x`/`.n` must be an object column, and every Uppföljning-only item
starts with 100+ empty Grund rows, so pyreadstat took it for text and failed
(pyreadstat 1.3.7, narwhals 2.x). The format is small and documented
(Stata's `help dta`), and writing it here streams the rows: memory stays
flat at any size and no pandas is needed. The read-back tests read these
files with pyreadstat.

What the file holds: one variable per export column (`Variable.name`),
numbers as float (double when a valid value may not be exact in a float),
strings as str# of their longest value, variable labels (80 characters),
value labels, and X/N as the extended missing values .x and .n, labelled.
"""

from __future__ import annotations

import csv
import struct
from typing import IO, Any, Callable, Iterable

from .codebook import MISSING_VALUES, NUMERIC, STATA_MISSING, Variable

LABEL_CHARS = 80
STR_MAX = 2045
# Numbers are float where every valid value is exact in one (below 2**24), else double.
# Not byte/int/long: pyreadstat (1.3.7) reads an integer column with .x/.n and empty
# cells wrongly when asked to keep user-missing values, and pandas users read with it.
_FLOAT, _DOUBLE = 65527, 65526
FLOAT_EXACT = 2**24
_FLOAT_MISSING = 0x7F000000  # `.`; .a, .b, ... follow at steps of 0x800
_DOUBLE_MISSING = 0x7FE0000000000000  # `.`; .a, .b, ... follow at steps of 2**40
_LONG_MISSING = 2147483621  # value labels store missing values the way a long does
_LETTER = {text: ord(STATA_MISSING[code]) - ord("a") + 1 for code, text in
           ((c, str(v)) for c, v in MISSING_VALUES.items())}  # "-9" -> 24 (.x), "-8" -> 14 (.n)
_SECTIONS = ("stata_data", "map", "variable_types", "varnames", "sortlist", "formats", "value_label_names",
             "variable_labels", "characteristics", "data", "strls", "value_labels", "/stata_data", "eof")


def _missing(code: str, letter: int) -> float:
    """Stata's missing value `.` (letter 0) or `.a`..`.z` (1..26) as a float or double."""
    if code == "f":
        return struct.unpack("<f", struct.pack("<I", _FLOAT_MISSING + letter * 0x800))[0]
    return struct.unpack("<d", struct.pack("<Q", _DOUBLE_MISSING + (letter << 40)))[0]


class _Overflow(Exception):
    """A value a float cannot hold exactly (the bank's range said less): write that column as double."""

    def __init__(self, column: int) -> None:
        self.column = column


class _Numbers(dict):  # type: ignore[type-arg]
    """Cell text -> the value to pack, for one column (cached: a column has few distinct texts)."""

    def __init__(self, column: int, code: str) -> None:
        super().__init__()
        self.column, self.code = column, code

    def __missing__(self, text: str) -> Any:
        letter = _LETTER.get(text)
        if text == "":
            value: Any = _missing(self.code, 0)
        elif letter is not None:
            value = _missing(self.code, letter)
        else:
            value = float(text)
            if self.code == "f" and not abs(value) < FLOAT_EXACT:
                raise _Overflow(self.column)
        if len(self) < 100_000:
            self[text] = value
        return value


def _cut(text: str, limit_bytes: int, limit_chars: int | None = None) -> bytes:
    if limit_chars is not None and len(text) > limit_chars:
        text = text[: limit_chars - 1] + "…"
    data = text.encode("utf-8")
    while len(data) > limit_bytes:
        text = text[:-1]
        data = text.encode("utf-8")
    return data


def _fixed(text: str, size: int, limit_chars: int | None = None) -> bytes:
    """A null-terminated, null-padded field of `size` bytes."""
    return _cut(text, size - 1, limit_chars).ljust(size, b"\0")


def write_dta(fh: IO[bytes], variables: list[Variable], lines: Iterable[bytes], lang: str, file_label: str) -> int:
    """Write the file to `fh` (seekable, binary); returns the number of rows."""
    rows = list(lines)  # already in memory as encoded lines; two passes: string widths, then data
    doubles: set[int] = set()
    while True:
        try:
            return _write(fh, variables, rows, lang, file_label, doubles)
        except _Overflow as exc:  # rare: start again with that column as double
            doubles.add(exc.column)
            fh.seek(0)
            fh.truncate()


def _write(fh: IO[bytes], variables: list[Variable], rows: list[bytes], lang: str, file_label: str,
           doubles: set[int]) -> int:
    widths = {i: 1 for i, v in enumerate(variables) if v.storage != NUMERIC}
    if widths:
        for row in csv.reader(line.decode("utf-8") for line in rows):
            for i in widths:
                n = len(row[i].encode("utf-8"))
                if n > widths[i]:
                    widths[i] = min(n, STR_MAX)
    types, codes, convert = [], [], []
    for i, var in enumerate(variables):
        if var.storage == NUMERIC:
            small = var.max_value is not None and var.max_value < FLOAT_EXACT and i not in doubles
            types.append(_FLOAT if small else _DOUBLE)
            codes.append("f" if small else "d")
            convert.append(_Numbers(i, codes[-1]).__getitem__)
        else:
            types.append(widths[i])
            codes.append(f"{widths[i]}s")
            convert.append(_encoder(widths[i]))
    row_struct = struct.Struct("<" + "".join(codes))
    k = len(variables)
    offsets: dict[str, int] = {}

    def tag(name: str) -> None:
        offsets[name] = fh.tell()

    tag("stata_data")
    fh.write(b"<stata_dta><header><release>118</release><byteorder>LSF</byteorder>")
    fh.write(b"<K>" + struct.pack("<H", k) + b"</K><N>" + struct.pack("<Q", len(rows)) + b"</N>")
    label = _cut(file_label, 320, LABEL_CHARS)
    fh.write(b"<label>" + struct.pack("<H", len(label)) + label + b"</label>")
    fh.write(b"<timestamp>" + struct.pack("<B", 0) + b"</timestamp></header>")
    tag("map")
    map_at = fh.tell()
    fh.write(b"<map>" + b"\0" * 8 * len(_SECTIONS) + b"</map>")
    labelled = {v.name: v for v in variables if v.storage == NUMERIC and (v.values or v.missing)}
    _section(fh, tag, "variable_types", b"".join(struct.pack("<H", t) for t in types))
    _section(fh, tag, "varnames", b"".join(_fixed(v.name, 129) for v in variables))
    _section(fh, tag, "sortlist", b"\0\0" * (k + 1))
    formats = [("%10.0g" if v.storage == NUMERIC else f"%-{min(widths[i], 99)}s") for i, v in enumerate(variables)]
    _section(fh, tag, "formats", b"".join(_fixed(f, 57) for f in formats))
    _section(fh, tag, "value_label_names",
             b"".join(_fixed(v.name if v.name in labelled else "", 129) for v in variables))
    _section(fh, tag, "variable_labels", b"".join(_fixed(v.label(lang), 321, LABEL_CHARS) for v in variables))
    _section(fh, tag, "characteristics", b"")
    tag("data")
    fh.write(b"<data>")
    pack = row_struct.pack
    chunk: list[bytes] = []
    for row in csv.reader(line.decode("utf-8") for line in rows):
        chunk.append(pack(*[f(t) for f, t in zip(convert, row)]))
        if len(chunk) >= 1000:
            fh.write(b"".join(chunk))
            chunk.clear()
    fh.write(b"".join(chunk) + b"</data>")
    _section(fh, tag, "strls", b"")
    tag("value_labels")
    fh.write(b"<value_labels>")
    missing_labels = _missing_texts(lang)
    for name, var in labelled.items():
        fh.write(_value_label(name, var, lang, missing_labels))
    fh.write(b"</value_labels>")
    tag("/stata_data")
    fh.write(b"</stata_dta>")
    tag("eof")
    end = fh.tell()
    fh.seek(map_at + len(b"<map>"))
    fh.write(b"".join(struct.pack("<Q", offsets[s]) for s in _SECTIONS))
    fh.seek(end)
    return len(rows)


def _encoder(width: int) -> Callable[[str], bytes]:
    def encode(text: str) -> bytes:
        data = text.encode("utf-8")
        return data if len(data) <= width else _cut(text, width)

    return encode


def _section(fh: IO[bytes], tag: Callable[[str], None], name: str, body: bytes) -> None:
    tag(name)
    fh.write(f"<{name}>".encode() + body + f"</{name}>".encode())


def _missing_texts(lang: str) -> dict[str, str]:
    from ..i18n import Translator

    t = Translator(lang)
    return {code: t(f"reports.export.label.{code}") for code in MISSING_VALUES}


def _value_label(name: str, var: Variable, lang: str, missing_labels: dict[str, str]) -> bytes:
    entries: list[tuple[int, bytes]] = [(int(v), _cut(text, 32000)) for v, text in var.value_labels(lang).items()
                                        if isinstance(v, int)]
    if var.missing:
        for code in MISSING_VALUES:
            letter = ord(STATA_MISSING[code]) - ord("a") + 1
            entries.append((_LONG_MISSING + letter, _cut(missing_labels[code], 32000)))
    entries.sort()
    offsets, text = [], b""
    for _value, label in entries:
        offsets.append(len(text))
        text += label + b"\0"
    table = struct.pack("<ii", len(entries), len(text))
    table += b"".join(struct.pack("<i", o) for o in offsets)
    table += b"".join(struct.pack("<i", v) for v, _label in entries)
    table += text
    return b"<lbl>" + struct.pack("<i", len(table)) + _fixed(name, 129) + b"\0\0\0" + table + b"</lbl>"
