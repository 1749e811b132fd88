"""One index partition on disk: an encrypted base plus an append-only,
fsynced log of index events, replaced together by compaction.

A partition holds the index documents of one compartment (a unit, or
`practice`) under that compartment's index key, so whoever cannot read a
unit's records cannot read its index either. Its directory
`index/<compartment>/` holds

- `CURRENT`: the live epoch number (written atomically; the switch point);
- `base.<epoch>`: every document as of the compaction that made the epoch,
  sealed as one blob;
- `log.<epoch>`: a header, then frames `length ‖ sealed(event)`, each sealed
  with its compartment, epoch and byte offset as associated data, so frames
  cannot be moved, reordered or dropped from the middle unnoticed.

An event is a whole document (upsert) or `{"rid": ..., "deleted": true}`.
Appending is one short critical section under `locks/index-<c>.lock`: catch up
with the tail, cut a torn tail (a crashed writer's partial frame: never
acknowledged), write one frame, fsync. Readers take no lock: they read from
the offset they have, and stop at a partial frame (a writer may be writing it).

Compaction (`compact`) writes the next epoch's base from a snapshot without
the partition lock, then, under it, copies the few events appended meanwhile
into the next epoch's log and switches `CURRENT`. The new log's header says
which epoch and offset its base was taken at: a reader that has already read
that far switches by replaying the copied events, without reading the base
again. A crash at any step leaves the old epoch live (before the switch) or
the new one complete (after it); leftover files are removed by the next
compaction. `compact.lock` lets only one process compact a partition at a time.
"""

from __future__ import annotations

import json
import os
import re
import struct
from pathlib import Path
from collections import deque
from typing import Any, Callable, Iterable

from . import crypto as C
from . import faults
from .errors import FileTooLarge, RecordDamaged, StoreError, UnsafePath
from .fsutil import atomic_write, fsync_dir, io_error, make_dir, open_regular, read_regular, write_all
from .locks import LockBusy, exclusive

BASE_MAGIC = b"ASIIXB2\n"
LOG_MAGIC = b"ASIIXL2\n"
LEN = struct.Struct(">I")
MAX_FRAME = 1 << 20  # an index document is a few hundred bytes
MAX_HEADER = 4096
MAX_BASE = 512 << 20
MAX_LOG = 1 << 30
COMPACT_MIN_FRAMES = 2000  # a log is compacted when it holds more frames than this and than half the documents
# The next epoch's log starts with up to this many of the last events its base
# already holds: a reader that lags by fewer switches without reading the base.
SLACK_FRAMES = 256
LOCK_POLL = 0.01  # the partition lock is held for one append: poll it often
COMPARTMENT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")

KeyFor = Callable[[int], "bytes | None"]  # generation -> this compartment's index key, if held


class IndexDamaged(RecordDamaged):
    key = "store.error.index_damaged"


def _ad(kind: str, compartment: str, epoch: int, offset: int = 0) -> bytes:
    return f"asi-tui/index/v2\0{kind}\0{compartment}\0{epoch}\0{offset}".encode()


def _header(magic: bytes, fields: dict[str, Any]) -> bytes:
    raw = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    return magic + LEN.pack(len(raw)) + raw


def _parse_header(data: bytes, magic: bytes) -> tuple[dict[str, Any], int]:
    """(fields, end offset) of a base or log header; IndexDamaged if malformed."""
    if len(data) < len(magic) + LEN.size or not data.startswith(magic):
        raise IndexDamaged()
    (n,) = LEN.unpack_from(data, len(magic))
    start = len(magic) + LEN.size
    if n > MAX_HEADER or start + n > len(data):
        raise IndexDamaged()
    try:
        fields = json.loads(data[start : start + n])
    except ValueError:
        raise IndexDamaged() from None
    if not isinstance(fields, dict) or not isinstance(fields.get("epoch"), int) or not isinstance(fields.get("gen"), int):
        raise IndexDamaged()
    return fields, start + n


