"""Small encrypted documents beside the records (training groups, settings):
`<data>/docs/<kind>/<doc_id>.doc`, in the record snapshot format and keys.

A key rotation re-seals every document under the new key generation
(`reseal_docs`), so none is left behind under a retired key; one that cannot
be read is reported (`DocDamaged`, audited), never skipped silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import clock
from . import crypto as C
from .core import SessionCore
from .errors import StoreError
from .integrity import DocDamaged
from .locks import exclusive
from .records import new_header, read_snapshot, rewrap_header, write_snapshot


def _safe_name(name: str) -> str:
    if not name or len(name) > 64 or not all(c.isalnum() and c.isascii() or c in "_-" for c in name):
        raise StoreError("store.error.user")
    return name


# who may write a kind of document (`access`); reading is open to every user:
# documents hold no client data (group members' user ids, follow-up intervals)
WRITE_ACTIONS = {"group": "training.groups", "settings": "admin"}


class DocOps(SessionCore):
    """A session's small documents."""

    def _docs_lock(self) -> Path:
        return self.store.dir.locks / "docs.lock"

    def save_doc(self, kind: str, doc_id: str, data: dict[str, Any]) -> None:
        """An encrypted document beside the records (training groups, settings).

        Same format and keys as a record snapshot; `kind` and `doc_id` are
        short identifiers ([a-z0-9_-]), never client data. Refused (audited)
        for a role that may not write this kind (`WRITE_ACTIONS`)."""
        self.require(WRITE_ACTIONS.get(kind, "admin"))
        path = self._doc_path(kind, doc_id)
        path.parent.mkdir(mode=0o2770, parents=True, exist_ok=True)
        self.ensure_fresh_keys()
        rid = f"{kind}.{doc_id}"
        dek = C.random_key()
        header = new_header(rid, 0, 0, self.keys.write_gen, self.keys.vk, dek)
        body = {"rid": rid, "data": data, "updated": clock.now(), "by": self.user.id}
        with exclusive(self._docs_lock()):  # not under a key rotation's re-sealing of the same file
            write_snapshot(path, header, body, dek, self.store.dir.tmp)

    def load_docs(self, kind: str, damaged: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Every readable document of `kind`. One that cannot be read is
        audited ("doc-damaged") and raises DocDamaged, or, when the caller
        passes a `damaged` list, has its id appended there instead."""
        out: dict[str, dict[str, Any]] = {}
        directory = self.store.dir.docs / _safe_name(kind)
        for path in sorted(directory.glob("*.doc")):
            try:
                out[path.stem] = self._read_snapshot(path, f"{kind}.{path.stem}").body["data"]
            except (StoreError, KeyError, TypeError):
                self.log("doc-damaged", detail={"kind": kind, "doc": path.stem})
                if damaged is None:
                    raise DocDamaged(None, kind=kind, doc=path.stem) from None
                damaged.append(path.stem)
        return out

    def delete_doc(self, kind: str, doc_id: str) -> None:
        self.require(WRITE_ACTIONS.get(kind, "admin"))
        with exclusive(self._docs_lock()):
            self._doc_path(kind, doc_id).unlink(missing_ok=True)

    def _doc_path(self, kind: str, doc_id: str) -> Path:
        return self.store.dir.docs / _safe_name(kind) / f"{_safe_name(doc_id)}.doc"

    def reseal_docs(self, new_gen: int, reencrypt: bool) -> list[str]:
        """Key rotation: every document's key sealed under generation `new_gen`
        (with `reencrypt`, a new document key and the body rewritten). Returns
        "<kind>/<id>" of those that could not be read (left as they are)."""
        failed: list[str] = []
        if not self.store.dir.docs.is_dir():
            return failed
        for path in sorted(self.store.dir.docs.glob("*/*.doc")):
            rid = f"{path.parent.name}.{path.stem}"
            try:
                with exclusive(self._docs_lock()):
                    snap = read_snapshot(path, rid, self.keys.vks)  # small: read whole, so damage shows
                    if reencrypt:
                        if snap.header["vk_gen"] == new_gen:
                            continue  # written since the rotation began: its key never met an old vault key
                        dek = C.random_key()
                        header = new_header(rid, 0, 0, new_gen, self.keys.vks[new_gen], dek)
                        write_snapshot(path, header, snap.body, dek, self.store.dir.tmp)
                    else:
                        rewrap_header(path, self.keys, new_gen, self.store.dir.tmp)
            except (StoreError, OSError):
                failed.append(f"{path.parent.name}/{path.stem}")
        return failed
