"""Vault key rotation for a session (admin): a new key generation, every
record re-wrapped (or, with `reencrypt`, re-encrypted under new record keys),
then the old generation dropped. Safe to rerun after an interruption."""

from __future__ import annotations

from typing import Any, Callable

from . import crypto as C
from . import faults
from .errors import StoreError
from .locks import RecordLock
from .recordops import RecordOps
from .records import rewrap_header


class KeyOps(RecordOps):
    """Rotation walks every record, so it builds on the record operations."""

    def rotate_key(self, reencrypt: bool = False, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """New vault key; every record re-wrapped (and with `reencrypt`, new
        record keys and a new index key). Safe to rerun after an interruption."""
        self.require_admin()
        new_gen = self.store.vault.begin_rotation(self.keys)
        self.log("key-rotate-begin", detail={"gen": new_gen, "reencrypt": reencrypt})
        paths = self.store.dir.record_files()
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
