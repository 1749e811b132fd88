"""A session's records: create, open (with rollback check), list, read for
reports, delete (crypto-shred) and rebuild the index from the record files."""

from __future__ import annotations

import os
import secrets
from datetime import date
from typing import Any, Iterator

from ..bank.loader import QuestionBank
from ..engine.interview import COMPLETED, IN_PROGRESS, EngineError, Interview
from . import access, clock
from . import crypto as C
from .bank_versions import BankVersions
from .core import SessionCore
from .errors import RecordNotFound, RecordRolledBack, StoreError
from .handle import RecordHandle
from .index import index_doc
from .journal import journal_gen
from .locks import RecordLock
from .records import Snapshot, new_header, write_snapshot


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
        if not client_ref.strip():
            raise StoreError("store.error.client_ref")
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
            "meta": meta or {},
            "history": [{"status": IN_PROGRESS, "by": self.user.id, "at": clock.now()}],
        }
        dek = C.random_key()
        self.ensure_fresh_keys()
        lock = RecordLock(self.store.dir.lock_path(rid), self.user.id)
        lock.acquire()
        try:
            header = new_header(rid, 0, 0, self.keys.write_gen, self.keys.vk, dek)
            write_snapshot(self.store.dir.record_path(rid), header, body, dek, self.store.dir.tmp)
            snap = Snapshot(header, body, dek)
            self.index.upsert(index_doc(snap))
            self.log("create", rid, client_ref.strip())
            handle = RecordHandle(self, snap, bank, lock, [])
            handle._replay()
            return handle
        except BaseException:
            lock.release()
            raise

    def open_record(self, rid: str, readonly: bool = False) -> RecordHandle:
        path = self.store.dir.record_path(rid)
        if not path.exists():
            raise RecordNotFound(None, rid=rid)
        lock = None
        if not readonly:
            lock = RecordLock(self.store.dir.lock_path(rid), self.user.id)
            lock.acquire()  # RecordLocked -> caller may retry read-only
        try:
            snap = self._read_snapshot(path, rid)
            self._check_rollback(snap)
            bank = self.store.resolver(snap.body["bank"]["id"], snap.body["bank"]["version"], snap.body["bank"]["sha256"])
            notices: list[str] = []
            if lock is not None and lock.previous:
                self.log("lock-stale", rid, detail={"previous": lock.previous.get("user")})
                notices.append("store.notice.stale_lock")
            handle = RecordHandle(self, snap, bank, lock, notices)
            handle._replay()
            self.log("open" if not readonly else "view", rid, snap.body.get("client_ref"))
            return handle
        except BaseException:
            if lock is not None:
                lock.release()
            raise

    def _check_rollback(self, snap: Snapshot) -> None:
        doc = self.index.get(snap.rid)
        if doc is not None and (snap.gen, snap.seq) < (int(doc.get("gen", 0)), int(doc.get("seq", 0))):
            raise RecordRolledBack()
        newer = [p for p in self.store.dir.journals_of(snap.rid) if journal_gen(p) > snap.gen]
        if newer:
            raise RecordRolledBack()

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

    def delete_record(self, rid: str) -> None:
        """Crypto-shred: overwrite and remove the snapshot (the only copy of its
        key), its journals and its index entry."""
        self.require_admin()
        path = self.store.dir.record_path(rid)
        if not path.exists():
            raise RecordNotFound(None, rid=rid)
        lock = RecordLock(self.store.dir.lock_path(rid), self.user.id)
        lock.acquire()
        try:
            doc = self.index.get(rid) or {}
            for f in [path, *self.store.dir.journals_of(rid)]:
                size = f.stat().st_size
                with f.open("r+b") as fh:
                    fh.write(os.urandom(size))
                    fh.flush()
                    os.fsync(fh.fileno())
                f.unlink()
            self.index.remove(rid)
            self.log("delete", rid, doc.get("client_ref"))
        finally:
            lock.release()
            self.store.dir.lock_path(rid).unlink(missing_ok=True)

    def rebuild_index(self) -> tuple[int, list[str]]:
        """Recreate the index from the record files; returns (count, damaged rids)."""
        docs, damaged = [], []
        for path in self.store.dir.record_files():
            rid = path.stem
            try:
                snap = self._read_snapshot(path, rid)
                docs.append(index_doc(snap))
            except StoreError:
                damaged.append(rid)  # reported to the caller, kept out of the index
        n = self.index.replace_all(docs)
        self.log("index-rebuild", detail={"records": n, "damaged": len(damaged)})
        return n, damaged
