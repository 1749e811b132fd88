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

from . import access
from .audit import VerifyResult
from .core import StoreCore
from .errors import AlreadyInitialised, WrongPassphrase
from .index import Index
from .integrity import VaultOlder
from .keyops import KeyOps
from .keyslots import Keys, User
from .rotation import RotationDue
from .units import FIRST_UNIT, Unit
from .vault import VaultState
from .locks import set_identity


class Store(StoreCore):
    """A data directory: `init` creates one, `open` checks one, `unlock` starts a session."""

    @classmethod
    def init(cls, root: Path, admin_id: str, admin_name: str, passphrase: str, unit_name: str | None = FIRST_UNIT,
             **kw: Any) -> tuple["Store", str]:
        """A new data directory with its first admin and its first unit (`unit_name`;
        None: no unit yet). With one unit, users join it and records belong to it
        without anyone being asked; `unit add` makes more."""
        store = cls(root, **kw)
        if store.dir.vault.exists():
            raise AlreadyInitialised(None, path=str(root))
        store.dir.create()
        code = store.vault.create(admin_id, admin_name, passphrase, unit_name)
        session = store.unlock(admin_id, passphrase)
        session.log("user-init", detail={"user": admin_id, "key": session.user_key_fp(session.user)})
        session.close()
        return store, code

    @classmethod
    def open(cls, root: Path, **kw: Any) -> "Store":
        store = cls(root, **kw)
        store.dir.check()
        store.dir.sweep_tmp()
        return store

    def unlock(self, user_id: str, passphrase: str, verify_only: bool = False) -> "Session":
        """A session for `user_id`, after checking vault.json against the audit log.

        An older vault.json than the audit log records (a restored copy, which
        may re-enable a disabled user or bring back a retired key) refuses the
        unlock with VaultOlder, except with `verify_only` (for `audit verify`,
        where an admin can look into it and `accept_vault`). One that does not
        match otherwise (changed outside the app, or the audit log lost its
        tail) opens with `vault_problem` set: admin changes to users and keys
        wait until it is resolved, and `audit verify` reports it."""
        try:
            keys = self.vault.unlock(user_id, passphrase)
        except WrongPassphrase:
            pub = self.vault.audit_public_key()
            if pub is not None:
                self.audit_log.record_pending(pub, {"action": "unlock-failed", "user": user_id})
            raise
        return Session(self, keys, verify_only=verify_only)

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
class Session(KeyOps):
    """One user's unlocked keys; ends with `close` (audited as "lock")."""

    store: Store
    keys: Keys
    session_id: str = field(default_factory=lambda: secrets.token_hex(6))
    verify_only: bool = False

    def __post_init__(self) -> None:
        set_identity(self.keys.user.id)  # named in the holder info of the locks this process takes
        d = self.store.dir
        self.index = Index(d.index_dir, d.index, d.locks, d.tmp, key_for=self._index_key,
                           current_gen=lambda: self.keys.write_gen,
                           legacy_keys=lambda: [self.keys.ik, *self.keys.old_index_keys()], on_stale_key=self.refresh_keys)
        self.audit = self.store.audit_log
        self.vault_problem = self.vault_status()
        if isinstance(self.vault_problem, VaultOlder) and not self.verify_only:
            raise self.vault_problem
        self.audit.ingest_pending(self.keys.audit_secret_keys(), self.keys.ak, self.keys.reader_pub)
        self.log("unlock")
        if self.vault_problem is not None:
            self.log("vault-problem", detail={"reason": self.vault_problem.key, **self.vault_problem.params})
        elif self.keys.admin_sk is not None:
            # sign the head only over an intact chain, or a truncation would be blessed
            if self._audit_result(decrypt=False).ok:
                self.write_checkpoint()
            else:
                self.log("audit-broken")

    def close(self) -> None:
        self.log("lock")

    # -------------------------------------------------------------- users

    def list_users(self) -> list[User]:
        return self.store.vault.users()

    def add_user(self, user_id: str, name: str, role: str, passphrase: str, certified: bool = False,
                 units: list[str] | None = None) -> User:
        """A new user (admin); `units`: ids or names (None: the only unit, if there is one)."""
        self.require_admin()
        self.require_sound_vault()
        user = self.store.vault.add_user(self.keys, user_id, name, role, passphrase, certified,
                                         journal=self._vault_journal, units=units)
        self.log("user-add", detail={"user": user_id, "role": role, "certified": certified, "units": list(user.units),
                                     "key": self.user_key_fp(user)})
        return user

    def update_user(self, user_id: str, **changes: Any) -> User:
        self.require_admin()
        self.require_sound_vault()
        user = self.store.vault.update_user(self.keys, user_id, journal=self._vault_journal, **changes)
        shown = {k: v for k, v in changes.items() if k not in ("name", "units")}
        if "units" in changes:
            shown["units"] = list(user.units)
        self.log("user-update", detail={"user": user_id, **shown})
        return user

    # -------------------------------------------------------------- units

    def list_units(self) -> list[Unit]:
        """Every unit, retired ones too (names are not client data: any user may list them)."""
        return self.store.vault.units()

    def unit_names(self) -> dict[str, str]:
        return {u.id: u.name for u in self.list_units()}

    def find_unit(self, ref: str) -> Unit:
        """A unit by id or name (case and spaces ignored); UserError if there is none."""
        return self.store.vault.find_unit(ref)

    def my_units(self, action: str = "record.create") -> list[Unit]:
        """The active units this user may do `action` in (the choice a new interview offers)."""
        scope = self.scope(action)
        return [u for u in self.list_units() if not u.retired and (scope is None or u.id in scope)]

    def add_unit(self, name: str, unit_id: str | None = None) -> Unit:
        self.require_admin()
        self.require_sound_vault()
        unit = self.store.vault.add_unit(self.keys, name, unit_id, journal=self._vault_journal)
        self.log("unit-add", detail={"unit": unit.id}, unit=unit.id)
        return unit

    def change_unit(self, ref: str, name: str | None = None, retired: bool | None = None) -> Unit:
        """Rename a unit or retire it (admin); audited."""
        self.require_admin()
        self.require_sound_vault()
        unit = self.store.vault.change_unit(self.keys, ref, name, retired, journal=self._vault_journal)
        what = "unit-rename" if name is not None else "unit-retire" if retired else "unit-reactivate"
        self.log(what, detail={"unit": unit.id}, unit=unit.id)
        return unit

    def disable_user(self, user_id: str) -> RotationDue | None:
        """Disable a user: their slot and key boxes go now, but they may have kept
        the current keys, so it takes full effect at the next key rotation.
        Returns the rotation-due state (what `asi-tui user disable` reports)."""
        self.update_user(user_id, disabled=True)
        return self.rotation_due()

    def rotation_due(self) -> RotationDue | None:
        """Whether a key rotation is due and why (`Vault.rotation_due`)."""
        return self.store.vault.rotation_due()

    def reset_passphrase(self, user_id: str, passphrase: str) -> None:
        self.require_admin()
        self.require_sound_vault()
        user = self.store.vault.reset_passphrase(self.keys, user_id, passphrase, journal=self._vault_journal)
        self.log("user-reset", detail={"user": user_id, "key": self.user_key_fp(user)})

    def change_passphrase(self, old: str, new: str) -> None:
        self.store.vault.change_own_passphrase(self.user.id, old, new)
        self.log("user-passwd", detail={"user": self.user.id})

    # -------------------------------------------------------------- audit

    def _audit_result(self, decrypt: bool = True) -> VerifyResult:
        vault = self.store.vault
        return self.audit.verify(self.keys.audit_keys(), vault.admin_publics(), decrypt, vault.checkpoint())

    def verify_audit(self) -> VerifyResult:
        """The audit chain, its checkpoints, and vault.json against what the chain
        recorded. Any user may check it; only an admin, who holds every audit key,
        also checks that each entry decrypts (personal parts stay sealed either way)."""
        result = self._audit_result(decrypt=access.allowed(self.user, "audit"))
        if not result.ok:
            return result
        problem = self.vault_status()
        if problem is not None:
            reason = "vault_older" if problem.key.endswith("vault_older") else "vault_mismatch"
            return VerifyResult(False, result.entries, None, reason, dict(problem.params))
        return result

    def accept_vault(self) -> VaultState:
        """Admin, after looking into a reported problem (user list checked,
        right files put back where possible): take vault.json as it is, with a
        serial above the audit log's, and write a new checkpoint above every
        earlier one. Audited ("integrity-accept") with what was reported."""
        self.require_admin()
        problem = self.vault_status()
        expected = int(problem.params.get("expected", 0)) if problem is not None else 0
        state = self.store.vault.accept(self.keys, expected, journal=self._vault_journal)
        before = self._audit_result()
        self.log("integrity-accept", detail={"serial": state.serial, "vault": problem.params if problem else None,
                                             "audit": before.reason})
        self.vault_problem = None
        logged = max((int(e.get("detail", {}).get("n", 0)) for e in self.audit.entries(self.keys.audit_keys())
                      if e.get("action") == "checkpoint" and isinstance(e.get("detail"), dict)), default=0)
        self.write_checkpoint(after=logged)
        return state

    def audit_entries(self, user: str | None = None, client: str | None = None, unit: str | None = None,
                      denied: bool = False) -> list[dict[str, Any]]:
        """Entries for access reviews (admin): by user, client, unit (id or name), or refusals only."""
        self.require("audit")
        unit_id = self.store.vault.find_unit(unit).id if unit else None
        out = [
            e
            for e in self.audit.entries(self.keys.audit_keys(), self.keys.reader_keys())
            if (user is None or e.get("user") == user) and (client is None or e.get("client") == client)
            and (unit_id is None or e.get("unit") == unit_id) and (not denied or e.get("action") == "denied")
        ]
        self.log("audit-read", detail={"user": user, "client": bool(client), "unit": unit_id, "denied": denied})
        return out
