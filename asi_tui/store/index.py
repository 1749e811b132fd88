"""The record index: TinyDB through an encrypted, atomically written storage.

Only lifecycle fields live here (no answers), one document per record, written
once per state change, never per answer. The whole file is rewritten on every
TinyDB write, so each operation holds `locks/index.lock` (a separate file,
because the index file's inode changes on every replace) for the whole
read-modify-write. `asi-tui index rebuild` recreates it from the records.

The index key changes with every vault key generation. A session also holds
the older index keys (`old_keys`): an index a rotation did not get to rewrite
(killed in between) still opens, and is rewritten under the current key at
once, so that someone removed before the rotation cannot read it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from tinydb import Query, TinyDB
from tinydb.storages import Storage

from . import crypto as C
from .errors import RecordDamaged, StoreError
from .fsutil import atomic_write, read_regular
from .locks import exclusive
from .records import Snapshot, body_unit

MAGIC = b"ASIIDX1\n"
MAX_INDEX_BYTES = 256 << 20  # ~300 bytes per record
AD = b"asi-tui/index/v1"


class IndexDamaged(RecordDamaged):
    key = "store.error.index_damaged"


class EncryptedAtomicJSONStorage(Storage):
    """TinyDB storage: AES-GCM encrypted JSON, replaced atomically on write.

    Written with `key`; read with `key` or one of `old_keys` (then `stale` is set)."""

    def __init__(self, path: str, key: bytes, tmp_dir: str, old_keys: tuple[bytes, ...] = ()) -> None:
        self.path = Path(path)
        self.key = key
        self.old_keys = old_keys
        self.tmp_dir = Path(tmp_dir)
        self.stale = False

    def read(self) -> dict[str, Any] | None:
        try:
            data = read_regular(self.path, MAX_INDEX_BYTES)
        except FileNotFoundError:
            return None
        except (OSError, StoreError):  # a planted link, FIFO or huge file: rebuild replaces it
            raise IndexDamaged() from None
        if not data.startswith(MAGIC):
            raise IndexDamaged()
        for key in (self.key, *self.old_keys):
            try:
                plain = C.open_sealed(key, data[len(MAGIC) :], AD)
            except C.CryptoError:
                continue
            try:
                doc = json.loads(plain)
            except ValueError:
                raise IndexDamaged() from None
            self.stale = key != self.key
            return doc
        raise IndexDamaged()

    def write(self, data: dict[str, Any]) -> None:
        plain = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
        atomic_write(self.path, MAGIC + C.seal(self.key, plain, AD), self.tmp_dir)

    def close(self) -> None:  # nothing held open between calls
        pass


class Index:
    def __init__(self, path: Path, lock_path: Path, tmp_dir: Path, key: bytes, on_stale_key=None) -> None:  # noqa: ANN001
        self.path = path
        self.lock_path = lock_path
        self.tmp_dir = tmp_dir
        self.key = key
        self.old_keys: list[bytes] = []  # earlier generations' index keys: read, never written
        self.on_stale_key = on_stale_key  # called once when the file no longer opens with our key

    def _retry(self, fn):  # noqa: ANN001, ANN202
        try:
            return fn()
        except IndexDamaged:
            if self.on_stale_key is None:
                raise
            self.on_stale_key()
            return fn()

    def _db(self) -> TinyDB:
        return TinyDB(
            str(self.path), storage=EncryptedAtomicJSONStorage, key=self.key, tmp_dir=str(self.tmp_dir),
            old_keys=tuple(self.old_keys),
        )

    @staticmethod
    def _rewrite_if_stale(db: TinyDB) -> None:
        """Under the lock, after a read: an index still sealed with an older key is rewritten with ours."""
        storage = db.storage
        if isinstance(storage, EncryptedAtomicJSONStorage) and storage.stale:
            data = storage.read()
            if data is not None:
                storage.write(data)

    def upsert(self, doc: dict[str, Any]) -> None:
        def run() -> None:
            with exclusive(self.lock_path):
                self._db().upsert(doc, Query().rid == doc["rid"])

        self._retry(run)

    def remove(self, rid: str) -> None:
        def run() -> None:
            with exclusive(self.lock_path):
                self._db().remove(Query().rid == rid)

        self._retry(run)

    def get(self, rid: str) -> dict[str, Any] | None:
        def run() -> dict[str, Any] | None:
            with exclusive(self.lock_path):
                db = self._db()
                doc = db.get(Query().rid == rid)
                self._rewrite_if_stale(db)
            return dict(doc) if doc is not None else None

        return self._retry(run)

    def all(self) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            with exclusive(self.lock_path):
                db = self._db()
                docs = [dict(d) for d in db.all()]
                self._rewrite_if_stale(db)
                return docs

        return self._retry(run)

    def replace_all(self, docs: Iterable[dict[str, Any]]) -> int:
        docs = list(docs)
        with exclusive(self.lock_path):
            db = self._db()
            db.drop_tables()
            db.insert_multiple(docs)
        return len(docs)

    def rekey(self, new_key: bytes | None = None) -> None:
        """Rewrite the index under `new_key` (default: the current key), reading
        it with whichever of our keys opens it."""
        def run() -> None:
            with exclusive(self.lock_path):
                docs = [dict(d) for d in self._db().all()]
                if new_key is not None:
                    self.key = new_key
                db = self._db()
                db.drop_tables()
                db.insert_multiple(docs)

        self._retry(run)


def index_doc(snap: Snapshot, hwm: tuple[int, int] | None = None) -> dict[str, Any]:
    """What the index holds of a record: ids, status, bank version, dates,
    interviewer, unit, responsible case worker, and the (generation, sequence) high-water mark of its
    acknowledged changes (`integrity`); never answers."""
    b = snap.body
    meta = b.get("meta") or {}
    return {
        "rid": snap.rid,
        "unit": body_unit(b),  # a unit id, or "practice": the compartment (access checks, partitions)
        "responsible": meta.get("responsible") if isinstance(meta.get("responsible"), str) else None,
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
        "reactualisation": bool((b.get("meta") or {}).get("reactualisation")),  # store/chain.py
        "practice": bool(b.get("practice")),
        "created": b.get("created"),
        "updated": b.get("updated"),
        "gen": snap.gen,
        "seq": snap.seq,
        "hwm": list(hwm or (snap.gen, snap.seq)),
    }
