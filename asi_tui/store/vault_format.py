"""The format of vault.json: version, what the admin key signs, and the
shape check.

Half of the file (slots, boxes, per-generation keys) is not covered by the
admin signature, and anyone who can write the data directory can write
anything there, so `Vault.read` checks the shape before anything else looks
at the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .errors import VaultAltered

FMT = 2  # 2: units, unit keys, audit reader keys (1: issue 11's format; `asi-tui migrate` upgrades it)
MAX_VAULT_BYTES = 16 << 20  # thousands of users fit; a planted huge file is not read

# Everything the admin key signs (plus the recovery public key). Slots and
# boxes are not signed: slots are the users' own (sealed under their
# passphrases), boxes are sealed to the users' keys and checked against the
# signed per-generation keys.
SIGNED_FIELDS = (
    "vault_id",
    "created",
    "serial",
    "admin_pub",
    "admin_chain",
    "users",
    "vk_gen",
    "rotating_to",
    "keys",
    "rotation_due",
    "rotation_began",
    "checkpoint",
    "units",
    "legacy_until",  # upgraded directories: the last key generation written before the upgrade (its audit entries are not split)
)

# step ("begin" before the file is replaced, "done" after), serial, digest
VaultJournal = Callable[[str, int, str], None]


@dataclass(frozen=True)
class VaultState:
    """The signed serial and the digest of the signed part of vault.json."""

    serial: int
    digest: str



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
        and ok(data.get("serial"), int) and data["serial"] >= 0
        and ok(data.get("admin_chain"), list) and len(data["admin_chain"]) >= 1
        and all(ok(link, dict) and ok(link.get("pub"), str) for link in data["admin_chain"])
        and all(data.get(k) is None or ok(data[k], dict) for k in ("rotation_due", "checkpoint"))
        and all(ok(u.get("units", []), list) and all(ok(x, str) for x in u.get("units", [])) for u in users)
        and (data.get("legacy_until") is None or ok(data["legacy_until"], int))
        and ok(data.get("units"), list)
        and all(ok(u, dict) and ok(u.get("id"), str) and ok(u.get("name"), str) for u in data["units"])
        and ok(data.get("unit_boxes"), dict)
        and all(ok(per_gen, dict) and all(ok(boxes, dict) and all(ok(b, str) for b in boxes.values())
                                          for boxes in per_gen.values()) for per_gen in data["unit_boxes"].values())
        and all(ok(k.get("units", {}), dict) for k in data["keys"].values())
    )
    if not shape:
        raise VaultAltered()
