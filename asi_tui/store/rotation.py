"""The steps of a vault key rotation as changes of the parsed vault document,
and the signed "rotation due" flag. `vault.Vault` reads, signs and writes the
file around them; `keyops` walks the records in between.

Every generation has its own vault key, audit key and key pair, index key,
audit reader key, unit keys and admin signing key; nothing is carried over
except, sealed under the new vault key, the archive of older audit and index
keys (old audit entries stay readable to those who still have access, and to
nobody else), and sealed for admins the earlier reader keys. Unit keys go to
the users the policy gives them *now*: someone who left a unit keeps only
keys of generations before the rotation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import clock
from . import crypto as C
from .genkeys import NewGen, admin_archive_of, all_unit_ids, archive_of, new_unit_key, put_gen_keys, sync_unit_boxes
from .keyslots import RECOVERY_ID, Keys, User, box_admin_key, box_vk, extend_admin_chain, users_of


@dataclass(frozen=True)
class RotationDue:
    """A key rotation is due: someone lost access who may still hold the current keys.

    `since` is when the first such change happened; `reasons` lists each as
    {"reason": "disabled" | "admin-role-removed" | "unit-keys-removed", "user": id, "at": time, "serial": n}."""

    since: str
    reasons: list[dict[str, Any]]

    @property
    def users(self) -> list[str]:
        return sorted({str(r.get("user")) for r in self.reasons})


def begin(data: dict[str, Any], keys: Keys, allowed: Callable[[User], bool] | None, legacy: tuple[int, ...] = ()) -> dict[str, Any]:
    """A new generation next to the current one; the table is signed with its admin key from now on.

    The new vault key is boxed to every active user that `allowed` accepts
    (the session passes "their key is in the audit log", so a user written
    into the table behind the app's back gets nothing) and the new admin key
    to the active admins among them; the rotating admin and the recovery slot
    always get both. Sets `keys.admin_sk` to the new admin key (the caller
    signs with it); `adopt` puts the rest into the session's keys once written.
    `legacy`: generations whose audit entries are not split (written before the
    upgrade to unit keys): their audit keys go to the admin archive only."""
    if data.get("rotating_to"):
        return {"already": True, "gen": int(data["rotating_to"]), "skipped": []}
    old_admin_sk = keys.admin_sk
    if old_admin_sk is None:
        raise ValueError("begin() needs the admin key")
    gen = int(data["vk_gen"]) + 1
    admin_sk, admin_pub = C.new_signing_key()
    new = NewGen.generate(admin_sk, admin_pub)
    vk = new.vk
    keys.legacy_gens.update(legacy)
    put_gen_keys(data, gen, new, archive_of(keys), admin_archive_of(keys))
    unit_keys = {u: new_unit_key(data, gen, u) for u in all_unit_ids(data)}
    extend_admin_chain(data, gen, admin_pub, old_admin_sk)
    data["admin_pub"] = C.b64e(admin_pub)
    data["admin_boxes"] = {}
    skipped: list[str] = []
    for u in users_of(data):
        if u.disabled or u.id not in data["slots"]:
            continue
        if allowed is not None and u.id != keys.user.id and not allowed(u):
            skipped.append(u.id)
            continue
        box_vk(data, u.id, C.b64d(u.pub), gen, vk)
        if u.is_admin:
            box_admin_key(data, u.id, C.b64d(u.pub), admin_sk)
    recovery_pub = C.b64d(data["recovery"]["pub"])
    box_vk(data, RECOVERY_ID, recovery_pub, gen, vk)
    box_admin_key(data, RECOVERY_ID, recovery_pub, admin_sk)
    boxed = {u.id for u in users_of(data) if u.id in data["boxes"][str(gen)]}
    sync_unit_boxes(data, {gen: unit_keys}, [gen], allowed=boxed)
    data["rotating_to"] = gen
    data["rotation_began"] = int(data["serial"])
    keys.admin_sk = admin_sk
    return {"already": False, "gen": gen, "skipped": skipped, "new": new, "unit_keys": unit_keys}


def adopt(keys: Keys, out: dict[str, Any]) -> None:
    """The session's keys after `begin` was written."""
    gen, new = out["gen"], out["new"]
    keys.vks[gen], keys.aks[gen], keys.iks[gen], keys.audit_sks[gen] = new.vk, new.ak, new.ik, new.audit_pair.private
    keys.unit_keys[gen] = dict(out["unit_keys"])
    keys.reader_sks[gen] = new.reader_pair.private
    keys.reader_pub = new.reader_pair.public
    keys.rotating_to = gen


def finish(data: dict[str, Any]) -> int | None:
    """Retire the old generation; returns the new current one (None: no rotation under way).

    The rotation-due flag keeps only what happened after the rotation began
    (a user disabled meanwhile may have picked up the new keys)."""
    new_gen = data.get("rotating_to")
    if not new_gen:
        return None
    old_gen = str(data["vk_gen"])
    data["boxes"].pop(old_gen, None)
    data.get("unit_boxes", {}).pop(old_gen, None)
    data["keys"].pop(old_gen, None)
    data["vk_gen"] = int(new_gen)
    data["rotating_to"] = None
    began = int(data.get("rotation_began") or 0)
    due = data.get("rotation_due")
    if due:
        later = [r for r in due.get("reasons", []) if int(r.get("serial", 0)) >= began]
        data["rotation_due"] = {"since": later[0]["at"], "reasons": later} if later else None
    data["rotation_began"] = None
    return int(new_gen)


def mark_due(data: dict[str, Any], reason: str, user_id: str) -> None:
    due = data.get("rotation_due") or {"since": clock.now(), "reasons": []}
    due["reasons"].append({"reason": reason, "user": user_id, "at": clock.now(), "serial": int(data["serial"])})
    data["rotation_due"] = due


def due_of(data: dict[str, Any]) -> RotationDue | None:
    due = data.get("rotation_due")
    if not due:
        return None
    return RotationDue(str(due["since"]), [dict(r) for r in due.get("reasons", [])])
