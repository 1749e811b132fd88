"""Shared by the export tests: a fresh data directory with an admin and Anna."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from asi_tui.store import Session, Store

from .conftest import ADMIN, ADMIN_PW, ANNA, ANNA_PW


def new_data_dir(root: Path, resolver: Any = None, admin_does: Any = None) -> Session:
    """Create `root` (admin ADMIN, certified interviewer ANNA); `admin_does(admin)` runs
    before the admin's session closes. Returns Anna's session."""
    store, _ = Store.init(root, ADMIN, "Chef", ADMIN_PW, **({"resolver": resolver} if resolver else {}))
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_user(ANNA, "Anna", "interviewer", ANNA_PW, certified=True)
    if admin_does is not None:
        admin_does(admin)
    admin.close()
    return store.unlock(ANNA, ANNA_PW)


def admin_of(session: Session) -> Session:
    """An admin's session on the same data directory: interviewers do not export (issue 13)."""
    return Store.open(session.store.dir.root, resolver=session.store.resolver).unlock(ADMIN, ADMIN_PW)
