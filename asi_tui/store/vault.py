"""The vault: users, their key slots, and the keys of one data directory.

* Each user has an X25519 key pair. The private key is sealed in the user's
  slot under a key stretched from the passphrase with Argon2id; a successful
  unseal *is* the passphrase check.
* The vault key (VK) of each key generation is sealed to every active user's
  public key ("boxes"), so an admin can rotate VK without anyone's passphrase,
  and a removed user's old key opens nothing new.
* The user table (ids, roles, certified flag, public keys) is signed with the
  admin Ed25519 key, whose private half is boxed only to admins and the
  recovery slot. Every slot's seal binds the admin key fingerprint, so
  swapping the admin key locks every other user out instead of silently
  granting rights.  Roles between VK holders are still enforced by program
  logic, OS permissions and the audit log, not by cryptography.
* Audit key (AK), index key (IK) and an audit X25519 key pair (for failed
  unlocks, which happen without any key) are sealed under VK per generation.

The file is JSON, replaced atomically under `locks/vault.lock`. The layout of
slots and boxes inside it is in `keyslots`.
"""

from __future__ import annotations

import json
import secrets
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from . import clock
from . import crypto as C
from .errors import AlreadyInitialised, NewerFormat, NotAuthorized, UserError, VaultAltered, WrongPassphrase
from .fsutil import atomic_write, read_regular
from .keyslots import (
    RECOVERY_ID,
    ROLES,
    Keys,
    User,
    active_vks,
    box_admin_key,
    box_keys,
    box_vk,
    check_new_passphrase,
    check_user_id,
    keys_for,
    make_slot,
    new_recovery_code,
    normalize_recovery_code,
    open_slot,
    put_gen_keys,
    users_of,
)
from .locks import exclusive
from .throttle import Throttle, spend_like_a_real_unlock

__all__ = ["FMT", "RECOVERY_ID", "ROLES", "Keys", "User", "Vault"]

FMT = 1
MAX_VAULT_BYTES = 16 << 20  # thousands of users fit; a planted huge file is not read


