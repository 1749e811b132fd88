"""The store's API: data directory, unlock, sessions and open records.

This is what the CLI and the TUI call.  An accepted answer is journalled and
fsynced before `RecordHandle.answer` returns; if that fails the engine state
is rolled back and the error raised, so nothing unsaved is ever shown as
saved.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from ..bank.loader import QuestionBank
from ..engine.interview import COMPLETED, IN_PROGRESS, EngineError, Interview, Outcome
from ..engine.values import decode, encode
from . import crypto as C
from . import faults
from .audit import AuditLog, VerifyResult
from .bank_versions import BankResolver, BankVersions, resolver_for
from .errors import (
    AlreadyInitialised,
    NotAuthorized,
    NotInitialised,
    PermissionsTooOpen,
    ReadOnly,
    RecordDamaged,
    RecordNotFound,
    RecordRolledBack,
    StoreError,
    UnsupportedFilesystem,
    WrongPassphrase,
)
from .fsutil import ensure_dir, io_error, is_network_fs
from .index import Index
from .journal import JournalWriter, journal_path, read_journal
from .locks import RecordLock
from .records import Snapshot, new_header, read_header, read_snapshot, rewrap_header, write_snapshot
from .vault import Keys, User, Vault

PAUSED = "paused"
STATUSES = (IN_PROGRESS, PAUSED, COMPLETED)
TMP_SWEEP_AGE_S = 3600

def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def default_data_dir() -> Path:
    env = os.environ.get("ASI_TUI_DATA")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("asi-tui", appauthor=False))


class DataDir:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.vault = self.root / "vault.json"
        self.records = self.root / "records"
        self.journals = self.root / "journals"
        self.index = self.root / "index.db"
        self.audit = self.root / "audit"
        self.locks = self.root / "locks"
        self.tmp = self.root / "tmp"

    def create(self) -> None:
        old = os.umask(0o007)
        try:
            ensure_dir(self.root)
            os.chmod(self.root, 0o2770)
            for d in (self.records, self.journals, self.audit, self.audit / "pending", self.locks, self.tmp):
                ensure_dir(d)
        finally:
            os.umask(old)

    def check(self) -> None:
        if not self.vault.exists():
            raise NotInitialised(None, path=str(self.root))
        for p in (self.root, self.records, self.journals, self.audit, self.audit / "pending", self.locks, self.tmp, self.vault):
            try:
                mode = p.stat().st_mode
            except FileNotFoundError:
                continue
            if mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH):
                raise PermissionsTooOpen(None, path=str(self.root))
        if is_network_fs(self.root):
            raise UnsupportedFilesystem(None, path=str(self.root))

    def sweep_tmp(self) -> None:
        """Remove temp files left by a crash (old enough not to be in use)."""
        cutoff = time.time() - TMP_SWEEP_AGE_S
        for f in self.tmp.glob("*.tmp"):
            try:
                if f.stat().st_mtime < cutoff:
                    f.unlink()
            except OSError:
                pass

    def record_path(self, rid: str) -> Path:
        return self.records / f"{rid}.rec"

    def lock_path(self, rid: str) -> Path:
        return self.locks / f"{rid}.lock"


class Store:
    def __init__(self, root: Path, resolver: BankResolver | None = None) -> None:
        self.dir = DataDir(root)
        self.vault = Vault(self.dir.vault, self.dir.locks / "vault.lock", self.dir.tmp)
        self.audit_log = AuditLog(self.dir.audit, self.dir.locks / "audit.lock", self.dir.tmp)
        if resolver is None:  # published versions in the data dir first, then the bundled ones
            resolver = resolver_for(self.dir.root)
        self.resolver = resolver

    @classmethod
    def init(cls, root: Path, admin_id: str, admin_name: str, passphrase: str, **kw: Any) -> tuple["Store", str]:
        store = cls(root, **kw)
        if store.dir.vault.exists():
            raise AlreadyInitialised(None, path=str(root))
        store.dir.create()
        code = store.vault.create(admin_id, admin_name, passphrase)
        session = store.unlock(admin_id, passphrase)
        session.log("user-init", detail=admin_id)
        session.close()
        return store, code

    @classmethod
    def open(cls, root: Path, **kw: Any) -> "Store":
        store = cls(root, **kw)
        store.dir.check()
        store.dir.sweep_tmp()
        return store

    def unlock(self, user_id: str, passphrase: str) -> "Session":
        try:
            keys = self.vault.unlock(user_id, passphrase)
        except WrongPassphrase:
            pub = self.vault.audit_public_key()
            if pub is not None:
                self.audit_log.record_pending(pub, {"action": "unlock-failed", "user": user_id})
            raise
        return Session(self, keys)

    def unlock_recovery(self, code: str) -> "Session":
        try:
            keys = self.vault.unlock_recovery(code)
        except WrongPassphrase:
            pub = self.vault.audit_public_key()
            if pub is not None:
                self.audit_log.record_pending(pub, {"action": "unlock-failed", "user": "_recovery"})
            raise
        return Session(self, keys)


@dataclass
class Session:
    store: Store
    keys: Keys
    session_id: str = field(default_factory=lambda: secrets.token_hex(6))

    def __post_init__(self) -> None:
        d = self.store.dir
        self.index = Index(d.index, d.locks / "index.lock", d.tmp, self.keys.ik, on_stale_key=self.refresh_keys)
        self.audit = self.store.audit_log
        self.audit.ingest_pending(self.keys.audit_sks[self.keys.current_gen], self.keys.ak)
        self.log("unlock")
        if self.keys.admin_sk is not None:
            # sign the head only over an intact chain, or a truncation would be blessed
            if self.audit.verify(self.keys.ak, self.store.vault.admin_public(), decrypt=False).ok:
                self.audit.write_checkpoint(self.keys.admin_sk)
            else:
                self.log("audit-broken")
        if self.store.vault.index_rebuild_needed():
            self.rebuild_index()
            self.store.vault.clear_index_rebuild()

    @property
    def user(self) -> User:
        return self.keys.user

    def log(self, action: str, rid: str | None = None, client: str | None = None, detail: Any = None) -> None:
        entry: dict[str, Any] = {"user": self.user.id, "session": self.session_id, "action": action}
        if rid:
            entry["rid"] = rid
        if client:
            entry["client"] = client
        if detail is not None:
            entry["detail"] = detail
        self.audit.append(self.keys.ak, entry)

    def require_admin(self) -> None:
        if not self.user.is_admin:
            raise NotAuthorized()

    def close(self) -> None:
        self.log("lock")

    # -------------------------------------------------------------- records

    def create_record(
        self,
        bank: QuestionBank,
        client_ref: str,
        interview_date: date,
        linked: dict[str, Any] | None = None,
        practice: bool = False,
        meta: dict[str, Any] | None = None,
    ) -> "RecordHandle":
        BankVersions.for_store(self.store).check_new_interview(bank)  # retired versions take no new interviews
        dropout = bank.instrument == "bortfall"
        if not practice and not dropout and self.user.role == "interviewer" and not self.user.certified:
            raise NotAuthorized("store.error.not_certified")
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
            "created": _now(),
            "updated": _now(),
            "bank": {"id": bank.id, "version": bank.version, "sha256": bank.sha256},
            "interview_date": interview_date.isoformat(),
            "linked": linked,
            "status": IN_PROGRESS,
            "practice": practice,
            "answers": {},
            "deferred": [],
            "meta": meta or {},
            "history": [{"status": IN_PROGRESS, "by": self.user.id, "at": _now()}],
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

    def open_record(self, rid: str, readonly: bool = False) -> "RecordHandle":
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

    def refresh_keys(self) -> None:
        """After another admin rotated the vault key: load the new generation."""
        self.store.vault.refresh(self.keys)
        self.index.key = self.keys.ik

    def ensure_fresh_keys(self) -> None:
        """Before sealing anything under a vault key: never use a retired generation."""
        current, rotating = self.store.vault.generations()
        if (current, rotating) != (self.keys.current_gen, self.keys.rotating_to) or current not in self.keys.vks:
            self.refresh_keys()

    def _read_snapshot(self, path: Path, rid: str) -> Snapshot:
        try:
            return read_snapshot(path, rid, self.keys.vks)
        except RecordDamaged:
            # perhaps only a newer key generation than this session knows (another
            # admin rotated): refresh once and retry; real damage raises again
            header, _ = read_header(path)
            if header.get("vk_gen") in self.keys.vks:
                raise
            self.refresh_keys()
            return read_snapshot(path, rid, self.keys.vks)

    def _check_rollback(self, snap: Snapshot) -> None:
        doc = self.index.get(snap.rid)
        if doc is not None and (snap.gen, snap.seq) < (int(doc.get("gen", 0)), int(doc.get("seq", 0))):
            raise RecordRolledBack()
        newer = [p for p in self.store.dir.journals.glob(f"{snap.rid}.*.jnl") if _gen_of(p) > snap.gen]
        if newer:
            raise RecordRolledBack()

    def list_records(self, **filters: Any) -> list[dict[str, Any]]:
        docs = self.index.all()
        for key, value in filters.items():
            if value is not None:
                docs = [d for d in docs if d.get(key) == value]
        return sorted(docs, key=lambda d: (d.get("updated") or "", d["rid"]), reverse=True)

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

    # -------------------------------------------------------------- small documents

    def save_doc(self, kind: str, doc_id: str, data: dict[str, Any]) -> None:
        """An encrypted document beside the records (training groups, settings).

        Same format and keys as a record snapshot; `kind` and `doc_id` are
        short identifiers ([a-z0-9_-]), never client data."""
        path = self._doc_path(kind, doc_id)
        path.parent.mkdir(mode=0o2770, parents=True, exist_ok=True)
        self.ensure_fresh_keys()
        rid = f"{kind}.{doc_id}"
        dek = C.random_key()
        header = new_header(rid, 0, 0, self.keys.write_gen, self.keys.vk, dek)
        write_snapshot(path, header, {"rid": rid, "data": data, "updated": _now(), "by": self.user.id}, dek, self.store.dir.tmp)

    def load_docs(self, kind: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        directory = self.store.dir.root / "docs" / _safe_name(kind)
        for path in sorted(directory.glob("*.doc")):
            try:
                out[path.stem] = self._read_snapshot(path, f"{kind}.{path.stem}").body["data"]
            except (StoreError, KeyError):
                continue
        return out

    def delete_doc(self, kind: str, doc_id: str) -> None:
        self._doc_path(kind, doc_id).unlink(missing_ok=True)

    def _doc_path(self, kind: str, doc_id: str) -> Path:
        return self.store.dir.root / "docs" / _safe_name(kind) / f"{_safe_name(doc_id)}.doc"

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
            for f in [path, *self.store.dir.journals.glob(f"{rid}.*.jnl")]:
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
        for path in sorted(self.store.dir.records.glob("*.rec")):
            rid = path.stem
            try:
                snap = self._read_snapshot(path, rid)
                docs.append(index_doc(snap))
            except StoreError:
                damaged.append(rid)  # reported to the caller, kept out of the index
        n = self.index.replace_all(docs)
        self.log("index-rebuild", detail={"records": n, "damaged": len(damaged)})
        return n, damaged

    # -------------------------------------------------------------- users

    def list_users(self) -> list[User]:
        return self.store.vault.users()

    def add_user(self, user_id: str, name: str, role: str, passphrase: str, certified: bool = False) -> User:
        self.require_admin()
        user = self.store.vault.add_user(self.keys, user_id, name, role, passphrase, certified)
        self.log("user-add", detail={"user": user_id, "role": role, "certified": certified})
        return user

    def update_user(self, user_id: str, **changes: Any) -> User:
        self.require_admin()
        user = self.store.vault.update_user(self.keys, user_id, **changes)
        self.log("user-update", detail={"user": user_id, **{k: v for k, v in changes.items() if k != "name"}})
        return user

    def reset_passphrase(self, user_id: str, passphrase: str) -> None:
        self.require_admin()
        self.store.vault.reset_passphrase(self.keys, user_id, passphrase)
        self.log("user-reset", detail={"user": user_id})

    def change_passphrase(self, old: str, new: str) -> None:
        self.store.vault.change_own_passphrase(self.user.id, old, new)
        self.log("user-passwd", detail={"user": self.user.id})

    # -------------------------------------------------------------- keys and audit

    def rotate_key(self, reencrypt: bool = False, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """New vault key; every record re-wrapped (and with `reencrypt`, new
        record keys and a new index key). Safe to rerun after an interruption."""
        self.require_admin()
        new_gen = self.store.vault.begin_rotation(self.keys)
        self.log("key-rotate-begin", detail={"gen": new_gen, "reencrypt": reencrypt})
        paths = sorted(self.store.dir.records.glob("*.rec"))
        skipped: list[str] = []
        for i, path in enumerate(paths, 1):
            faults.point("rotate.before_record")
            rid = path.stem
            try:
                if reencrypt:
                    self._reencrypt_record(rid, new_gen)
                else:
                    lock = RecordLock(self.store.dir.lock_path(rid), self.user.id)
                    lock.acquire()  # an open editor keeps its record: skipped, rerun later
                    try:
                        rewrap_header(path, self.keys.vks, new_gen, self.store.dir.tmp)
                    finally:
                        lock.release()
            except StoreError:
                skipped.append(rid)
            if progress:
                progress(i, len(paths))
        if skipped:
            self.log("key-rotate-incomplete", detail={"skipped": len(skipped)})
            return {"gen": new_gen, "records": len(paths), "skipped": skipped, "finished": False}
        faults.point("rotate.before_finish")
        new_ik = C.random_key() if reencrypt else None
        # with a new index key the vault records "rebuild the index" first, so a
        # crash before the index is rewritten is repaired by the next session
        self.store.vault.finish_rotation(self.keys, new_ik)
        self.index.key = self.keys.ik
        if new_ik is not None:
            faults.point("rotate.before_index")
            self.rebuild_index()
            self.store.vault.clear_index_rebuild()
        self.log("key-rotate", detail={"gen": new_gen, "records": len(paths), "reencrypt": reencrypt})
        return {"gen": new_gen, "records": len(paths), "skipped": [], "finished": True}

    def _reencrypt_record(self, rid: str, new_gen: int) -> None:
        handle = self.open_record(rid)
        try:
            handle._compact(handle.status, new_dek=C.random_key(), vk_gen=new_gen)
        finally:
            handle.close(log=False)

    def verify_audit(self) -> VerifyResult:
        return self.audit.verify(self.keys.ak, self.store.vault.admin_public())

    def audit_entries(self, user: str | None = None, client: str | None = None) -> list[dict[str, Any]]:
        self.require_admin()
        out = [
            e
            for e in self.audit.entries(self.keys.ak)
            if (user is None or e.get("user") == user) and (client is None or e.get("client") == client)
        ]
        self.log("audit-read", detail={"user": user, "client": bool(client)})
        return out


def _safe_name(name: str) -> str:
    if not name or len(name) > 64 or not all(c.isalnum() and c.isascii() or c in "_-" for c in name):
        raise StoreError("store.error.user")
    return name


def _gen_of(path: Path) -> int:
    try:
        return int(path.name.split(".")[1])
    except (IndexError, ValueError):
        return -1


def index_doc(snap: Snapshot) -> dict[str, Any]:
    b = snap.body
    return {
        "rid": snap.rid,
        "kind": b.get("kind"),
        "instrument": b.get("instrument"),
        "variant": b.get("variant"),
        "bank_id": b["bank"]["id"] if b.get("bank") else None,
        "bank_version": b["bank"]["version"] if b.get("bank") else None,
        "status": b.get("status"),
        "client_ref": b.get("client_ref"),
        "interviewer": b.get("interviewer"),
        "interview_date": b.get("interview_date"),
        "linked_rid": (b.get("linked") or {}).get("rid"),
        "practice": bool(b.get("practice")),
        "created": b.get("created"),
        "updated": b.get("updated"),
        "gen": snap.gen,
        "seq": snap.seq,
    }


class RecordHandle:
    """One record opened for editing (holding its lock) or read-only."""

    def __init__(self, session: Session, snap: Snapshot, bank: QuestionBank, lock: RecordLock | None, notices: list[str]) -> None:
        self.session = session
        self.snap = snap
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
        status = COMPLETED if self.body.get("status") == COMPLETED else IN_PROGRESS
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
        older = sorted((p for p in d.journals.glob(f"{self.rid}.*.jnl") if _gen_of(p) < self.snap.gen), key=_gen_of)
        for p in older:
            res = read_journal(p, self.rid, _gen_of(p), self.snap.dek, seq)
            for op in res.ops:
                self._apply(op, replay=True)
            carried = carried or bool(res.ops)
            seq = res.last_seq
        path = journal_path(d.journals, self.rid, self.snap.gen)
        res = read_journal(path, self.rid, self.snap.gen, self.snap.dek, seq)
        for op in res.ops:
            self._apply(op, replay=True)
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

    def _apply(self, op: dict[str, Any], replay: bool) -> Outcome | None:
        kind = op.get("op")
        iv = self.interview
        if kind == "answer":
            outcome = iv.answer(op["item"], decode(op["v"]))
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
        if self.status == COMPLETED and not allow_completed:
            raise StoreError("engine.invalid.completed")
        return self.writer

    def _journal(self, op: dict[str, Any], allow_completed: bool = False) -> None:
        self._require_writable(allow_completed).append({**op, "by": self.session.user.id, "at": _now()})

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
        self.answer_meta[item_id] = {"by": self.session.user.id, "at": _now()}
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
            updated=_now(),
            warnings=sorted(iv.warnings),
        )
        if status != self.body.get("status"):
            body["history"] = [*self.body.get("history", []), {"status": status, "by": self.session.user.id, "at": _now()}]
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
        d = self.session.store.dir
        self.session.ensure_fresh_keys()
        keys = self.session.keys
        gen = self.snap.gen + 1
        dek = new_dek or self.snap.dek
        gen_key = vk_gen or keys.write_gen
        header = new_header(self.rid, gen, writer.seq, gen_key, keys.vks[gen_key], dek)
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
        for p in d.journals.glob(f"{self.rid}.*.jnl"):
            if _gen_of(p) < gen:
                p.unlink(missing_ok=True)
        self.writer = new_writer
        self.session.index.upsert(index_doc(self.snap))
        if failure is not None:
            raise failure

    def pause(self) -> None:
        self._require_writable()
        self._compact(PAUSED)
        self._log_answers()
        self.session.log("pause", self.rid, self.client_ref)

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
        self.session.log("complete", self.rid, self.client_ref)

    def _log_answers(self) -> None:
        if self.session_answers:
            self.session.log("answer", self.rid, self.client_ref, detail={"count": self.session_answers})
            self.session_answers = 0

    def close(self, log: bool = True) -> None:
        if self._closed:
            return
        if log:
            self._log_answers()
        if self.writer is not None:
            self.writer.close()
        if self.lock is not None:
            self.lock.release()
        self._closed = True
