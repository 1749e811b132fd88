"""Units as data: the signed unit table in `vault.json` (`data["units"]`).

A unit has a stable id (short, lower-case, made from its name unless given,
never reused: a retired unit stays in the table), a name (renamed at will;
records keep the id), and a retired flag (no new records; its records stay
readable). Records, index documents, users' memberships and the follow-up
settings all refer to the id.

These functions change the parsed vault document; `vault.Vault` signs and
writes it, and boxes the new unit keys (`genkeys`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from . import clock
from .access import PRACTICE_UNIT
from .errors import UserError, VaultAltered

UNIT_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
NAME_MAX = 80
RESERVED = {PRACTICE_UNIT, "all", "none"}
FIRST_UNIT = "Enheten"  # the name of a new data directory's one unit, until an admin renames it


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    retired: bool = False
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "retired": self.retired, "created": self.created}


def units_of(data: dict[str, Any]) -> list[Unit]:
    try:
        return [Unit(str(u["id"]), str(u["name"]), bool(u.get("retired")), str(u.get("created", ""))) for u in data.get("units", [])]
    except (KeyError, TypeError):
        raise VaultAltered() from None


def slug(name: str) -> str:
    """A unit id from a name: "Beroendeenheten Söder" -> "beroendeenheten-soder"."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:32].rstrip("-")


def check_name(name: str) -> str:
    """A unit name: printable, one line, 1-80 characters (spaces collapsed)."""
    text = " ".join(str(name or "").split())
    if not text or len(text) > NAME_MAX or not text.isprintable():
        raise UserError("store.units.bad_name", max=NAME_MAX)
    return text


def check_id(unit_id: str) -> str:
    if not UNIT_ID_RE.match(unit_id or "") or unit_id in RESERVED:
        raise UserError("store.units.bad_id", unit=str(unit_id)[:40])
    return unit_id


def find(data: dict[str, Any], ref: str) -> Unit:
    """A unit by id, or by name (case and spaces ignored; an active unit before
    a retired one of the same name); UserError if none."""
    units = units_of(data)
    for u in units:
        if u.id == ref:
            return u
    wanted = " ".join(str(ref).split()).casefold()
    for u in sorted(units, key=lambda u: u.retired):
        if u.name.casefold() == wanted:
            return u
    raise UserError("store.units.no_such_unit", unit=str(ref)[:80])


def add(data: dict[str, Any], name: str, unit_id: str | None = None) -> Unit:
    """A new unit (the caller makes and boxes its keys). Ids are never reused."""
    name = check_name(name)
    existing = units_of(data)
    if unit_id:
        check_id(unit_id)
        if any(u.id == unit_id for u in existing):
            raise UserError("store.units.id_taken", unit=unit_id)
    else:
        unit_id = slug(name) or "enhet"
        if unit_id in RESERVED:
            unit_id = f"enhet-{unit_id}"
        if any(u.id == unit_id for u in existing):
            unit_id = _free_id(unit_id, existing)  # a retired unit's id is never reused
        check_id(unit_id)
    if any(u.name.casefold() == name.casefold() and not u.retired for u in existing):
        raise UserError("store.units.exists", unit=name)  # a retired unit's name may be used again, never its id
    unit = Unit(unit_id, name, False, clock.now())
    data.setdefault("units", []).append(unit.to_dict())
    return unit


def _free_id(base: str, existing: list[Unit]) -> str:
    taken = {u.id for u in existing}
    for n in range(2, 1000):
        candidate = f"{base[:28]}-{n}"
        if candidate not in taken:
            return candidate
    raise UserError("store.units.exists", unit=base)


def rename(data: dict[str, Any], ref: str, name: str) -> Unit:
    unit = find(data, ref)
    name = check_name(name)
    if any(u.name.casefold() == name.casefold() and u.id != unit.id and not u.retired for u in units_of(data)):
        raise UserError("store.units.exists", unit=name)
    return _replace(data, Unit(unit.id, name, unit.retired, unit.created))


def set_retired(data: dict[str, Any], ref: str, retired: bool) -> Unit:
    unit = find(data, ref)
    if not retired and any(u.name.casefold() == unit.name.casefold() and u.id != unit.id and not u.retired
                           for u in units_of(data)):
        raise UserError("store.units.exists", unit=unit.name)
    return _replace(data, Unit(unit.id, unit.name, retired, unit.created))


def _replace(data: dict[str, Any], unit: Unit) -> Unit:
    data["units"] = [unit.to_dict() if u["id"] == unit.id else u for u in data["units"]]
    return unit


def check_memberships(data: dict[str, Any], unit_ids: list[str]) -> list[str]:
    """Unit references of a user (ids or names) as ids; UserError for an unknown one."""
    out: list[str] = []
    for ref in unit_ids:
        uid = find(data, ref).id
        if uid not in out:
            out.append(uid)
    return out
