"""The keys of one key generation inside `vault.json`, and what a user can open.

Per generation (`data["keys"][gen]`, signed with the admin key):

* sealed under that generation's vault key (every user): the audit key (the
  integrity part of audit entries), the index key, the audit key pair (for
  failed unlocks, which happen without any key), the admin public key, and
  an archive of the audit, index and audit-pair keys of earlier generations;
* `reader_pub`, and sealed under a secret derived from that generation's
  admin signing key (admins and the recovery slot only): the audit *reader*
  key, to which the personal part of every audit entry (who, which client,
  which unit) is sealed, and the admin archive (earlier reader keys, and the
  audit keys of generations written before the upgrade to unit keys, whose
  entries are readable only as a whole);
* `units`: the fingerprint of each unit's key. The unit keys themselves are
  boxed to each user who should hold them (`data["unit_boxes"][gen][unit]`,
  `access.key_units`: the unit's certified interviewers and analysts, the
  admins and the recovery slot). A box is accepted only if its key matches
  the signed fingerprint, and only for a unit the user should hold, so no
  vault-key holder can plant a key of their own or hand one on.

Practice records use a key derived from the vault key (`Keys.practice_key`):
every user holds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

from . import access
from . import crypto as C
from .errors import VaultAltered
from .integrity import NoCurrentKey
from .keyslots import RECOVERY_ID, Keys, User, box_ad, users_of


def _gen_ad(data: dict[str, Any], gen: int) -> bytes:
    return f"asi-tui/genkeys/v1\0{data['vault_id']}\0{gen}".encode()


def admin_secret(admin_sk: bytes) -> bytes:
    """A symmetric key only holders of this generation's admin signing key can derive."""
    return C.subkey(admin_sk, "asi-tui/admin-secret/v1")


@dataclass
class GenKeys:
    """What one generation's vault key opens."""

    ak: bytes
    ik: bytes
    audit_sk: bytes
    admin_pub: bytes
    archive: dict[str, dict[int, bytes]]  # "ak"/"ik"/"audit_sk" -> generation -> key, of earlier generations


@dataclass
class NewGen:
    """The fresh keys of a generation being created (`vault.create`, `rotation.begin`)."""

    vk: bytes
    ak: bytes
    ik: bytes
    audit_pair: C.KeyPair
    reader_pair: C.KeyPair
    admin_sk: bytes
    admin_pub: bytes

    @classmethod
    def generate(cls, admin_sk: bytes, admin_pub: bytes) -> "NewGen":
        return cls(C.random_key(), C.random_key(), C.random_key(), C.KeyPair.generate(), C.KeyPair.generate(),
                   admin_sk, admin_pub)


def archive_of(keys: Keys) -> dict[str, dict[str, str]]:
    """Every generation's audit, index and audit private keys a session holds, for
    the next generation's archive (every user). Audit keys of before the upgrade
    to unit keys go only to the admin archive: those entries are not split."""
    return {
        "ak": {str(g): C.b64e(k) for g, k in keys.aks.items() if g not in keys.legacy_gens},
        "ik": {str(g): C.b64e(k) for g, k in keys.iks.items()},
        "audit_sk": {str(g): C.b64e(k) for g, k in keys.audit_sks.items()},
    }


def admin_archive_of(keys: Keys, legacy: Iterable[int] = ()) -> dict[str, dict[str, str]]:
    """Earlier reader keys and the pre-upgrade audit keys, for admins only."""
    legacy_gens = set(keys.legacy_gens) | set(legacy)
    return {
        "reader_sk": {str(g): C.b64e(k) for g, k in keys.reader_sks.items()},
        "ak": {str(g): C.b64e(k) for g, k in keys.aks.items() if g in legacy_gens},
    }


def put_gen_keys(data: dict[str, Any], gen: int, new: NewGen, archive: dict[str, Any] | None = None,
                 admin_archive: dict[str, Any] | None = None) -> None:
    ad = _gen_ad(data, gen)
    secret = admin_secret(new.admin_sk)
    vk = new.vk
    data["keys"][str(gen)] = {
        "audit": C.b64e(C.seal(vk, new.ak, ad + b"\0audit")),
        "index": C.b64e(C.seal(vk, new.ik, ad + b"\0index")),
        "audit_sk": C.b64e(C.seal(vk, new.audit_pair.private, ad + b"\0audit_sk")),
        "audit_pub": C.b64e(new.audit_pair.public),
        "admin": C.b64e(C.seal(vk, new.admin_pub, ad + b"\0admin")),
        "archive": C.b64e(C.seal(vk, C.canonical(archive or {}), ad + b"\0archive")),
        "reader_pub": C.b64e(new.reader_pair.public),
        "reader": C.b64e(C.seal(secret, new.reader_pair.private, ad + b"\0reader")),
        "admin_archive": C.b64e(C.seal(secret, C.canonical(admin_archive or {}), ad + b"\0admin_archive")),
        "units": {},
    }