class Vault:
    """Reads, verifies and updates `vault.json` in a data directory."""

    def __init__(self, path: Path, lock_path: Path, tmp_dir: Path, throttle: Throttle | None = None) -> None:
        self.path = path
        self.lock_path = lock_path
        self.tmp_dir = tmp_dir
        self.throttle = throttle  # wrong-passphrase delays (throttle.Throttle)

    def _attempt(self, user_id: str):  # noqa: ANN202 - a context manager
        return self.throttle.attempt(user_id) if self.throttle is not None else nullcontext()

    # ------------------------------------------------------------------ file

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(read_regular(self.path, MAX_VAULT_BYTES))  # UnsafePath, FileTooLarge
        except (OSError, ValueError, RecursionError):
            raise VaultAltered() from None
        if not isinstance(data, dict):
            raise VaultAltered()
        fmt = data.get("fmt")
        if isinstance(fmt, int) and fmt > FMT:
            raise NewerFormat(None, what="vault")
        if fmt != FMT:
            raise VaultAltered()
        check_shape(data)
        return data

    def _write(self, data: dict[str, Any]) -> None:
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True).encode(), self.tmp_dir)

    # ------------------------------------------------------------------ signed table

    @staticmethod
    def _signed_part(data: dict[str, Any]) -> bytes:
        return C.canonical(
            {
                "vault_id": data["vault_id"],
                "admin_pub": data["admin_pub"],
                "users": data["users"],
                "recovery_pub": data["recovery"]["pub"],
            }
        )

    def _verify(self, data: dict[str, Any]) -> None:
        try:
            C.verify(C.b64d(data["admin_pub"]), C.b64d(data["users_sig"]), self._signed_part(data))
        except (KeyError, TypeError, C.CryptoError):
            raise VaultAltered() from None

    def _sign(self, data: dict[str, Any], admin_sk: bytes) -> None:
        data["users_sig"] = C.b64e(C.sign(admin_sk, self._signed_part(data)))

    def users(self) -> list[User]:
        data = self.read()
        self._verify(data)
        return users_of(data)

    # ------------------------------------------------------------------ init

    def create(self, admin_id: str, admin_name: str, passphrase: str) -> str:
        """Create the vault with its first admin; returns the one-time recovery code."""
        check_user_id(admin_id)
        check_new_passphrase(passphrase, admin_id)
        admin_sk, admin_pub = C.new_signing_key()
        recovery_code = new_recovery_code()
        vk = C.random_key()
        data: dict[str, Any] = {
            "fmt": FMT,
            "vault_id": secrets.token_hex(16),
            "created": clock.now(),
            "admin_pub": C.b64e(admin_pub),
            "users": [],
            "slots": {},
            "boxes": {},
            "admin_boxes": {},
            "vk_gen": 1,
            "rotating_to": None,
            "keys": {},
        }
        put_gen_keys(data, 1, vk, C.random_key(), C.random_key(), C.KeyPair.generate())
        pair = C.KeyPair.generate()
        data["slots"][admin_id] = make_slot(data, admin_id, passphrase, pair)
        box_keys(data, admin_id, pair.public, {1: vk}, admin_sk)
        rec_pair = C.KeyPair.generate()
        data["recovery"] = make_slot(data, RECOVERY_ID, recovery_code, rec_pair)
        box_keys(data, RECOVERY_ID, rec_pair.public, {1: vk}, admin_sk)
        data["users"].append(
            User(admin_id, admin_name, "admin", False, False, C.b64e(pair.public), clock.now()).to_dict()
        )
        self._sign(data, admin_sk)
        with exclusive(self.lock_path):
            if self.path.exists():
                raise AlreadyInitialised()
            self._write(data)
        return recovery_code

    def audit_public_key(self) -> bytes | None:
        """Key that failed-unlock events are sealed to (readable without unlocking)."""
        try:
            data = self.read()
            return C.b64d(data["keys"][str(data["vk_gen"])]["audit_pub"])
        except (VaultAltered, KeyError, C.CryptoError, NewerFormat):
            return None

    # ------------------------------------------------------------------ unlock

    def unlock(self, user_id: str, passphrase: str) -> Keys:
        with self._attempt(user_id):
            return self._unlock(user_id, passphrase)

    def _unlock(self, user_id: str, passphrase: str) -> Keys:
        data = self.read()
        self._verify(data)
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
        data = self.read()
        self._verify(data)
        if keys.user.id == RECOVERY_ID:
            user = keys.user
        else:
            user = next((u for u in users_of(data) if u.id == keys.user.id), None)
            if user is None or user.disabled:
                raise WrongPassphrase()
        fresh = keys_for(data, user, keys.user_sk)
        keys.vks.update(fresh.vks)
        keys.aks.update(fresh.aks)
        keys.iks.update(fresh.iks)
        keys.audit_sks.update(fresh.audit_sks)
        keys.current_gen, keys.rotating_to = fresh.current_gen, fresh.rotating_to

    def unlock_recovery(self, code: str) -> Keys:
        with self._attempt(RECOVERY_ID):
            return self._unlock_recovery(code)

    def _unlock_recovery(self, code: str) -> Keys:
        data = self.read()
        self._verify(data)
        slot = data["recovery"]
        sk = open_slot(data, RECOVERY_ID, slot, normalize_recovery_code(code))
        user = User(RECOVERY_ID, "recovery", "admin", False, False, slot["pub"], data["created"])
        return keys_for(data, user, sk)

    # ------------------------------------------------------------------ user administration

    def _modify(self, keys: Keys, change) -> dict[str, Any]:  # noqa: ANN001 - callable(data) -> None
        if keys.admin_sk is None:
            raise NotAuthorized()
        with exclusive(self.lock_path):
            data = self.read()
            self._verify(data)
            change(data)
            self._sign(data, keys.admin_sk)
            self._write(data)
        return data

    def add_user(self, keys: Keys, user_id: str, name: str, role: str, passphrase: str, certified: bool = False) -> User:
        check_user_id(user_id)
        check_new_passphrase(passphrase, user_id)
        if role not in ROLES:
            raise UserError("store.error.bad_role", role=role)
        pair = C.KeyPair.generate()
        user = User(user_id, name, role, certified, False, C.b64e(pair.public), clock.now())

        def change(data: dict[str, Any]) -> None:
            if any(u["id"] == user_id for u in data["users"]):
                raise UserError("store.error.user_exists", user=user_id)
            data["slots"][user_id] = make_slot(data, user_id, passphrase, pair)
            box_keys(data, user_id, pair.public, active_vks(keys, data), keys.admin_sk if role == "admin" else None)
            data["users"].append(user.to_dict())

        self._modify(keys, change)
        return user

    def update_user(self, keys: Keys, user_id: str, **changes: Any) -> User:
        """Change role, certified, disabled or name (admin)."""
        allowed = {"role", "certified", "disabled", "name"}
        if set(changes) - allowed:
            raise UserError("store.error.user")
        if "role" in changes and changes["role"] not in ROLES:
            raise UserError("store.error.bad_role", role=changes["role"])
        result: list[User] = []

        def change(data: dict[str, Any]) -> None:
            for i, u in enumerate(data["users"]):
                if u["id"] == user_id:
                    if user_id == keys.user.id and (changes.get("disabled") or changes.get("role", "admin") != "admin"):
                        raise UserError("store.error.own_admin")
                    data["users"][i] = {**u, **changes}
                    updated = User(**data["users"][i])
                    if updated.disabled:
                        data["slots"].pop(user_id, None)
                        for boxes in data["boxes"].values():
                            boxes.pop(user_id, None)
                        data["admin_boxes"].pop(user_id, None)
                    elif "role" in changes:
                        box_admin_key(data, user_id, C.b64d(updated.pub), keys.admin_sk if updated.is_admin else None)
                    result.append(updated)
                    return
            raise UserError("store.error.no_such_user", user=user_id)

        self._modify(keys, change)
        return result[0]

    def reset_passphrase(self, keys: Keys, user_id: str, passphrase: str) -> None:
        """Admin sets a new passphrase for someone: a fresh key pair and slot."""
        check_new_passphrase(passphrase, user_id)
        pair = C.KeyPair.generate()

        def change(data: dict[str, Any]) -> None:
            for i, u in enumerate(data["users"]):
                if u["id"] == user_id:
                    user = User(**{**u, "pub": C.b64e(pair.public), "disabled": False})
                    data["users"][i] = user.to_dict()
                    data["slots"][user_id] = make_slot(data, user_id, passphrase, pair)
                    for boxes in data["boxes"].values():
                        boxes.pop(user_id, None)
                    box_keys(data, user_id, pair.public, active_vks(keys, data), keys.admin_sk if user.is_admin else None)
                    return
            raise UserError("store.error.no_such_user", user=user_id)

        self._modify(keys, change)

    def change_own_passphrase(self, user_id: str, old: str, new: str) -> None:
        """Re-seal one's own key under a new passphrase; the user table is unchanged."""
        check_new_passphrase(new, user_id)
        with exclusive(self.lock_path):
            data = self.read()
            self._verify(data)
            slot = data["slots"].get(user_id)
            if slot is None:
                raise WrongPassphrase()
            sk = open_slot(data, user_id, slot, old)
            pair = C.KeyPair(sk, C.b64d(slot["pub"]))
            data["slots"][user_id] = make_slot(data, user_id, new, pair)
            self._write(data)

    # ------------------------------------------------------------------ key rotation

    def begin_rotation(self, keys: Keys) -> int:
        """Step 1: a new VK boxed to every active user next to the old one."""
        if keys.admin_sk is None:
            raise NotAuthorized()
        with exclusive(self.lock_path):
            data = self.read()
            self._verify(data)
            if data.get("rotating_to"):
                return int(data["rotating_to"])
            new_gen = int(data["vk_gen"]) + 1
            vk = C.random_key()
            old_gen = int(data["vk_gen"])
            ak, ik, audit_sk = keys.aks[old_gen], keys.iks[old_gen], keys.audit_sks[old_gen]
            pub_of_audit = C.b64d(data["keys"][str(old_gen)]["audit_pub"])
            put_gen_keys(data, new_gen, vk, ak, ik, C.KeyPair(audit_sk, pub_of_audit))
            for u in users_of(data):
                if not u.disabled and u.id in data["slots"]:
                    box_vk(data, u.id, C.b64d(u.pub), new_gen, vk)
            box_vk(data, RECOVERY_ID, C.b64d(data["recovery"]["pub"]), new_gen, vk)
            data["rotating_to"] = new_gen
            self._write(data)
        keys.vks[new_gen] = vk
        keys.aks[new_gen], keys.iks[new_gen], keys.audit_sks[new_gen] = ak, ik, audit_sk
        keys.rotating_to = new_gen
        return new_gen

    def finish_rotation(self, keys: Keys, new_ik: bytes | None = None) -> None:
        """Last step: drop the old generation once every record uses the new one."""
        with exclusive(self.lock_path):
            data = self.read()
            self._verify(data)
            new_gen = data.get("rotating_to")
            if not new_gen:
                return
            old_gen = str(data["vk_gen"])
            if new_ik is not None:
                vk = keys.vks[int(new_gen)]
                pair = C.KeyPair(keys.audit_sks[int(new_gen)], C.b64d(data["keys"][str(new_gen)]["audit_pub"]))
                put_gen_keys(data, int(new_gen), vk, keys.aks[int(new_gen)], new_ik, pair)
            data["boxes"].pop(old_gen, None)
            data["keys"].pop(old_gen, None)
            data["vk_gen"] = int(new_gen)
            data["rotating_to"] = None
            if new_ik is not None:
                data["index_rebuild"] = True  # the index is still sealed with the old key
            self._write(data)
        keys.current_gen = int(new_gen)
        keys.rotating_to = None
        if new_ik is not None:
            keys.iks[int(new_gen)] = new_ik

    def generations(self) -> tuple[int, int | None]:
        """(current key generation, generation being rotated to) as the file says now."""
        data = self.read()
        rotating = data.get("rotating_to")
        return int(data["vk_gen"]), int(rotating) if rotating else None

    def index_rebuild_needed(self) -> bool:
        return bool(self.read().get("index_rebuild"))

    def clear_index_rebuild(self) -> None:
        with exclusive(self.lock_path):
            data = self.read()
            if data.pop("index_rebuild", None) is not None:
                self._write(data)

    def vault_id(self) -> str:
        return str(self.read()["vault_id"])

    def admin_public(self) -> bytes:
        return C.b64d(self.read()["admin_pub"])


