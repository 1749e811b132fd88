"""The autosave journal: append-only, encrypted, length-prefixed frames.

`journals/<rid>.<gen>.jnl` holds every change made since snapshot `gen`.
Each frame is ``len(4, big-endian) || nonce || AES-GCM(DEK, json)`` with the
associated data ``rid || gen || seq``, so a frame that is reordered,
duplicated, dropped or moved to another record fails to decrypt.  A frame is
fsynced before the call returns: an answer is acknowledged only when it is on
disk.
"""

from __future__ import annotations

import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import crypto as C
from . import faults
from .errors import FrameTooLarge, NewerFormat, RecordDamaged
from .fsutil import FILE_MODE, fsync_dir, io_error, open_regular, read_regular, write_all

MAGIC = b"ASIJNL\n"
FMT = 1
_START = struct.Struct(">Q")
HEADER_LEN = len(MAGIC) + 1 + _START.size  # magic, format, sequence number of the first frame


def header_bytes(start_seq: int) -> bytes:
    return MAGIC + bytes([FMT]) + _START.pack(start_seq)


# The writer refuses a frame larger than MAX_FRAME (nothing is acknowledged).
# The reader takes any whole frame that fits the file, so a larger frame an
# older version wrote is still read, and bounds the file instead.
MAX_FRAME = 256 << 10
MAX_JOURNAL_BYTES = 64 << 20
# Deciding "torn tail or damage" may try to decrypt candidate frames after a
# bad one; this bounds that work (bytes decrypted). Past it, the journal is
# called damaged: never silently cut.
SCAN_BUDGET = 32 << 20
SCAN_SEQS = 4  # later sequence numbers tried at an offset off the frame chain
_LEN = struct.Struct(">I")


def frame_ad(rid: str, gen: int, seq: int) -> bytes:
    return f"asi-tui/jnl/v1\0{rid}\0{gen}\0{seq}".encode()


def journal_path(journals: Path, rid: str, gen: int) -> Path:
    return journals / f"{rid}.{gen}.jnl"


def journal_gen(path: Path) -> int:
    """The snapshot generation in a journal's file name (`<rid>.<gen>.jnl`); -1 if there is none."""
    try:
        return int(path.name.split(".")[1])
    except (IndexError, ValueError):
        return -1


@dataclass
class ReadResult:
    ops: list[dict[str, Any]]
    last_seq: int
    good_size: int  # bytes of the valid prefix
    torn: bool  # a torn or garbage tail followed the valid prefix


def read_journal(path: Path, rid: str, gen: int, dek: bytes, after_seq: int) -> ReadResult:
    """Decode the frames with seq > after_seq. Raises RecordDamaged for corruption
    that is not a torn tail (a bad frame followed by valid ones)."""
    try:
        data = read_regular(path, MAX_JOURNAL_BYTES)  # UnsafePath, FileTooLarge
    except FileNotFoundError:
        return ReadResult([], after_seq, 0, False)
    except OSError:
        _damaged()
    if not data:
        return ReadResult([], after_seq, 0, False)
    if len(data) < HEADER_LEN:
        return ReadResult([], after_seq, 0, True) if MAGIC.startswith(data[: len(MAGIC)]) else _damaged()
    if data[: len(MAGIC)] != MAGIC:
        _damaged()
    if data[len(MAGIC)] > FMT:
        raise NewerFormat(None, what="journal")
    if data[len(MAGIC)] != FMT:
        _damaged()
    (start,) = _START.unpack_from(data, len(MAGIC) + 1)
    if start < 1 or start > after_seq + 1:
        _damaged()  # frames missing between the snapshot and the journal
    pos = HEADER_LEN
    seq = start - 1
    ops: list[dict[str, Any]] = []
    while pos < len(data):
        op = _frame_at(data, pos, rid, gen, dek, seq + 1)
        if op is None:
            # a torn tail is the end of the story; a bad frame followed by a good
            # one (a frame deleted, reordered or altered) is damage. One
            # interrupted append leaves less than one frame behind.
            if len(data) - pos > _LEN.size + MAX_FRAME or _valid_frame_later(data, pos, rid, gen, dek, seq + 1) is not False:
                _damaged()
            return ReadResult(ops, seq, pos, True)
        obj, end = op
        seq += 1
        if seq > after_seq:
            ops.append(obj)
        pos = end
    return ReadResult(ops, max(seq, after_seq), pos, False)



