"""The vault: users, their key slots, and the keys of one data directory.

* Each user has an X25519 key pair. The private key is sealed in the user's
  slot under a key stretched from the passphrase with Argon2id; a successful
  unseal *is* the passphrase check.
* The vault key (VK) of each key generation is sealed to every active user's
  public key ("boxes"), so an admin can rotate VK without anyone's passphrase,
  and a removed user's old key opens nothing new.
* The user table (ids, roles, certified flag, public keys) and the vault's
  state (serial, key generations, per-generation keys, rotation-due flag,
  latest audit checkpoint) are signed with the admin Ed25519 key, whose
  private half is boxed only to active admins and the recovery slot. Every
  slot's seal binds the first admin key, and each later admin key is linked
  to it (`keyslots`, admin key chain), so swapping the admin key locks every
  other user out instead of silently granting rights.  Roles between VK
  holders are still enforced by program logic, OS permissions and the audit
  log, not by cryptography.
* Audit key (AK), index key (IK), an audit X25519 key pair (for failed
  unlocks, which happen without any key) and the admin key are new with
  every vault key generation, so someone removed before a rotation holds
  nothing that opens what is written after it.
* The signed `serial` grows with every signed change; the session writes
  each change's serial and digest to the audit chain before and after the
  file is replaced (`journal`), so a restored older vault.json, or one
  changed outside the app, is reported (`integrity`).

The file is JSON, replaced atomically under `locks/vault.lock`. The layout of
slots and boxes inside it is in `keyslots`.
"""

from __future__ import annotations

import hashlib
import os
import json
import secrets
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable

from . import clock, rotation
from . import crypto as C
from . import units as U
from .errors import AlreadyInitialised, NewerFormat, NotAuthorized, VaultAltered, VaultOutdated, WrongPassphrase
from .fsutil import atomic_write, read_regular
from .genkeys import NewGen, keys_for, new_unit_key, put_gen_keys, sync_unit_boxes
from .keyslots import (
    RECOVERY_ID,
    ROLES,
    Keys,
    User,
    admin_chain_pubs,
    box_keys,
    check_new_passphrase,
    check_user_id,
    make_slot,
    new_admin_chain,
    new_recovery_code,
    normalize_recovery_code,
    open_slot,
    users_of,
    verify_admin_chain,
)
from .locks import exclusive
from .rotation import RotationDue
from .throttle import Throttle, spend_like_a_real_unlock
from .units import Unit
from .vault_admin import VaultAdmin
from .vault_format import FMT, MAX_VAULT_BYTES, SIGNED_FIELDS, VaultJournal, VaultState, check_shape

__all__ = ["FMT", "RECOVERY_ID", "ROLES", "Keys", "RotationDue", "Unit", "User", "Vault", "VaultJournal", "VaultState"]

