"""Bulk import: many interviews (e.g. coded on paper) under one unlocked session.

`BulkImporter.prepare` validates one interview completely without writing
anything: the bank (bundled or published, not retired), the client
reference, the unit (the user's access), duplicates (the same client, bank
and date earlier in the batch or already in the store), the chain rules of
a follow-up, and every answer through the engine in the bank's order, as an
interviewer meets them. An answer the engine rejects, an unknown item or a
value for an item the skip rules hide (other than N, which the engine
records there anyway) refuses the whole interview (`ImportRefused`).

`BulkImporter.write` then stores it in one step instead of one fsynced
journal frame per answer: the record's final snapshot (every answer, its
status paused or completed) is written under a fresh record id with the
store's atomic write (temp file, fsync, rename, directory fsync), then the
index document and the audit entries are appended. A crash leaves either no
record file (the temp file is swept) or a complete one; a failure after
the rename removes the record again (index entry, snapshot, lock file), so
nothing half-imported stays visible. The one window left: killed between
the rename and the index append, the record is complete on disk but not yet
listed, until `asi-tui index rebuild` (docs/import.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..bank.loader import QuestionBank
from ..engine.interview import COMPLETED, IN_PROGRESS, CompletionRefused, EngineError, Interview
from ..engine.limits import check_ref, same_client_key
from ..engine.values import MissingCode, encode
from . import access, chain, clock, faults
from . import crypto as C
from .access import PRACTICE_UNIT
from .bank_versions import BankVersions
from .errors import NoUnitKey, StoreError
from .fsutil import io_error
from .handle import PAUSED, WITHDRAWN
from .index import index_doc
from .locks import RecordLock
from .recordops import RESPONSIBLE
from .records import Snapshot, new_header, write_snapshot


class ImportRefused(StoreError):
    """An interview that cannot be imported: `key` says why; for answers,
    `problems` lists (item id, message key, params) in bank order."""

    def __init__(self, key: str, problems: list[tuple[str, str, dict[str, Any]]] | None = None, **params: Any) -> None:
        super().__init__(key, **params)
        self.problems = problems or []


@dataclass
class BulkSpec:
    """One interview as the batch gives it (answers raw, as in an answers file)."""

    bank: QuestionBank
    client_ref: str
    interview_date: date
    answers: dict[str, Any]
    unit: str | None = None
    linked: str | None = None
    complete: bool = False
    practice: bool = False
    reactualisation: bool = False


@dataclass
class Prepared:
    """A validated interview, ready to write."""

    spec: BulkSpec
    client_ref: str
    unit_id: str
    link: dict[str, Any] | None
    meta: dict[str, Any]
    interview: Interview
    completed: bool
    missing: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


class BulkImporter:
    """Validates and writes the interviews of one batch for one session."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._seen: dict[tuple[str, str, str, bool], str] = {}
        self._units: dict[str | None, str | StoreError] = {}
        self._banks: dict[tuple[str, str, str], StoreError | None] = {}
        self._practice: StoreError | None | bool = False

    # -------------------------------------------------------------- checks (cached: one refusal audited once)

    def _check_bank(self, bank: QuestionBank) -> None:
        ref = (bank.id, bank.version, bank.sha256)
        if ref not in self._banks:
            try:
                self.session.store.resolver(*ref)  # a record must be reopenable: bundled or published only
                BankVersions.for_store(self.session.store).check_new_interview(bank)
                self._banks[ref] = None
            except StoreError as exc:
                self._banks[ref] = exc
        failure = self._banks[ref]
        if failure is not None:
            raise failure

    def _unit(self, spec: BulkSpec) -> str:
        if spec.practice:
            if self._practice is False:
                try:
                    self.session.require("practice", PRACTICE_UNIT, own=True)
                    self._practice = None
                except StoreError as exc:
                    self._practice = exc
            if isinstance(self._practice, StoreError):
                raise self._practice
            return PRACTICE_UNIT
        if spec.unit not in self._units:
            try:
                self._units[spec.unit] = self.session.choose_unit(spec.unit)
            except StoreError as exc:
                self._units[spec.unit] = exc
        found = self._units[spec.unit]
        if isinstance(found, StoreError):
            raise found
        return found

    def _duplicate(self, spec: BulkSpec, client_ref: str) -> tuple[str, str, str, bool]:
        day = spec.interview_date.isoformat()
        key = (same_client_key(client_ref), spec.bank.id, day, spec.practice)
        if key in self._seen:
            raise ImportRefused("store.bulk.duplicate_batch", first=self._seen[key])
        for doc in self.session.client_records(client_ref):
            if (doc.get("bank_id") == spec.bank.id and doc.get("interview_date") == day
                    and bool(doc.get("practice")) == spec.practice and doc.get("status") != WITHDRAWN):
                raise ImportRefused("store.bulk.duplicate_store", rid=doc.get("rid"))
        return key

    def _link(self, spec: BulkSpec, client_ref: str) -> dict[str, Any] | None:
        if spec.linked:
            return {"rid": check_ref(spec.linked, "record_id")}
        bank = spec.bank
        if not bank.is_followup or spec.practice:
            return None
        doc = chain.default_link(self.session.client_records(client_ref), client_ref, spec.interview_date,
                                 chain.linkable_for(bank.instrument))
        return {"rid": doc["rid"]} if doc else None  # no link: check_link says why a follow-up needs one

    # -------------------------------------------------------------- validation

    def prepare(self, spec: BulkSpec, source: str) -> Prepared:
        """Validate `spec` completely; raises ImportRefused, a StoreError or an
        EngineError (each with a message key). Nothing is written, except the
        audit entry of a refused unit or role."""
        bank = spec.bank
        self._check_bank(bank)
        client_ref = check_ref(spec.client_ref)
        unit_id = self._unit(spec)
        dup = self._duplicate(spec, client_ref)
        meta: dict[str, Any] = {chain.REACTUALISATION: True} if spec.reactualisation else {}
        if (bank.instrument == "grund" and not spec.practice
                and access.rule(self.session.user, "record.responsible").allowed):
            meta[RESPONSIBLE] = self.session.user.id
        link, notices = self.session.check_link(bank, self._link(spec, client_ref), client_ref, spec.interview_date,
                                                spec.practice, meta)
        try:
            iv = Interview(bank, spec.interview_date, date.fromisoformat(link["date"]) if link else None,
                           today=date.today())
        except EngineError as exc:
            raise StoreError(exc.key, **exc.params) from None
        problems = answer_all(iv, bank, spec.answers)
        if problems:
            raise ImportRefused("store.bulk.answers", problems, item=problems[0][0], n=len(problems))
        completed, missing = False, []
        if spec.complete:
            try:
                iv.complete()
                completed = True
            except CompletionRefused as exc:
                missing = exc.missing_items + exc.missing_ratings
        self._seen[dup] = source
        return Prepared(spec, client_ref, unit_id, link, meta, iv, completed, missing, list(notices))

    # -------------------------------------------------------------- writing

    def write(self, p: Prepared) -> str:
        """Store a prepared interview as one snapshot; returns its record id.
        On any failure the record is removed again and the error raised."""
        s = self.session
        d = s.store.dir
        user = s.user.id
        now = clock.now()
        status = COMPLETED if p.completed else PAUSED
        iv = p.interview
        rid = secrets.token_hex(10)
        bank = p.spec.bank
        body = {
            "rid": rid,
            "kind": "dropout" if bank.instrument == "bortfall" else "interview",
            "instrument": bank.instrument,
            "variant": bank.model.variant,
            "client_ref": p.client_ref,
            "unit": None if p.spec.practice else p.unit_id,
            "interviewer": user,
            "created": now,
            "updated": now,
            "bank": {"id": bank.id, "version": bank.version, "sha256": bank.sha256},
            "interview_date": p.spec.interview_date.isoformat(),
            "linked": p.link,
            "status": status,
            "practice": p.spec.practice,
            "answers": {k: {"v": encode(v), "by": user, "at": now} for k, v in iv.answers.items()},
            "deferred": sorted(iv.deferred),
            "warnings": sorted(iv.warnings),
            "meta": p.meta,
            "history": [{"status": IN_PROGRESS, "by": user, "at": now}, {"status": status, "by": user, "at": now}],
        }
        dek = C.random_key()
        s.ensure_fresh_keys()
        key = s.keys.key_for(s.keys.write_gen, p.unit_id)
        if key is None:
            raise NoUnitKey(None, unit=p.unit_id)
        header = new_header(rid, 0, 0, s.keys.write_gen, key, dek, p.unit_id)
        lock_path, rec_path = d.lock_path(rid), d.record_path(rid)
        indexed = False
        try:
            RecordLock.create_file(lock_path)
            faults.point("bulk.before_snapshot")
            write_snapshot(rec_path, header, body, dek, d.tmp)
            faults.point("bulk.after_snapshot")
            snap = Snapshot(header, body, dek)
            s.index.upsert(index_doc(snap))
            indexed = True
            faults.point("bulk.after_index")
            s.log("create", rid, p.client_ref, detail={"gen": 0, "seq": 0, "import": len(iv.answers)}, unit=p.unit_id)
            s.log("complete" if p.completed else "pause", rid, p.client_ref, detail={"gen": 0, "seq": 0}, unit=p.unit_id)
        except OSError as exc:  # e.g. ENOSPC from a fault point or the lock file's directory
            _remove(s, rid, indexed, [rec_path, lock_path])
            raise io_error(exc) from None
        except BaseException:
            _remove(s, rid, indexed, [rec_path, lock_path])
            raise
        return rid


def _remove(session: Any, rid: str, indexed: bool, paths: list[Any]) -> None:
    """Undo a record whose write failed midway (best effort: the error that
    stopped it is what the user sees)."""
    if indexed:
        try:
            session.index.remove(rid)
        except (StoreError, OSError):
            pass
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def answer_all(iv: Interview, bank: QuestionBank, answers: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Give `answers` to `iv` in the bank's order; the problems, in that order:
    unknown items, values for hidden items (N excepted) and rejected answers."""
    problems = [(k, "engine.invalid.unknown_item", {"item": k}) for k in answers if k not in bank.by_id]
    for item in bank.items:
        if item.id not in answers:
            continue
        raw = answers[item.id]
        if not iv.is_visible(item.id):
            if not (isinstance(raw, str) and raw.strip().upper() == "N") and not isinstance(raw, MissingCode):
                problems.append((item.id, "engine.invalid.hidden", {}))
            continue
        outcome = iv.answer(item.id, raw)
        if not outcome.ok:
            problems.append((item.id, outcome.message or "engine.complete.refused", dict(outcome.params or {})))
    return problems
