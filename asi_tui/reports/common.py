"""Shared pieces of the reports: filters, typed errors, item ids, date helpers."""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..store.errors import StoreError

# Background items shared by the Grund, Uppföljning and bortfall banks (same ids).
AGE_ITEM = "G16"
GENDER_ITEM = "G10"
SUBSTANCE_ITEM = "D14"
HOUSING_ITEM = "SE.G.boende"
INCOME_ITEM = "SE.E.huvudkalla"
UNIT_ITEM = "G3"  # the free-text unit of bank versions before 1.0.2 (`unit migrate` maps its spellings to units)
DROPOUT_INSTRUMENT_ITEM = "SE.B.instrument"  # 1 Grund, 2 Uppföljning
DROPOUT_REASON_ITEM = "SE.B.orsak"

# One interviewer rating per life area (family and social share F36).
RATING_ITEMS: dict[str, str] = {
    "medical": "M9",
    "employment": "E22",
    "alcohol": "D32",
    "drug": "D33",
    "legal": "L30",
    "family": "F36",
    "psych": "P21",
}

# Instruments whose interviews carry the background items and ratings.
MAIN_INSTRUMENTS = ("grund", "uppfoljning")
DROPOUT_FOR = {1: "grund", 2: "uppfoljning"}

# Default age bands (inclusive); an age outside them (under 18) gets its own row.
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((18, 24), (25, 34), (35, 44), (45, 54), (55, 64), (65, None))

MISSING = "missing"  # the category of X, N or no answer
SMALL_CELL = 5  # counts 1..4 are suppressed
SMALL_N = 10  # fewer than this: no conclusions


class ReportError(StoreError):
    """A user error in a report request (bad filter, unwritable file)."""

    key = "reports.error.generic"


def band_key(lo: int, hi: int | None) -> str:
    return f"{lo}-{hi}" if hi is not None else f"{lo}+"


def age_band(age: int | None, bands: tuple[tuple[int, int | None], ...] = AGE_BANDS) -> str:
    """The band key of an age ("25-34", "65+", "<18"), or MISSING."""
    if age is None:
        return MISSING
    for lo, hi in bands:
        if age >= lo and (hi is None or age <= hi):
            return band_key(lo, hi)
    return f"<{bands[0][0]}" if age < bands[0][0] else MISSING


_GROUP_RE = re.compile(r"^\s*(\d{1,3})?\s*[-–]\s*(\d{1,3})?\s*$|^\s*(\d{1,3})\s*\+\s*$")


def parse_age_group(text: str) -> tuple[int | None, int | None]:
    """"18-30" -> (18, 30); "50-" or "50+" -> (50, None); "-30" -> (None, 30)."""
    m = _GROUP_RE.match(text or "")
    if not m or not any(m.groups()):
        raise ReportError("reports.error.group", value=text)
    if m.group(3):
        return int(m.group(3)), None
    lo = int(m.group(1)) if m.group(1) else None
    hi = int(m.group(2)) if m.group(2) else None
    if lo is not None and hi is not None and lo > hi:
        raise ReportError("reports.error.group", value=text)
    return lo, hi


def normalize_unit(text: object) -> str | None:
    """A unit reference as compared: case and spaces ignored (unit ids are lower case)."""
    if not isinstance(text, str):
        return None
    norm = " ".join(text.split()).casefold()
    return norm or None


def unit_of(row: Any) -> str | None:
    """The unit id of a statistics row (`data.Row`), the one accessor the
    tables use; the unit's name comes from the vault (`Session.unit_names`)."""
    return getattr(row, "unit", None)


@dataclass(frozen=True)
class Filters:
    """Which interviews a report covers.

    `date_from`/`date_to` bound the interview (or registration) date, both
    inclusive; `unit` is a unit id (the record's unit; a front end resolves a
    name with `Session.find_unit`), `unit_name` only what the report shows;
    `age_min`/`age_max` (inclusive)
    and `gender` (a code of the gender list) select a group; `instrument`
    chooses the interviews of the group compilations ("grund",
    "uppfoljning" or None for both).
    """

    date_from: date | None = None
    date_to: date | None = None
    unit: str | None = None
    age_min: int | None = None
    age_max: int | None = None
    gender: int | str | None = None
    instrument: str | None = "grund"
    age_bands: tuple[tuple[int, int | None], ...] = field(default=AGE_BANDS)
    unit_name: str | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ReportError("reports.error.period", start=self.date_from.isoformat(), end=self.date_to.isoformat())
        if self.instrument not in (None, *MAIN_INSTRUMENTS):
            raise ReportError("reports.error.instrument", value=self.instrument)

    def in_period(self, day: date | None) -> bool:
        if day is None:
            return self.date_from is None and self.date_to is None
        return (self.date_from is None or day >= self.date_from) and (self.date_to is None or day <= self.date_to)

    @property
    def has_group(self) -> bool:
        return self.age_min is not None or self.age_max is not None or self.gender is not None

    def in_group(self, age: int | None, gender: object) -> bool:
        if self.age_min is not None or self.age_max is not None:
            if age is None:
                return False
            if self.age_min is not None and age < self.age_min:
                return False
            if self.age_max is not None and age > self.age_max:
                return False
        if self.gender is not None and gender != self.gender:
            return False
        return True

    def unit_matches(self, unit: str | None) -> bool:
        return self.unit is None or normalize_unit(self.unit) == unit

    def to_dict(self) -> dict[str, Any]:
        """For the audit log and `--format json` (no client data in here)."""
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "unit": self.unit,
            "age_min": self.age_min,
            "age_max": self.age_max,
            "gender": self.gender,
            "instrument": self.instrument,
        }


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def months_between(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (negative if end is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    elif months < 0 and add_months(start, months) < end:
        months += 1
    return months
