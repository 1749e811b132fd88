"""The record index: one partition per compartment (a unit, or `practice`),
each an encrypted base plus an append-only event log (`segments`), and an
in-memory view per session refreshed incrementally from the logs' tails.

Only lifecycle fields live here (no answers), one document per record,
written once per state change, never per answer. An operation costs one
fsynced append of a few hundred bytes under a lock held for that append,
plus reading what other processes appended since; it does not grow with the
archive. Reading takes no lock. `asi-tui index rebuild` recreates every
partition from the records.

A session reads the partitions of the compartments whose key it holds; a
partition sealed under an older key generation (a rotation cut short) is
rewritten under the current one as soon as a session that holds it reads it,
so that someone removed before the rotation cannot read it.

Before partitions, the index was one file (`index.db`, TinyDB under the vault
generation's index key). Such a file is still read, for the compartments that
have no partition yet; the first write to a compartment starts its partition
from it, and a rebuild removes it.
"""

from __future__ import annotations

import bisect
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from tinydb import TinyDB
from tinydb.storages import Storage

from ..engine.limits import same_client_key
from . import crypto as C
from .errors import StoreError
from .fsutil import read_regular
from .records import Snapshot, body_unit
from .segments import COMPARTMENT_RE, IndexDamaged, NoIndexKey, Partition

MAGIC = b"ASIIDX1\n"  # the one-file index of earlier versions
MAX_LEGACY_BYTES = 256 << 20
AD = b"asi-tui/index/v1"
OPEN_STATUSES = ("in_progress", "paused")
MAX_CHANGES = 200_000

__all__ = ["Index", "IndexDamaged", "index_doc"]


class _LegacyStorage(Storage):
    """TinyDB storage reading the encrypted one-file index of earlier versions."""

    def __init__(self, path: str, keys: tuple[bytes, ...]) -> None:
        self.path = Path(path)
        self.keys = keys

    def read(self) -> dict[str, Any] | None:
        try:
            data = read_regular(self.path, MAX_LEGACY_BYTES)
        except FileNotFoundError:
            return None
        except (OSError, StoreError):
            raise IndexDamaged() from None
        if not data.startswith(MAGIC):
            raise IndexDamaged()
        for key in self.keys:
            try:
                doc = json.loads(C.open_sealed(key, data[len(MAGIC) :], AD))
            except C.CryptoError:
                continue
            except ValueError:
                raise IndexDamaged() from None
            return doc if isinstance(doc, dict) else None
        raise IndexDamaged()

    def write(self, data: dict[str, Any]) -> None:  # read only: partitions are written instead
        raise IndexDamaged()


def _compartment(doc: dict[str, Any]) -> str | None:
    unit = doc.get("unit") or ("practice" if doc.get("practice") else None)
    return unit if isinstance(unit, str) and COMPARTMENT_RE.match(unit) else None