def open_gen_keys(data: dict[str, Any], gen: int, vk: bytes) -> GenKeys:
    ad = _gen_ad(data, gen)
    k = data["keys"][str(gen)]
    raw = json.loads(C.open_sealed(vk, C.b64d(k["archive"]), ad + b"\0archive"))
    archive = {kind: {int(g): C.b64d(v) for g, v in raw.get(kind, {}).items()} for kind in ("ak", "ik", "audit_sk")}
    return GenKeys(
        C.open_sealed(vk, C.b64d(k["audit"]), ad + b"\0audit"),
        C.open_sealed(vk, C.b64d(k["index"]), ad + b"\0index"),
        C.open_sealed(vk, C.b64d(k["audit_sk"]), ad + b"\0audit_sk"),
        C.open_sealed(vk, C.b64d(k["admin"]), ad + b"\0admin"),
        archive,
    )


def open_admin_part(data: dict[str, Any], gen: int, admin_sk: bytes) -> tuple[bytes, dict[str, dict[int, bytes]]]:
    """(reader private key, admin archive) of generation `gen`, with its admin key."""
    ad = _gen_ad(data, gen)
    k = data["keys"][str(gen)]
    secret = admin_secret(admin_sk)
    reader = C.open_sealed(secret, C.b64d(k["reader"]), ad + b"\0reader")
    raw = json.loads(C.open_sealed(secret, C.b64d(k["admin_archive"]), ad + b"\0admin_archive"))
    return reader, {kind: {int(g): C.b64d(v) for g, v in raw.get(kind, {}).items()} for kind in ("reader_sk", "ak")}


# ----------------------------------------------------------------------------- unit keys


def all_unit_ids(data: dict[str, Any]) -> list[str]:
    return [str(u["id"]) for u in data.get("units", [])]


def _unit_box_ad(data: dict[str, Any], user_id: str, gen: int, unit: str) -> bytes:
    return box_ad(data, f"unit/{unit}", user_id, gen)


def unit_fingerprint(data: dict[str, Any], gen: int, unit: str, key: bytes) -> str:
    return C.fingerprint(f"asi-tui/unit-key/v1\0{data['vault_id']}\0{gen}\0{unit}\0".encode() + key)


def new_unit_key(data: dict[str, Any], gen: int, unit: str) -> bytes:
    """A fresh key for `unit` in generation `gen`, its fingerprint signed in `keys`."""
    key = C.random_key()
    data["keys"][str(gen)].setdefault("units", {})[unit] = unit_fingerprint(data, gen, unit, key)
    return key


def holders(data: dict[str, Any]) -> dict[str, set[str]]:
    """Per unit, who should hold its key (`access.key_units`), the recovery slot included."""
    every = all_unit_ids(data)
    out: dict[str, set[str]] = {u: {RECOVERY_ID} for u in every}
    for user in users_of(data):
        if user.id not in data["slots"]:
            continue
        for unit in access.key_units(user.role, user.certified, user.disabled, user.units, every):
            out[unit].add(user.id)
    return out


def _pub_of(data: dict[str, Any], user_id: str) -> bytes:
    if user_id == RECOVERY_ID:
        return C.b64d(data["recovery"]["pub"])
    return C.b64d(next(u["pub"] for u in data["users"] if u["id"] == user_id))


def active_gens(data: dict[str, Any]) -> list[int]:
    gens = [int(data["vk_gen"])]
    if data.get("rotating_to"):
        gens.append(int(data["rotating_to"]))
    return gens


def sync_unit_boxes(data: dict[str, Any], unit_keys: dict[int, dict[str, bytes]], gens: Iterable[int] | None = None,
                    allowed: set[str] | None = None) -> list[tuple[str, str]]:
    """Box each unit's key of `gens` (default: the active ones) to exactly the
    users who should hold it (those in `allowed`, if given, among them);
    returns the (user, unit) pairs whose boxes were taken away."""
    want = holders(data)
    removed: list[tuple[str, str]] = []
    for gen in gens if gens is not None else active_gens(data):
        per_gen = data.setdefault("unit_boxes", {}).setdefault(str(gen), {})
        for unit, users in want.items():
            key = unit_keys.get(gen, {}).get(unit)
            if key is None:
                raise VaultAltered()  # an admin holds every unit key
            boxes = per_gen.setdefault(unit, {})
            for user_id in sorted(users - set(boxes)):
                if allowed is not None and user_id != RECOVERY_ID and user_id not in allowed:
                    continue
                boxes[user_id] = C.b64e(C.box_seal(_pub_of(data, user_id), key, _unit_box_ad(data, user_id, gen, unit)))
            for user_id in sorted(set(boxes) - users):
                del boxes[user_id]
                removed.append((user_id, unit))
    return removed


