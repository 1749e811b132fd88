"""The record index: TinyDB through an encrypted, atomically written storage.

Only lifecycle fields live here (no answers), one document per record, written
once per state change, never per answer. The whole file is rewritten on every
TinyDB write, so each operation holds `locks/index.lock` (a separate file,
because the index file's inode changes on every replace) for the whole
read-modify-write. `asi-tui index rebuild` recreates it from the records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from tinydb import Query, TinyDB
from tinydb.storages import Storage

from . import crypto as C
from .errors import RecordDamaged
from .fsutil import atomic_write
from .locks import exclusive
from .records import Snapshot

MAGIC = b"ASIIDX1\n"
AD = b"asi-tui/index/v1"


class IndexDamaged(RecordDamaged):
    key = "store.error.index_damaged"


class EncryptedAtomicJSONStorage(Storage):
    """TinyDB storage: AES-GCM encrypted JSON, replaced atomically on write."""

    def __init__(self, path: str, key: bytes, tmp_dir: str) -> None:
        self.path = Path(path)
        self.key = key
        self.tmp_dir = Path(tmp_dir)

    def read(self) -> dict[str, Any] | None:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not data.startswith(MAGIC):
            raise IndexDamaged()
        try:
            return json.loads(C.open_sealed(self.key, data[len(MAGIC) :], AD))
        except (C.CryptoError, ValueError):
            raise IndexDamaged() from None

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
        return TinyDB(str(self.path), storage=EncryptedAtomicJSONStorage, key=self.key, tmp_dir=str(self.tmp_dir))

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
                doc = self._db().get(Query().rid == rid)
            return dict(doc) if doc is not None else None

        return self._retry(run)

    def all(self) -> list[dict[str, Any]]:
        def run() -> list[dict[str, Any]]:
            with exclusive(self.lock_path):
                return [dict(d) for d in self._db().all()]

        return self._retry(run)

    def replace_all(self, docs: Iterable[dict[str, Any]]) -> int:
        docs = list(docs)
        with exclusive(self.lock_path):
            db = self._db()
            db.drop_tables()
            db.insert_multiple(docs)
        return len(docs)

    def rekey(self, new_key: bytes) -> None:
        with exclusive(self.lock_path):
            docs = [dict(d) for d in self._db().all()]
            self.key = new_key
            db = self._db()
            db.drop_tables()
            db.insert_multiple(docs)


def index_doc(snap: Snapshot) -> dict[str, Any]:
    """What the index holds of a record: ids, status, bank version, dates, interviewer; never answers."""
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
        "reactualisation": bool((b.get("meta") or {}).get("reactualisation")),  # store/chain.py
        "practice": bool(b.get("practice")),
        "created": b.get("created"),
        "updated": b.get("updated"),
        "gen": snap.gen,
        "seq": snap.seq,
    }