class Index:
    """The partitions this session can read, and their merged in-memory view."""

    def __init__(self, root: Path, legacy: Path, locks: Path, tmp: Path,
                 key_for: Callable[[str, int], bytes | None], current_gen: Callable[[], int],
                 legacy_keys: Callable[[], list[bytes]], on_stale_key: Callable[[], None] | None = None) -> None:
        self.root = root
        self.legacy = legacy
        self.locks = locks
        self.tmp = tmp
        self._key_source = key_for  # (compartment, generation) -> index key, if this session holds it
        self._keys: dict[tuple[str, int], bytes | None] = {}
        self.current_gen = current_gen
        self.legacy_keys = legacy_keys
        self.on_stale_key = on_stale_key  # called once when a partition is sealed under a newer generation
        self.partitions: dict[str, Partition] = {}
        self.docs: dict[str, dict[str, Any]] = {}
        self.by_client: dict[str, tuple[dict[str, Any], ...]] = {}  # a new tuple whenever a client's documents change
        self.open: set[str] = set()
        self.by_interviewer: dict[str, set[str]] = {}
        # per interviewer, (updated, rid) of their documents in ascending order, so
        # that "my latest n" does not scan all of theirs; rebuilt lazily after a bulk change
        self._latest: dict[str, list[tuple[str, str]]] = {}
        self._latest_stale: set[str] = set()
        self._changes: list[str] = []  # client keys whose group changed, in order
        self._changes_base = 0  # the position of _changes[0]
        self._legacy: dict[str, list[dict[str, Any]]] | None = None  # by compartment, read once
        self._legacy_shown: set[str] = set()

    def key_for(self, compartment: str, gen: int) -> bytes | None:
        try:
            return self._keys[(compartment, gen)]
        except KeyError:
            key = self._keys[(compartment, gen)] = self._key_source(compartment, gen)
            return key

    def clear_keys(self) -> None:
        """After the session's keys changed (a rotation, a unit left): derive them again."""
        self._keys.clear()

    # -------------------------------------------------------------- the merged view

    def _put(self, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        """A partition changed one document (`old` -> `new`; None: absent)."""
        doc = new if new is not None else old
        assert doc is not None
        rid = doc["rid"]
        prev = self.docs.pop(rid, None)  # whatever the view held: a partition's, or the one-file index's
        if prev is not None:
            self.open.discard(rid)
            self.by_interviewer.get(str(prev.get("interviewer")), set()).discard(rid)
            self._unsort(prev)
            self._regroup(prev, rid, None)
        if new is None:
            return
        self.docs[rid] = new
        if new.get("status") in OPEN_STATUSES:
            self.open.add(rid)
        who = str(new.get("interviewer"))
        self.by_interviewer.setdefault(who, set()).add(rid)
        if who not in self._latest_stale:
            bisect.insort(self._latest.setdefault(who, []), _when(new))
        self._regroup(new, rid, new)

    def _unsort(self, doc: dict[str, Any]) -> None:
        who = str(doc.get("interviewer"))
        if who in self._latest_stale:
            return
        keys = self._latest.get(who, [])
        i = bisect.bisect_left(keys, _when(doc))
        if i < len(keys) and keys[i] == _when(doc):
            del keys[i]
        else:
            self._latest_stale.add(who)  # cannot happen; rebuilt when next asked

    def _reset(self, old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]) -> None:
        """A partition replaced all its documents (its base was read): the same
        as `_put` for each, built in bulk, and every change-list reader told to
        compare everything."""
        for d in list(old):
            if self.docs.get(d["rid"]) is d:
                self._latest_stale.add(str(d.get("interviewer")))
                self._put(d, None)
        added: dict[str, list[dict[str, Any]]] = {}
        for d in new:
            rid = d["rid"]
            if rid in self.docs:  # held already (the one-file index): the slow way
                self._put(None, d)
                continue
            self.docs[rid] = d
            if d.get("status") in OPEN_STATUSES:
                self.open.add(rid)
            who = str(d.get("interviewer"))
            self.by_interviewer.setdefault(who, set()).add(rid)
            self._latest_stale.add(who)
            added.setdefault(same_client_key(d.get("client_ref")), []).append(d)
        for key, docs in added.items():
            self.by_client[key] = self.by_client.get(key, ()) + tuple(docs)
        self._changes_base += len(self._changes) + 1
        self._changes.clear()

    def _regroup(self, doc: dict[str, Any], rid: str, new: dict[str, Any] | None) -> None:
        key = same_client_key(doc.get("client_ref"))
        self._changes.append(key)
        if len(self._changes) > MAX_CHANGES:  # nobody needs so old a list: who is behind compares all
            self._changes_base += len(self._changes)
            self._changes.clear()
        group = tuple(d for d in self.by_client.get(key, ()) if d["rid"] != rid)
        if new is not None:
            group += (new,)
        if group:
            self.by_client[key] = group
        else:
            self.by_client.pop(key, None)

    def _partition(self, compartment: str) -> Partition:
        part = self.partitions.get(compartment)
        if part is None:
            part = Partition(self.root, self.locks, self.tmp, compartment,
                             lambda gen, c=compartment: self.key_for(c, gen), self._put, self._reset)
            self.partitions[compartment] = part
        return part

    def _held(self, compartment: str) -> bool:
        return COMPARTMENT_RE.match(compartment) is not None and self.key_for(compartment, self.current_gen()) is not None

    def sync(self) -> None:
        """Catch up with every partition this session can read (cheap when nothing changed)."""
        try:
            names = os.listdir(self.root)
        except FileNotFoundError:
            names = []
        except NotADirectoryError:
            raise IndexDamaged() from None
        for name in names:
            if name not in self.partitions and self._held(name):
                self._partition(name)
        for name, part in list(self.partitions.items()):
            self._refresh(part)
        self._sync_legacy()

    def _refresh(self, part: Partition) -> None:
        try:
            part.refresh()
        except NoIndexKey as exc:
            if exc.gen > self.current_gen() and self.on_stale_key is not None:
                self.on_stale_key()  # another admin rotated: load the new generation
                try:
                    part.refresh()
                except NoIndexKey:
                    self._drop(part)
            else:
                self._drop(part)  # not ours (any more)
            return
        gen = self.current_gen()
        if part.epoch and part.gen != gen and self.key_for(part.compartment, gen) is not None:
            part.compact(gen, wait=None)  # still under a retired key: rewritten at once

    def _drop(self, part: Partition) -> None:
        part._reset({})
        self.partitions.pop(part.compartment, None)

    def _sync_legacy(self) -> None:
        """Documents of the one-file index, for compartments without a partition."""
        if self._legacy is None:
            if not os.path.lexists(self.legacy):
                self._legacy = {}
            else:
                db = TinyDB(str(self.legacy), storage=_LegacyStorage, keys=tuple(self.legacy_keys()))
                grouped: dict[str, list[dict[str, Any]]] = {}
                for d in db.all():
                    c = _compartment(d)
                    if c is not None and self._held(c):
                        grouped.setdefault(c, []).append(dict(d))
                self._legacy = grouped
        for c, docs in self._legacy.items():
            live = c in self.partitions and self.partitions[c].epoch > 0
            if live and c in self._legacy_shown:
                self._legacy_shown.discard(c)  # its partition now holds them
                for d in docs:
                    if self.docs.get(d["rid"]) is d:  # not replaced by the partition's own
                        self._put(d, None)
            elif not live and c not in self._legacy_shown:
                self._legacy_shown.add(c)
                for d in docs:
                    self._put(None, d)

    # -------------------------------------------------------------- reads

    def get(self, rid: str) -> dict[str, Any] | None:
        self.sync()
        doc = self.docs.get(rid)
        return dict(doc) if doc is not None else None

    def all(self) -> list[dict[str, Any]]:
        self.sync()
        return [dict(d) for d in self.docs.values()]

    # The views below hand out the live documents, to be read, never changed:
    # what leaves the store is copied by the caller (`RecordViews`).

    def docs_view(self) -> Iterable[dict[str, Any]]:
        self.sync()
        return list(self.docs.values())

    def client_docs(self, client_ref: str | None) -> tuple[dict[str, Any], ...]:
        """The documents of one client (`same_client_key`), every unit this session reads."""
        self.sync()
        return self.by_client.get(same_client_key(client_ref), ())

    def open_docs(self) -> list[dict[str, Any]]:
        self.sync()
        return [self.docs[r] for r in self.open]

    def interviewer_docs(self, user_id: str) -> list[dict[str, Any]]:
        self.sync()
        return [self.docs[r] for r in self.by_interviewer.get(user_id, ())]

    def interviewer_latest(self, user_id: str) -> Iterator[dict[str, Any]]:
        """An interviewer's documents, latest change first (`updated`, then
        record id, as listings order them), read lazily: taking the first few
        costs the same however many they have."""
        self.sync()
        if user_id in self._latest_stale:
            self._latest[user_id] = sorted(_when(self.docs[r]) for r in self.by_interviewer.get(user_id, ()))
            self._latest_stale.discard(user_id)
        keys = self._latest.get(user_id, [])
        for i in range(len(keys) - 1, -1, -1):
            if i >= len(keys):
                continue  # shrunk by a refresh while the caller iterated
            doc = self.docs.get(keys[i][1])
            if doc is not None:
                yield doc

    def changes_since(self, since: int | None) -> tuple[int, list[str] | None]:
        """(position now, the client keys whose group changed since position
        `since`); None for the list when `since` is None or too old."""
        self.sync()
        end = self._changes_base + len(self._changes)
        if since is None or since < self._changes_base or since > end:
            return end, None
        return end, self._changes[since - self._changes_base :]

    def compartments(self) -> set[str]:
        """The compartments whose documents this view holds."""
        self.sync()
        return {c for c, p in self.partitions.items() if p.epoch} | set(self._legacy_shown)

    def groups(self) -> dict[str, tuple[dict[str, Any], ...]]:
        """Every client's documents, by `same_client_key`: the live view, read only.
        A group's tuple is replaced when one of its documents changes, so a
        caller may cache what it derives from a group by the tuple's identity."""
        self.sync()
        return self.by_client

    # -------------------------------------------------------------- writes

    def upsert(self, doc: dict[str, Any]) -> None:
        self._append(doc)

    def remove(self, rid: str) -> None:
        self.sync()
        doc = self.docs.get(rid)
        if doc is not None:
            self._append({"rid": rid, "deleted": True}, _compartment(doc))

    def _append(self, event: dict[str, Any], compartment: str | None = None) -> None:
        compartment = compartment or _compartment(event)
        if compartment is None:
            raise StoreError("store.error.record_outdated")  # no unit: written before units (`asi-tui migrate`)
        part = self._partition(compartment)
        gen = self.current_gen()
        self._refresh(part)
        part = self._partition(compartment)
        if not part.epoch:
            self._sync_legacy()
            seed = (self._legacy or {}).get(compartment)
            if seed:  # the first write since the one-file index: the partition starts from it
                part.compact(gen, replace=seed, wait=None)
        part.append(event, gen)
        self._sync_legacy()
        if part.needs_compaction(gen):
            part.compact(gen)  # skipped while another process compacts it

    def replace_all(self, docs: Iterable[dict[str, Any]]) -> int:
        """Every partition anew from `docs` (a rebuild), the one-file index removed."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        n = 0
        for d in docs:
            c = _compartment(d)
            if c is None:
                continue
            grouped.setdefault(c, []).append(d)
            n += 1
        try:
            names = [c for c in os.listdir(self.root) if COMPARTMENT_RE.match(c)]
        except FileNotFoundError:
            names = []
        gen = self.current_gen()
        for c in sorted(set(names) | set(grouped)):
            if self.key_for(c, gen) is None:
                continue  # a compartment this session holds no key of: left as it is
            self._partition(c).compact(gen, replace=grouped.get(c, []), wait=None)
        self._remove_legacy()
        self.sync()
        return n

    def _remove_legacy(self) -> None:
        try:
            os.unlink(self.legacy)
        except FileNotFoundError:
            pass
        self._legacy = {}
        self._legacy_shown.clear()

    def rekey(self) -> None:
        """Rewrite every partition this session holds under the current generation's key."""
        self.sync()
        gen = self.current_gen()
        for part in list(self.partitions.values()):
            if part.epoch and part.gen != gen:
                part.compact(gen, wait=None)


