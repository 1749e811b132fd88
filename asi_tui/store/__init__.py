"""Encrypted, crash-safe, multi-user record store (shared storage-design.md).

The main names are importable from here (`from asi_tui.store import Store`)
and load their modules on first use, so importing one small module such as
`asi_tui.store.crypto` or `asi_tui.store.errors` stays cheap.

Modules: `datadir` (layout, checks), `session` (Store, Session), `handle`
(RecordHandle: journal, replay, compaction), `recordops`/`docs`/`keyops`
(session operations on the shared `core`), `access` (role checks), `vault`
and `keyslots` (users and keys), `records`, `journal`, `index`, `audit`,
`locks`, `banks`/`bank_versions` (published bank versions), `crypto`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DataDir": "datadir",
    "default_data_dir": "datadir",
    "Store": "session",
    "Session": "session",
    "RecordHandle": "handle",
    "PAUSED": "handle",
    "STATUSES": "handle",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # what static tools see; at run time __getattr__ imports on demand
    from .datadir import DataDir, default_data_dir
    from .handle import PAUSED, STATUSES, RecordHandle
    from .session import Session, Store


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value
