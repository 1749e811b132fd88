"""The store's clock: UTC timestamps to the second, as written into records,
documents, the vault and bank signatures. One function, so tests can patch it."""

from __future__ import annotations

from datetime import datetime, timezone


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