class Partition:
    """The in-memory view of one partition, refreshed incrementally from disk."""

    def __init__(self, root: Path, locks: Path, tmp: Path, compartment: str, key_for: KeyFor,
                 on_put: Callable[[dict[str, Any] | None, dict[str, Any] | None], None],
                 on_reset: Callable[[Iterable[dict[str, Any]], Iterable[dict[str, Any]]], None] | None = None) -> None:
        if not COMPARTMENT_RE.match(compartment):
            raise UnsafePath(None, path=compartment[:64])
        self.compartment = compartment
        self.dir = root / compartment
        self.lock_path = locks / f"index-{compartment}.lock"
        self.compact_lock = locks / f"index-{compartment}.compact"
        self.tmp = tmp
        self.key_for = key_for
        self.on_put = on_put  # (old, new): the index keeps its merged view in step
        self.on_reset = on_reset  # (every old, every new): the same for a whole base at once
        self.docs: dict[str, dict[str, Any]] = {}
        self.epoch = 0  # 0: nothing loaded
        self.gen = 0
        self.offset = 0  # bytes of log.<epoch> applied (header included)
        self.frames = 0
        self.copied = 0  # frames the log began with (events its base already holds)
        self.base_mark: tuple[int, int] | None = None  # (epoch, offset) this epoch's base was taken at
        self._tail: list[dict[str, Any]] | None = None  # events read while compacting
        self.recent: deque[tuple[int, dict[str, Any]]] = deque(maxlen=SLACK_FRAMES)  # (offset, event) last applied

    # -------------------------------------------------------------- files

    def _path(self, kind: str, epoch: int) -> Path:
        return self.dir / f"{kind}.{epoch}"

    def _current(self) -> int | None:
        try:
            raw = read_regular(self.dir / "CURRENT", 64)
        except FileNotFoundError:
            return None
        except (OSError, StoreError):
            raise IndexDamaged() from None
        try:
            epoch = int(raw.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            raise IndexDamaged() from None
        if epoch < 1:
            raise IndexDamaged()
        return epoch

    def exists(self) -> bool:
        return self._current() is not None

    def _key(self, gen: int) -> bytes:
        key = self.key_for(gen)
        if key is None:
            raise NoIndexKey(self.compartment, gen)
        return key

    # -------------------------------------------------------------- reading

    def refresh(self) -> None:
        """Catch up with the disk: the log's new frames, or the next epoch."""
        for _ in range(5):
            epoch = self._current()
            if epoch is None:
                if self.epoch:
                    self._reset({})  # removed (rebuild of an emptied compartment): nothing left
                return
            try:
                if epoch == self.epoch:
                    self._read_log(epoch, self.offset)
                else:
                    self._switch(epoch)
                return
            except FileNotFoundError:
                continue  # compacted under us between CURRENT and the files: read CURRENT again
        raise IndexDamaged()

    def _switch(self, epoch: int) -> None:
        fields, _ = self._log_header(epoch)
        mark = fields.get("from")
        if self.epoch and isinstance(mark, list) and mark == [self.epoch, mark[1]] and isinstance(mark[1], int) \
                and self.offset >= mark[1]:
            # we have read at least as far as the base was taken: replaying the
            # copied events brings us to the new epoch's state without the base
            self._read_log(epoch, 0, new_epoch=True)
            return
        base_fields, docs = self._read_base(epoch)
        self._reset(docs)
        self.epoch, self.offset, self.frames, self.gen = epoch, 0, 0, base_fields["gen"]
        self._read_log(epoch, 0, new_epoch=True)

    def _reset(self, docs: dict[str, dict[str, Any]]) -> None:
        old, self.docs = self.docs, docs
        if self.on_reset is not None:
            self.on_reset(old.values(), docs.values())
        else:
            for d in old.values():
                self.on_put(d, None)
            for d in docs.values():
                self.on_put(None, d)
        if not docs:
            self.epoch = self.offset = self.frames = 0

    def _read_base(self, epoch: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        try:
            data = read_regular(self._path("base", epoch), MAX_BASE)
        except FileNotFoundError:
            raise
        except (OSError, StoreError):
            raise IndexDamaged() from None
        fields, end = _parse_header(data, BASE_MAGIC)
        if fields["epoch"] != epoch or fields.get("c") != self.compartment:
            raise IndexDamaged()
        try:
            plain = C.open_sealed(self._key(fields["gen"]), data[end:], _ad("base", self.compartment, epoch))
            table = json.loads(plain)
            names, rows = table["fields"], table["rows"]
        except (C.CryptoError, ValueError, TypeError, KeyError):
            raise IndexDamaged() from None
        if not isinstance(names, list) or not isinstance(rows, list) or (rows and "rid" not in names):
            raise IndexDamaged()
        width = len(names)
        try:
            docs = [dict(zip(names, row)) for row in rows if len(row) == width]
        except TypeError:
            raise IndexDamaged() from None
        if len(docs) != len(rows) or not all(isinstance(d["rid"], str) for d in docs):
            raise IndexDamaged()
        return fields, {d["rid"]: d for d in docs}

    def _log_header(self, epoch: int) -> tuple[dict[str, Any], int]:
        fd = self._open_log(epoch)
        try:
            head = os.pread(fd, len(LOG_MAGIC) + LEN.size + MAX_HEADER, 0)
        finally:
            os.close(fd)
        fields, end = _parse_header(head, LOG_MAGIC)
        if fields["epoch"] != epoch or fields.get("c") != self.compartment:
            raise IndexDamaged()
        return fields, end

    def _open_log(self, epoch: int, flags: int = os.O_RDONLY) -> int:
        try:
            return open_regular(self._path("log", epoch), flags, single_link=flags != os.O_RDONLY)
        except FileNotFoundError:
            raise
        except (OSError, StoreError):
            raise IndexDamaged() from None

    def _read_log(self, epoch: int, start: int, new_epoch: bool = False) -> None:
        """Apply the frames of log.<epoch> from `start` (0: from its header) up
        to the first partial one (a write in progress, or a torn tail)."""
        fd = self._open_log(epoch)
        try:
            size = os.fstat(fd).st_size
            if size > MAX_LOG:
                raise IndexDamaged()
            if not new_epoch and size < start:
                raise IndexDamaged()  # cut below acknowledged frames: changed outside the app
            data = os.pread(fd, size - start, start) if size > start else b""
        finally:
            os.close(fd)
        pos = 0
        if start == 0:
            fields, pos = _parse_header(data, LOG_MAGIC)
            if fields["epoch"] != epoch or fields.get("c") != self.compartment:
                raise IndexDamaged()
            gen = fields["gen"]
            self._key(gen)  # NoIndexKey before anything changes
            mark = fields.get("from")
            if new_epoch:
                self.epoch, self.gen, self.frames = epoch, gen, 0
                copied = fields.get("copied")
                self.copied = copied if isinstance(copied, int) else 0
                self.recent.clear()
                self.base_mark = tuple(mark) if isinstance(mark, list) and len(mark) == 2 else None  # type: ignore[assignment]
        key = self._key(self.gen)
        events = []
        while pos + LEN.size <= len(data):
            (n,) = LEN.unpack_from(data, pos)
            end = pos + LEN.size + n
            if n > MAX_FRAME:
                if end < len(data):
                    raise IndexDamaged()
                break
            if end > len(data):
                break  # partial: being written, or torn
            try:
                plain = C.open_sealed(key, data[pos + LEN.size : end], _ad("frame", self.compartment, epoch, start + pos))
                event = json.loads(plain)
            except (C.CryptoError, ValueError):
                if end == len(data):
                    break  # the last frame, half on disk: torn (cut by the next writer)
                raise IndexDamaged() from None
            if not isinstance(event, dict) or not isinstance(event.get("rid"), str):
                raise IndexDamaged()
            events.append((start + pos, event))
            pos = end
        self.offset = start + pos
        self.frames += len(events)
        for at, event in events:
            self._apply(event)
            self.recent.append((at, event))
        if self._tail is not None:
            self._tail.extend(event for _, event in events)

    def _apply(self, event: dict[str, Any]) -> None:
        rid = event["rid"]
        old = self.docs.get(rid)
        if event.get("deleted"):
            if old is not None:
                del self.docs[rid]
                self.on_put(old, None)
            return
        self.docs[rid] = event
        self.on_put(old, event)

    # -------------------------------------------------------------- writing

    def append(self, event: dict[str, Any], current_gen: int) -> None:
        """Write one event (a document, or a deletion) durably; returns once fsynced."""
        plain = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
        if len(plain) > MAX_FRAME - 64:
            raise StoreError("store.error.index_entry_too_large")
        with exclusive(self.lock_path, max_pause=LOCK_POLL):
            self.refresh()
            if not self.epoch:
                self._create(current_gen)
            fd = self._open_log(self.epoch, os.O_RDWR)
            try:
                if os.fstat(fd).st_size > self.offset:
                    os.ftruncate(fd, self.offset)  # a crashed writer's torn frame: never acknowledged
                blob = C.seal(self._key(self.gen), plain, _ad("frame", self.compartment, self.epoch, self.offset))
                frame = LEN.pack(len(blob)) + blob
                os.lseek(fd, self.offset, os.SEEK_SET)
                faults.point("index.append.before_write")
                write_all(fd, frame)
                faults.point("index.append.before_fsync")
                os.fsync(fd)
            except OSError as exc:
                raise io_error(exc) from None
            finally:
                os.close(fd)
            self.recent.append((self.offset, event))
            self.offset += len(frame)
            self.frames += 1
            self._apply(event)

    def _create(self, gen: int) -> None:
        """A new, empty partition (under the partition lock)."""
        make_dir(self.dir.parent)
        make_dir(self.dir)
        self._write_epoch(1, gen, [], [], None)
        atomic_write(self.dir / "CURRENT", b"1\n", self.tmp)
        self.refresh()

    def _write_epoch(self, epoch: int, gen: int, docs: Iterable[dict[str, Any]], tail: list[dict[str, Any]],
                     mark: tuple[int, int] | None) -> None:
        self._write_base(epoch, gen, docs)
        self._write_log(epoch, gen, tail, mark)

    def _write_base(self, epoch: int, gen: int, docs: Iterable[dict[str, Any]]) -> None:
        """The documents as a table (field names once, then rows): about half
        the bytes of a list of objects, and parsed in half the time."""
        docs = list(docs)
        names = list(dict.fromkeys(k for d in docs for k in d))
        table = {"fields": names, "rows": [[d.get(k) for k in names] for d in docs]}
        plain = json.dumps(table, separators=(",", ":"), ensure_ascii=False).encode()
        base_head = _header(BASE_MAGIC, {"c": self.compartment, "epoch": epoch, "gen": gen})
        blob = C.seal(self._key(gen), plain, _ad("base", self.compartment, epoch))
        atomic_write(self._path("base", epoch), base_head + blob, self.tmp)
        faults.point("index.compact.after_base")

    def _write_log(self, epoch: int, gen: int, events: list[dict[str, Any]], mark: tuple[int, int] | None) -> None:
        key = self._key(gen)
        fields: dict[str, Any] = {"c": self.compartment, "epoch": epoch, "gen": gen}
        if mark is not None:
            fields["from"] = list(mark)
        fields["copied"] = len(events)
        out = bytearray(_header(LOG_MAGIC, fields))
        for event in events:
            plain = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
            blob = C.seal(key, plain, _ad("frame", self.compartment, epoch, len(out)))
            out += LEN.pack(len(blob)) + blob
        atomic_write(self._path("log", epoch), bytes(out), self.tmp)
        faults.point("index.compact.after_log")

    def needs_compaction(self, current_gen: int) -> bool:
        grown = self.frames - self.copied
        return self.epoch > 0 and (self.gen != current_gen or grown > max(COMPACT_MIN_FRAMES, len(self.docs) // 2))

    def compact(self, current_gen: int, replace: list[dict[str, Any]] | None = None, wait: float | None = 0) -> bool:
        """Write the next epoch (under `current_gen`'s key): the current documents,
        or `replace` (a rebuild). False when another process is compacting this
        partition (`wait` 0: do not wait for it)."""
        try:
            with exclusive(self.compact_lock, wait=wait):
                self._compact(current_gen, replace)
        except LockBusy:
            if replace is not None or wait != 0:
                raise
            return False
        return True

    def _compact(self, gen: int, replace: list[dict[str, Any]] | None) -> None:
        self._key(gen)
        if replace is not None:
            with exclusive(self.lock_path, max_pause=LOCK_POLL):  # a rebuild: nothing may be appended in between
                try:
                    live = self._current() or 0
                except IndexDamaged:
                    live = 0  # what a rebuild is for
                epoch = max(live, self.epoch, self._leftover_max()) + 1
                self._reset({})
                make_dir(self.dir.parent)
                make_dir(self.dir)
                self._write_epoch(epoch, gen, replace, [], None)
                atomic_write(self.dir / "CURRENT", f"{epoch}\n".encode(), self.tmp)
                faults.point("index.compact.after_current")
                self.refresh()
        else:
            self.refresh()
            if not self.epoch:
                return
            epoch = self.epoch + 1
            # the base holds everything up to self.offset; the new log repeats the
            # last few events before it (replaying them again is harmless: each is a
            # whole document), so a reader that has read at least to `mark` can switch
            slack = list(self.recent)
            mark = (self.epoch, slack[0][0] if slack else self.offset)
            self._tail = [event for _, event in slack]  # then what refresh reads from here on
            try:
                self._write_base(epoch, gen, self.docs.values())
                with exclusive(self.lock_path, max_pause=LOCK_POLL):  # short: the events since the snapshot, and the switch
                    self.refresh()
                    if self.epoch != mark[0]:
                        raise IndexDamaged()  # someone else switched: cannot happen under compact.lock
                    self._write_log(epoch, gen, self._tail, mark)
                    atomic_write(self.dir / "CURRENT", f"{epoch}\n".encode(), self.tmp)
                    faults.point("index.compact.after_current")
                    self.refresh()
            finally:
                self._tail = None
        faults.point("index.compact.before_cleanup")
        self.cleanup()

    def _leftover_max(self) -> int:
        best = 0
        for name in self._names():
            kind, _, num = name.partition(".")
            if kind in ("base", "log") and num.isdigit():
                best = max(best, int(num))
        return best

    def _names(self) -> list[str]:
        try:
            return os.listdir(self.dir)
        except FileNotFoundError:
            return []

    def cleanup(self) -> None:
        """Remove the files of every epoch but the live one (a crash's leftovers)."""
        live = self._current()
        for name in self._names():
            kind, _, num = name.partition(".")
            if kind in ("base", "log") and num.isdigit() and int(num) != live:
                try:
                    os.unlink(self.dir / name)
                except FileNotFoundError:
                    pass
                except OSError:
                    continue
        try:
            fsync_dir(self.dir)
        except OSError:
            pass


class NoIndexKey(StoreError):
    """This session holds no index key of that compartment and generation."""

    key = "store.error.index_damaged"

    def __init__(self, compartment: str, gen: int) -> None:
        super().__init__(self.key)
        self.compartment = compartment
        self.gen = gen


__all__ = ["COMPARTMENT_RE", "FileTooLarge", "IndexDamaged", "NoIndexKey", "Partition"]
