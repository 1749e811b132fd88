"""Completed records -> compact rows for statistics.

One pass over `Session.read_bodies` (completed, non-practice records only):
each body is reduced at once to the few values the statistics need, so
10,000 records stay small in memory. No engine `Interview` is built; values
are decoded once and composite scores computed from the decoded answers.
Client references are not kept: the statistics never need them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..bank.loader import QuestionBank
from ..bank.model import version_key
from ..engine.values import MissingCode, decode
from ..scoring.composite import AREAS, INPUTS, composites
from ..store.errors import StoreError
from .common import (
    AGE_ITEM,
    DROPOUT_FOR,
    DROPOUT_INSTRUMENT_ITEM,
    DROPOUT_REASON_ITEM,
    GENDER_ITEM,
    HOUSING_ITEM,
    INCOME_ITEM,
    RATING_ITEMS,
    SUBSTANCE_ITEM,
)

if TYPE_CHECKING:
    from ..store import Session

Progress = Callable[[int, int], None]
_COMPOSITE_INPUTS = tuple(dict.fromkeys(i for area in AREAS for i in INPUTS[area]))


@dataclass(slots=True)
class Row:
    rid: str
    kind: str  # interview | dropout
    instrument: str  # grund | uppfoljning | spel | bortfall
    bank_id: str
    bank_version: str
    date: date | None
    linked_rid: str | None
    unit: str | None  # the record's unit id (`common.unit_of`)
    age: int | None
    gender: object  # code, or None for X/N/unanswered
    substance: object
    housing: object
    income: object
    ratings: dict[str, object] = field(default_factory=dict)  # area -> 0..9 | X | None
    client: dict[str, object] = field(default_factory=dict)  # client-rating item -> 0..4 | X
    comps: dict[str, float | None] = field(default_factory=dict)  # area -> composite score
    dropout_for: str | None = None  # dropouts: grund | uppfoljning
    reason: object = None  # dropouts: reason code


@dataclass
class Dataset:
    rows: list[Row]
    banks: dict[tuple[str, str], QuestionBank | None]
    damaged: int = 0

    @property
    def interviews(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "interview"]

    @property
    def dropouts(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "dropout"]

    def by_rid(self) -> dict[str, Row]:
        return {r.rid: r for r in self.rows}

    def client_rating_items(self) -> list[tuple[str, QuestionBank]]:
        """Client-rating item ids of the banks present, in bank order (Grund first)."""
        seen: dict[str, QuestionBank] = {}
        order = {"grund": 0, "uppfoljning": 1}
        banks = [b for b in self.banks.values() if b is not None and b.instrument in order]
        # Grund before Uppföljning; within one bank the newest version names the items
        newest_first = sorted(banks, key=lambda b: version_key(b.version), reverse=True)
        for b in sorted(newest_first, key=lambda b: order[b.instrument]):
            for item in b.items:
                if item.type == "client_rating" and item.id not in seen:
                    seen[item.id] = b
        return list(seen.items())


def _plain(v: object) -> object:
    """A decoded group value: the code, or None for X, N or no answer."""
    if v is None or isinstance(v, MissingCode):
        return None
    return v


def _value(answers: Mapping[str, Any], item_id: str) -> object:
    """The decoded answer (X/N as MissingCode), or None when not answered."""
    entry = answers.get(item_id)
    if entry is None:
        return None
    v = entry.get("v")
    return decode(v) if type(v) is dict else v


def _parse_date(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None


class BankCache:
    """Banks of the records, resolved once per (id, version) through the store's resolver."""

    def __init__(self, session: "Session | None") -> None:
        self.session = session
        self.banks: dict[tuple[str, str], QuestionBank | None] = {}
        self.client_items: dict[tuple[str, str], tuple[str, ...]] = {}

    def get(self, bank_id: str, version: str, sha256: str = "") -> QuestionBank | None:
        key = (bank_id, version)
        if key not in self.banks:
            bank: QuestionBank | None = None
            if self.session is not None:
                try:
                    bank = self.session.store.resolver(bank_id, version, sha256)
                except StoreError:
                    bank = None
            if bank is None:  # unknown or changed version: the newest bundled one still names the items
                from ..bank.registry import bundled_bank

                try:
                    bank = bundled_bank(bank_id)
                except KeyError:
                    bank = None
            self.banks[key] = bank
            self.client_items[key] = tuple(i.id for i in bank.items if i.type == "client_rating") if bank else ()
        return self.banks[key]


def row_from_body(body: Mapping[str, Any], banks: BankCache) -> Row | None:
    """The statistics row of one completed record (None for records not used)."""
    kind = body.get("kind")
    if kind not in ("interview", "dropout") or body.get("practice"):
        return None
    bank = body.get("bank") or {}
    bank_id, version = str(bank.get("id", "")), str(bank.get("version", ""))
    answers = body.get("answers") or {}
    meta = body.get("meta") or {}
    age = _plain(_value(answers, AGE_ITEM))
    unit = body.get("unit") if isinstance(body.get("unit"), str) else meta.get("unit")
    row = Row(
        rid=str(body.get("rid")),
        kind=str(kind),
        instrument=str(body.get("instrument")),
        bank_id=bank_id,
        bank_version=version,
        date=_parse_date(body.get("interview_date")),
        linked_rid=(body.get("linked") or {}).get("rid"),
        unit=unit if isinstance(unit, str) and unit else None,
        age=age if isinstance(age, int) and not isinstance(age, bool) else None,
        gender=_plain(_value(answers, GENDER_ITEM)),
        substance=_plain(_value(answers, SUBSTANCE_ITEM)),
        housing=_plain(_value(answers, HOUSING_ITEM)),
        income=_plain(_value(answers, INCOME_ITEM)),
    )
    if kind == "dropout":
        instr = _plain(_value(answers, DROPOUT_INSTRUMENT_ITEM))
        row.dropout_for = DROPOUT_FOR.get(instr) if isinstance(instr, int) else None
        row.reason = _plain(_value(answers, DROPOUT_REASON_ITEM))
        return row
    if row.instrument not in ("grund", "uppfoljning"):
        return row  # gambling module: counted, no background or ratings of its own here
    row.ratings = {area: _value(answers, item) for area, item in RATING_ITEMS.items()}
    banks.get(bank_id, version, str(bank.get("sha256", "")))
    for item in banks.client_items.get((bank_id, version), ()):
        v = _value(answers, item)
        if v is not None:
            row.client[item] = v
    decoded: dict[str, object] = {}
    for item in _COMPOSITE_INPUTS:
        entry = answers.get(item)
        if entry is not None:
            v = entry.get("v")
            decoded[item] = decode(v) if type(v) is dict else v
    row.comps = {area: c.score for area, c in composites(decoded).items()}
    return row


def load_dataset(session: "Session", progress: Progress | None = None) -> Dataset:
    """Every completed, non-practice record of the units this user's statistics
    cover (`Session.report_docs`: refused, and audited, for roles without
    statistics) as a statistics row (one pass)."""
    docs = session.report_docs("stats")
    total = sum(1 for d in docs if d.get("status") == "completed") if progress else 0
    banks = BankCache(session)
    damaged: list[str] = []
    rows: list[Row] = []
    done = 0
    for body in session.read_bodies(statuses=("completed",), include_practice=False, damaged=damaged, purpose="stats"):
        row = row_from_body(body, banks)
        if row is not None:
            rows.append(row)
        done += 1
        if progress and (done % 200 == 0 or done == total):
            progress(done, max(total, done))
    if progress:
        progress(max(total, done), max(total, done))
    return Dataset(rows, banks.banks, len(damaged))
