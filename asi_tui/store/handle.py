"""An open record: answers, journal replay, compaction and lifecycle.

An accepted answer is journalled and fsynced before `RecordHandle.answer`
returns; if that fails the engine state is rolled back and the error raised,
so nothing unsaved is ever shown as saved. Pause and complete compact the
journal into a new snapshot generation (storage-design.md 3.3).

The (generation, sequence) high-water mark of what was acknowledged is kept
in the index document and logged to the audit chain at pause, complete and
the end of an edit session (never per answer); opening a record whose
journal ends below it reports the missing sequence range (`integrity`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..bank.loader import QuestionBank
from ..engine.interview import COMPLETED, IN_PROGRESS, Interview, Outcome
from ..engine.values import decode, encode
from . import clock, faults
from .core import SessionCore
from .errors import NoUnitKey, ReadOnly, RecordDamaged, StoreError
from .index import index_doc
from .integrity import Notice
from .journal import JournalWriter, journal_gen, journal_path, read_journal
from .locks import RecordLock
from .records import Snapshot, header_unit, new_header, write_snapshot

PAUSED = "paused"
WITHDRAWN = "withdrawn"  # a dropout registration taken back: kept and audited, out of statistics and planning
STATUSES = (IN_PROGRESS, PAUSED, COMPLETED, WITHDRAWN)


class RecordHandle:
    """One record opened for editing (holding its lock) or read-only."""

    def __init__(
        self,
        session: SessionCore,
        snap: Snapshot,
        bank: QuestionBank,
        lock: RecordLock | None,
        notices: list[str],
        hwm: tuple[int, int] | None = None,
    ) -> None:
        self.session = session
        self.snap = snap
        # highest (generation, sequence) known acknowledged: the index's, raised as we go
        self.hwm = max(hwm or (snap.gen, snap.seq), (snap.gen, snap.seq))
        self.journal_end = snap.seq  # last sequence number found on disk when opened (set by _replay)
        self.body = snap.body
        self.bank = bank
        self.lock = lock
        self.notices = notices
        self.rid = snap.rid
        linked = self.body.get("linked")
        self.interview = Interview(
            bank, date.fromisoformat(self.body["interview_date"]), date.fromisoformat(linked["date"]) if linked else None
        )
        answers = {k: decode(v["v"]) for k, v in self.body.get("answers", {}).items()}
        status = COMPLETED if self.body.get("status") in (COMPLETED, WITHDRAWN) else IN_PROGRESS
        self.interview.restore(answers, self.body.get("deferred", []), status)
        self.answer_meta: dict[str, dict[str, str]] = {
            k: {"by": v.get("by", ""), "at": v.get("at", "")} for k, v in self.body.get("answers", {}).items()
        }
        self.writer: JournalWriter | None = None
        self.session_answers = 0
        self.broken = False
        self._closed = False

    @property
    def readonly(self) -> bool:
        return self.lock is None

    @property
    def status(self) -> str:
        return str(self.body.get("status"))

    @property
    def client_ref(self) -> str:
        return str(self.body.get("client_ref"))

    @property
    def unit(self) -> str | None:
        """The record's unit (id), or `practice`, as its header names it."""
        return header_unit(self.snap.header)

    # -------------------------------------------------------------- replay

    def _replay(self) -> None:
        """Apply what the journals hold beyond the snapshot, oldest generation first.

        An older generation normally holds nothing past the snapshot and is just
        stale (a crash between snapshot and cleanup). It holds more only when a
        pause wrote its snapshot but could not start the new journal: those
        answers were acknowledged, so they are replayed and then compacted.
        """
        d = self.session.store.dir
        seq = self.snap.seq
        carried = False
        older = d.journals_below(self.rid, self.snap.gen)
        for p in older:
            res = read_journal(p, self.rid, journal_gen(p), self.snap.dek, seq)
            for op in res.ops:
                self._apply(op, replay=True)
            carried = carried or bool(res.ops)
            seq = res.last_seq
        path = journal_path(d.journals, self.rid, self.snap.gen)
        res = read_journal(path, self.rid, self.snap.gen, self.snap.dek, seq)
        for op in res.ops:
            self._apply(op, replay=True)
        self.journal_end = res.last_seq
        self._check_lost(self.snap.gen)
        if res.torn:
            self.notices.append("store.notice.torn_tail")
        if self.readonly:
            return
        if res.torn:
            self.session.log("journal-repair", self.rid, detail={"kept": len(res.ops)})
        self.writer = JournalWriter(path, self.rid, self.snap.gen, self.snap.dek, res.last_seq, res.good_size)
        if res.torn:
            self.writer.open()  # truncate the torn tail now, with the notice
        if carried:
            self._compact(self.status)  # fold the carried answers into a snapshot
        else:
            for p in older:
                p.unlink(missing_ok=True)  # stale generation left by a crash mid-compaction

    def _check_lost(self, gen: int) -> None:
        """Acknowledged changes missing from the journal (cut at a frame boundary,
        emptied or deleted): reported by sequence range and audited.

        Opening for editing takes the loss as seen (the mark drops to what is
        on disk, the audit entry says what went missing); a read-only view
        leaves it reported for the next one. Changes acknowledged after the
        last logged mark (a session still running, or one that crashed before
        closing the record) are not covered: a crash leaves the same traces."""
        mark_gen, mark_seq = self.hwm
        if gen != mark_gen or self.journal_end >= mark_seq:
            return
        first, last = self.journal_end + 1, mark_seq
        self.notices.append(Notice("store.notice.answers_lost", first=first, last=last))
        self.session.log("journal-loss", self.rid, detail={"gen": gen, "first": first, "last": last, "taken": not self.readonly})
        if not self.readonly:
            self.hwm = (gen, self.journal_end)
            self.session.index.upsert(index_doc(self.snap, self.hwm))

    def _apply(self, op: dict[str, Any], replay: bool) -> Outcome | None:
        kind = op.get("op")
        iv = self.interview
        if kind == "answer":
            outcome = iv.answer(op["item"], decode(op["v"]), replay=replay)
            if replay and not outcome.ok:
                raise RecordDamaged()
            self.answer_meta[op["item"]] = {"by": op.get("by", ""), "at": op.get("at", "")}
            return outcome
        if kind == "clear":
            outcome = iv.clear(op["item"])
            self.answer_meta.pop(op["item"], None)
            return outcome
        if kind == "defer":
            if op["key"] in iv.warnings:
                iv.defer(op["key"])
            return None
        if kind == "meta":
            self.body.setdefault("meta", {})[op["key"]] = op["value"]
            return None
        if kind == "status":
            self.body["status"] = op["status"]
            return None
        if replay:
            raise RecordDamaged()
        return None

    # -------------------------------------------------------------- editing

    def _require_writable(self, allow_completed: bool = False) -> JournalWriter:
        if self.broken:
            raise StoreError("store.error.reopen")
        if self.writer is None or self._closed:
            raise ReadOnly()
        if self.status in (COMPLETED, WITHDRAWN) and not allow_completed:
            raise StoreError("engine.invalid.completed")
        return self.writer

    def _journal(self, op: dict[str, Any], allow_completed: bool = False) -> None:
        writer = self._require_writable(allow_completed)
        if self.lock is not None:
            self.lock.verify()  # our lock file replaced: a second editor may be in; write nothing
        writer.append({**op, "by": self.session.user.id, "at": clock.now()})

    def answer(self, item_id: str, raw: object) -> Outcome:
        """Validate, journal with fsync, and only then acknowledge."""
        self._require_writable()
        state = self.interview.checkpoint()
        outcome = self.interview.answer(item_id, raw)
        if not outcome.ok:
            return outcome
        try:
            window = self.interview.window(item_id)
            op: dict[str, Any] = {"op": "answer", "item": item_id, "v": encode(self.interview.value(item_id))}
            if window is not None:
                op["tf"] = [window.kind, window.start.isoformat() if window.start else None, window.end.isoformat()]
            self._journal(op)
        except StoreError:
            self.interview.rollback(state)
            raise
        self.answer_meta[item_id] = {"by": self.session.user.id, "at": clock.now()}
        self.session_answers += 1
        if self.body.get("status") == PAUSED:
            try:
                self._journal({"op": "status", "status": IN_PROGRESS})
                self.body["status"] = IN_PROGRESS
            except StoreError:
                pass  # the answer itself is saved; the status follows at the next pause
        return outcome

    def clear(self, item_id: str) -> Outcome:
        self._require_writable()
        state = self.interview.checkpoint()
        outcome = self.interview.clear(item_id)
        if not outcome.ok:
            return outcome
        try:
            self._journal({"op": "clear", "item": item_id})
        except StoreError:
            self.interview.rollback(state)
            raise
        self.answer_meta.pop(item_id, None)
        return outcome

    def defer(self, key: str) -> None:
        self._require_writable()
        state = self.interview.checkpoint()
        self.interview.defer(key)
        try:
            self._journal({"op": "defer", "key": key})
        except StoreError:
            self.interview.rollback(state)
            raise

    def set_meta(self, key: str, value: Any) -> None:
        """Free-standing record data such as Återkoppling texts (also after completion)."""
        self._journal({"op": "meta", "key": key, "value": value}, allow_completed=True)
        self.body.setdefault("meta", {})[key] = value

    # -------------------------------------------------------------- lifecycle

    def _state_body(self, status: str) -> dict[str, Any]:
        iv = self.interview
        answers = {}
        for item_id, value in iv.answers.items():
            meta = self.answer_meta.get(item_id, {"by": "", "at": ""})
            answers[item_id] = {"v": encode(value), **meta}
        body = dict(self.body)
        body.update(
            answers=answers,
            deferred=sorted(iv.deferred),
            status=status,
            updated=clock.now(),
            warnings=sorted(iv.warnings),
        )
        if status != self.body.get("status"):
            body["history"] = [*self.body.get("history", []), {"status": status, "by": self.session.user.id, "at": clock.now()}]
        return body

    def _compact(self, status: str, new_dek: bytes | None = None, vk_gen: int | None = None) -> None:
        """Pause/complete: snapshot gen+1 (temp, fsync, rename, dir fsync),
        then a fresh journal, then remove the old ones: crash-safe at each step.

        A write that fails before the rename changes nothing: the handle goes on
        with its journal. Once the rename happened the new snapshot is the record;
        if the new journal cannot be started, answers keep going to the old one,
        which the next open replays past the snapshot.
        """
        writer = self.writer
        if writer is None:
            raise ReadOnly()
        if self.lock is not None:
            self.lock.verify()
        d = self.session.store.dir
        self.session.ensure_fresh_keys()
        keys = self.session.keys
        gen = self.snap.gen + 1
        dek = new_dek or self.snap.dek
        gen_key = vk_gen or keys.write_gen
        unit = self.unit
        key = keys.key_for(gen_key, unit)
        if key is None:
            raise NoUnitKey(None, unit=unit or "-")
        header = new_header(self.rid, gen, writer.seq, gen_key, key, dek, unit)
        body = self._state_body(status)
        failure: StoreError | None = None
        try:
            write_snapshot(d.record_path(self.rid), header, body, dek, d.tmp)
        except StoreError as exc:
            if not getattr(exc, "replaced", False):
                raise  # nothing changed on disk
            failure = exc
        faults.point("compact.after_snapshot")
        self.snap = Snapshot(header, body, dek)
        self.body = body
        new_writer = JournalWriter(journal_path(d.journals, self.rid, gen), self.rid, gen, dek, writer.seq, 0)
        try:
            new_writer.open()
        except StoreError as exc:
            if new_dek is not None:  # a re-encryption cannot go on in the old journal
                writer.close()
                self.writer = None
                self.broken = True
            raise exc from None
        faults.point("compact.after_new_journal")
        writer.close()
        for p in d.journals_below(self.rid, gen):
            p.unlink(missing_ok=True)
        self.writer = new_writer
        self.hwm = max(self.hwm, (gen, new_writer.seq))
        self.session.index.upsert(index_doc(self.snap, self.hwm))
        if failure is not None:
            raise failure

    def _mark(self) -> dict[str, int]:
        return {"gen": self.hwm[0], "seq": self.hwm[1]}

    def pause(self) -> None:
        self._require_writable()
        self._compact(PAUSED)
        self._log_answers()
        self.session.log("pause", self.rid, self.client_ref, detail=self._mark(), unit=self.unit)

    def complete(self) -> None:
        """Refused (EngineError/CompletionRefused) until the engine allows it."""
        self._require_writable()
        state = self.interview.checkpoint()
        self.interview.complete()
        try:
            self._compact(COMPLETED)
        except StoreError:
            self.interview.rollback(state)
            raise
        self._log_answers()
        self.session.log("complete", self.rid, self.client_ref, detail=self._mark(), unit=self.unit)

    def withdraw(self, reason: str) -> None:
        """Take back a dropout registration: a status change with who, when and why
        (journalled, compacted, audited), never a delete. See `Session.withdraw_dropout`."""
        self._require_writable(allow_completed=True)
        before = self.status
        self.set_meta("withdrawn", {"reason": reason, "by": self.session.user.id, "at": clock.now()})
        self._compact(WITHDRAWN)
        self.session.log("withdraw", self.rid, self.client_ref, detail={"before": before}, unit=self.unit)

    def _log_answers(self) -> None:
        if self.session_answers:
            self.session.log("answer", self.rid, self.client_ref, detail={"count": self.session_answers, **self._mark()},
                             unit=self.unit)
            self.session_answers = 0

    def _save_mark(self) -> None:
        """End of an edit session: what the journal holds beyond the last mark
        becomes the new high-water mark, in the index and the audit chain."""
        writer = self.writer
        if writer is None or self.broken or (self.snap.gen, writer.seq) <= self.hwm:
            return
        self.hwm = (self.snap.gen, writer.seq)
        try:
            self.session.index.upsert(index_doc(self.snap, self.hwm))
        finally:
            if not self.session_answers:
                self.session.log("save", self.rid, detail=self._mark())

    def close(self, log: bool = True) -> None:
        if self._closed:
            return
        if log:
            self._save_mark()
            self._log_answers()
        if self.writer is not None:
            self.writer.close()
        if self.lock is not None:
            self.lock.release()
        self._closed = True
