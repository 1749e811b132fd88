"""The store's API: creating, opening and unlocking a data directory, and the
unlocked session the CLI and the TUI work through.

A `Session` joins the operations on records (`recordops`), small documents
(`docs`) and key rotation (`keyops`) on the shared core (`core`), and adds
user administration and the audit log here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .audit import VerifyResult
from .core import StoreCore
from .docs import DocOps
from .errors import AlreadyInitialised, WrongPassphrase
from .index import Index
from .keyops import KeyOps
from .keyslots import Keys, User
from .locks import set_identity


class Store(StoreCore):
    """A data directory: `init` creates one, `open` checks one, `unlock` starts a session."""

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
class Session(KeyOps, DocOps):
    """One user's unlocked keys; ends with `close` (audited as "lock")."""

    store: Store
    keys: Keys
    session_id: str = field(default_factory=lambda: secrets.token_hex(6))

    def __post_init__(self) -> None:
        set_identity(self.keys.user.id)  # named in the holder info of the locks this process takes
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

    def close(self) -> None:
        self.log("lock")

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

    # -------------------------------------------------------------- audit

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
