"""Which unit every existing record goes to when a data directory written by
an earlier version is upgraded (`upgrade`): the plan `asi-tui migrate`
prints with `--dry-run` and carries out without it. Pure: it works on what
the records say (kind, interviewer, the free-text G3 answer) and on the
admin's choices.

* Each distinct free-text spelling of G3 (case and spaces ignored) becomes a
  unit, named after its most common spelling, unless the admin maps it
  (`--map "Beroende enheten=Beroendeenheten"`) onto another unit (a new one
  by name, or an existing one by id or name): so two spellings of one unit
  become one.
* A record without G3 (a dropout registration, an unanswered item) goes to
  the unit of the user who registered it, when their other records name
  exactly one; else to `--default-unit`; else the plan lists it as missing
  and nothing is written.
* Practice records stay practice records.
* Users: those named with `--assign user=unit` get exactly those units;
  interviewers get the units of their records; when the directory ends up
  with one unit, every interviewer and analyst without one joins it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .access import PRACTICE_UNIT
from .errors import UserError
from .units import FIRST_UNIT, RESERVED, Unit, check_id, check_name, slug


@dataclass(frozen=True)
class LegacyRecord:
    """What the plan needs of one record written before units."""

    rid: str
    kind: str  # interview | dropout
    interviewer: str
    practice: bool
    g3: str | None  # the free-text unit as typed (None: not answered)


@dataclass
class Spelling:
    key: str  # normalised: case and spaces ignored
    text: str  # the most common way it was typed
    records: int
    unit: str  # the unit id it goes to
    mapped: bool  # chosen by the admin (--map), not proposed


@dataclass
class UnitPlan:
    spellings: list[Spelling] = field(default_factory=list)
    units: list[tuple[str, str, bool]] = field(default_factory=list)  # id, name, new
    records: dict[str, str] = field(default_factory=dict)  # rid -> unit id or "practice"
    without: list[tuple[str, str, str, str | None, str]] = field(default_factory=list)  # rid, kind, user, unit, how
    users: dict[str, list[str]] = field(default_factory=dict)
    practice: int = 0
    unknown_maps: list[str] = field(default_factory=list)  # --map spellings no record has

    @property
    def missing(self) -> list[str]:
        """Records the plan cannot place (no G3, no single unit of their user, no default)."""
        return [rid for rid, _kind, _user, unit, _how in self.without if unit is None]

    @property
    def new_units(self) -> list[tuple[str, str]]:
        return [(uid, name) for uid, name, new in self.units if new]


def norm(text: object) -> str:
    return " ".join(str(text).split()).casefold() if isinstance(text, str) else ""


class _Units:
    """The units of the plan: existing ones and those it will create."""

    def __init__(self, existing: Iterable[Unit]) -> None:
        self.existing = list(existing)
        self.new: list[tuple[str, str]] = []

    def resolve(self, ref: str) -> str:
        """A unit id for `ref`: an existing unit (id or name), a planned one (name), or a new one."""
        for u in self.existing:
            if u.id == ref or norm(u.name) == norm(ref):
                return u.id
        for uid, name in self.new:
            if norm(name) == norm(ref) or uid == ref:
                return uid
        name = check_name(ref)
        base = slug(name) or "enhet"
        if base in RESERVED:
            base = f"enhet-{base}"
        taken = {u.id for u in self.existing} | {uid for uid, _ in self.new}
        uid, n = base, 2
        while uid in taken:
            uid, n = f"{base[:28]}-{n}", n + 1
        check_id(uid)
        self.new.append((uid, name))
        return uid

    def listing(self) -> list[tuple[str, str, bool]]:
        return [(u.id, u.name, False) for u in self.existing] + [(uid, name, True) for uid, name in self.new]


def make_plan(records: Iterable[LegacyRecord], users: dict[str, tuple[str, bool]], existing: Iterable[Unit] = (),
              maps: dict[str, str] | None = None, assign: dict[str, list[str]] | None = None,
              default_unit: str | None = None) -> UnitPlan:
    """`users`: user id -> (role, certified); `maps`: spelling -> unit (name or id);
    `assign`: user -> units (names or ids). UserError for an unusable unit name."""
    records = list(records)
    maps = {norm(k): v for k, v in (maps or {}).items()}
    units = _Units(existing)
    plan = UnitPlan()
    typed: dict[str, Counter[str]] = {}
    for r in records:
        if not r.practice and norm(r.g3):
            typed.setdefault(norm(r.g3), Counter())[" ".join(str(r.g3).split())] += 1
    plan.unknown_maps = sorted(k for k in maps if k not in typed)
    by_key: dict[str, str] = {}
    for key in sorted(typed, key=lambda k: (-sum(typed[k].values()), k)):
        text = typed[key].most_common(1)[0][0]
        target = maps.get(key)
        by_key[key] = units.resolve(target if target else text)
        plan.spellings.append(Spelling(key, text, sum(typed[key].values()), by_key[key], target is not None))
    default_id = units.resolve(default_unit) if default_unit else None
    user_units: dict[str, set[str]] = {}
    for r in records:
        if not r.practice and norm(r.g3):
            user_units.setdefault(r.interviewer, set()).add(by_key[norm(r.g3)])
    for r in records:
        if r.practice:
            plan.records[r.rid] = PRACTICE_UNIT
            plan.practice += 1
        elif norm(r.g3):
            plan.records[r.rid] = by_key[norm(r.g3)]
        else:
            own = user_units.get(r.interviewer, set())
            unit, how = (next(iter(own)), "user") if len(own) == 1 else (default_id, "default") if default_id else (None, "missing")
            plan.without.append((r.rid, r.kind, r.interviewer, unit, how))
            if unit is not None:
                plan.records[r.rid] = unit
                user_units.setdefault(r.interviewer, set()).add(unit)
    if not units.listing():
        units.resolve(default_unit or FIRST_UNIT)
    everyone = units.listing()
    for user_id, (role, _certified) in sorted(users.items()):
        if assign and user_id in assign:
            plan.users[user_id] = [units.resolve(ref) for ref in assign[user_id]]
        elif role in ("interviewer", "analyst"):
            mine = sorted(user_units.get(user_id, set()))
            plan.users[user_id] = mine or ([everyone[0][0]] if len(everyone) == 1 else [])
        else:
            plan.users[user_id] = []
    unknown = sorted(set(assign or {}) - set(users))
    if unknown:
        raise UserError("store.error.no_such_user", user=unknown[0])
    plan.units = units.listing()
    return plan


def parse_map_lines(lines: Iterable[str]) -> dict[str, str]:
    """`SPELLING=UNIT` pairs (a --map option, or the lines of a mapping file;
    blank lines and lines starting with # are skipped)."""
    out: dict[str, str] = {}
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        spelling, sep, unit = text.partition("=")
        if not sep or not spelling.strip() or not unit.strip():
            raise UserError("store.upgrade.bad_map", line=text[:80])
        out[spelling.strip()] = unit.strip()
    return out
