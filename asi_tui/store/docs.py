"""Small encrypted documents beside the records (training groups, settings):
`<data>/docs/<kind>/<doc_id>.doc`, in the record snapshot format and keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import clock
from . import crypto as C
from .core import SessionCore
from .errors import StoreError
from .records import new_header, write_snapshot


def _safe_name(name: str) -> str:
    if not name or len(name) > 64 or not all(c.isalnum() and c.isascii() or c in "_-" for c in name):
        raise StoreError("store.error.user")
    return name


class DocOps(SessionCore):
    """A session's small documents."""

    def save_doc(self, kind: str, doc_id: str, data: dict[str, Any]) -> None:
        """An encrypted document beside the records (training groups, settings).

        Same format and keys as a record snapshot; `kind` and `doc_id` are
        short identifiers ([a-z0-9_-]), never client data."""
        path = self._doc_path(kind, doc_id)
        path.parent.mkdir(mode=0o2770, parents=True, exist_ok=True)
        self.ensure_fresh_keys()
        rid = f"{kind}.{doc_id}"
        dek = C.random_key()
        header = new_header(rid, 0, 0, self.keys.write_gen, self.keys.vk, dek)
        write_snapshot(path, header, {"rid": rid, "data": data, "updated": clock.now(), "by": self.user.id}, dek, self.store.dir.tmp)

    def load_docs(self, kind: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        directory = self.store.dir.docs / _safe_name(kind)
        for path in sorted(directory.glob("*.doc")):
            try:
                out[path.stem] = self._read_snapshot(path, f"{kind}.{path.stem}").body["data"]
            except (StoreError, KeyError):
                continue
        return out

    def delete_doc(self, kind: str, doc_id: str) -> None:
        self._doc_path(kind, doc_id).unlink(missing_ok=True)

    def _doc_path(self, kind: str, doc_id: str) -> Path:
        return self.store.dir.docs / _safe_name(kind) / f"{_safe_name(doc_id)}.doc"
