"""Vault key rotation for a session (admin): a new key generation (vault,
audit, index and admin keys), every record re-wrapped (or, with `reencrypt`,
re-encrypted under new record keys), every small document re-sealed, the
published bank files re-signed with the new admin key and the index
partitions rewritten under the new generation's keys, then the old generation
dropped. Safe to rerun after an interruption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

from . import crypto as C
from . import faults
from .docs import DocOps
from .errors import StoreError
from .fsutil import atomic_write
from .keyslots import User
from .locks import RecordLock, exclusive
from .recordops import RecordOps
from .records import rewrap_header


class KeyOps(RecordOps, DocOps):
    """Rotation walks every record and document, so it builds on their operations."""

    def rotate_key(self, reencrypt: bool = False, progress: Callable[[int, int], None] | None = None,
                   legacy: tuple[int, ...] = ()) -> dict[str, Any]:
        """New key generation; every record re-wrapped (and with `reencrypt`,
        new record keys). Safe to rerun after an interruption.

        The new keys go only to active users whose public key the audit log
        shows the app gave them (user-init/add/reset): someone written into
        vault.json behind the app's back is left out, and listed in
        "users_left_out" (an admin can reset a legitimate user's passphrase).
        `legacy`: generations whose audit keys go to admins only (the upgrade)."""
        self.require_admin()
        self.require_sound_vault()
        audited = self.audit.user_keys(self.keys.audit_keys(), self.keys.reader_keys())

        def allowed(user: User) -> bool:
            return audited.get(user.id) == self.user_key_fp(user)

        new_gen, left_out = self.store.vault.begin_rotation(self.keys, self._vault_journal, allowed, legacy)
        self.log("key-rotate-begin", detail={"gen": new_gen, "reencrypt": reencrypt})
        for user_id in left_out:
            self.log("key-rotate-left-out", detail={"user": user_id})
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
                        rewrap_header(path, self.keys, new_gen, self.store.dir.tmp)
                    finally:
                        lock.release()
            except StoreError:
                skipped.append(rid)
            if progress:
                progress(i, len(paths))
        faults.point("rotate.before_docs")
        docs_failed = self.reseal_docs(new_gen, reencrypt)
        self._resign_bank_files()
        result = {"gen": new_gen, "records": len(paths), "skipped": skipped, "finished": False,
                  "users_left_out": left_out, "docs_damaged": docs_failed}
        if skipped:
            self.log("key-rotate-incomplete", detail={"skipped": len(skipped)})
            return result
        faults.point("rotate.before_index")
        # every index partition this admin holds, rewritten under the new
        # generation's keys while the old ones are still held; cut short, the
        # rerun of the rotation (or the next session that holds both) does it
        self.index.rekey()
        faults.point("rotate.before_finish")
        self.store.vault.finish_rotation(self.keys, self._vault_journal)
        self.refresh_keys()
        self.index.rekey()
        self.write_checkpoint()  # signed with the new admin key
        self.log("key-rotate", detail={"gen": new_gen, "records": len(paths), "reencrypt": reencrypt,
                                       "docs_damaged": len(docs_failed)})
        return {**result, "finished": True}

    def _reencrypt_record(self, rid: str, new_gen: int) -> None:
        handle = self._open(rid, False)  # the store's own work: no policy check, no "open" entry
        try:
            handle._compact(handle.status, new_dek=C.random_key(), vk_gen=new_gen)
        finally:
            handle.close(log=False)

    def _resign_bank_files(self) -> None:
        """Published bank versions, maps and the bank state are signed with the
        admin key: re-sign what the previous admin key signed with the new one
        (a file that verifies with neither is left, and is refused on reading)."""
        banks = self.store.dir.root / "banks"
        if not banks.is_dir() or self.keys.admin_sk is None:
            return
        new_pub, *old_pubs = self.store.vault.admin_publics()
        with exclusive(self.store.dir.locks / "bank-store.lock"):
            for path in sorted([banks / "state.json", *banks.rglob("*.sig.json")]):
                self._resign(path, new_pub, old_pubs)

    def _resign(self, path: Path, new_pub: bytes, old_pubs: list[bytes]) -> None:
        try:
            data = json.loads(path.read_bytes())
            payload = {k: v for k, v in data.items() if k != "signature"}
            signature = C.b64d(str(data["signature"]))
        except (OSError, ValueError, KeyError, TypeError, C.CryptoError):
            return
        message = C.canonical(payload)
        try:
            C.verify(new_pub, signature, message)
            return  # already re-signed (a rerun)
        except C.CryptoError:
            pass
        try:
            C.verify_any(old_pubs, signature, message)
        except C.CryptoError:
            return
        assert self.keys.admin_sk is not None
        resigned = {**payload, "signature": C.b64e(C.sign(self.keys.admin_sk, message))}
        text = json.dumps(resigned, indent=1, sort_keys=True, ensure_ascii=False).encode("utf-8")
        atomic_write(path, text, self.store.dir.tmp)
