"""Who may see which parts of the statistics: every such check in one place.

An analyst role arrives with another issue; extend the role sets here.
"""

from __future__ import annotations

from typing import Any

INTERVIEWER_BREAKDOWN_ROLES = frozenset({"admin"})


def may_see_interviewer_breakdown(user: Any) -> bool:
    """The per-interviewer quality tables name staff: admins only (for now)."""
    return getattr(user, "role", None) in INTERVIEWER_BREAKDOWN_ROLES


__all__ = ["may_see_interviewer_breakdown"]
