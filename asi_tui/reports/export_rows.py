"""Answers -> the text cells of one export row.

Numbers are written as they are, X and N as -9 and -8 (`MISSING_VALUES`),
no answer as an empty cell. A multi-choice item fills its 0/1 columns (all
-9 or -8 for X or N); an item with text codes gets the code's number; a date
is cut to year and month unless full dates are asked for. A value that fits
none of these (a damaged entry) is left empty and counted in `dropped`.

Every cell is plain text without commas or quotes, so a row is one
`",".join(...)`: a multi-choice item's cell already holds its k columns.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Callable, Mapping

from ..bank.missing import MissingCode
from .codebook import MISSING_VALUES, Variable

_MISSING_TEXT = {code: str(number) for code, number in MISSING_VALUES.items()}
_NONE: dict[str, Any] = {"v": None}
_NO_ITEM = "\x00"  # not an item id (ids start with a letter)
_DATE_RE = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def missing_code(v: object) -> str | None:
    """"X" or "N" for a missing code, stored ({"code": "X"}) or decoded; else None."""
    if isinstance(v, MissingCode):
        return v.code
    if type(v) is dict and len(v) == 1 and v.get("code") in _MISSING_TEXT:
        return str(v["code"])
    return None


def _empty_or_missing(v: object) -> str | None:
    """The cell of no answer ("") or of X/N ("-9"/"-8"); None for a real value."""
    if v is None:
        return ""
    code = missing_code(v)
    return _MISSING_TEXT[code] if code is not None else None


class RowEncoder:
    def __init__(self, items: list[Variable], full_dates: bool) -> None:
        self.ids: list[str] = []  # one slot per item; a multi item's dummies share one slot
        self.special: list[tuple[int, Callable[[object], str]]] = []
        self.full_dates = full_dates
        self.dropped = 0
        dummies: dict[str, list[object]] = {}
        self.plain_ids: list[str] = []  # `ids` with the special slots as an id no answer has
        for var in items:
            if var.kind == "dummy":
                if var.item not in dummies:
                    dummies[var.item] = []
                    self.special.append((len(self.ids), self._multi(dummies[var.item])))
                    self.ids.append(var.item)
                dummies[var.item].append(var.code)
                continue
            if var.type == "date":
                self.special.append((len(self.ids), self._date))
            elif var.type == "single_text":
                self.special.append((len(self.ids), self._numbered({v.code: str(v.value) for v in var.values})))
            self.ids.append(var.item)
        specials = {slot for slot, _fn in self.special}
        self.plain_ids = [_NO_ITEM if slot in specials else i for slot, i in enumerate(self.ids)]

    # ------------------------------------------------------------------ entry points

    def stored(self, answers: Mapping[str, Any]) -> list[str]:
        """Cells from a record's stored answers ({"v": encoded value} per item)."""
        get, plain = answers.get, self._plain
        try:  # kept fast: one comprehension, 50,000 rows x 280 items; the few special cells after it
            out = [str(v) if type(v := get(i, _NONE)["v"]) is int else "" if v is None else plain(v)
                   for i in self.plain_ids]
        except (KeyError, TypeError):  # a malformed entry: the careful way
            return self._cells([e.get("v") if isinstance(e, dict) else None for e in map(get, self.ids)])
        for slot, fn in self.special:
            entry = get(self.ids[slot])
            out[slot] = fn(entry.get("v") if isinstance(entry, dict) else None)
        return out

    def decoded(self, answers: Mapping[str, Any]) -> list[str]:
        """Cells from decoded answers (X/N as MissingCode, dates as date), e.g. after migration."""
        return self._cells([answers.get(i) for i in self.ids])

    def _cells(self, values: list[object]) -> list[str]:
        plain = self._plain
        special = [(slot, fn, values[slot]) for slot, fn in self.special]
        for slot, _fn in self.special:
            values[slot] = None  # (a fresh list) the special cells are made below
        out = [str(v) if type(v) is int else "" if v is None else plain(v) for v in values]
        for slot, fn, v in special:
            out[slot] = fn(v)
        return out

    # ------------------------------------------------------------------ per kind of value

    def _plain(self, v: object) -> str:
        if v is None:
            return ""
        code = missing_code(v)
        if code is not None:
            return _MISSING_TEXT[code]
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        self.dropped += 1
        return ""

    def _date(self, v: object) -> str:
        done = _empty_or_missing(v)
        if done is not None:
            return done
        text = v.isoformat() if isinstance(v, date) else v
        if isinstance(text, str) and _DATE_RE.match(text):
            return text if self.full_dates else text[:7]
        self.dropped += 1
        return ""

    def _numbered(self, numbers: dict[object, str]) -> Callable[[object], str]:
        def cell(v: object) -> str:
            done = _empty_or_missing(v)
            if done is not None:
                return done
            if isinstance(v, (int, str)) and not isinstance(v, bool) and v in numbers:
                return numbers[v]
            self.dropped += 1
            return ""

        return cell

    def _multi(self, codes: list[object]) -> Callable[[object], str]:
        def cell(v: object) -> str:
            k = len(codes)
            if v is None:
                return "," * (k - 1)
            code = missing_code(v)
            if code is not None:
                return ",".join([_MISSING_TEXT[code]] * k)
            if not isinstance(v, list):
                self.dropped += 1
                return "," * (k - 1)
            chosen = {c for c in v if isinstance(c, (int, str)) and not isinstance(c, bool)}
            if not chosen <= set(codes):
                self.dropped += 1
            return ",".join("1" if c in chosen else "0" for c in codes)

        return cell


def quote(text: str) -> str:
    """One CSV cell (RFC 4180 quoting) for text that may hold commas, quotes or newlines."""
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text
