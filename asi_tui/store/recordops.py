"""A session's records: create, open (with rollback and lost-answer checks),
list, read for reports, delete (crypto-shred) and rebuild the index from the
record files and the audit chain's high-water marks (`integrity`)."""

from __future__ import annotations

import os
import secrets
from datetime import date
from typing import Any, Iterator

from ..bank.loader import QuestionBank
from ..engine.interview import COMPLETED, IN_PROGRESS, EngineError, Interview
from ..engine.limits import check_ref
from . import access, chain, clock
from . import crypto as C
from .bank_versions import BankVersions
from .core import SessionCore
from .errors import LockFileMissing, RecordNotFound, RecordRolledBack, StoreError
from .fsutil import io_error, shred_and_unlink
from .handle import RecordHandle
from .index import index_doc
from .integrity import RebuildReport, hwm_of, older_copy
from .journal import journal_gen, journal_path, read_journal
from .locks import RecordLock
from .records import Snapshot, new_header, write_snapshot


WITHDRAW_REASON_MAX = 500


class RecordOps(SessionCore):
    """Records of the data directory, as one unlocked session sees them."""

    def create_record(
        self,
        bank: QuestionBank,
        client_ref: str,
        interview_date: date,
        linked: dict[str, Any] | None = None,
        practice: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> RecordHandle:
        BankVersions.for_store(self.store).check_new_interview(bank)  # retired versions take no new interviews
        dropout = bank.instrument == "bortfall"
        access.require_may_create_record(self.user, practice, dropout)
        client_ref = check_ref(client_ref)  # printable, bounded: raises InvalidReference (an EngineError)
        meta = dict(meta or {})
        linked, link_notices = self.check_link(bank, linked, client_ref, interview_date, practice, meta)
        linked_date = date.fromisoformat(linked["date"]) if linked else None
        try:
            Interview(bank, interview_date, linked_date, today=date.today())
        except EngineError as exc:
            raise StoreError(exc.key, **exc.params) from None
        rid = secrets.token_hex(10)
        body = {
            "rid": rid,
            "kind": "dropout" if dropout else "interview",
            "instrument": bank.instrument,
            "variant": bank.model.variant,
            "client_ref": client_ref.strip(),
            "interviewer": self.user.id,
            "created": clock.now(),
            "updated": clock.now(),
            "bank": {"id": bank.id, "version": bank.version, "sha256": bank.sha256},
            "interview_date": interview_date.isoformat(),
            "linked": linked,
            "status": IN_PROGRESS,
            "practice": practice,
            "answers": {},
            "deferred": [],
            "meta": meta,
            "history": [{"status": IN_PROGRESS, "by": self.user.id, "at": clock.now()}],
        }
        dek = C.random_key()
        self.ensure_fresh_keys()
        RecordLock.create_file(self.store.dir.lock_path(rid))  # once, for the record's lifetime
        lock = RecordLock(self.store.dir.lock_path(rid), self.user.id)
        lock.acquire()
        try:
            header = new_header(rid, 0, 0, self.keys.write_gen, self.keys.vk, dek)
            write_snapshot(self.store.dir.record_path(rid), header, body, dek, self.store.dir.tmp)
            snap = Snapshot(header, body, dek)
            self.index.upsert(index_doc(snap))
            self.log("create", rid, client_ref.strip(), detail={"gen": 0, "seq": 0})
            handle = RecordHandle(self, snap, bank, lock, link_notices)
            handle._replay()
            return handle
        except BaseException:
            lock.release()
            raise

    def check_link(self, bank: QuestionBank, linked: dict[str, Any] | None, client_ref: str, interview_date: date,
                   practice: bool, meta: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
        """The link as it would be stored, by the chain rules (`chain.py`), with
        its warnings; raises chain.LinkError. `create_record` calls it, and so can
        a front end that wants to check before it asks for anything more.

        The date comes from the linked record itself, never from the caller. A
        training case links to a date only (`rid` None), and only as practice."""
        if meta.get(chain.REACTUALISATION) and not linked:
            raise chain.LinkError("chain.error.reactualisation_instrument")
        if not linked:
            return None, []
        if bank.instrument == "grund" or (bank.instrument == "spel" and not bank.is_followup):
            raise chain.LinkError("chain.error.link_not_followup")
        rid = linked.get("rid")
        if rid is None:
            if not practice:
                raise chain.LinkError("chain.error.link_missing")
            return linked, []
        if practice:
            raise chain.LinkError("chain.error.link_practice")
        target = self.index.get(str(rid))
        warnings = chain.check_link(target, client_ref, interview_date, chain.linkable_for(bank.instrument))
        assert target is not None
        if meta.get(chain.REACTUALISATION):
            chain.check_reactualisation(bank, target, self.index.all(), interview_date)
            meta[chain.REACTUALISATION] = True
        return {"rid": str(rid), "date": str(target["interview_date"])}, warnings

    def open_record(self, rid: str, readonly: bool = False) -> RecordHandle:
        path = self.store.dir.record_path(rid)
        if not os.path.lexists(path):
            raise RecordNotFound(None, rid=rid)
        lock = None
        if not readonly:
            lock = RecordLock(self.store.dir.lock_path(rid), self.user.id)
            try:
                lock.acquire()  # RecordLocked -> caller may retry read-only
            except LockFileMissing:
                if not os.path.lexists(path):  # deleted meanwhile, lock file and all
                    raise RecordNotFound(None, rid=rid) from None
                raise
        try:
            snap = self._read_snapshot(path, rid)
            hwm = self._check_rollback(snap)
            bank = self.store.resolver(snap.body["bank"]["id"], snap.body["bank"]["version"], snap.body["bank"]["sha256"])
            notices: list[str] = []
            if lock is not None and lock.previous:
                self.log("lock-stale", rid, detail={"previous": lock.previous.get("user")})
                notices.append("store.notice.stale_lock")
            handle = RecordHandle(self, snap, bank, lock, notices, hwm)
            handle._replay()
            self.log("open" if not readonly else "view", rid, snap.body.get("client_ref"))
            return handle
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    def _check_rollback(self, snap: Snapshot) -> tuple[int, int] | None:
        """RecordRolledBack for an older copy of the snapshot; returns the
        record's high-water mark, from the index, or (when the index does not
        know the record, e.g. deleted and not rebuilt) from the audit chain."""
        doc = self.index.get(snap.rid)
        hwm = hwm_of(doc)
        if doc is None:
            mark = self.audit.record_marks(self.keys.audit_keys(), snap.rid).get(snap.rid)
            hwm = (mark.gen, mark.seq) if mark is not None and mark.gen >= 0 else None
        if doc is not None and (snap.gen, snap.seq) < (int(doc.get("gen", 0)), int(doc.get("seq", 0))):
            raise older_copy(snap.rid, snap.gen, int(doc.get("gen", 0)))
        if hwm is not None and snap.gen < hwm[0]:
            raise older_copy(snap.rid, snap.gen, hwm[0])
        newer = [p for p in self.store.dir.journals_of(snap.rid) if journal_gen(p) > snap.gen]
        if newer:
            raise RecordRolledBack()
        return hwm

    def list_records(self, **filters: Any) -> list[dict[str, Any]]:
        docs = self.index.all()
        for key, value in filters.items():
            if value is not None:
                docs = [d for d in docs if d.get(key) == value]
        return sorted(docs, key=lambda d: (d.get("updated") or "", d["rid"]), reverse=True)

    def similar_records(self, client_ref: str, bank: QuestionBank, interview_date: date) -> list[dict[str, Any]]:
        """Records that make a new one of `bank`'s instrument for this client doubtful:
        one on the same interview date, or one still open, by anyone (practice aside)."""
        open_statuses = (IN_PROGRESS, "paused")
        return [
            d
            for d in self.list_records(client_ref=client_ref.strip(), instrument=bank.instrument, variant=bank.model.variant)
            if not d.get("practice") and (d.get("interview_date") == interview_date.isoformat() or d.get("status") in open_statuses)
        ]

    def read_bodies(
        self,
        statuses: tuple[str, ...] | None = (COMPLETED,),
        include_practice: bool = False,
        damaged: list[str] | None = None,
        practice_only: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Decrypted snapshot bodies, for reports: no lock, no engine, no journal.

        A completed record's snapshot holds every answer (hidden items as N);
        only Återkoppling texts can follow in its journal. Damaged records are
        skipped and their ids appended to `damaged`. The caller audits what it
        does with the data (statistics, export).
        """
        wanted = {d["rid"] for d in self.index.all() if (statuses is None or d.get("status") in statuses)
                  and (include_practice or practice_only or not d.get("practice"))
                  and (not practice_only or d.get("practice"))}
        for rid in sorted(wanted):
            path = self.store.dir.record_path(rid)
            try:
                snap = self._read_snapshot(path, rid)
            except (StoreError, FileNotFoundError):
                if damaged is not None:
                    damaged.append(rid)
                continue
            yield snap.body

    def withdraw_dropout(self, rid: str, reason: str) -> None:
        """Withdraw a registered dropout (the client was interviewed after all, or it
        was registered by mistake): the record stays, with status `withdrawn`, the
        reason in its meta and an audit entry; statistics and the planner skip it."""
        doc = self.index.get(rid)
        if doc is None:
            raise RecordNotFound(None, rid=rid)
        if doc.get("kind") != "dropout":
            raise StoreError("chain.error.withdraw_not_dropout")
        if doc.get("status") == "withdrawn":
            raise StoreError("chain.error.withdraw_already")
        access.require_may_withdraw(self.user, doc.get("interviewer"))
        reason = " ".join(str(reason or "").split())
        if not reason or len(reason) > WITHDRAW_REASON_MAX:
            raise StoreError("chain.error.withdraw_reason", max=WITHDRAW_REASON_MAX)
        handle = self.open_record(rid)
        try:
            handle.withdraw(reason)
        finally:
            handle.close(log=False)

    def delete_record(self, rid: str) -> None:
        """Crypto-shred: overwrite and remove the snapshot (the only copy of its
        key), its journals and its index entry."""
        self.require_admin()
        path = self.store.dir.record_path(rid)
        if not os.path.lexists(path):
            raise RecordNotFound(None, rid=rid)
        lock = RecordLock(self.store.dir.lock_path(rid), self.user.id)
        lock.acquire()
        try:
            doc = self.index.get(rid) or {}
            try:
                shred_and_unlink([path, *self.store.dir.journals_of(rid)])  # UnsafePath before any byte changes
            except OSError as exc:
                raise io_error(exc) from None
            self.index.remove(rid)
            self.log("delete", rid, doc.get("client_ref"))
            self.store.dir.lock_path(rid).unlink(missing_ok=True)
        finally:
            lock.release()

    def repair_locks(self) -> list[str]:
        """Recreate the missing lock files of existing records (admin, audited).

        A lock file is created with its record and never recreated on the fly,
        so a missing one means someone removed it outside asi-tui; opening the
        record says so until an admin runs this. Returns the record ids repaired.
        """
        self.require_admin()
        repaired = []
        for path in self.store.dir.record_files():
            lock_path = self.store.dir.lock_path(path.stem)
            if not os.path.lexists(lock_path):
                RecordLock.create_file(lock_path)
                repaired.append(path.stem)
        if repaired:
            self.log("lock-repair", detail={"records": repaired})
        return repaired

    def rebuild_index(self) -> RebuildReport:
        """Recreate the index from the record files, with each record's
        high-water mark re-derived from the audit chain. Reported by record id:
        damaged files (kept out), older copies (kept, and refused on opening),
        journals missing acknowledged answers, and records the chain saw
        created but never deleted through the app whose file is gone."""
        marks = self.audit.record_marks(self.keys.audit_keys())
        report = RebuildReport(0)
        docs, seen = [], set()
        for path in self.store.dir.record_files():
            rid = path.stem
            seen.add(rid)
            try:
                snap = self._read_snapshot(path, rid)
            except StoreError:
                report.damaged.append(rid)  # reported to the caller, kept out of the index
                continue
            on_disk = (snap.gen, self._journal_end(snap))
            mark = marks.get(rid)
            logged = (mark.gen, mark.seq) if mark is not None and mark.gen >= 0 else on_disk
            if snap.gen < logged[0]:
                report.older.append((rid, snap.gen, logged[0]))
            elif snap.gen == logged[0] and on_disk[1] < logged[1]:
                report.lost.append((rid, on_disk[1] + 1, logged[1]))
            docs.append(index_doc(snap, max(on_disk, logged)))
        for rid, mark in sorted(marks.items()):
            if rid not in seen and mark.created and not mark.deleted:
                report.missing.append((rid, mark.created))
        report.records = self.index.replace_all(docs)
        self.log("index-rebuild", detail={"records": report.records, "damaged": len(report.damaged), "older": len(report.older),
                                          "missing": len(report.missing), "lost": len(report.lost)})
        return report

    def _journal_end(self, snap: Snapshot) -> int:
        """The last sequence number the record's journals hold (as opening would replay them)."""
        d = self.store.dir
        seq = snap.seq
        try:
            for p in sorted((p for p in d.journals_of(snap.rid) if journal_gen(p) < snap.gen), key=journal_gen):
                seq = read_journal(p, snap.rid, journal_gen(p), snap.dek, seq).last_seq
            return read_journal(journal_path(d.journals, snap.rid, snap.gen), snap.rid, snap.gen, snap.dek, seq).last_seq
        except StoreError:
            return snap.seq  # a damaged journal: opening the record reports it
