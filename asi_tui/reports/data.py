"""Completed records -> compact rows for statistics.

One pass over `Session.read_bodies` (completed, non-practice records only):
each body is reduced at once to the few values the statistics need, so
10,000 records stay small in memory. No engine `Interview` is built; values
are decoded once and composite scores computed from the decoded answers.
Client references are not kept: a keyed hash of each (`client_key`, with a
random key per load, never shown or stored) lets the follow-up tables tie a
follow-up dropout to its client's Grund.

Records of an older bank version are moved along the published migration
maps first (`reports.migrate.AnswerMigration`, the same path the export
takes), so that statistics and exports count the same codes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..bank.loader import QuestionBank
from ..bank.model import version_key
from ..engine.values import MissingCode, decode
from ..scoring.composite import AREAS, INPUTS, composites
from ..store.errors import StoreError
from .common import (
    AGE_ITEM,
    BIRTH_REGION_ITEM,
    DROPOUT_FOR,
    DROPOUT_INSTRUMENT_ITEM,
    DROPOUT_REASON_ITEM,
    GENDER_ITEM,
    HOUSING_ITEM,
    INCOME_ITEM,
    PARENTS_BORN_ITEM,
    RATING_ITEMS,
    SUBSTANCE_ITEM,
)
from .migrate import AnswerMigration, Migrate, published_migrator

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
    birth_region: object = None  # SE.G.land (Grund only)
    parents_born: object = None  # SE.G.land_foraldrar (Grund only)
    interviewer: str | None = None  # user id; only the admins' quality tables show it
    client_key: str | None = None  # keyed hash of the client reference, never shown
    x_answers: int = 0  # quality tables: answers coded X ...
    answered: int = 0  # ... of all answers (both counted only when asked for)


@dataclass
class Dataset:
    rows: list[Row]
    banks: dict[tuple[str, str], QuestionBank | None]
    damaged: int = 0
    unmapped: set[tuple[str, str]] = field(default_factory=set)  # versions no map chain reaches
    unit_names: dict[str, str] = field(default_factory=dict)  # unit id -> name, from the vault
    # selections made by the table builders (filters, instruments, kind) -> rows; never stale, the rows never change
    selections: dict[tuple[Any, ...], list[Row]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def interviews(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "interview"]

    @property
    def dropouts(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "dropout"]

    def by_rid(self) -> dict[str, Row]:
        return {r.rid: r for r in self.rows}

    def client_rating_items(self, instruments: Iterable[str] = ("grund", "uppfoljning")) -> list[tuple[str, QuestionBank]]:
        """Client-rating item ids the banks of `instruments` ask, in bank order
        (Grund first; within one instrument the newest version names the item).

        An item both instruments share (M7, M8, E20 ... P14) belongs to each of
        them: with only Uppföljning chosen it is listed under that bank."""
        seen: dict[str, QuestionBank] = {}
        order = {"grund": 0, "uppfoljning": 1}
        wanted = set(instruments)
        banks = [b for b in self.banks.values() if b is not None and b.instrument in order and b.instrument in wanted]
        newest_first = sorted(banks, key=lambda b: version_key(b.version), reverse=True)
        for b in sorted(newest_first, key=lambda b: order[b.instrument]):
            for item in b.items:
                if item.type == "client_rating" and item.id not in seen:
                    seen[item.id] = b
        return list(seen.items())

    def newest_bank(self, instrument: str) -> QuestionBank | None:
        """The newest version present of an instrument's bank (its codes label the tables)."""
        banks = [b for b in self.banks.values() if b is not None and b.instrument == instrument]
        return max(banks, key=lambda b: version_key(b.version), default=None)


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


