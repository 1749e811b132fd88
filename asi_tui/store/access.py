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
