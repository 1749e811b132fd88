"""Users, their key slots and key boxes: the cryptographic layout inside `vault.json`.

* A slot holds a user's X25519 private key sealed under a key stretched from
  the passphrase (Argon2id); its associated data binds the vault id, the user
  id and the admin key fingerprint.
* A box holds a vault key generation (or the admin signing key) sealed to a
  user's public key.
* Per generation, the audit key, the index key and the audit key pair are
  sealed under that generation's vault key.

These functions read and change the parsed vault document (`data`); reading,
verifying and writing the file is `vault.Vault`'s job.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from . import crypto as C
from . import strength
from .errors import KdfRejected, UserError, VaultAltered, WrongPassphrase

ROLES = ("admin", "interviewer", "trainer")
RECOVERY_ID = "_recovery"
USER_ID_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def check_user_id(user_id: str) -> str:
    if not user_id or len(user_id) > 64 or not set(user_id) <= USER_ID_CHARS or user_id.startswith("_"):
        raise UserError("store.error.bad_user_id", user=user_id)
    return user_id


def check_new_passphrase(passphrase: str, user_id: str | None = None) -> None:
    """Length and strength of a new passphrase (`strength`)."""
    strength.check_new_passphrase(passphrase, user_id)


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


def users_of(data: dict[str, Any]) -> list[User]:
    try:
        return [User(**u) for u in data["users"]]
    except (KeyError, TypeError):
        raise VaultAltered() from None


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


# ----------------------------------------------------------------------------- slots


def slot_ad(data: dict[str, Any], user_id: str) -> bytes:
    admin_fp = C.fingerprint(C.b64d(data["admin_pub"]))
    return f"asi-tui/slot/v1\0{data['vault_id']}\0{user_id}\0{admin_fp}".encode()


def make_slot(data: dict[str, Any], user_id: str, passphrase: str, pair: C.KeyPair) -> dict[str, Any]:
    kdf = C.new_kdf_params()
    kek = C.derive_kek(passphrase, kdf)
    return {"kdf": kdf, "sk": C.b64e(C.seal(kek, pair.private, slot_ad(data, user_id))), "pub": C.b64e(pair.public)}


def open_slot(data: dict[str, Any], user_id: str, slot: dict[str, Any], secret: str) -> bytes:
    """The user's private key; KdfRejected before running an out-of-bounds KDF."""
    try:
        C.check_kdf_params(slot.get("kdf"))
    except C.KdfParamsRejected as exc:
        raise KdfRejected(None, reason=exc.reason) from None
    try:
        kek = C.derive_kek(secret, slot["kdf"])
        return C.open_sealed(kek, C.b64d(slot["sk"]), slot_ad(data, user_id))
    except (C.CryptoError, KeyError, TypeError, ValueError):
        raise WrongPassphrase() from None


# ----------------------------------------------------------------------------- boxes


def box_ad(data: dict[str, Any], what: str, user_id: str, gen: int | None = None) -> bytes:
    return f"asi-tui/{what}/v1\0{data['vault_id']}\0{user_id}\0{gen if gen is not None else ''}".encode()


def box_vk(data: dict[str, Any], user_id: str, pub: bytes, gen: int, vk: bytes) -> None:
    data["boxes"].setdefault(str(gen), {})[user_id] = C.b64e(C.box_seal(pub, vk, box_ad(data, "vk", user_id, gen)))


def box_admin_key(data: dict[str, Any], user_id: str, pub: bytes, admin_sk: bytes | None) -> None:
    """Box the admin signing key to `user_id`, or (None) take it away."""
    if admin_sk is not None:
        data["admin_boxes"][user_id] = C.b64e(C.box_seal(pub, admin_sk, box_ad(data, "admin", user_id)))
    else:
        data["admin_boxes"].pop(user_id, None)


def box_keys(data: dict[str, Any], user_id: str, pub: bytes, vks: dict[int, bytes], admin_sk: bytes | None) -> None:
    for gen, vk in vks.items():
        box_vk(data, user_id, pub, gen, vk)
    box_admin_key(data, user_id, pub, admin_sk)


def active_vks(keys: Keys, data: dict[str, Any]) -> dict[int, bytes]:
    """The generations a new or reset user must get: current, and the one being rotated to."""
    gens = {int(data["vk_gen"])}
    if data.get("rotating_to"):
        gens.add(int(data["rotating_to"]))
    return {g: keys.vks[g] for g in gens}


# ----------------------------------------------------------------------------- per-generation keys


def _gen_ad(data: dict[str, Any], gen: int) -> bytes:
    return f"asi-tui/genkeys/v1\0{data['vault_id']}\0{gen}".encode()


def put_gen_keys(data: dict[str, Any], gen: int, vk: bytes, ak: bytes, ik: bytes, audit_pair: C.KeyPair) -> None:
    ad = _gen_ad(data, gen)
    data["keys"][str(gen)] = {
        "audit": C.b64e(C.seal(vk, ak, ad + b"\0audit")),
        "index": C.b64e(C.seal(vk, ik, ad + b"\0index")),
        "audit_sk": C.b64e(C.seal(vk, audit_pair.private, ad + b"\0audit_sk")),
        "audit_pub": C.b64e(audit_pair.public),
    }


def open_gen_keys(data: dict[str, Any], gen: int, vk: bytes) -> tuple[bytes, bytes, bytes]:
    ad = _gen_ad(data, gen)
    k = data["keys"][str(gen)]
    return (
        C.open_sealed(vk, C.b64d(k["audit"]), ad + b"\0audit"),
        C.open_sealed(vk, C.b64d(k["index"]), ad + b"\0index"),
        C.open_sealed(vk, C.b64d(k["audit_sk"]), ad + b"\0audit_sk"),
    )


def keys_for(data: dict[str, Any], user: User, sk: bytes) -> Keys:
    """Everything `user` (private key `sk`) can open; VaultAltered if anything is off."""
    vks: dict[int, bytes] = {}
    try:
        for gen_text, boxes in data["boxes"].items():
            if user.id in boxes:
                gen = int(gen_text)
                vks[gen] = C.box_open(sk, C.b64d(boxes[user.id]), box_ad(data, "vk", user.id, gen))
        current = int(data["vk_gen"])
        rotating = data.get("rotating_to")
        if current not in vks:
            raise VaultAltered()
        admin_sk = None
        if user.is_admin or user.id == RECOVERY_ID:
            admin_sk = C.box_open(sk, C.b64d(data["admin_boxes"][user.id]), box_ad(data, "admin", user.id))
            if C.ed25519_public(admin_sk) != C.b64d(data["admin_pub"]):
                raise VaultAltered()
        keys = Keys(user, vks, current, int(rotating) if rotating else None, sk, admin_sk)
        for gen, vk in vks.items():
            if str(gen) in data["keys"]:
                keys.aks[gen], keys.iks[gen], keys.audit_sks[gen] = open_gen_keys(data, gen, vk)
        if current not in keys.aks:
            raise VaultAltered()
        return keys
    except (KeyError, TypeError, ValueError, C.CryptoError):
        raise VaultAltered() from None