class ClientKeys:
    """Keyed hashes of client references: equal within one load, meaningless outside it."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __call__(self, ref: object) -> str | None:
        if not isinstance(ref, str) or not ref.strip():
            return None
        return hmac.new(self._key, ref.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def _count_x(answers: Mapping[str, Any]) -> tuple[int, int]:
    """(answers coded X, answers given) of one record, for the quality tables."""
    x = n = 0
    for entry in answers.values():
        v = entry.get("v") if type(entry) is dict else None
        if v is None:
            continue
        n += 1
        if type(v) is dict and v.get("code") == "X":
            x += 1
    return x, n


def row_from_body(body: Mapping[str, Any], banks: BankCache, migration: AnswerMigration | None = None,
                  client_keys: ClientKeys | None = None, quality: bool = False) -> Row | None:
    """The statistics row of one completed record (None for records not used)."""
    kind = body.get("kind")
    if kind not in ("interview", "dropout") or body.get("practice"):
        return None
    bank = body.get("bank") or {}
    bank_id, version = str(bank.get("id", "")), str(bank.get("version", ""))
    answers = body.get("answers") or {}
    items_version = version
    if migration is not None and migration.applies(bank_id, version):
        answers = migration(bank_id, version, answers)
        items_version = migration.newest.get(bank_id, version)
    meta = body.get("meta") or {}
    get = answers.get

    def plain(item_id: str) -> object:  # the code, or None for X, N or no answer (inlined: 50,000 records x ~35 items)
        entry = get(item_id)
        v = entry.get("v") if entry is not None else None
        return None if v is None or type(v) is dict or isinstance(v, MissingCode) else v

    age = plain(AGE_ITEM)
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
        gender=plain(GENDER_ITEM),
        substance=plain(SUBSTANCE_ITEM),
        housing=plain(HOUSING_ITEM),
        income=plain(INCOME_ITEM),
        interviewer=str(body["interviewer"]) if body.get("interviewer") else None,
        client_key=client_keys(body.get("client_ref")) if client_keys is not None else None,
    )
    if quality:
        row.x_answers, row.answered = _count_x(answers)
    if kind == "dropout":
        instr = plain(DROPOUT_INSTRUMENT_ITEM)
        row.dropout_for = DROPOUT_FOR.get(instr) if isinstance(instr, int) else None
        row.reason = plain(DROPOUT_REASON_ITEM)
        return row
    if row.instrument not in ("grund", "uppfoljning"):
        return row  # gambling module: counted, no background or ratings of its own here
    row.birth_region = plain(BIRTH_REGION_ITEM)
    row.parents_born = plain(PARENTS_BORN_ITEM)
    row.ratings = {area: _value(answers, item) for area, item in RATING_ITEMS.items()}
    key = (bank_id, items_version)
    if (bank_id, version) not in banks.banks:
        banks.get(bank_id, version, str(bank.get("sha256", "")))
    if key not in banks.client_items:
        banks.get(bank_id, items_version)
    client = row.client
    for item in banks.client_items.get(key, ()):
        entry = get(item)
        if entry is not None:
            v = entry.get("v")
            if v is not None:
                client[item] = decode(v) if type(v) is dict else v
    decoded: dict[str, object] = {}
    for item in _COMPOSITE_INPUTS:
        entry = get(item)
        if entry is not None:
            v = entry.get("v")
            decoded[item] = decode(v) if type(v) is dict else v
    row.comps = {area: c.score for area, c in composites(decoded).items()}
    return row


_PUBLISHED = object()


def load_dataset(session: "Session", progress: Progress | None = None, migrate: Migrate | None | object = _PUBLISHED,
                 quality: bool = False) -> Dataset:
    """Every completed, non-practice record of the units this user's statistics
    cover (`Session.report_docs`: refused, and audited, for roles without
    statistics) as a statistics row (one pass).

    `migrate` defaults to the data directory's published migration maps (as
    `export` uses them); None reads every record under its own version's ids.
    `quality` also counts each record's X answers (the admins' quality tables).
    """
    docs = [d for d in session.report_docs("stats") if d.get("status") == "completed" and not d.get("practice")]
    total = len(docs)
    if migrate is _PUBLISHED:
        migrate = published_migrator(session)
    present = {(str(d.get("bank_id")), str(d.get("bank_version"))) for d in docs}
    migration = AnswerMigration(migrate, sorted(present))  # type: ignore[arg-type]
    banks = BankCache(session)
    keys = ClientKeys()
    damaged: list[str] = []
    rows: list[Row] = []
    done = 0
    for body in session.read_bodies(statuses=("completed",), include_practice=False, damaged=damaged, purpose="stats"):
        row = row_from_body(body, banks, migration, keys, quality)
        if row is not None:
            rows.append(row)
        done += 1
        if progress and (done % 200 == 0 or done == total):
            progress(done, max(total, done))
    if progress:
        progress(max(total, done), max(total, done))
    for bank_id, version in migration.newest.items():  # the versions the tables are labelled by
        banks.get(bank_id, version)
    return Dataset(rows, banks.banks, len(damaged), migration.unmapped, unit_names=session.unit_names())
