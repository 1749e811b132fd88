"""Shared pieces of the reports: filters, typed errors, item ids, date helpers."""

from __future__ import annotations

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
BIRTH_REGION_ITEM = "SE.G.land"  # code list birth_region: Sverige, övriga Norden, övriga Europa, utanför Europa
PARENTS_BORN_ITEM = "SE.G.land_foraldrar"  # 0 both born in Sweden, 1 one parent, 2 both born abroad
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


def band_keys(bands: tuple[tuple[int, int | None], ...] = AGE_BANDS) -> list[str]:
    return [band_key(lo, hi) for lo, hi in bands]


def parse_age_group(text: str, bands: tuple[tuple[int, int | None], ...] = AGE_BANDS) -> tuple[str, ...]:
    """"25-34" -> ("25-34",); "18-24,25-34" -> both; "65+" -> ("65+",).

    Only the fixed age bands are accepted: two groups with arbitrary bounds
    (18-33 and 18-34) could be subtracted to describe the few clients between
    them. Anything else is refused, naming the bands."""
    keys = band_keys(bands)
    out: list[str] = []
    for part in (text or "").replace("–", "-").split(","):
        part = "".join(part.split())
        if part not in keys:
            raise ReportError("reports.error.group", value=(text or "")[:40], bands=", ".join(keys))
        if part not in out:
            out.append(part)
    return tuple(k for k in keys if k in out)


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
    `age_groups` (fixed age bands, none = all ages) and `gender` (a code of
    the gender list) select a group; `instrument` chooses the interviews of
    the group compilations ("grund",
    "uppfoljning" or None for both).
    """

    date_from: date | None = None
    date_to: date | None = None
    unit: str | None = None
    age_groups: tuple[str, ...] = ()
    gender: int | str | None = None
    instrument: str | None = "grund"
    age_bands: tuple[tuple[int, int | None], ...] = field(default=AGE_BANDS)
    unit_name: str | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ReportError("reports.error.period", start=self.date_from.isoformat(), end=self.date_to.isoformat())
        if self.instrument not in (None, *MAIN_INSTRUMENTS):
            raise ReportError("reports.error.instrument", value=self.instrument)
        keys = band_keys(self.age_bands)
        bad = [g for g in self.age_groups if g not in keys]
        if bad:
            raise ReportError("reports.error.group", value=str(bad[0])[:40], bands=", ".join(keys))

    def in_period(self, day: date | None) -> bool:
        if day is None:
            return self.date_from is None and self.date_to is None
        return (self.date_from is None or day >= self.date_from) and (self.date_to is None or day <= self.date_to)

    @property
    def has_group(self) -> bool:
        return bool(self.age_groups) or self.gender is not None

    def in_group(self, age: int | None, gender: object) -> bool:
        if self.age_groups and age_band(age, self.age_bands) not in self.age_groups:
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
            "age_groups": list(self.age_groups),
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
