"""User and unit administration on the vault (admin, signed changes): the
`Vault` methods that change who holds which keys. Each change is one
`Vault._modify` (lock, verify, change, sign, write, audit-journal)."""

from __future__ import annotations

from typing import Any, Callable

from . import clock, rotation
from . import crypto as C
from . import units as U
from .errors import UserError
from .genkeys import active_gens, drop_user_boxes, new_unit_key, sync_unit_boxes
from .keyslots import (
    ROLES,
    Keys,
    User,
    active_vks,
    box_admin_key,
    box_keys,
    check_new_passphrase,
    check_user_id,
    make_slot,
)
from .units import Unit
from .vault_format import VaultJournal


class VaultAdmin:
    """Signed changes of users and units (mixed into `vault.Vault`)."""

    _modify: Callable[..., dict[str, Any]]
    verified: Callable[[], dict[str, Any]]
    memo: Callable[[str, Callable[[], Any]], Any]

    def add_user(
        self, keys: Keys, user_id: str, name: str, role: str, passphrase: str, certified: bool = False,
        journal: VaultJournal | None = None, units: list[str] | None = None,
    ) -> User:
        """A new user. `units` (ids or names): their units; None puts an interviewer
        or analyst into the only unit when there is just one."""
        check_user_id(user_id)
        check_new_passphrase(passphrase, user_id)
        if role not in ROLES:
            raise UserError("store.error.bad_role", role=role)
        pair = C.KeyPair.generate()
        result: list[User] = []

        def change(data: dict[str, Any]) -> None:
            if any(u["id"] == user_id for u in data["users"]):
                raise UserError("store.error.user_exists", user=user_id)
            user = User(user_id, name, role, certified, False, C.b64e(pair.public), clock.now(),
                        tuple(self._memberships(data, role, units)))
            data["slots"][user_id] = make_slot(data, user_id, passphrase, pair)
            box_keys(data, user_id, pair.public, active_vks(keys, data), keys.admin_sk if role == "admin" else None)
            data["users"].append(user.to_dict())
            sync_unit_boxes(data, keys.unit_keys)
            result.append(user)

        self._modify(keys, change, journal)
        return result[0]

    @staticmethod
    def _memberships(data: dict[str, Any], role: str, units: list[str] | None) -> list[str]:
        if units is not None:
            return U.check_memberships(data, units)
        active = [u.id for u in U.units_of(data) if not u.retired]
        return active if role in ("interviewer", "analyst") and len(active) == 1 else []

    def update_user(self, keys: Keys, user_id: str, journal: VaultJournal | None = None, **changes: Any) -> User:
        """Change role, certified, disabled, name or units (admin; `units`: the
        whole list, ids or names).

        Unit keys follow at once: boxed to whoever should hold them now, taken
        from whoever should not. Anyone who lost keys (disabled, no longer
        admin, left a unit, no longer certified) may have kept the current
        ones, so a key rotation is marked as due (`rotation_due`)."""
        allowed = {"role", "certified", "disabled", "name", "units"}
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
                    before = User.from_dict(u)
                    update = dict(changes)
                    if "units" in update:
                        update["units"] = U.check_memberships(data, list(update["units"]))
                    data["users"][i] = {**u, **update}
                    updated = User.from_dict(data["users"][i])
                    if updated.disabled:
                        data["slots"].pop(user_id, None)
                        for boxes in data["boxes"].values():
                            boxes.pop(user_id, None)
                        data["admin_boxes"].pop(user_id, None)
                    elif "role" in changes:
                        box_admin_key(data, user_id, C.b64d(updated.pub), keys.admin_sk if updated.is_admin else None)
                    removed = sync_unit_boxes(data, keys.unit_keys)
                    if updated.disabled and not before.disabled:
                        rotation.mark_due(data, "disabled", user_id)
                    elif before.is_admin and not updated.is_admin and not before.disabled:
                        rotation.mark_due(data, "admin-role-removed", user_id)
                    elif removed and not before.disabled:
                        rotation.mark_due(data, "unit-keys-removed", user_id)
                    result.append(updated)
                    return
            raise UserError("store.error.no_such_user", user=user_id)

        self._modify(keys, change, journal)
        return result[0]

    def reset_passphrase(self, keys: Keys, user_id: str, passphrase: str, journal: VaultJournal | None = None) -> User:
        """Admin sets a new passphrase for someone: a fresh key pair and slot."""
        check_new_passphrase(passphrase, user_id)
        pair = C.KeyPair.generate()
        result: list[User] = []

        def change(data: dict[str, Any]) -> None:
            for i, u in enumerate(data["users"]):
                if u["id"] == user_id:
                    user = User.from_dict({**u, "pub": C.b64e(pair.public), "disabled": False})
                    data["users"][i] = user.to_dict()
                    data["slots"][user_id] = make_slot(data, user_id, passphrase, pair)
                    for boxes in data["boxes"].values():
                        boxes.pop(user_id, None)
                    box_keys(data, user_id, pair.public, active_vks(keys, data), keys.admin_sk if user.is_admin else None)
                    drop_user_boxes(data, user_id)
                    sync_unit_boxes(data, keys.unit_keys)
                    result.append(user)
                    return
            raise UserError("store.error.no_such_user", user=user_id)

        self._modify(keys, change, journal)
        return result[0]

    # ------------------------------------------------------------------ units (admin)

    def units(self) -> list[Unit]:
        return list(self.memo("units", lambda: tuple(U.units_of(self.verified()))))

    def find_unit(self, ref: str) -> Unit:
        """A unit by id or name (UserError if there is none)."""
        return U.find(self.verified(), ref)

    def add_unit(self, keys: Keys, name: str, unit_id: str | None = None, journal: VaultJournal | None = None) -> Unit:
        """A new unit, with a key of its own in every active generation, boxed to
        the admins and the recovery slot (members get theirs as they are added)."""
        result: list[Unit] = []

        def change(data: dict[str, Any]) -> None:
            unit = U.add(data, name, unit_id)
            for gen in active_gens(data):
                keys.unit_keys.setdefault(gen, {})[unit.id] = new_unit_key(data, gen, unit.id)
            sync_unit_boxes(data, keys.unit_keys)
            result.append(unit)

        self._modify(keys, change, journal)
        return result[0]

    def change_unit(self, keys: Keys, ref: str, name: str | None = None, retired: bool | None = None,
                    journal: VaultJournal | None = None) -> Unit:
        """Rename a unit (its id stays) or retire it (no new records; its records stay readable)."""
        result: list[Unit] = []

        def change(data: dict[str, Any]) -> None:
            unit = U.find(data, ref)
            if name is not None:
                unit = U.rename(data, unit.id, name)
            if retired is not None:
                unit = U.set_retired(data, unit.id, retired)
            result.append(unit)

        self._modify(keys, change, journal)
        return result[0]