# ------------------------------------------------------------------ shape

_STR_FIELDS = ("vault_id", "created", "admin_pub", "users_sig")
_DICT_OF_DICTS = ("slots", "boxes", "keys")


def check_shape(data: dict[str, Any]) -> None:
    """VaultAltered unless every field the code reads has the type it expects.

    Half of the file (slots, boxes, per-generation keys) is not covered by the
    admin signature, and anyone who can write the data directory can write
    anything there: a wrong type must end in one clear line, not deep inside
    the unlock. Fields this version does not know are left alone."""

    def ok(value: object, kind: type) -> bool:
        return isinstance(value, kind) and not isinstance(value, bool)

    gen = data.get("vk_gen")
    rotating = data.get("rotating_to")
    recovery = data.get("recovery")
    users = data.get("users")
    shape = (
        all(ok(data.get(k), str) for k in _STR_FIELDS)
        and all(ok(data.get(k), dict) and all(ok(v, dict) for v in data[k].values()) for k in _DICT_OF_DICTS)
        and ok(data.get("admin_boxes"), dict)
        and all(ok(v, str) for v in data["admin_boxes"].values())
        and all(ok(v, str) for boxes in data["boxes"].values() for v in boxes.values())
        and ok(gen, int) and 1 <= gen < 1 << 31 and str(gen) in data["keys"]
        and (rotating is None or ok(rotating, int) and 1 <= rotating < 1 << 31)
        and ok(recovery, dict) and ok(recovery.get("pub"), str)
        and ok(users, list) and all(ok(u, dict) and all(ok(u.get(k), str) for k in ("id", "name", "role", "pub")) for u in users)
    )
    if not shape:
        raise VaultAltered()