class Vault(VaultAdmin):
    """Reads, verifies and updates `vault.json` in a data directory."""

    def __init__(self, path: Path, lock_path: Path, tmp_dir: Path, throttle: Throttle | None = None) -> None:
        self.path = path
        self.lock_path = lock_path
        self.tmp_dir = tmp_dir
        self.throttle = throttle  # wrong-passphrase delays (throttle.Throttle)
        self._memos: dict[str, tuple[tuple[int, ...], Any]] = {}

    def _attempt(self, user_id: str):  # noqa: ANN202 - a context manager
        return self.throttle.attempt(user_id) if self.throttle is not None else nullcontext()

    # ------------------------------------------------------------------ file

    def exists(self) -> bool:
        return self.path.exists()

    def _file_key(self) -> tuple[int, ...] | None:
        """What changes whenever vault.json is replaced or written (the ctime
        cannot be set back without root); None when it cannot be read."""
        try:
            st = os.stat(self.path, follow_symlinks=False)
        except OSError:
            return None
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)

    def memo(self, name: str, compute: Callable[[], Any]) -> Any:
        """`compute()` (a read-only view of the file: users, units, key
        generations), reused while vault.json is unchanged. Every operation asks
        for these several times; parsing and verifying the file each time cost
        about a tenth of a record's create/pause/open."""
        key = self._file_key()
        hit = self._memos.get(name)
        if key is not None and hit is not None and hit[0] == key:
            return hit[1]
        value = compute()
        if key is not None and self._file_key() == key:
            self._memos[name] = (key, value)
        return value

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(read_regular(self.path, MAX_VAULT_BYTES))  # UnsafePath, FileTooLarge
        except (OSError, ValueError, RecursionError):
            raise VaultAltered() from None
        if not isinstance(data, dict):
            raise VaultAltered()
        fmt = data.get("fmt")
        if isinstance(fmt, int) and not isinstance(fmt, bool) and fmt > FMT:
            raise NewerFormat(None, what="vault")
        if fmt == 1 and _old_shape(data):
            raise VaultOutdated()  # written by an earlier version: `asi-tui migrate`
        if fmt != FMT:
            raise VaultAltered()
        check_shape(data)
        return data

    def _write(self, data: dict[str, Any]) -> None:
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True).encode(), self.tmp_dir)

    # ------------------------------------------------------------------ signed state

    @staticmethod
    def _signed_part(data: dict[str, Any]) -> bytes:
        part = {k: data.get(k) for k in SIGNED_FIELDS}
        part["recovery_pub"] = data["recovery"]["pub"]
        return C.canonical(part)

    @classmethod
    def state_of(cls, data: dict[str, Any]) -> VaultState:
        return VaultState(int(data["serial"]), hashlib.sha256(cls._signed_part(data)).hexdigest()[:32])

    def _verify(self, data: dict[str, Any]) -> None:
        try:
            pub = verify_admin_chain(data)
            serial = data["serial"]
            if not isinstance(serial, int) or isinstance(serial, bool) or serial < 1:
                raise VaultAltered()
            C.verify(pub, C.b64d(data["users_sig"]), self._signed_part(data))
        except (KeyError, TypeError, C.CryptoError):
            raise VaultAltered() from None

    def _sign(self, data: dict[str, Any], admin_sk: bytes) -> None:
        data["users_sig"] = C.b64e(C.sign(admin_sk, self._signed_part(data)))

    def _commit(self, data: dict[str, Any], admin_sk: bytes, journal: VaultJournal | None) -> None:
        """Raise the serial, sign and replace the file (the caller holds the lock).

        The audit chain gets the new serial and digest before and after the
        replace, so a crash in between is told apart from a change made
        outside the app (`integrity.check_vault`)."""
        data["serial"] = int(data["serial"]) + 1
        self._sign(data, admin_sk)
        state = self.state_of(data)
        if journal is not None:
            journal("begin", state.serial, state.digest)
        self._write(data)
        if journal is not None:
            journal("done", state.serial, state.digest)

    def verified(self) -> dict[str, Any]:
        """The parsed vault, its admin key chain and signature checked (no keys needed)."""
        data = self.read()
        self._verify(data)
        return data

    def state(self) -> VaultState:
        return self.state_of(self.verified())

    def users(self) -> list[User]:
        return list(self.memo("users", lambda: tuple(users_of(self.verified()))))

    # ------------------------------------------------------------------ init

    def create(self, admin_id: str, admin_name: str, passphrase: str, unit_name: str | None = None) -> str:
        """Create the vault with its first admin (and, if named, its first unit);
        returns the one-time recovery code."""
        check_user_id(admin_id)
        check_new_passphrase(passphrase, admin_id)
        admin_sk, admin_pub = C.new_signing_key()
        recovery_code = new_recovery_code()
        new = NewGen.generate(admin_sk, admin_pub)
        vk = new.vk
        data: dict[str, Any] = {
            "fmt": FMT,
            "vault_id": secrets.token_hex(16),
            "created": clock.now(),
            "serial": 0,
            "admin_pub": C.b64e(admin_pub),
            "admin_chain": new_admin_chain(admin_pub, 1),
            "users": [],
            "slots": {},
            "boxes": {},
            "admin_boxes": {},
            "vk_gen": 1,
            "rotating_to": None,
            "rotation_due": None,
            "rotation_began": None,
            "checkpoint": None,
            "keys": {},
            "units": [],
            "unit_boxes": {},
        }
        put_gen_keys(data, 1, new)
        unit_keys: dict[int, dict[str, bytes]] = {1: {}}
        if unit_name is not None:
            unit = U.add(data, unit_name)
            unit_keys[1][unit.id] = new_unit_key(data, 1, unit.id)
        pair = C.KeyPair.generate()
        data["slots"][admin_id] = make_slot(data, admin_id, passphrase, pair)
        box_keys(data, admin_id, pair.public, {1: vk}, admin_sk)
        rec_pair = C.KeyPair.generate()
        data["recovery"] = make_slot(data, RECOVERY_ID, recovery_code, rec_pair)
        box_keys(data, RECOVERY_ID, rec_pair.public, {1: vk}, admin_sk)
        data["users"].append(
            User(admin_id, admin_name, "admin", False, False, C.b64e(pair.public), clock.now()).to_dict()
        )
        sync_unit_boxes(data, unit_keys)
        with exclusive(self.lock_path):
            if self.path.exists():
                raise AlreadyInitialised()
            self._commit(data, admin_sk, None)  # serial 1; the first session writes it to the audit chain
        return recovery_code

    def audit_public_key(self) -> bytes | None:
        """Key that failed-unlock events are sealed to (readable without unlocking)."""
        try:
            data = self.verified()
            newest = data.get("rotating_to") or data["vk_gen"]
            return C.b64d(data["keys"][str(newest)]["audit_pub"])
        except (VaultAltered, KeyError, C.CryptoError, NewerFormat):
            return None

    # ------------------------------------------------------------------ unlock

    def unlock(self, user_id: str, passphrase: str) -> Keys:
        with self._attempt(user_id):
            return self._unlock(user_id, passphrase)

    def _unlock(self, user_id: str, passphrase: str) -> Keys:
        data = self.verified()
        user = next((u for u in users_of(data) if u.id == user_id), None)
        slot = data.get("slots", {}).get(user_id)
        if user_id == RECOVERY_ID or user is None or slot is None or user.disabled:
            spend_like_a_real_unlock(data, user_id, passphrase)  # an unknown user answers no faster
            raise WrongPassphrase()
        sk = open_slot(data, user_id, slot, passphrase)
        try:
            pub = C.x25519_public(sk)
        except ValueError:
            raise VaultAltered() from None
        if C.b64e(pub) != user.pub:
            raise VaultAltered()
        return keys_for(data, user, sk)

    def refresh(self, keys: Keys) -> None:
        """Pick up key generations created (or retired) since `keys` were opened."""
        self._refresh_from(self.verified(), keys)

    @staticmethod
    def _refresh_from(data: dict[str, Any], keys: Keys) -> None:
        if keys.user.id == RECOVERY_ID:
            user = keys.user
        else:
            user = next((u for u in users_of(data) if u.id == keys.user.id), None)
            if user is None or user.disabled:
                raise WrongPassphrase()
        fresh = keys_for(data, user, keys.user_sk)
        keys.user = user
        keys.vks.update(fresh.vks)
        keys.aks.update(fresh.aks)
        keys.iks.update(fresh.iks)
        keys.audit_sks.update(fresh.audit_sks)
        keys.unit_keys = fresh.unit_keys  # a unit left is a unit whose keys this session drops
        keys.reader_sks.update(fresh.reader_sks)
        keys.reader_pub = fresh.reader_pub
        keys.legacy_gens |= fresh.legacy_gens
        keys.admin_sk = fresh.admin_sk
        keys.current_gen, keys.rotating_to = fresh.current_gen, fresh.rotating_to

    def unlock_recovery(self, code: str) -> Keys:
        with self._attempt(RECOVERY_ID):
            return self._unlock_recovery(code)

    def _unlock_recovery(self, code: str) -> Keys:
        data = self.verified()
        slot = data["recovery"]
        sk = open_slot(data, RECOVERY_ID, slot, normalize_recovery_code(code))
        user = User(RECOVERY_ID, "recovery", "admin", False, False, slot["pub"], data["created"])
        return keys_for(data, user, sk)

    # ------------------------------------------------------------------ signed changes (admin)

    def _modify(self, keys: Keys, change: Callable[[dict[str, Any]], None], journal: VaultJournal | None) -> dict[str, Any]:
        if keys.admin_sk is None:
            raise NotAuthorized()
        with exclusive(self.lock_path):
            data = self.verified()
            self._refresh_from(data, keys)  # another admin may have rotated the admin key meanwhile
            if keys.admin_sk is None:
                raise NotAuthorized()
            change(data)
            self._commit(data, keys.admin_sk, journal)
        return data

    def change_own_passphrase(self, user_id: str, old: str, new: str) -> None:
        """Re-seal one's own key under a new passphrase; the signed part is unchanged."""
        check_new_passphrase(new, user_id)
        with exclusive(self.lock_path):
            data = self.verified()
            slot = data["slots"].get(user_id)
            if slot is None:
                raise WrongPassphrase()
            sk = open_slot(data, user_id, slot, old)
            pair = C.KeyPair(sk, C.b64d(slot["pub"]))
            data["slots"][user_id] = make_slot(data, user_id, new, pair)
            self._write(data)

    # ------------------------------------------------------------------ key rotation

    def begin_rotation(
        self, keys: Keys, journal: VaultJournal | None = None, allowed: Callable[[User], bool] | None = None,
        legacy: tuple[int, ...] = (),
    ) -> tuple[int, list[str]]:
        """Step 1 of a rotation (`rotation.begin`); returns (new generation, users left out).
        A rerun after an interruption returns the generation already begun."""
        out: dict[str, Any] = {}

        def change(data: dict[str, Any]) -> None:
            out.update(rotation.begin(data, keys, allowed, legacy))
            if out["already"]:
                raise _NothingToDo()

        try:
            self._modify(keys, change, journal)
        except _NothingToDo:
            pass
        if not out["already"]:
            rotation.adopt(keys, out)
        return out["gen"], out["skipped"]

    def finish_rotation(self, keys: Keys, journal: VaultJournal | None = None) -> None:
        """Last step: drop the old generation once every record uses the new one (`rotation.finish`)."""
        out: dict[str, int | None] = {}

        def change(data: dict[str, Any]) -> None:
            out["gen"] = rotation.finish(data)
            if out["gen"] is None:
                raise _NothingToDo()

        try:
            self._modify(keys, change, journal)
        except _NothingToDo:
            return
        keys.current_gen = int(out["gen"] or keys.current_gen)
        keys.rotating_to = None

    def generations(self) -> tuple[int, int | None]:
        """(current key generation, generation being rotated to) as the file says now."""
        def compute() -> tuple[int, int | None]:
            data = self.read()
            rotating = data.get("rotating_to")
            return int(data["vk_gen"]), int(rotating) if rotating else None

        return self.memo("generations", compute)  # type: ignore[no-any-return]

    def rotation_due(self) -> RotationDue | None:
        """Whether a key rotation is due, and why (no keys needed: the flag is signed).

        Set when a user is disabled or loses the admin role (they may still
        hold the current vault, audit, index and admin keys); cleared when a
        rotation that began after it finishes. `asi-tui doctor` and
        `asi-tui user disable` report it."""
        return rotation.due_of(self.verified())

    # ------------------------------------------------------------------ audit checkpoint and integrity

    def checkpoint(self) -> dict[str, Any] | None:
        """The latest audit checkpoint an admin recorded here: {"n", "seq", "h"}."""
        cp = self.verified().get("checkpoint")
        return dict(cp) if cp else None

    def record_checkpoint(self, keys: Keys, checkpoint: dict[str, Any], journal: VaultJournal | None = None) -> None:
        def change(data: dict[str, Any]) -> None:
            data["checkpoint"] = {k: checkpoint[k] for k in ("n", "seq", "h")}

        self._modify(keys, change, journal)

    def accept(self, keys: Keys, at_least: int, journal: VaultJournal | None = None) -> VaultState:
        """Admin: take vault.json as it is now, with a serial above `at_least`
        (the audit log's), after a reported mismatch has been looked into."""

        def change(data: dict[str, Any]) -> None:
            data["serial"] = max(int(data["serial"]), at_least)

        return self.state_of(self._modify(keys, change, journal))

    # ------------------------------------------------------------------ misc

    def vault_id(self) -> str:
        return str(self.read()["vault_id"])

    def admin_public(self) -> bytes:
        """The current admin public key (chain and signature verified)."""
        return verify_admin_chain(self.verified())

    def admin_publics(self) -> list[bytes]:
        """Admin keys whose signatures count now: the current one, and while a
        rotation is under way the one before it (documents it has not re-signed yet)."""
        data = self.verified()
        pubs = [verify_admin_chain(data)]
        if data.get("rotating_to") and len(data["admin_chain"]) > 1:
            pubs.append(admin_chain_pubs(data)[1])
        return pubs


def _old_shape(data: dict[str, Any]) -> bool:
    """Looks like an earlier version's vault (anything else with fmt 1 is damage)."""
    return (isinstance(data.get("vault_id"), str) and isinstance(data.get("admin_pub"), str)
            and isinstance(data.get("users"), list) and isinstance(data.get("slots"), dict)
            and isinstance(data.get("keys"), dict) and "units" not in data)


class _NothingToDo(Exception):
    """Internal: a rotation step with nothing to do leaves `_modify` without writing."""