def drop_user_boxes(data: dict[str, Any], user_id: str) -> None:
    """Take every unit key box of `user_id` away (a new key pair gets new ones)."""
    for per_gen in data.get("unit_boxes", {}).values():
        for boxes in per_gen.values():
            boxes.pop(user_id, None)


def open_unit_keys(data: dict[str, Any], user: User, sk: bytes, gen: int) -> dict[str, bytes]:
    """The unit keys of `gen` boxed to `user` that the policy gives them and
    whose fingerprint the signed part names; VaultAltered for a box that does not match."""
    every = all_unit_ids(data)
    if user.id == RECOVERY_ID:
        mine = set(every)
    else:
        mine = access.key_units(user.role, user.certified, user.disabled, user.units, every)
    signed = data["keys"].get(str(gen), {}).get("units", {})
    out: dict[str, bytes] = {}
    for unit, boxes in data.get("unit_boxes", {}).get(str(gen), {}).items():
        if unit not in mine or user.id not in boxes:
            continue  # a box planted for someone the policy does not give this unit
        key = C.box_open(sk, C.b64d(boxes[user.id]), _unit_box_ad(data, user.id, gen, unit))
        if signed.get(unit) != unit_fingerprint(data, gen, unit, key):
            raise VaultAltered()
        out[unit] = key
    return out


# ----------------------------------------------------------------------------- a user's keys


def keys_for(data: dict[str, Any], user: User, sk: bytes) -> Keys:
    """Everything `user` (private key `sk`) can open; VaultAltered if anything is off.

    The current admin key must be sealed under the newest generation's vault
    key (see `keyslots`); the caller has verified the chain."""
    vks: dict[int, bytes] = {}
    try:
        for gen_text, boxes in data["boxes"].items():
            if user.id in boxes:
                gen = int(gen_text)
                vks[gen] = C.box_open(sk, C.b64d(boxes[user.id]), box_ad(data, "vk", user.id, gen))
        current = int(data["vk_gen"])
        rotating = data.get("rotating_to")
        newest = int(rotating) if rotating else current
        if current not in vks or newest not in vks:
            raise NoCurrentKey()
        admin_pub = C.b64d(data["admin_pub"])
        admin_sk = None
        if user.is_admin or user.id == RECOVERY_ID:
            admin_sk = C.box_open(sk, C.b64d(data["admin_boxes"][user.id]), box_ad(data, "admin", user.id))
            if C.ed25519_public(admin_sk) != admin_pub:
                raise VaultAltered()
        keys = Keys(user, vks, current, int(rotating) if rotating else None, sk, admin_sk)
        archived: list[GenKeys] = []
        for gen, vk in sorted(vks.items()):
            if str(gen) not in data["keys"]:
                continue
            g = open_gen_keys(data, gen, vk)
            if gen == newest and g.admin_pub != admin_pub:
                raise VaultAltered()  # an admin key not sealed under the newest vault key
            keys.aks[gen], keys.iks[gen], keys.audit_sks[gen] = g.ak, g.ik, g.audit_sk
            keys.unit_keys[gen] = open_unit_keys(data, user, sk, gen)
            archived.append(g)
        for g in archived:
            for kind, target in (("ak", keys.aks), ("ik", keys.iks), ("audit_sk", keys.audit_sks)):
                for gen, key in g.archive[kind].items():
                    target.setdefault(gen, key)
        if current not in keys.aks or newest not in keys.aks:
            raise VaultAltered()
        keys.reader_pub = C.b64d(data["keys"][str(newest)]["reader_pub"])
        if admin_sk is not None:
            reader, admin_archive = open_admin_part(data, newest, admin_sk)
            keys.reader_sks[newest] = reader
            for gen, key in admin_archive["reader_sk"].items():
                keys.reader_sks.setdefault(gen, key)
            for gen, key in admin_archive["ak"].items():
                keys.aks.setdefault(gen, key)
                keys.legacy_gens.add(gen)
        return keys
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration, C.CryptoError):
        raise VaultAltered() from None