def _when(doc: dict[str, Any]) -> tuple[str, str]:
    return (str(doc.get("updated") or ""), doc["rid"])


def index_doc(snap: Snapshot, hwm: tuple[int, int] | None = None) -> dict[str, Any]:
    """What the index holds of a record: ids, status, bank version, dates,
    interviewer, unit, responsible case worker, and the (generation, sequence) high-water mark of its
    acknowledged changes (`integrity`); never answers."""
    b = snap.body
    meta = b.get("meta") or {}
    return {
        "rid": snap.rid,
        "unit": body_unit(b),  # a unit id, or "practice": the compartment (access checks, partitions)
        "responsible": meta.get("responsible") if isinstance(meta.get("responsible"), str) else None,
        "kind": b.get("kind"),
        "instrument": b.get("instrument"),
        "variant": b.get("variant"),
        "bank_id": b["bank"]["id"] if b.get("bank") else None,
        "bank_version": b["bank"]["version"] if b.get("bank") else None,
        "status": b.get("status"),
        "client_ref": b.get("client_ref"),
        "interviewer": b.get("interviewer"),
        "interview_date": b.get("interview_date"),
        "linked_rid": (b.get("linked") or {}).get("rid"),
        "reactualisation": bool((b.get("meta") or {}).get("reactualisation")),  # store/chain.py
        "practice": bool(b.get("practice")),
        "created": b.get("created"),
        "updated": b.get("updated"),
        "gen": snap.gen,
        "seq": snap.seq,
        "hwm": list(hwm or (snap.gen, snap.seq)),
    }
