"""Upgrading a data directory written by an earlier version (`asi-tui migrate`).

Two earlier vault formats exist, both `fmt` 1: the first (no signed serial, no
admin key chain, before issue 11) and issue 11's (serial, admin key chain,
per-generation admin keys). Both have records whose data keys are sealed
under the vault key, free-text units (G3) and no unit keys. The upgrade, with
an admin's passphrase:

1. checks the old vault's signature and the audit chain, opens the admin's
   keys, reads every record and plans the units (`unitplan`); a dry run
   stops here and shows the plan;
2. writes vault.json in the current format: the same users, slots and key
   generation, the unit table with a key per unit boxed to its members, the
   users' units, an audit reader key; the change goes into the audit chain;
3. gives every record its unit: the body names it, the header seals the data
   key under the unit's key (journals stay valid: same data key);
4. rotates to a new key generation (`Session.rotate_key`), after which the
   audit entries written before the upgrade, which are not split into an
   integrity and a personal part, are readable by admins only, and every
   record, document and the index are under the new keys; then rebuilds
   the index (index documents gain `unit`).

Each step can be rerun: a run that was cut short continues where it stopped
(the vault already upgraded: steps 3 and 4; a rotation under way: finished).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import crypto as C
from . import units as U
from .access import PRACTICE_UNIT
from .audit import AuditLog
from .errors import StoreError, UserError, VaultAltered, WrongPassphrase
from .fsutil import atomic_write, read_regular
from .genkeys import NewGen, active_gens, new_unit_key, open_gen_keys, put_gen_keys, sync_unit_boxes
from .journal import header_bytes, journal_path
from .keyslots import RECOVERY_ID, box_ad, new_admin_chain, open_slot, users_of, verify_admin_chain
from .locks import RecordLock
from .records import VaultKeys, header_unit, new_header, read_header, read_snapshot, write_snapshot
from .unitplan import LegacyRecord, UnitPlan, make_plan
from .vault_format import FMT, MAX_VAULT_BYTES, SIGNED_FIELDS

V1_SIGNED = tuple(f for f in SIGNED_FIELDS if f not in ("units", "legacy_until"))  # what issue 11's format signed
JOURNAL_V0_HEADER = 8  # magic and format; issue 11 added the first frame's sequence number


class UpgradeRefused(StoreError):
    key = "store.upgrade.refused"


@dataclass
class LegacyKeys:
    gen: int
    vks: dict[int, bytes]
    ak: bytes
    ik: bytes
    audit_pair: C.KeyPair
    admin_sk: bytes
    archive: dict[str, Any] = field(default_factory=dict)


@dataclass
class Upgrade:
    """What `asi-tui migrate` will do (dry run) or did."""

    source: str  # "v0" (before issue 11), "v1" (issue 11's format), "units" (vault done, records to go), "current"
    plan: UnitPlan
    records: int = 0  # records to give a unit
    docs: int = 0
    done: bool = False
    rotation: dict[str, Any] | None = None


# ----------------------------------------------------------------------------- the old vault


def vault_format(root: Path) -> str:
    try:
        data = json.loads(read_regular(root / "vault.json", MAX_VAULT_BYTES))
    except (OSError, ValueError, StoreError):
        raise VaultAltered() from None
    fmt = data.get("fmt") if isinstance(data, dict) else None
    if fmt == FMT:
        return "current"
    if fmt == 1:
        return "v1" if "admin_chain" in data else "v0"
    raise VaultAltered()


def _signed(data: dict[str, Any], kind: str) -> bytes:
    if kind == "v0":
        return C.canonical({"vault_id": data["vault_id"], "admin_pub": data["admin_pub"], "users": data["users"],
                            "recovery_pub": data["recovery"]["pub"]})
    part = {k: data.get(k) for k in V1_SIGNED}
    part["recovery_pub"] = data["recovery"]["pub"]
    return C.canonical(part)


def open_legacy(data: dict[str, Any], kind: str, admin_id: str, passphrase: str) -> LegacyKeys:
    """The admin's keys from an old vault, its signature checked; WrongPassphrase,
    VaultAltered or UpgradeRefused (a rotation under way, not an admin)."""
    try:
        if kind == "v0":
            data = {**data, "admin_chain": new_admin_chain(C.b64d(data["admin_pub"]), int(data["vk_gen"]))}
        pub = verify_admin_chain(data)
        C.verify(pub, C.b64d(data["users_sig"]), _signed(data, kind))
    except (KeyError, TypeError, C.CryptoError):
        raise VaultAltered() from None
    if data.get("rotating_to"):
        raise UpgradeRefused("store.upgrade.rotation")
    user = next((u for u in users_of(data) if u.id == admin_id), None)
    slot = data["slots"].get(admin_id)
    if user is None or slot is None or user.disabled or admin_id == RECOVERY_ID:
        raise WrongPassphrase()
    sk = open_slot(data, admin_id, slot, passphrase)
    if not user.is_admin:
        raise UpgradeRefused("store.access.admin")
    try:
        gen = int(data["vk_gen"])
        vk = C.box_open(sk, C.b64d(data["boxes"][str(gen)][admin_id]), box_ad(data, "vk", admin_id, gen))
        admin_sk = C.box_open(sk, C.b64d(data["admin_boxes"][admin_id]), box_ad(data, "admin", admin_id))
        if C.ed25519_public(admin_sk) != pub:
            raise VaultAltered()
        k = data["keys"][str(gen)]
        if kind == "v0":
            ad = f"asi-tui/genkeys/v1\0{data['vault_id']}\0{gen}".encode()
            ak = C.open_sealed(vk, C.b64d(k["audit"]), ad + b"\0audit")
            ik = C.open_sealed(vk, C.b64d(k["index"]), ad + b"\0index")
            audit_sk = C.open_sealed(vk, C.b64d(k["audit_sk"]), ad + b"\0audit_sk")
            archive: dict[str, Any] = {}
        else:
            g = open_gen_keys(data, gen, vk)
            ak, ik, audit_sk = g.ak, g.ik, g.audit_sk
            archive = {kind_: {str(n): C.b64e(key) for n, key in keys.items()} for kind_, keys in g.archive.items()}
        pair = C.KeyPair(audit_sk, C.b64d(k["audit_pub"]))
    except (KeyError, TypeError, ValueError, C.CryptoError):
        raise VaultAltered() from None
    return LegacyKeys(gen, {gen: vk}, ak, ik, pair, admin_sk, archive)


def convert(data: dict[str, Any], kind: str, keys: LegacyKeys, plan: UnitPlan) -> dict[str, Any]:
    """The old vault in the current format (unsigned; the caller signs and writes it)."""
    new = json.loads(json.dumps(data))
    gen = keys.gen
    admin_pub = C.ed25519_public(keys.admin_sk)
    if kind == "v0":
        new.update(serial=0, admin_chain=new_admin_chain(admin_pub, gen), rotation_due=None, rotation_began=None,
                   checkpoint=None)
    new["keys"] = {}
    new["boxes"] = {str(gen): new["boxes"][str(gen)]}
    put_gen_keys(new, gen, NewGen(keys.vks[gen], keys.ak, keys.ik, keys.audit_pair, C.KeyPair.generate(),
                                  keys.admin_sk, admin_pub), keys.archive)
    new["units"], new["unit_boxes"] = [], {}
    unit_keys: dict[int, dict[str, bytes]] = {gen: {}}
    for uid, name, _new in plan.units:
        U.add(new, name, uid)
        unit_keys[gen][uid] = new_unit_key(new, gen, uid)
    for u in new["users"]:
        u["units"] = list(plan.users.get(u["id"], []))
    sync_unit_boxes(new, unit_keys, active_gens(new))
    new["fmt"] = FMT
    return new


# ----------------------------------------------------------------------------- the records


def legacy_records(root: Path, vks: dict[int, bytes], kind: str) -> list[LegacyRecord]:
    """Every record without a unit yet (its header names none), read with the vault key."""
    out = []
    for path in sorted((root / "records").glob("*.rec")):
        rid = path.stem
        header, _ = read_header(path)
        if header_unit(header) is not None:
            continue
        snap = read_snapshot(path, rid, VaultKeys(vks))
        body = snap.body
        g3 = (body.get("answers") or {}).get("G3")
        text = g3.get("v") if isinstance(g3, dict) else None
        for op in _journal_ops(root, snap, kind):
            if op.get("op") == "answer" and op.get("item") == "G3":
                text = op.get("v")
            elif op.get("op") == "clear" and op.get("item") == "G3":
                text = None
        out.append(LegacyRecord(rid, str(body.get("kind") or "interview"), str(body.get("interviewer") or ""),
                                bool(body.get("practice")), text if isinstance(text, str) else None))
    return out


def _journal_ops(root: Path, snap: Any, kind: str) -> list[dict[str, Any]]:
    from .journal import read_journal

    path = journal_path(root / "journals", snap.rid, snap.gen)
    if not path.exists():
        return []
    if kind == "v0":
        data = read_regular(path, 64 << 20)
        if len(data) <= JOURNAL_V0_HEADER:
            return []
        tmp = root / "tmp" / f"upgrade-{snap.rid}.jnl"
        atomic_write(tmp, header_bytes(snap.seq + 1) + data[JOURNAL_V0_HEADER:], root / "tmp")
        try:
            return read_journal(tmp, snap.rid, snap.gen, snap.dek, snap.seq).ops
        finally:
            tmp.unlink(missing_ok=True)
    return read_journal(path, snap.rid, snap.gen, snap.dek, snap.seq).ops


def give_units(session: Any, plan: UnitPlan, kind: str) -> int:
    """Step 3: each record without a unit gets the one the plan names (body and
    header; same data key, so its journal stays valid). Returns how many."""
    root = session.store.dir.root
    done = 0
    for path in sorted((root / "records").glob("*.rec")):
        rid = path.stem
        unit = plan.records.get(rid)
        if unit is None:
            continue
        lock = RecordLock(session.store.dir.lock_path(rid), session.user.id)
        lock.acquire()
        try:
            header, _ = read_header(path)
            if header_unit(header) is not None:
                continue  # done by an earlier run
            snap = read_snapshot(path, rid, VaultKeys(session.keys.vks))
            body = {**snap.body, "unit": None if unit == PRACTICE_UNIT else unit}
            key = session.keys.key_for(snap.header["vk_gen"], unit)
            if key is None:
                raise UpgradeRefused("store.upgrade.no_key", unit=unit)
            jnl = journal_path(root / "journals", rid, snap.gen)
            if kind == "v0" and jnl.exists():
                data = read_regular(jnl, 64 << 20)
                if not data.startswith(header_bytes(snap.seq + 1)[:JOURNAL_V0_HEADER]) or len(data) < JOURNAL_V0_HEADER:
                    raise UpgradeRefused("store.upgrade.journal", rid=rid)
                atomic_write(jnl, header_bytes(snap.seq + 1) + data[JOURNAL_V0_HEADER:], root / "tmp")
            new = new_header(rid, snap.gen, snap.seq, int(snap.header["vk_gen"]), key, snap.dek, unit)
            write_snapshot(path, new, body, snap.dek, root / "tmp")
            done += 1
        finally:
            lock.release()
    if done:
        session.log("upgrade-records", detail={"records": done})
    return done


def check_old_audit(root: Path, kind: str, keys: LegacyKeys, admin_pub: bytes) -> None:
    """The old audit chain must be whole before its checkpoint is replaced:
    UpgradeRefused naming the first bad entry otherwise."""
    log = AuditLog(root / "audit", root / "locks" / "audit.lock", root / "tmp")
    aks = [keys.ak] + [C.b64d(v) for v in keys.archive.get("ak", {}).values()]
    result = log.verify(aks, [admin_pub], True, None) if kind == "v1" else log.verify(aks, None, True, None)
    if kind == "v0" and result.ok and log.checkpoint_path.exists():
        try:
            cp = json.loads(read_regular(log.checkpoint_path, 1 << 16))
            payload = {k: cp[k] for k in ("seq", "h", "at")}
            C.verify(admin_pub, C.b64d(cp.get("sig")), json.dumps(payload, sort_keys=True).encode())
            if log._hash_at(int(cp["seq"])) != cp["h"]:
                raise ValueError
        except (OSError, ValueError, KeyError, TypeError, StoreError, C.CryptoError):
            raise UpgradeRefused("store.upgrade.audit", seq="checkpoint") from None
    if not result.ok and result.reason not in ("checkpoint", "checkpoint_missing") or (kind == "v1" and not result.ok):
        raise UpgradeRefused("store.upgrade.audit", seq=result.first_bad if result.first_bad is not None else "-")


def plan_for(users: list[Any], records: list[LegacyRecord], existing: list[U.Unit], maps: dict[str, str] | None,
             assign: dict[str, list[str]] | None, default_unit: str | None) -> UnitPlan:
    return make_plan(records, {u.id: (u.role, u.certified) for u in users if not u.disabled}, existing,
                     maps, assign, default_unit)


def refuse_missing(plan: UnitPlan) -> None:
    if plan.missing:
        raise UserError("store.upgrade.missing", n=len(plan.missing), rids=", ".join(plan.missing[:5]))
