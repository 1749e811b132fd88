"""What every store operation builds on.

`StoreCore` is an opened data directory: its paths, vault, audit log and the
resolver that finds a record's pinned bank; `session.Store` adds creating,
opening and unlocking. `SessionCore` is the state of an unlocked session: its
keys, the index, the audit trail and the access checks. The operations are
mixins on it (`recordops`, `docs`, `keyops`), joined by `session.Session`;
`handle.RecordHandle` needs only this core.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import access
from .audit import AuditLog
from .bank_versions import BankResolver, resolver_for
from .datadir import DataDir
from .errors import RecordDamaged
from .index import Index
from .keyslots import Keys, User
from .records import Snapshot, read_header, read_snapshot
from .throttle import Throttle
from .vault import Vault


class StoreCore:
    """An opened data directory (not yet unlocked)."""

    def __init__(self, root: Path, resolver: BankResolver | None = None) -> None:
        self.dir = DataDir(root)
        throttle = Throttle(self.dir.throttle, self.dir.locks / "throttle.lock", self.dir.tmp)
        self.vault = Vault(self.dir.vault, self.dir.locks / "vault.lock", self.dir.tmp, throttle)
        self.audit_log = AuditLog(self.dir.audit, self.dir.locks / "audit.lock", self.dir.tmp)
        if resolver is None:  # published versions in the data dir first, then the bundled ones
            resolver = resolver_for(self.dir.root)
        self.resolver = resolver


class SessionCore:
    """An unlocked session's keys, index and audit trail (see `session.Session`)."""

    store: StoreCore
    keys: Keys
    session_id: str
    index: Index
    audit: AuditLog

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
        access.require_admin(self.user)

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
