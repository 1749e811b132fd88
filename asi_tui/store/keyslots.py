"""Users, their key slots and key boxes: the cryptographic layout inside `vault.json`.

* A slot holds a user's X25519 private key sealed under a key stretched from
  the passphrase (Argon2id); its associated data binds the vault id, the user
  id and the admin key fingerprint.
* A box holds a vault key generation (or the admin signing key) sealed to a
  user's public key.
* The keys of each generation (audit, index, unit keys, the admin public
  key) are in `genkeys`.
* The admin signing key changes with every generation. The admin key chain
  (`admin_chain`) links each admin public key to the one before it (signed
  by the previous key); a slot binds the first key of the chain, so only a
  chain that starts there is accepted, and the current key must also be
  sealed under the current vault key: a former admin who kept an old admin
  key cannot fork the chain (no current vault key), and an interviewer with
  the vault key cannot extend it (no admin key).

These functions read and change the parsed vault document (`data`); reading,
verifying and writing the file is `vault.Vault`'s job.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from . import crypto as C
from . import strength
from .errors import KdfRejected, UserError, VaultAltered, WrongPassphrase
from .access import PRACTICE_UNIT

ROLES = ("admin", "interviewer", "trainer", "analyst")
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
    units: tuple[str, ...] = ()  # unit ids: an interviewer's units, the units granted to an analyst

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @classmethod
    def from_dict(cls, u: dict[str, Any]) -> "User":
        return cls(**{**u, "units": tuple(u.get("units") or ())})

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role,
            "certified": self.certified,
            "disabled": self.disabled,
            "pub": self.pub,
            "created": self.created,
            "units": list(self.units),
        }


def users_of(data: dict[str, Any]) -> list[User]:
    try:
        return [User.from_dict(u) for u in data["users"]]
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
    # per generation, the current ones and (from the archive) every earlier one
    aks: dict[int, bytes] = field(default_factory=dict)
    iks: dict[int, bytes] = field(default_factory=dict)
    audit_sks: dict[int, bytes] = field(default_factory=dict)
    # generation -> unit id -> unit key: only the units this user is given (`access.key_units`)
    unit_keys: dict[int, dict[str, bytes]] = field(default_factory=dict)
    # audit reader keys (admins only): the private part of each audit entry is sealed to `reader_pub`
    reader_sks: dict[int, bytes] = field(default_factory=dict)
    reader_pub: bytes | None = None
    legacy_gens: set[int] = field(default_factory=set)  # audit keys of before the upgrade: admins only

    @property
    def write_gen(self) -> int:
        """Generation that new records (and audit entries) are written under."""
        return self.rotating_to or self.current_gen

    @property
    def vk(self) -> bytes:
        return self.vks[self.write_gen]

    @property
    def ak(self) -> bytes:
        """Audit key for new entries: from the start of a rotation, the new one."""
        return self.aks.get(self.write_gen) or self.aks[self.current_gen]

    def audit_keys(self) -> list[bytes]:
        """Every audit key this session can read with, newest first."""
        return [self.aks[g] for g in sorted(self.aks, reverse=True)]

    def audit_secret_keys(self) -> list[bytes]:
        """Every audit private key (for events sealed before unlocking), newest first."""
        return [self.audit_sks[g] for g in sorted(self.audit_sks, reverse=True)]

    def old_index_keys(self) -> list[bytes]:
        """Index keys of other generations: an index a rotation did not get to
        rewrite (crash) is still readable, and rewritten under the current key."""
        return [self.iks[g] for g in sorted(self.iks, reverse=True) if g != self.current_gen]

    @property
    def ik(self) -> bytes:
        return self.iks[self.current_gen]

    def practice_key(self, gen: int) -> bytes | None:
        """The key of practice records in generation `gen`: every user holds it."""
        vk = self.vks.get(gen)
        return C.subkey(vk, "asi-tui/practice/v1") if vk is not None else None

    def key_for(self, gen: int, unit: str | None) -> bytes | None:
        """What a record (or document) header of generation `gen` is sealed under:
        a unit's key, the practice key, or (no unit: documents) the vault key."""
        if unit is None:
            return self.vks.get(gen)
        if unit == PRACTICE_UNIT:
            return self.practice_key(gen)
        return self.unit_keys.get(gen, {}).get(unit)

    def held_units(self) -> set[str]:
        """Units whose current key this session holds."""
        return set(self.unit_keys.get(self.write_gen, {})) | set(self.unit_keys.get(self.current_gen, {}))

    def index_key(self, unit: str, gen: int | None = None) -> bytes:
        """The index key of one compartment (a unit, or `practice`) in generation
        `gen` (default: the current one), derived from that compartment's key:
        whoever cannot read a unit's records cannot read its index either.
        KeyError when this user holds no key for it."""
        key = self.key_for(gen or self.current_gen, unit)
        if key is None:
            raise KeyError(unit)
        return C.subkey(key, "asi-tui/index/v1")

    def index_keys(self, unit: str) -> list[bytes]:
        """The compartment's index keys of every generation held, newest first."""
        out = []
        for gen in sorted(self.vks, reverse=True):
            key = self.key_for(gen, unit)
            if key is not None:
                out.append(C.subkey(key, "asi-tui/index/v1"))
        return out

    def reader_keys(self) -> list[bytes]:
        """Audit reader keys (admins), newest first."""
        return [self.reader_sks[g] for g in sorted(self.reader_sks, reverse=True)]


