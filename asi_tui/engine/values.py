"""Answer values: the ASI missing codes and parsing of raw input per item type."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from ..bank.missing import N, X, MissingCode  # noqa: F401 - defined with the bank format; callers import them here
from ..bank.model import CodeList, Item
from .limits import text_limit


def is_code(value: object) -> bool:
    return isinstance(value, MissingCode)


@dataclass
class Invalid(Exception):
    """Raw input that does not fit the item: `key` is a locale message key."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.key


# A duration typed with its units: "3 år 6 mån", "3å6m", "3y 6m", "3 years", "6 mån".
_YM_WORDS_RE = re.compile(
    r"^\s*(?:(\d+)\s*(?:år|å|years?|yrs?|y)\.?\s*)?(?:(?:och|and|,)\s*)?(?:(\d+)\s*(?:månader|månad|mån|months?|mo|m)\.?\s*)?$",
    re.IGNORECASE,
)
_YM_COLON_RE = re.compile(r"^\s*(\d+)\s*[:/ ]\s*(\d+)\s*$")

# How a bare number ("12") is read for a years:months item:
YM_BARE_MONTHS = "months"  # answers files (README: `18 (months)`), YAML integers, the CLI
YM_BARE_REFUSED = "refuse"  # typed in the interview: "12" could mean 12 years or 12 months

def to_int(raw: object) -> int:
    if isinstance(raw, bool):
        raise Invalid("engine.invalid.not_a_number")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and re.fullmatch(r"\s*\d+\s*", raw):
        return int(raw)
    raise Invalid("engine.invalid.not_a_number")


def parse_years_months(raw: object, bare: str = YM_BARE_MONTHS) -> int:
    """A duration as total months from "3:06", "3 år 6 mån", "3y6m", "3å", "6m" or {years, months}.

    A bare number (42, "42") is months in answers files, the format's
    documented meaning, which `YM_BARE_MONTHS` keeps for every import. Typed
    in the interview a bare number is ambiguous (12 years of school stored
    as 1 year): with `YM_BARE_REFUSED` it is refused with a hint that shows
    both readings.
    """
    if isinstance(raw, dict):
        extra = set(raw) - {"years", "months"}
        if extra or not raw:
            raise Invalid("engine.invalid.bad_years_months")
        years = to_int(raw.get("years", 0))
        months = to_int(raw.get("months", 0))
        if months > 11 and "years" in raw:
            raise Invalid("engine.invalid.months_over_11")
        return years * 12 + months
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if bare == YM_BARE_REFUSED:
            raise Invalid("engine.invalid.years_months_bare", {"n": to_int(raw)})
        return to_int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if re.fullmatch(r"\d+", text):
            if bare == YM_BARE_REFUSED:
                raise Invalid("engine.invalid.years_months_bare", {"n": int(text)})
            return int(text)
        m = _YM_COLON_RE.match(text)
        if m:
            years, months = int(m.group(1)), int(m.group(2))
            if months > 11:
                raise Invalid("engine.invalid.months_over_11")
            return years * 12 + months
        m = _YM_WORDS_RE.match(text)
        if m and (m.group(1) or m.group(2)):
            years, months = int(m.group(1) or 0), int(m.group(2) or 0)
            if m.group(1) and months > 11:
                raise Invalid("engine.invalid.months_over_11")
            return years * 12 + months
    raise Invalid("engine.invalid.bad_years_months")


def format_years_months(months: int) -> str:
    return f"{months // 12}:{months % 12:02d}"


_TIME_RE = re.compile(r"^\s*(\d{1,2})\s*[:.]?\s*(\d{2})\s*$")


def parse_time(raw: object) -> str:
    """A clock time, 24-hour, as "HH:MM" from "9:30", "09:30", "09.30" or "0930"."""
    m = _TIME_RE.match(raw) if isinstance(raw, str) else None
    if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise Invalid("engine.invalid.bad_time")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def is_time_item(item: Item) -> bool:
    """A text item whose pattern (the bank's declaration) accepts exactly 24-hour clock times."""
    return item.type == "text" and bool(item.pattern) and _is_time_pattern(item.pattern or "")


@lru_cache(maxsize=64)
def _is_time_pattern(pattern: str) -> bool:
    fits = [bool(re.fullmatch(pattern, s)) for s in ("00:00", "09:30", "23:59", "24:00", "9:30", "0930")]
    return fits == [True, True, True, False, False, False]


def parse_code(raw: object, codes: CodeList) -> int | str:
    values = codes.values
    if isinstance(raw, bool):
        raw = int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if re.fullmatch(r"-?\d+", text) and int(text) in values:
            return int(text)
        if text in values:
            return text
    elif isinstance(raw, int) and raw in values:
        return raw
    raise Invalid("engine.invalid.not_a_code", {"codes": ", ".join(map(str, values))})


def parse_multi(raw: object, codes: CodeList) -> list[int | str]:
    if isinstance(raw, str):
        parts = [p for p in re.split(r"[,\s]+", raw.strip()) if p]
    elif isinstance(raw, (list, tuple)):
        parts = list(raw)
    else:
        parts = [raw]
    chosen = {parse_code(p, codes) for p in parts}
    order = {v: i for i, v in enumerate(codes.values)}
    return sorted(chosen, key=lambda v: order[v])


def parse_date(raw: object) -> date:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise Invalid("engine.invalid.bad_date")


def check_length(item: Item, raw: object) -> None:
    """Refuse raw input longer than items of its type take (`limits.text_limit`):
    one long answer must not make a record slow or impossible to open."""
    if isinstance(raw, str) and len(raw) > (limit := text_limit(item.type)) and len(raw.strip()) > limit:
        raise Invalid("engine.invalid.too_long", {"max": limit})


def parse_missing(raw: object, item: Item, partial: bool = False) -> MissingCode | None:
    """X or N when the raw input is one of them; raises if the item forbids it.

    Interviewer ratings never take missing codes, except X when the interview
    was broken off (`partial`) and an area could not be rated.
    """
    if isinstance(raw, MissingCode):
        code = raw.code
    elif isinstance(raw, str) and raw.strip().upper() in ("X", "N") and item.type != "comment":
        code = raw.strip().upper()
    else:
        return None
    if item.type == "interviewer_rating":
        allowed = code == "X" and partial
    else:
        allowed = code in item.missing
    if not allowed:
        raise Invalid("engine.invalid.missing_not_allowed", {"code": code})
    return MissingCode(code)


def encode(value: object) -> object:
    """JSON-safe form of a stored value (the journal/record and `--json` output)."""
    if isinstance(value, MissingCode):
        return {"code": value.code}
    if isinstance(value, date):
        return value.isoformat()
    return value


def decode(value: object) -> object:
    if isinstance(value, dict) and set(value) == {"code"} and value["code"] in ("X", "N"):
        return MissingCode(value["code"])
    return value