def _frame_at(data: bytes, pos: int, rid: str, gen: int, dek: bytes, seq: int) -> tuple[dict[str, Any], int] | None:
    if pos + _LEN.size > len(data):
        return None
    (length,) = _LEN.unpack_from(data, pos)
    end = pos + _LEN.size + length
    if length < C.NONCE_LEN + 16 or end > len(data):
        return None
    try:
        plain = C.open_sealed(dek, data[pos + _LEN.size : end], frame_ad(rid, gen, seq))
        obj = json.loads(plain)
    except (C.CryptoError, ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    return obj, end


MIN_FRAME = _LEN.size + C.NONCE_LEN + 16


def _valid_frame_later(data: bytes, start: int, rid: str, gen: int, dek: bytes, seq: int) -> bool | None:
    """Does a decodable frame with a sequence number >= `seq` start at or after `start`?

    None when that could not be decided within SCAN_BUDGET bytes of decryption.
    Only offsets whose length prefix fits the rest of the file are tried, so a
    short torn tail or a zero-filled one costs next to nothing. At `start`
    itself every sequence number a deletion could leave is tried; elsewhere
    (garbage inserted, a frame altered) only the next few: each try decrypts a
    whole candidate frame, and trying them all at every offset made one large
    frame cost minutes.
    """
    budget = SCAN_BUDGET
    most_frames = (len(data) - start) // MIN_FRAME + 1
    for pos in range(start, len(data) - MIN_FRAME + 1):
        (length,) = _LEN.unpack_from(data, pos)
        if length < C.NONCE_LEN + 16 or pos + _LEN.size + length > len(data):
            continue
        for s in range(seq, seq + (most_frames if pos == start else SCAN_SEQS) + 1):
            budget -= length + 64
            if budget < 0:
                return None
            if _frame_at(data, pos, rid, gen, dek, s) is not None:
                return True
    return False


def _damaged() -> Any:
    raise RecordDamaged()


class JournalWriter:
    """Appends frames to one journal file; one writer per record (the edit lock)."""

    def __init__(self, path: Path, rid: str, gen: int, dek: bytes, last_seq: int, good_size: int) -> None:
        self.path = path
        self.rid = rid
        self.gen = gen
        self.dek = dek
        self.seq = last_seq
        self.size = good_size
        self.fd: int | None = None

    def open(self) -> None:
        """Open (creating or cutting back to the good size) now; StorageIOError on failure."""
        try:
            self._open()
        except OSError as exc:
            raise io_error(exc) from None

    def _open(self) -> int:
        if self.fd is None:
            new = not os.path.lexists(self.path)
            fd = open_regular(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE, single_link=True)
            try:
                # drop a torn tail (or the debris of a failed append) before writing on
                if os.fstat(fd).st_size != self.size or self.size == 0:
                    os.ftruncate(fd, self.size)
                if self.size == 0:
                    os.pwrite(fd, header_bytes(self.seq + 1), 0)
                    os.fsync(fd)
                    self.size = HEADER_LEN
            except OSError:
                os.close(fd)
                raise
            self.fd = fd
            if new:
                fsync_dir(self.path.parent)
        return self.fd

    def append(self, op: dict[str, Any]) -> int:
        """Write one frame and fsync it. On failure nothing counts as written:
        the next append truncates the debris and writes the whole frame anew."""
        seq = self.seq + 1
        blob = C.seal(self.dek, json.dumps(op, separators=(",", ":"), ensure_ascii=False).encode(), frame_ad(self.rid, self.gen, seq))
        if len(blob) > MAX_FRAME:
            raise FrameTooLarge(None, size_kb=len(blob) // 1024 + 1, limit_kb=MAX_FRAME // 1024)
        frame = _LEN.pack(len(blob)) + blob
        try:
            fd = self._open()
            os.lseek(fd, self.size, os.SEEK_SET)
            faults.point("journal.before_write")
            half = len(frame) // 2
            write_all(fd, frame[:half])
            faults.point("journal.mid_frame")
            write_all(fd, frame[half:])
            faults.point("journal.after_write_before_fsync")
            os.fsync(fd)
            faults.point("journal.after_fsync")
        except OSError as exc:
            # after a failed write or fsync the file's state is unknown: cut it back
            # to the known-good size now (so a refused answer never reappears), and
            # reopen, truncate again and write the whole frame on the next attempt
            if self.fd is not None:
                try:
                    os.ftruncate(self.fd, self.size)
                    os.fsync(self.fd)
                except OSError:
                    pass
            self.close()
            raise io_error(exc) from None
        self.seq = seq
        self.size += len(frame)
        return seq

    def close(self) -> None:
        if self.fd is not None:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = None
