"""Who may do what: the one policy table of the program (README, "Roles").

A user's *role key* is their role, with interviewers split by certification
(`trainee`: an interviewer not yet certified). `POLICY[role key][action]` is
a `Rule`: whether the action is allowed at all, and for which records:

* `ALL`:  every unit;
* `UNIT`: records of the user's own units only (`User.units`; for an analyst,
  the units granted to them);
* `OWN`:  the user's own practice records only;
* `reason`: an admin opening a client record someone else wrote must state a
  reason, which goes into the audit log.

The session (`core.SessionCore.require`) asks this module and audits every
refusal; the vault asks `key_units` which unit keys a user gets, so the keys
a person holds follow the same table (a user holds only the keys of their
units; practice records use a practice key everyone holds).

Analysts are granted units for statistics and de-identified exports. Computing
statistics needs the records, so they hold those units' keys: that they see
aggregates only (never client references, names, free text or single
records) is enforced by the program, not by cryptography.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from .errors import NotAuthorized


class User(Protocol):
    """What the policy reads of a user (`keyslots.User`)."""

    id: str
    role: str
    certified: bool
    disabled: bool
    units: tuple[str, ...]

ALL, UNIT, OWN = "all", "unit", "own"
PRACTICE_UNIT = "practice"  # the compartment of practice records (a key every user holds)
ROLE_KEYS = ("interviewer", "trainee", "trainer", "analyst", "admin")


@dataclass(frozen=True)
class Rule:
    allowed: bool
    scope: str = ALL  # ALL | UNIT | OWN
    reason: bool = False  # an admin opening someone else's client record states a reason


NO = Rule(False)
A, U, O = Rule(True, ALL), Rule(True, UNIT), Rule(True, OWN)
A_REASON = Rule(True, ALL, reason=True)

# action -> what it covers (README "Roles" is this table)
ACTIONS = {
    "record.create": "start a client interview or dropout registration",
    "record.open": "open a client record for editing",
    "record.view": "view or print a client record",
    "record.list": "list client records (home, record list)",
    "record.delete": "delete a record for good",
    "record.withdraw": "withdraw a dropout registration",
    "record.responsible": "set a client's responsible case worker",
    "practice": "practice interviews and coding exercises (own)",
    "practice.review": "read every trainee's practice records (results)",
    "followups": "the follow-up planning list (names clients)",
    "stats": "group statistics (aggregates)",
    "export": "de-identified export",
    "export.identifying": "export options that identify (full dates, exact age, interviewer)",
    "training.groups": "training groups",
    "audit": "read the audit log (anyone may check its chain)",
    "admin": "users, units, bank versions, keys, index and lock repair",
}

POLICY: dict[str, dict[str, Rule]] = {
    "interviewer": {
        "record.create": U, "record.open": U, "record.view": U, "record.list": U, "record.withdraw": U,
        "record.responsible": U, "practice": O, "followups": U, "stats": U,
    },
    "trainee": {"practice": O},
    "trainer": {"practice": O, "practice.review": A, "training.groups": A},
    "analyst": {"stats": U, "export": U},
    "admin": {
        "record.create": A, "record.open": A_REASON, "record.view": A_REASON, "record.list": A, "record.delete": A,
        "practice": O, "practice.review": A, "stats": A, "export": A, "export.identifying": A,
        "training.groups": A, "audit": A, "admin": A,
    },
}

UNITLESS = ("practice.review", "training.groups", "audit", "admin")  # not about records of a unit


def role_table() -> list[str]:
    """The README's role table (Markdown), made from POLICY: tests/test_access_matrix.py
    checks that the README shows exactly this."""
    cols = ("interviewer", "trainee", "trainer", "analyst", "admin")

    def cell(action: str, r: Rule | None) -> str:
        if r is None or not r.allowed:
            return "–"
        if action in UNITLESS and r.scope == ALL:
            return "yes"
        return {ALL: "all units", UNIT: "own units", OWN: "own only"}[r.scope] + (", with a reason" if r.reason else "")

    lines = ["| what | interviewer (certified) | interviewer, not certified | trainer | analyst | admin |",
             "|---|---|---|---|---|---|"]
    for action, what in ACTIONS.items():
        lines.append(f"| `{action}`: {what} | " + " | ".join(cell(action, POLICY[c].get(action)) for c in cols) + " |")
    return lines


# the message a refusal shows, per action (one line; locales/*/access.yaml)
DENIED_KEYS = {
    "record.create": "store.access.record_create",
    "record.open": "store.access.record",
    "record.view": "store.access.record",
    "record.list": "store.access.record_list",
    "record.delete": "store.access.admin",
    "record.withdraw": "store.access.withdraw",
    "record.responsible": "store.access.responsible",
    "practice": "store.access.practice",
    "practice.review": "store.access.practice_review",
    "followups": "store.access.followups",
    "stats": "store.access.stats",
    "export": "store.access.export",
    "export.identifying": "store.access.export_identifying",
    "training.groups": "store.access.training",
    "audit": "store.access.audit",
    "admin": "store.access.admin",
}


def role_key(role: str, certified: bool) -> str:
    if role == "interviewer" and not certified:
        return "trainee"
    return role if role in POLICY else "trainee"


def rule(user: User, action: str) -> Rule:
    if user.disabled:
        return NO
    return POLICY[role_key(user.role, user.certified)].get(action, NO)


def allowed(user: User, action: str, unit: str | None = None, own: bool = False) -> bool:
    """Whether `user` may do `action` (on a record of `unit`, `own` if they wrote it)."""
    r = rule(user, action)
    if not r.allowed:
        return False
    if r.scope == OWN:
        return own
    if r.scope == UNIT and unit is not None:
        return unit in user.units
    return True


def units_for(user: User, action: str, all_units: Iterable[str]) -> set[str] | None:
    """The units `action` covers for `user`: None for every unit, a set otherwise (empty: none)."""
    r = rule(user, action)
    if not r.allowed or r.scope == OWN:
        return set()
    if r.scope == UNIT:
        return set(user.units) & set(all_units)
    return None


def needs_reason(user: User, action: str, own: bool) -> bool:
    return rule(user, action).reason and not own


# a role's own wording of a refusal, where it says more than the action's
ROLE_DENIED_KEYS = {
    ("trainee", "record.create"): "store.error.not_certified",
    **{(role, action): "store.access.no_client_data" for role in ("trainee", "trainer", "analyst")
       for action in ("record.open", "record.view", "record.list", "followups")},
}


def denied_key(action: str, user: User | None = None) -> str:
    if user is not None:
        own = ROLE_DENIED_KEYS.get((role_key(user.role, user.certified), action))
        if own:
            return own
    return DENIED_KEYS.get(action, "store.error.not_authorized")


def key_units(role: str, certified: bool, disabled: bool, units: Iterable[str], all_units: Iterable[str]) -> set[str]:
    """The unit keys a user is given: admins every unit's (they rotate and re-wrap
    every record), certified interviewers and analysts their own units', nobody
    else any (trainees and trainers hold only the practice key)."""
    if disabled:
        return set()
    every = set(all_units)
    key = role_key(role, certified)
    if key == "admin":
        return every
    if key in ("interviewer", "analyst"):
        return set(units) & every
    return set()


# ----------------------------------------------------------------------------- simple checks


def require_admin(user: User) -> None:
    if not allowed(user, "admin"):
        raise NotAuthorized(denied_key("admin"))


def require_may_withdraw(user: User, registered_by: str | None, unit: str | None) -> None:
    """A dropout registration is withdrawn by the interviewer who registered it
    or by an interviewer of the record's unit."""
    if user.id == registered_by and not user.disabled and rule(user, "record.withdraw").allowed:
        return
    if not allowed(user, "record.withdraw", unit):
        raise NotAuthorized("chain.error.withdraw_not_allowed")


def require_may_create_record(user: User, practice: bool, dropout: bool = False) -> None:
    """What `create_record` will refuse, asked before anything is typed (the
    new-interview form shows it at once; nothing is audited here, the store
    checks and audits again when the record is created)."""
    action = "practice" if practice else "record.create"
    if not rule(user, action).allowed:
        raise NotAuthorized(denied_key(action, user))