# ----------------------------------------------------------------------------- slots


def slot_ad(data: dict[str, Any], user_id: str) -> bytes:
    admin_fp = C.fingerprint(genesis_admin_pub(data))
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


# ----------------------------------------------------------------------------- admin key chain


def genesis_admin_pub(data: dict[str, Any]) -> bytes:
    """The first admin public key of the vault: what every slot is bound to."""
    try:
        return C.b64d(data["admin_chain"][0]["pub"])
    except (KeyError, IndexError, TypeError):
        raise VaultAltered() from None


def _link_message(data: dict[str, Any], gen: int, pub: str, prev: str) -> bytes:
    return C.canonical({"what": "asi-tui/admin-link/v1", "vault_id": data["vault_id"], "gen": gen, "pub": pub, "prev": prev})


def new_admin_chain(pub: bytes, gen: int) -> list[dict[str, Any]]:
    return [{"gen": gen, "pub": C.b64e(pub)}]


def extend_admin_chain(data: dict[str, Any], gen: int, new_pub: bytes, prev_sk: bytes) -> None:
    """Append the admin key of generation `gen`, signed by the previous admin key."""
    prev = data["admin_chain"][-1]["pub"]
    pub = C.b64e(new_pub)
    sig = C.sign(prev_sk, _link_message(data, gen, pub, prev))
    data["admin_chain"].append({"gen": gen, "pub": pub, "sig": C.b64e(sig)})


def verify_admin_chain(data: dict[str, Any]) -> bytes:
    """The current admin public key, if every link of the chain is signed by
    the key before it and the chain ends at `admin_pub`; VaultAltered if not."""
    try:
        chain = data["admin_chain"]
        if not isinstance(chain, list) or not chain:
            raise VaultAltered()
        prev = chain[0]["pub"]
        last_gen = int(chain[0]["gen"])
        for link in chain[1:]:
            gen = int(link["gen"])
            if gen <= last_gen:
                raise VaultAltered()
            C.verify(C.b64d(prev), C.b64d(link["sig"]), _link_message(data, gen, link["pub"], prev))
            prev, last_gen = link["pub"], gen
        if prev != data["admin_pub"]:
            raise VaultAltered()
        return C.b64d(prev)
    except (KeyError, TypeError, ValueError, C.CryptoError):
        raise VaultAltered() from None


def admin_chain_pubs(data: dict[str, Any]) -> list[bytes]:
    """Every admin public key the vault has had, newest first."""
    return [C.b64d(link["pub"]) for link in reversed(data["admin_chain"])]
