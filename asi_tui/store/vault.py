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

The file is JSON, replaced atomically under `locks/vault.lock`.
"""

from __future__ import annotations

import base64
import json
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import crypto as C
from .errors import KdfRejected, NewerFormat, NotAuthorized, UserError, VaultAltered, WrongPassphrase
from .fsutil import atomic_write
from .locks import exclusive

FMT = 1
ROLES = ("admin", "interviewer", "trainer")
RECOVERY_ID = "_recovery"
USER_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def check_user_id(user_id: str) -> str:
    if not user_id or len(user_id) > 64 or not set(user_id) <= USER_ID_CHARS or user_id.startswith("_"):
        raise UserError("store.error.bad_user_id", user=user_id)
    return user_id


def check_new_passphrase(passphrase: str) -> None:
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < 10:
        raise UserError("store.error.passphrase_short", min=10)
    if len(text.encode()) > C.MAX_PASSPHRASE_BYTES:
        raise UserError("store.error.passphrase_long")


def new_recovery_code() -> str:
    """160 random bits as 32 base32 characters in groups of four."""
    raw = base64.b32encode(secrets.token_bytes(20)).decode()
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def normalize_recovery_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: str
    certified: bool
    disabled: bool
    pub: str
    created: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "certified": self.certified,
            "disabled": self.disabled,
            "pub": self.pub,
            "created": self.created,
        }


@dataclass
class Keys:
    """What an unlocked session holds."""

    user: User
    vks: dict[int, bytes]  # key generation -> vault key
    current_gen: int
    rotating_to: int | None
    user_sk: bytes
    admin_sk: bytes | None = None
    aks: dict[int, bytes] = field(default_factory=dict)
    iks: dict[int, bytes] = field(default_factory=dict)
    audit_sks: dict[int, bytes] = field(default_factory=dict)

    @property
    def write_gen(self) -> int:
        """Generation that new records are written under."""
        return self.rotating_to or self.current_gen

    @property
    def vk(self) -> bytes:
        return self.vks[self.write_gen]

    @property
    def ak(self) -> bytes:
        return self.aks[self.current_gen]

    @property
    def ik(self) -> bytes:
        return self.iks[self.current_gen]


class Vault:
    """Reads, verifies and updates `vault.json` in a data directory."""

    def __init__(self, path: Path, lock_path: Path, tmp_dir: Path) -> None:
        self.path = path
        self.lock_path = lock_path
        self.tmp_dir = tmp_dir

    # ------------------------------------------------------------------ file

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            raise VaultAltered() from None
        if not isinstance(data, dict):
            raise VaultAltered()
        fmt = data.get("fmt")
        if isinstance(fmt, int) and fmt > FMT:
            raise NewerFormat(None, what="vault")
        if fmt != FMT:
            raise VaultAltered()
        return data

    def _write(self, data: dict[str, Any]) -> None:
        atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True).encode(), self.tmp_dir)

    # ------------------------------------------------------------------ signed table

    @staticmethod
    def _signed_part(data: dict[str, Any]) -> bytes:
        return canonical(
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

    @staticmethod
    def users_of(data: dict[str, Any]) -> list[User]:
        try:
            return [User(**u) for u in data["users"]]
        except (KeyError, TypeError):
            raise VaultAltered() from None

    def users(self) -> list[User]:
        data = self.read()
        self._verify(data)
        return self.users_of(data)

    # ------------------------------------------------------------------ slots and boxes

    @staticmethod
    def _slot_ad(data: dict[str, Any], user_id: str) -> bytes:
        admin_fp = C.fingerprint(C.b64d(data["admin_pub"]))
        return f"asi-tui/slot/v1\0{data['vault_id']}\0{user_id}\0{admin_fp}".encode()

    @staticmethod
    def _box_ad(data: dict[str, Any], what: str, user_id: str, gen: int | None = None) -> bytes:
        return f"asi-tui/{what}/v1\0{data['vault_id']}\0{user_id}\0{gen if gen is not None else ''}".encode()

    def _make_slot(self, data: dict[str, Any], user_id: str, passphrase: str, pair: C.KeyPair) -> dict[str, Any]:
        kdf = C.new_kdf_params()
        kek = C.derive_kek(passphrase, kdf)
        return {"kdf": kdf, "sk": C.b64e(C.seal(kek, pair.private, self._slot_ad(data, user_id))), "pub": C.b64e(pair.public)}

    def _box_keys(self, data: dict[str, Any], user_id: str, pub: bytes, vks: dict[int, bytes], admin_sk: bytes | None) -> None:
        for gen, vk in vks.items():
            data["boxes"].setdefault(str(gen), {})[user_id] = C.b64e(
                C.box_seal(pub, vk, self._box_ad(data, "vk", user_id, gen))
            )
        if admin_sk is not None:
            data["admin_boxes"][user_id] = C.b64e(C.box_seal(pub, admin_sk, self._box_ad(data, "admin", user_id)))
        else:
            data["admin_boxes"].pop(user_id, None)

    # ------------------------------------------------------------------ init

    def create(self, admin_id: str, admin_name: str, passphrase: str) -> str:
        """Create the vault with its first admin; returns the one-time recovery code."""
        check_user_id(admin_id)
        check_new_passphrase(passphrase)
        admin_sk, admin_pub = C.new_signing_key()
        recovery_code = new_recovery_code()
        vk = C.random_key()
        data: dict[str, Any] = {
            "fmt": FMT,
            "vault_id": secrets.token_hex(16),
            "created": _now(),
            "admin_pub": C.b64e(admin_pub),
            "users": [],
            "slots": {},
            "boxes": {},
            "admin_boxes": {},
            "vk_gen": 1,
            "rotating_to": None,
            "keys": {},
        }
        self._put_gen_keys(data, 1, vk, C.random_key(), C.random_key(), C.KeyPair.generate())
        pair = C.KeyPair.generate()
        data["slots"][admin_id] = self._make_slot(data, admin_id, passphrase, pair)
        self._box_keys(data, admin_id, pair.public, {1: vk}, admin_sk)
        rec_pair = C.KeyPair.generate()
        data["recovery"] = self._make_slot(data, RECOVERY_ID, recovery_code, rec_pair)
        self._box_keys(data, RECOVERY_ID, rec_pair.public, {1: vk}, admin_sk)
        data["users"].append(
            User(admin_id, admin_name, "admin", False, False, C.b64e(pair.public), _now()).to_dict()
        )
        self._sign(data, admin_sk)
        with exclusive(self.lock_path):
            if self.path.exists():
                from .errors import AlreadyInitialised

                raise AlreadyInitialised()
            self._write(data)
        return recovery_code

    def _put_gen_keys(self, data: dict[str, Any], gen: int, vk: bytes, ak: bytes, ik: bytes, audit_pair: C.KeyPair) -> None:
        ad = f"asi-tui/genkeys/v1\0{data['vault_id']}\0{gen}".encode()
        data["keys"][str(gen)] = {
            "audit": C.b64e(C.seal(vk, ak, ad + b"\0audit")),
            "index": C.b64e(C.seal(vk, ik, ad + b"\0index")),
            "audit_sk": C.b64e(C.seal(vk, audit_pair.private, ad + b"\0audit_sk")),
            "audit_pub": C.b64e(audit_pair.public),
        }

    def _open_gen_keys(self, data: dict[str, Any], gen: int, vk: bytes) -> tuple[bytes, bytes, bytes]:
        ad = f"asi-tui/genkeys/v1\0{data['vault_id']}\0{gen}".encode()
        k = data["keys"][str(gen)]
        return (
            C.open_sealed(vk, C.b64d(k["audit"]), ad + b"\0audit"),
            C.open_sealed(vk, C.b64d(k["index"]), ad + b"\0index"),
            C.open_sealed(vk, C.b64d(k["audit_sk"]), ad + b"\0audit_sk"),
        )

    def audit_public_key(self) -> bytes | None:
        """Key that failed-unlock events are sealed to (readable without unlocking)."""
        try:
            data = self.read()
            return C.b64d(data["keys"][str(data["vk_gen"])]["audit_pub"])
        except (VaultAltered, KeyError, C.CryptoError, NewerFormat):
            return None

    # ------------------------------------------------------------------ unlock

    def unlock(self, user_id: str, passphrase: str) -> Keys:
        data = self.read()
        self._verify(data)
        if user_id == RECOVERY_ID:
            raise WrongPassphrase()
        user = next((u for u in self.users_of(data) if u.id == user_id), None)
        slot = data.get("slots", {}).get(user_id)
        if user is None or slot is None or user.disabled:
            raise WrongPassphrase()
        sk = self._open_slot(data, user_id, slot, passphrase)
        try:
            pub = C.x25519_public(sk)
        except ValueError:
            raise VaultAltered() from None
        if C.b64e(pub) != user.pub:
            raise VaultAltered()
        return self._keys_for(data, user, sk)

    def _open_slot(self, data: dict[str, Any], user_id: str, slot: dict[str, Any], secret: str) -> bytes:
        try:
            C.check_kdf_params(slot.get("kdf"))
        except C.KdfParamsRejected as exc:
            raise KdfRejected(None, reason=exc.reason) from None
        try:
            kek = C.derive_kek(secret, slot["kdf"])
            return C.open_sealed(kek, C.b64d(slot["sk"]), self._slot_ad(data, user_id))
        except (C.CryptoError, KeyError, TypeError, ValueError):
            raise WrongPassphrase() from None

    def _keys_for(self, data: dict[str, Any], user: User, sk: bytes) -> Keys:
        vks: dict[int, bytes] = {}
        try:
            for gen_text, boxes in data["boxes"].items():
                if user.id in boxes:
                    gen = int(gen_text)
                    vks[gen] = C.box_open(sk, C.b64d(boxes[user.id]), self._box_ad(data, "vk", user.id, gen))
            current = int(data["vk_gen"])
            rotating = data.get("rotating_to")
            if current not in vks:
                raise VaultAltered()
            admin_sk = None
            if user.is_admin or user.id == RECOVERY_ID:
                admin_sk = C.box_open(sk, C.b64d(data["admin_boxes"][user.id]), self._box_ad(data, "admin", user.id))
                if C.ed25519_public(admin_sk) != C.b64d(data["admin_pub"]):
                    raise VaultAltered()
            keys = Keys(user, vks, current, int(rotating) if rotating else None, sk, admin_sk)
            for gen, vk in vks.items():
                if str(gen) in data["keys"]:
                    keys.aks[gen], keys.iks[gen], keys.audit_sks[gen] = self._open_gen_keys(data, gen, vk)
            if current not in keys.aks:
                raise VaultAltered()
            return keys
        except (KeyError, TypeError, ValueError, C.CryptoError):
            raise VaultAltered() from None

    def refresh(self, keys: Keys) -> None:
        """Pick up key generations created (or retired) since `keys` were opened."""
        data = self.read()
        self._verify(data)
        if keys.user.id == RECOVERY_ID:
            user = keys.user
        else:
            user = next((u for u in self.users_of(data) if u.id == keys.user.id), None)
            if user is None or user.disabled:
                raise WrongPassphrase()
        fresh = self._keys_for(data, user, keys.user_sk)
        keys.vks.update(fresh.vks)
        keys.aks.update(fresh.aks)
        keys.iks.update(fresh.iks)
        keys.audit_sks.update(fresh.audit_sks)
        keys.current_gen, keys.rotating_to = fresh.current_gen, fresh.rotating_to

    def unlock_recovery(self, code: str) -> Keys:
        data = self.read()
        self._verify(data)
        slot = data["recovery"]
        sk = self._open_slot(data, RECOVERY_ID, slot, normalize_recovery_code(code))
        user = User(RECOVERY_ID, "recovery", "admin", False, False, slot["pub"], data["created"])
        return self._keys_for(data, user, sk)

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
        check_new_passphrase(passphrase)
        if role not in ROLES:
            raise UserError("store.error.bad_role", role=role)
        pair = C.KeyPair.generate()
        user = User(user_id, name, role, certified, False, C.b64e(pair.public), _now())

        def change(data: dict[str, Any]) -> None:
            if any(u["id"] == user_id for u in data["users"]):
                raise UserError("store.error.user_exists", user=user_id)
            data["slots"][user_id] = self._make_slot(data, user_id, passphrase, pair)
            self._box_keys(data, user_id, pair.public, self._active_vks(keys, data), keys.admin_sk if role == "admin" else None)
            data["users"].append(user.to_dict())

        self._modify(keys, change)
        return user

    @staticmethod
    def _active_vks(keys: Keys, data: dict[str, Any]) -> dict[int, bytes]:
        gens = {int(data["vk_gen"])}
        if data.get("rotating_to"):
            gens.add(int(data["rotating_to"]))
        return {g: keys.vks[g] for g in gens}

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
                        pub = C.b64d(updated.pub)
                        admin_sk = keys.admin_sk if updated.is_admin else None
                        if admin_sk is not None:
                            data["admin_boxes"][user_id] = C.b64e(
                                C.box_seal(pub, admin_sk, self._box_ad(data, "admin", user_id))
                            )
                        else:
                            data["admin_boxes"].pop(user_id, None)
                    result.append(updated)
                    return
            raise UserError("store.error.no_such_user", user=user_id)

        self._modify(keys, change)
        return result[0]

    def reset_passphrase(self, keys: Keys, user_id: str, passphrase: str) -> None:
        """Admin sets a new passphrase for someone: a fresh key pair and slot."""
        check_new_passphrase(passphrase)
        pair = C.KeyPair.generate()

        def change(data: dict[str, Any]) -> None:
            for i, u in enumerate(data["users"]):
                if u["id"] == user_id:
                    user = User(**{**u, "pub": C.b64e(pair.public), "disabled": False})
                    data["users"][i] = user.to_dict()
                    data["slots"][user_id] = self._make_slot(data, user_id, passphrase, pair)
                    for boxes in data["boxes"].values():
                        boxes.pop(user_id, None)
                    self._box_keys(
                        data, user_id, pair.public, self._active_vks(keys, data), keys.admin_sk if user.is_admin else None
                    )
                    return
            raise UserError("store.error.no_such_user", user=user_id)

        self._modify(keys, change)

    def change_own_passphrase(self, user_id: str, old: str, new: str) -> None:
        """Re-seal one's own key under a new passphrase; the user table is unchanged."""
        check_new_passphrase(new)
        with exclusive(self.lock_path):
            data = self.read()
            self._verify(data)
            slot = data["slots"].get(user_id)
            if slot is None:
                raise WrongPassphrase()
            sk = self._open_slot(data, user_id, slot, old)
            pair = C.KeyPair(sk, C.b64d(slot["pub"]))
            data["slots"][user_id] = self._make_slot(data, user_id, new, pair)
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
            self._put_gen_keys(data, new_gen, vk, ak, ik, C.KeyPair(audit_sk, pub_of_audit))
            for u in self.users_of(data):
                if not u.disabled and u.id in data["slots"]:
                    data["boxes"].setdefault(str(new_gen), {})[u.id] = C.b64e(
                        C.box_seal(C.b64d(u.pub), vk, self._box_ad(data, "vk", u.id, new_gen))
                    )
            rec_pub = C.b64d(data["recovery"]["pub"])
            data["boxes"][str(new_gen)][RECOVERY_ID] = C.b64e(
                C.box_seal(rec_pub, vk, self._box_ad(data, "vk", RECOVERY_ID, new_gen))
            )
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
                self._put_gen_keys(data, int(new_gen), vk, keys.aks[int(new_gen)], new_ik, pair)
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
