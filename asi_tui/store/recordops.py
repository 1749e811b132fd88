"""A session's records: create, open (with rollback and lost-answer checks),
withdraw, set the responsible case worker, delete (crypto-shred) and rebuild
the index from the record files and the audit chain's high-water marks
(`integrity`). Listings and report reads are in `recordviews`. Every
operation asks the policy (`access`) with the record's unit, and every
refusal is audited."""

from __future__ import annotations

import os
import secrets
from datetime import date
from pathlib import Path
from typing import Any, Callable

from ..bank.loader import QuestionBank
from ..engine.interview import IN_PROGRESS, EngineError, Interview
from ..engine.limits import check_ref, same_client_key
from . import access, chain, clock
from . import crypto as C
from .access import PRACTICE_UNIT
from .bank_versions import BankVersions
from .errors import LockFileMissing, NoUnitKey, RecordDamaged, RecordNotFound, RecordRolledBack, StoreError, UserError
from .fsutil import io_error, shred_and_unlink
from .handle import RecordHandle
from .index import index_doc
from .integrity import RebuildReport, hwm_of, older_copy
from .journal import journal_gen, journal_path, read_journal
from .locks import RecordLock
from .records import Snapshot, header_unit, new_header, read_header, write_snapshot
from .rebuild_read import read_all
from .recordviews import RecordViews


WITHDRAW_REASON_MAX = 500
REASON_MAX = 500
RESPONSIBLE = "responsible"  # meta key (on the Grund) and index field: the client's responsible case worker


