"""Who may do what in the store: every role check of the store in one place.

Roles between holders of the vault key are enforced by these checks (with OS
permissions and the audit log), not by cryptography (storage-design.md 3.2).
Per-unit roles will extend them here.
"""

from __future__ import annotations

from .errors import NotAuthorized
from .keyslots import User


def require_admin(user: User) -> None:
    if not user.is_admin:
        raise NotAuthorized()


def require_may_create_record(user: User, practice: bool, dropout: bool) -> None:
    """An uncertified interviewer may only practise or register a dropout."""
    if not practice and not dropout and user.role == "interviewer" and not user.certified:
        raise NotAuthorized("store.error.not_certified")


def require_may_withdraw(user: User, registered_by: str | None) -> None:
    """A dropout registration is withdrawn by the interviewer who registered it or by
    the unit; until units exist (another issue adds them) the unit is an admin."""
    if user.id != registered_by and not user.is_admin:
        raise NotAuthorized("chain.error.withdraw_not_allowed")
