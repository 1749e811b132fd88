"""`asi-tui migrate`: the upgrade of a data directory written by an earlier
version, as one command with a dry run (the steps are in `upgrade`)."""

from __future__ import annotations

import json
from pathlib import Path

from . import crypto as C
from .audit import AuditLog
from .errors import VaultAltered
from .fsutil import read_regular
from .keyslots import users_of
from .locks import exclusive
from .unitplan import UnitPlan
from .upgrade import (
    Upgrade,
    UpgradeRefused,
    check_old_audit,
    convert,
    give_units,
    legacy_records,
    open_legacy,
    plan_for,
    refuse_missing,
    vault_format,
)
from .vault_format import MAX_VAULT_BYTES


def migrate(root: Path, admin_id: str, passphrase: str, maps: dict[str, str] | None = None,
            assign: dict[str, list[str]] | None = None, default_unit: str | None = None,
            dry_run: bool = True) -> Upgrade:
    """Plan (dry run) or carry out the upgrade of `root`; rerunnable (see `upgrade`)."""
    from .session import Store

    root = Path(root)
    kind = vault_format(root)
    if kind in ("v0", "v1"):
        data = json.loads(read_regular(root / "vault.json", MAX_VAULT_BYTES))
        keys = open_legacy(data, kind, admin_id, passphrase)
        records = legacy_records(root, keys.vks, kind)
        plan = plan_for(users_of(data), records, [], maps, assign, default_unit)
        up = Upgrade(kind, plan, records=len(records), docs=_docs(root))
        if dry_run:
            return up
        refuse_missing(plan)
        admin_pub = C.ed25519_public(keys.admin_sk)
        check_old_audit(root, kind, keys, admin_pub)
        _write_vault(root, data, kind, keys, plan, admin_id)
        if kind == "v0":  # verified above; its format has no number, the first session writes a new one
            (root / "audit" / "checkpoint.json").unlink(missing_ok=True)
        source = kind
    else:
        source, plan, records = "units", UnitPlan(), []
    session = Store.open(root).unlock(admin_id, passphrase)
    try:
        session.require_admin()
        if source == "units":
            records = legacy_records(root, session.keys.vks, "v1")
            plan = plan_for(session.list_users(), records, session.list_units(), maps, assign, default_unit)
            legacy_until = session.store.vault.verified().get("legacy_until")
            pending = bool(records) or (legacy_until is not None and session.keys.current_gen <= legacy_until) \
                or session.keys.rotating_to is not None
            up = Upgrade("units" if pending else "current", plan, records=len(records), docs=_docs(root))
            if dry_run or not pending:
                return up
            refuse_missing(plan)
            if plan.new_units:
                raise UpgradeRefused("store.upgrade.new_units", units=", ".join(n for _i, n in plan.new_units))
        give_units(session, plan, source)
        legacy_until = int(session.store.vault.verified().get("legacy_until") or 0)
        rotation = None
        if session.keys.current_gen <= legacy_until or session.keys.rotating_to is not None:
            rotation = session.rotate_key(legacy=tuple(range(1, legacy_until + 1)))
            if not rotation["finished"]:
                raise UpgradeRefused("store.upgrade.incomplete", n=len(rotation["skipped"]))
        session.rebuild_index()
        session.log("upgrade", detail={"from": source, "records": len(records), "units": [u for u, _n, _new in plan.units]})
        return Upgrade(source, plan, records=len(records), docs=_docs(root), done=True, rotation=rotation)
    finally:
        session.close()


def _write_vault(root: Path, data: dict, kind: str, keys, plan: UnitPlan, admin_id: str) -> None:  # noqa: ANN001
    from .vault import Vault

    new = convert(data, kind, keys, plan)
    new["legacy_until"] = keys.gen
    vault = Vault(root / "vault.json", root / "locks" / "vault.lock", root / "tmp")
    audit = AuditLog(root / "audit", root / "locks" / "audit.lock", root / "tmp")
    reader_pub = C.b64d(new["keys"][str(keys.gen)]["reader_pub"])

    def journal(step: str, serial: int, digest: str) -> None:
        audit.append(keys.ak, {"user": admin_id, "session": "upgrade", "action": "vault",
                               "detail": {"step": step, "serial": serial, "hash": digest, "upgrade": kind}}, reader_pub)

    with exclusive(vault.lock_path):
        if json.loads(read_regular(root / "vault.json", MAX_VAULT_BYTES)) != data:
            raise VaultAltered()  # changed while we planned
        for user in users_of(data):  # the signed table is checked: its keys are the ones the app gave
            if not user.disabled and user.id in data["slots"]:
                audit.append(keys.ak, {"user": admin_id, "session": "upgrade", "action": "user-upgrade",
                                       "detail": {"user": user.id, "key": C.fingerprint(C.b64d(user.pub))}}, reader_pub)
        vault._commit(new, keys.admin_sk, journal)


def _docs(root: Path) -> int:
    return len(list((root / "docs").glob("*/*.doc"))) if (root / "docs").is_dir() else 0