class RecordOps(RecordViews):
    """Records of the data directory, as one unlocked session sees them."""

    def choose_unit(self, unit: str | None = None) -> str:
        """The unit a new client record goes to: `unit` (id or name), which must be
        one of this user's active units; without it, the user's only unit.
        Refused (audited) for a unit not theirs; UserError when several are
        possible and none was chosen, or the unit is retired."""
        mine = self.my_units("record.create")
        if unit is not None:
            found = self.store.vault.find_unit(unit)
            if found.retired:
                raise UserError("store.units.retired", unit=found.name)
            if found.id not in {u.id for u in mine}:
                self.deny("record.create", found.id)
            return found.id
        if len(mine) == 1:
            return mine[0].id
        if not mine:
            self.deny("record.create")
        raise UserError("store.units.choose", units=", ".join(u.name for u in mine))

    def create_record(
        self,
        bank: QuestionBank,
        client_ref: str,
        interview_date: date,
        linked: dict[str, Any] | None = None,
        practice: bool = False,
        meta: dict[str, Any] | None = None,
        unit: str | None = None,
    ) -> RecordHandle:
        """A new record in `unit` (id or name; default: the user's only unit), or a practice record."""
        BankVersions.for_store(self.store).check_new_interview(bank)  # retired versions take no new interviews
        dropout = bank.instrument == "bortfall"
        if practice:
            self.require("practice", PRACTICE_UNIT, own=True)
            unit_id = PRACTICE_UNIT
        else:
            unit_id = self.choose_unit(unit)
        client_ref = check_ref(client_ref)  # printable, bounded: raises InvalidReference (an EngineError)
        meta = dict(meta or {})
        if bank.instrument == "grund" and not practice and not dropout and access.rule(self.user, "record.responsible").allowed:
            meta.setdefault(RESPONSIBLE, self.user.id)  # the case worker who does the Grund, until changed
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
            "unit": None if practice else unit_id,
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
            key = self.keys.key_for(self.keys.write_gen, unit_id)
            if key is None:
                raise NoUnitKey(None, unit=unit_id)
            header = new_header(rid, 0, 0, self.keys.write_gen, key, dek, unit_id)
            write_snapshot(self.store.dir.record_path(rid), header, body, dek, self.store.dir.tmp)
            snap = Snapshot(header, body, dek)
            self.index.upsert(index_doc(snap))
            self.log("create", rid, client_ref.strip(), detail={"gen": 0, "seq": 0}, unit=unit_id)
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
        visible = self.scope("record.list")
        if target is not None and visible is not None and target.get("unit") not in visible:
            target = None  # another unit's record: as if it did not exist
        warnings = chain.check_link(target, client_ref, interview_date, chain.linkable_for(bank.instrument))
        assert target is not None
        if meta.get(chain.REACTUALISATION):
            chain.check_reactualisation(bank, target, self.client_records(client_ref), interview_date)
            meta[chain.REACTUALISATION] = True
        return {"rid": str(rid), "date": str(target["interview_date"])}, warnings

    def _require_open(self, rid: str, unit: str | None, readonly: bool) -> str:
        """The policy check before a record is decrypted (the header names its
        unit); returns the action checked."""
        if unit is None:
            raise RecordDamaged("store.error.record_outdated")  # written before unit keys: `asi-tui migrate`
        if unit != PRACTICE_UNIT and unit not in self.unit_names():
            raise RecordDamaged()  # a header naming no unit there is: changed outside the app
        if unit == PRACTICE_UNIT:
            doc = self.index.get(rid) or {}
            own = doc.get("interviewer") == self.user.id
            if not (access.allowed(self.user, "practice", unit, own) or (readonly and access.allowed(self.user, "practice.review"))):
                self.deny("practice", unit, rid)
            return "practice"
        action = "record.view" if readonly else "record.open"
        self.require(action, unit, rid)
        return action

    def open_record(self, rid: str, readonly: bool = False, reason: str | None = None) -> RecordHandle:
        """Open a record for editing (its lock held) or read-only. The policy
        decides from the record's unit; an admin opening a client record someone
        else wrote states a `reason`, which goes into the audit log."""
        path = self.store.dir.record_path(rid)
        if not os.path.lexists(path):
            raise RecordNotFound(None, rid=rid)
        try:
            unit = header_unit(read_header(path)[0])
        except FileNotFoundError:
            raise RecordNotFound(None, rid=rid) from None
        action = self._require_open(rid, unit, readonly)
        reason = " ".join(str(reason or "").split())[:REASON_MAX] or None
        return self._open(rid, readonly, action, unit, reason)

    def _open(self, rid: str, readonly: bool, action: str | None = None, unit: str | None = None,
              reason: str | None = None) -> RecordHandle:
        """Open after the policy check (`action` None: the store's own work, e.g. re-encryption)."""
        path = self.store.dir.record_path(rid)
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
            own = snap.body.get("interviewer") == self.user.id
            if action is not None and action != "practice" and access.needs_reason(self.user, action, own) and not reason:
                self.deny(action, unit, rid, snap.body.get("client_ref"), key="store.access.reason_required")
            hwm = self._check_rollback(snap)
            bank = self.store.resolver(snap.body["bank"]["id"], snap.body["bank"]["version"], snap.body["bank"]["sha256"])
            notices: list[str] = []
            if lock is not None and lock.previous:
                self.log("lock-stale", rid, detail={"previous": lock.previous.get("user")}, unit=unit)
                notices.append("store.notice.stale_lock")
            handle = RecordHandle(self, snap, bank, lock, notices, hwm)
            handle._replay()
            if action is not None:
                detail = {"reason": reason} if reason else None
                self.log("open" if not readonly else "view", rid, snap.body.get("client_ref"), detail, unit)
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
        if self.store.dir.journals_above(snap.rid, snap.gen):
            raise RecordRolledBack()
        return hwm

    def similar_records(self, client_ref: str, bank: QuestionBank, interview_date: date) -> list[dict[str, Any]]:
        """Records that make a new one of `bank`'s instrument for this client doubtful:
        one on the same interview date, or one still open, by anyone in the user's
        units (practice aside; client refs compared as `same_client_key` does)."""
        open_statuses = (IN_PROGRESS, "paused")
        key = same_client_key(client_ref)
        return [
            d
            for d in self.client_records(client_ref)
            if d.get("instrument") == bank.instrument and d.get("variant") == bank.model.variant
            and same_client_key(d.get("client_ref")) == key and not d.get("practice")
            and (d.get("interview_date") == interview_date.isoformat() or d.get("status") in open_statuses)
        ]

    def _index_entry(self, rid: str) -> dict[str, Any]:
        """The record's index document; for a record this session's index does
        not hold (another unit's partition), its unit from the record header, so
        that the policy refuses it (audited) rather than a plain "not found"."""
        doc = self.index.get(rid)
        if doc is not None:
            return doc
        path = self.store.dir.record_path(rid)
        try:
            unit = header_unit(read_header(path)[0]) if os.path.lexists(path) else None
        except (OSError, StoreError):
            unit = None
        if unit is None:
            raise RecordNotFound(None, rid=rid)
        return {"rid": rid, "unit": unit}

    @staticmethod
    def _indexed(doc: dict[str, Any]) -> dict[str, Any]:
        """After the policy allowed it: a record the index does not know is not found."""
        if "status" not in doc:
            raise RecordNotFound(None, rid=doc["rid"])
        return doc

    def withdraw_dropout(self, rid: str, reason: str) -> None:
        """Withdraw a registered dropout (the client was interviewed after all, or it
        was registered by mistake): the record stays, with status `withdrawn`, the
        reason in its meta and an audit entry; statistics and the planner skip it."""
        doc = self._index_entry(rid)
        try:
            access.require_may_withdraw(self.user, doc.get("interviewer"), doc.get("unit"))
        except StoreError as exc:
            self.deny("record.withdraw", doc.get("unit"), rid, key=exc.key)
        self._indexed(doc)
        if doc.get("kind") != "dropout":
            raise StoreError("chain.error.withdraw_not_dropout")
        if doc.get("status") == "withdrawn":
            raise StoreError("chain.error.withdraw_already")
        reason = " ".join(str(reason or "").split())
        if not reason or len(reason) > WITHDRAW_REASON_MAX:
            raise StoreError("chain.error.withdraw_reason", max=WITHDRAW_REASON_MAX)
        handle = self._open(rid, False, "record.withdraw", doc.get("unit"))
        try:
            handle.withdraw(reason)
        finally:
            handle.close(log=False)

    def set_responsible(self, rid: str, user_id: str) -> None:
        """Make `user_id` the responsible case worker of the client whose Grund
        `rid` is (an interviewer of the Grund's unit; journalled on the Grund,
        audited). The responsible case worker sees the client's follow-ups in
        the planner (`planning_docs`)."""
        doc = self._index_entry(rid)
        unit = doc.get("unit")
        self.require("record.responsible", unit, rid)
        self._indexed(doc)
        if doc.get("instrument") != "grund" or doc.get("kind") != "interview" or doc.get("practice"):
            raise UserError("store.access.responsible_not_grund")
        target = next((u for u in self.list_users() if u.id == user_id), None)
        if target is None or not access.allowed(target, "record.open", unit):
            raise UserError("store.access.responsible_not_member", user=str(user_id)[:64])
        handle = self._open(rid, False, "record.responsible", unit)
        try:
            before = (handle.body.get("meta") or {}).get(RESPONSIBLE)
            handle.set_meta(RESPONSIBLE, user_id)
            self.log("responsible", rid, handle.client_ref, detail={"user": user_id, "before": before}, unit=unit)
        finally:
            handle.close()

    def delete_record(self, rid: str) -> None:
        """Crypto-shred: overwrite and remove the snapshot (the only copy of its
        key), its journals and its index entry."""
        try:
            doc = self._index_entry(rid)
        except RecordNotFound:
            doc = {}
        self.require("record.delete", doc.get("unit"), rid)
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
            self.log("delete", rid, doc.get("client_ref"), unit=doc.get("unit"))
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

    def rebuild_index(self, progress: Callable[[int, int], None] | None = None, workers: int = 1) -> RebuildReport:
        """Recreate the index from the record files, with each record's
        high-water mark re-derived from the audit chain. Reported by record id:
        damaged files (kept out), older copies (kept, and refused on opening),
        journals missing acknowledged answers, and records the chain saw
        created but never deleted through the app whose file is gone. Admin:
        it needs every unit's key. `workers`: processes reading the files
        (`rebuild_read`; the command line uses every core)."""
        self.require_admin()
        marks = self.audit.record_marks(self.keys.audit_keys())
        report = RebuildReport(0)
        docs, seen = [], set()
        paths = self.store.dir.record_files()
        journaled = self.store.dir.journaled()  # most records (completed, compacted) have none

        def read_one(path: Path) -> tuple[str, dict[str, Any] | None, tuple[int, int]]:
            rid = path.stem
            try:
                snap = self._read_snapshot(path, rid)
            except StoreError:
                return rid, None, (0, 0)  # damaged: reported, kept out of the index
            return rid, index_doc(snap), (snap.gen, self._journal_end(snap) if rid in journaled else snap.seq)

        for i, (rid, doc, on_disk) in enumerate(read_all(paths, read_one, workers)):
            if progress is not None and i % 100 == 0:
                progress(i, len(paths))
            seen.add(rid)
            if doc is None:
                report.damaged.append(rid)
                continue
            mark = marks.get(rid)
            logged = (mark.gen, mark.seq) if mark is not None and mark.gen >= 0 else on_disk
            if on_disk[0] < logged[0]:
                report.older.append((rid, on_disk[0], logged[0]))
            elif on_disk[0] == logged[0] and on_disk[1] < logged[1]:
                report.lost.append((rid, on_disk[1] + 1, logged[1]))
            doc["hwm"] = list(max(on_disk, logged))
            docs.append(doc)
        for rid, mark in sorted(marks.items()):
            if rid not in seen and mark.created and not mark.deleted:
                report.missing.append((rid, mark.created))
        report.records = self.index.replace_all(docs)
        if progress is not None:
            progress(len(paths), len(paths))
        self.log("index-rebuild", detail={"records": report.records, "damaged": len(report.damaged), "older": len(report.older),
                                          "missing": len(report.missing), "lost": len(report.lost)})
        return report

    def _journal_end(self, snap: Snapshot) -> int:
        """The last sequence number the record's journals hold (as opening would replay them)."""
        d = self.store.dir
        seq = snap.seq
        try:
            for p in d.journals_below(snap.rid, snap.gen):
                seq = read_journal(p, snap.rid, journal_gen(p), snap.dek, seq).last_seq
            return read_journal(journal_path(d.journals, snap.rid, snap.gen), snap.rid, snap.gen, snap.dek, seq).last_seq
        except StoreError:
            return snap.seq  # a damaged journal: opening the record reports it
