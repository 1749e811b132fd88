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
from . import crypto as C
from .audit import AuditLog
from .bank_versions import BankResolver, resolver_for
from .datadir import DataDir
from .errors import NotAuthorized, NoUnitKey, RecordDamaged, StoreError, VaultAltered
from .index import Index
from .integrity import SEEN_AFTER, check_vault
from .keyslots import Keys, User
from .locks import exclusive
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
    # set for an admin (or a verify-only) session when vault.json does not match the audit log
    vault_problem: VaultAltered | None

    @property
    def user(self) -> User:
        return self.keys.user

    def log(self, action: str, rid: str | None = None, client: str | None = None, detail: Any = None,
            unit: str | None = None) -> int:
        """Append an audit entry (under the newest audit key this user may hold,
        its personal part sealed for admins); returns its seq."""
        try:
            self.ensure_fresh_keys()  # entries after a rotation go under the new audit key
        except StoreError:
            pass  # e.g. disabled meanwhile: the entry is still written, under the key we have
        entry: dict[str, Any] = {"user": self.user.id, "session": self.session_id, "action": action}
        if rid:
            entry["rid"] = rid
        if client:
            entry["client"] = client
        if unit:
            entry["unit"] = unit
        if detail is not None:
            entry["detail"] = detail
        return self.audit.append(self.keys.ak, entry, self.keys.reader_pub)

    def _vault_journal(self, step: str, serial: int, digest: str) -> None:
        """What the vault calls around each signed change (inside its lock)."""
        entry = {"user": self.user.id, "session": self.session_id, "action": "vault",
                 "detail": {"step": step, "serial": serial, "hash": digest}}
        self.audit.append(self.keys.ak, entry, self.keys.reader_pub)

    # -------------------------------------------------------------- access (access.py)

    def require(self, action: str, unit: str | None = None, rid: str | None = None, own: bool = False,
                client: str | None = None) -> None:
        """NotAuthorized (one line naming what is refused) unless the policy
        allows `action` here; every refusal is audited ("denied": who, what,
        which record or unit)."""
        if access.allowed(self.user, action, unit, own):
            return
        self.deny(action, unit, rid, client)

    def deny(self, action: str, unit: str | None = None, rid: str | None = None, client: str | None = None,
             key: str | None = None) -> None:
        self.log("denied", rid, client, detail={"what": action}, unit=unit)
        raise NotAuthorized(key or access.denied_key(action, self.user))

    def may(self, action: str, unit: str | None = None) -> bool:
        """Whether the policy allows `action` (for a front end choosing what to offer;
        nothing is audited: the operation itself checks again, and audits a refusal)."""
        return access.allowed(self.user, action, unit)

    def scope(self, action: str) -> set[str] | None:
        """The units `action` covers for this user: None for all, else a set (maybe empty)."""
        return access.units_for(self.user, action, [u.id for u in self.store.vault.units()])

    def require_admin(self) -> None:
        self.require("admin")

    def require_sound_vault(self) -> None:
        """Admin changes that trust the user table wait until a reported vault
        mismatch has been resolved (`accept_vault`, or the right file put back)."""
        if self.vault_problem is not None:
            raise self.vault_problem

    def vault_status(self) -> VaultAltered | None:
        """None if vault.json is the state the audit chain recorded last, else
        the problem (VaultOlder / VaultMismatch), checked under the vault lock so
        that a change under way is not mistaken for tampering."""
        vault = self.store.vault
        with exclusive(vault.lock_path):
            state = vault.state()
            marks = self.audit.vault_marks(self.keys.audit_keys())
            first = marks.done is None and not marks.begun and self.audit.is_empty()
            try:
                check_vault(state.serial, state.digest, marks, first)
            except VaultAltered as exc:
                return exc
            if first:  # a new data directory: record its vault's first state
                self._vault_journal("done", state.serial, state.digest)
            elif marks.scanned > SEEN_AFTER:
                self._vault_journal("seen", state.serial, state.digest)
        return None

    def write_checkpoint(self, after: int = 0) -> dict[str, Any]:
        """Admin: sign the audit head as the next numbered checkpoint (an audit
        entry itself) and record it in the vault. `after`: a number it must exceed."""
        vault_cp = self.store.vault.checkpoint() or {}
        file_cp = self.audit.read_checkpoint(self.store.vault.admin_publics(), vault_cp or None)
        n = max(int(vault_cp.get("n", 0)), file_cp["n"] if isinstance(file_cp, dict) else 0, after) + 1
        self.log("checkpoint", detail={"n": n})
        assert self.keys.admin_sk is not None
        cp = self.audit.write_checkpoint(self.keys.admin_sk, n)
        self.store.vault.record_checkpoint(self.keys, cp, self._vault_journal)
        return cp

    def user_key_fp(self, user: User) -> str:
        """The fingerprint of a user's public key, as user-* audit entries carry it."""
        return C.fingerprint(C.b64d(user.pub))

    def refresh_keys(self) -> None:
        """After another admin rotated the vault key: load the new generation."""
        self.store.vault.refresh(self.keys)
        self.index.clear_keys()

    def _index_key(self, compartment: str, gen: int) -> bytes | None:
        """A compartment's index key of generation `gen`, if this session holds it."""
        try:
            return self.keys.index_key(compartment, gen)
        except KeyError:
            return None

    def ensure_fresh_keys(self) -> None:
        """Before sealing anything under a vault key: never use a retired generation."""
        current, rotating = self.store.vault.generations()
        if (current, rotating) != (self.keys.current_gen, self.keys.rotating_to) or current not in self.keys.vks:
            self.refresh_keys()

    def _read_snapshot(self, path: Path, rid: str) -> Snapshot:
        try:
            return read_snapshot(path, rid, self.keys)
        except (RecordDamaged, NoUnitKey):
            # perhaps only a newer key generation than this session knows (another
            # admin rotated): refresh once and retry; real damage raises again
            header, _ = read_header(path)
            if header.get("vk_gen") in self.keys.vks:
                raise
            self.refresh_keys()
            return read_snapshot(path, rid, self.keys)
