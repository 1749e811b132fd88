"""Pydantic schema of a question bank.

A bank is a plain data description; the loader (`loader.py`) parses it from
YAML, resolves shared code lists and compiles every expression once.  Nothing
here knows about the interview state.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ITEM_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$")


def version_key(version: str) -> tuple[Any, ...]:
    """Semantic-version order: 1.2.0-rc.1 < 1.2.0 < 1.10.0 (the one sort key for bank versions)."""
    core, _, pre = version.partition("-")
    try:
        nums = tuple(int(p) for p in core.split("."))
    except ValueError:
        nums = (0,)
    return (nums, 0 if pre else 1, pre)


ItemType = Literal[
    "count",  # integer >= 0 (times, months, years ...; see `unit`)
    "days",  # integer days, 0..30 unless a range says otherwise; bounded by the window
    "money",  # integer SEK >= 0
    "years_months",  # a duration; stored as total months
    "yes_no",  # 0 = no, 1 = yes
    "single",  # one code of a code list
    "multi",  # a set of codes of a code list
    "date",  # ISO date
    "text",  # free text (a "specify" answer); required like any item
    "comment",  # the per-section comment; optional, never required
    "client_rating",  # 0..4
    "interviewer_rating",  # 0..9, set after the interview
]
Timeframe = Literal["lifetime", "3y", "6m", "30d", "since_last", "current"]
MissingCode = Literal["X", "N"]
Instrument = Literal["grund", "uppfoljning", "spel", "bortfall"]
Variant = Literal["grund", "uppfoljning"]
Area = Literal[
    "background", "medical", "employment", "alcohol", "drug", "legal", "family", "psych", "gambling"
]
Unit = Literal["times", "days", "months", "years", "sek", "people"]
WindowBound = Literal["hard", "soft"]

CodeValue = Union[int, str]

# Default value ranges per numeric type; a bank may narrow or widen them with `range`.
DEFAULT_RANGES: dict[str, tuple[int, int]] = {
    "count": (0, 99),
    "days": (0, 30),
    "money": (0, 9_999_999),
    "years_months": (0, 120 * 12),
}
# Types whose codes come from a fixed built-in code list unless the item names another.
DEFAULT_CODELISTS: dict[str, str] = {
    "yes_no": "yes_no",
    "client_rating": "client_rating",
    "interviewer_rating": "interviewer_rating",
}
NUMERIC_TYPES = frozenset({"count", "days", "money", "years_months"})
CODED_TYPES = frozenset({"yes_no", "single", "multi", "client_rating", "interviewer_rating"})
TEXT_TYPES = frozenset({"text", "comment"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Strict):
    """A text in both UI languages."""

    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.sv


class Code(_Strict):
    code: CodeValue
    label: Text
    help: Text | None = None


class CodeList(_Strict):
    id: str
    label: Text
    codes: list[Code] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> "CodeList":
        seen: set[CodeValue] = set()
        for c in self.codes:
            if c.code in seen:
                raise ValueError(f"duplicate code {c.code!r}")
            seen.add(c.code)
        return self

    def label_of(self, code: CodeValue) -> Text | None:
        for c in self.codes:
            if c.code == code:
                return c.label
        return None

    @property
    def values(self) -> tuple[CodeValue, ...]:
        return tuple(c.code for c in self.codes)


class Check(_Strict):
    expr: str = Field(min_length=1)
    severity: Literal["soft", "hard"]
    message: str = Field(min_length=1, description="message key in the bank's messages or locales/")


class Alert(_Strict):
    """A safety alert raised at once when `when` becomes true (e.g. suicide risk)."""

    when: str = Field(min_length=1)
    message: str = Field(min_length=1)


class Item(_Strict):
    id: str
    sv_code: str | None = None
    label: Text
    help: Text | None = None
    type: ItemType
    range: tuple[int, int] | None = None
    codes: str | list[Code] | None = None
    timeframe: Timeframe | None = None
    missing: list[MissingCode] = Field(default_factory=lambda: ["X"])
    critical: bool = False
    relevant: str | None = None
    checks: list[Check] = Field(default_factory=list)
    alerts: list[Alert] = Field(default_factory=list)
    unit: Unit | None = None
    bound_by: str | None = Field(
        default=None,
        description="id of the same measure over a wider window; this value may not exceed it",
    )
    pattern: str | None = Field(default=None, description="regular expression a text answer must match")
    window_bound: WindowBound | None = Field(
        default=None,
        description="a `since_last` number against the time since the last interview: "
        "hard = may not exceed it, soft = warn when it does (engine/timeframe.py `since_last_limit`)",
    )
    valid_codes: str | None = Field(
        default=None,
        description="text items: the answer must be a code of this shared code list, or its first digits "
        "(a group above it in a hierarchical classification such as SSYK)",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_missing(cls, data: object) -> object:
        # X is allowed by default, except where no missing code makes sense
        if isinstance(data, dict) and "missing" not in data:
            no_codes = data.get("type") in ("interviewer_rating", "comment")
            data = {**data, "missing": [] if no_codes else ["X"]}
        return data

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not ITEM_ID_RE.match(v):
            raise ValueError(f"item id {v!r} must look like M1, D3a or SE.G.boende")
        return v

    @field_validator("missing")
    @classmethod
    def _missing_unique(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("missing codes listed twice")
        return v

    @model_validator(mode="after")
    def _type_rules(self) -> "Item":
        if self.range is not None:
            lo, hi = self.range
            if lo > hi:
                raise ValueError(f"range min {lo} is greater than max {hi}")
            if self.type not in NUMERIC_TYPES:
                raise ValueError(f"a range is only allowed on numeric types, not {self.type}")
            if lo < 0:
                raise ValueError("ranges start at 0 or above")
        if self.type in ("single", "multi") and self.codes is None:
            raise ValueError(f"a {self.type} item needs codes (a code list name or a list)")
        if self.codes is not None and self.type not in CODED_TYPES:
            raise ValueError(f"codes are only allowed on coded types, not {self.type}")
        if self.pattern is not None:
            if self.type != "text":
                raise ValueError("a pattern is only allowed on text items")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from None
        if self.type in ("comment", "interviewer_rating") and self.relevant:
            raise ValueError(f"a {self.type} item is always shown; it cannot have `relevant`")
        if self.window_bound is not None and (self.timeframe != "since_last" or self.type not in NUMERIC_TYPES - {"money"}):
            raise ValueError("window_bound is only for numbers (not money) with the time frame since_last")
        if self.valid_codes is not None and self.type != "text":
            raise ValueError("valid_codes is only allowed on text items")
        return self

    @property
    def value_range(self) -> tuple[int, int] | None:
        if self.type in NUMERIC_TYPES:
            return self.range or DEFAULT_RANGES[self.type]
        return None


class Section(_Strict):
    id: str
    area: Area
    title: Text
    help: Text | None = None
    items: list[Item] = Field(min_length=1)


class Bank(_Strict):
    id: str
    version: str
    instrument: Instrument
    variant: Variant | None = None
    title: Text
    description: Text | None = None
    age_item: str | None = Field(default=None, description="item holding the client's age in years")
    partial_when: str | None = Field(
        default=None,
        description="expression; when true the interview was broken off and may be completed with gaps",
    )
    codelists: list[CodeList] = Field(default_factory=list, description="bank-local code lists")
    messages: dict[str, Text] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _semver(cls, v: str) -> str:
        if not SEMVER_RE.match(v):
            raise ValueError(f"version {v!r} is not a semantic version like 1.2.0")
        return v

    @model_validator(mode="after")
    def _variant(self) -> "Bank":
        if self.instrument == "spel" and self.variant is None:
            raise ValueError("a spel bank needs `variant: grund` or `variant: uppfoljning`")
        if self.instrument != "spel" and self.variant not in (None, self.instrument):
            raise ValueError(f"variant {self.variant} does not fit instrument {self.instrument}")
        return self

    @property
    def is_followup(self) -> bool:
        return (self.variant or self.instrument) == "uppfoljning"
