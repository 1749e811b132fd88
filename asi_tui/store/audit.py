"""The audit log: encrypted, hash-chained entries in `audit/<yyyy-mm>.log`.

Each line is ``{"seq": n, "ct": base64(nonce || AES-GCM(AK, entry)), "h": hex}``
with ``h_n = SHA-256(h_{n-1} || ct_n)``. Entries are personal data (who opened
which client's record), so they are encrypted; the chain makes removal,
alteration and reordering visible, and an admin-signed checkpoint of the head
makes tail truncation visible too.

Failed unlocks happen without any key, so they are sealed to the vault's audit
public key into `audit/pending/` and moved into the chain by the next session
that unlocks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from . import crypto as C
from .errors import StoreError
from .fsutil import FILE_MODE, atomic_write, fsync_dir, io_error, make_dir, open_regular, read_regular, write_all
from .locks import exclusive

GENESIS = "0" * 64
MAX_LINE = 64 << 10  # an entry is well under 4 KiB; anything longer is damage
MAX_PENDING_BYTES = 64 << 10
MAX_PENDING_PER_UNLOCK = 200  # a flood of planted events cannot stall a login
_HASH = re.compile(r"[0-9a-f]{64}")


def parse_line(raw: bytes | None) -> tuple[int, bytes, str] | None:
    """(seq, ciphertext, hash) of one audit line, or None if it is not a
    well-formed entry. Anyone who can write the log can append anything, so
    nothing here may raise: a bad line is damage for `verify` to report."""
    if raw is None or len(raw) > MAX_LINE:
        return None
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict):
        return None
    seq, ct, h = obj.get("seq"), obj.get("ct"), obj.get("h")
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 1 << 63:
        return None
    if not isinstance(ct, str) or not isinstance(h, str) or not _HASH.fullmatch(h):
        return None
    try:
        return seq, base64.b64decode(ct, validate=True), h
    except ValueError:
        return None


def _ad(seq: int) -> bytes:
    return f"asi-tui/audit/v1\0{seq}".encode()


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    file: str | None = None  # where an unreadable line is (file name, 1-based line; 0: the whole file)
    line: int | None = None


class AuditLog:
    def __init__(self, directory: Path, lock_path: Path, tmp_dir: Path) -> None:
        self.dir = directory
        self.pending = directory / "pending"
        self.lock_path = lock_path
        self.tmp_dir = tmp_dir
        self.checkpoint_path = directory / "checkpoint.json"

    def _files(self) -> list[Path]:
        return sorted(self.dir.glob("*.log"))

    def _lines(self, files: list[Path] | None = None) -> Iterator[tuple[Path, int, bytes | None]]:
        """(file, line number, raw line) of every non-blank line; the raw line
        is None for a line longer than MAX_LINE, and (file, 0, None) stands for
        a file that cannot be read as a plain file. Lines are read one bounded
        piece at a time, so a planted huge line costs no memory."""
        for f in self._files() if files is None else files:
            try:
                fd = open_regular(f)
            except (OSError, StoreError):
                yield f, 0, None
                continue
            with os.fdopen(fd, "rb") as fh:
                n = 0
                while True:
                    line = fh.readline(MAX_LINE + 1)
                    if not line:
                        break
                    n += 1
                    if len(line) > MAX_LINE:
                        while line and not line.endswith(b"\n"):
                            line = fh.readline(1 << 20)
                        yield f, n, None
                    elif line.strip():
                        yield f, n, line

    def _head(self) -> tuple[int, str]:
        """Sequence number and hash of the last well-formed entry (malformed
        lines after it are skipped here and reported by `verify`)."""
        for f in reversed(self._files()):
            try:
                fd = open_regular(f)
            except (OSError, StoreError):
                continue
            with os.fdopen(fd, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                fh.seek(max(0, size - 65536))
                tail = fh.read().splitlines()
            if size > 65536:
                tail = tail[1:]  # the first piece may be the end of a longer line
            for line in reversed(tail):
                parsed = parse_line(line)
                if parsed is not None:
                    return parsed[0], parsed[2]
            if size > 65536:  # only damage in the last 64 KiB: read the whole file
                last = None
                for _f, _n, line in self._lines([f]):
                    last = parse_line(line) or last
                if last is not None:
                    return last[0], last[2]
        return 0, GENESIS

    def append(self, ak: bytes, entry: dict[str, Any]) -> int:
        with exclusive(self.lock_path):
            seq, prev = self._head()
            seq += 1
            record = {"seq": seq, "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"), **entry}
            ct = C.seal(ak, json.dumps(record, ensure_ascii=False).encode(), _ad(seq))
            h = hashlib.sha256(bytes.fromhex(prev) + ct).hexdigest()
            line = json.dumps({"seq": seq, "ct": base64.b64encode(ct).decode(), "h": h}) + "\n"
            path = self.dir / f"{datetime.now(timezone.utc):%Y-%m}.log"
            new = not os.path.lexists(path)
            try:
                fd = open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, FILE_MODE, single_link=True)
                try:
                    size = os.fstat(fd).st_size
                    if size and os.pread(fd, 1, size - 1) != b"\n":
                        line = "\n" + line  # a planted line without newline must not swallow this entry
                    write_all(fd, line.encode())
                    os.fsync(fd)
                finally:
                    os.close(fd)
                if new:
                    fsync_dir(self.dir)
            except OSError as exc:
                raise io_error(exc) from None
            return seq

    def entries(self, ak: bytes) -> Iterator[dict[str, Any]]:
        for _f, _n, line in self._lines():
            parsed = parse_line(line)
            if parsed is None:
                continue
            try:
                entry = json.loads(C.open_sealed(ak, parsed[1], _ad(parsed[0])))
            except (ValueError, RecursionError, C.CryptoError):
                continue
            if isinstance(entry, dict):
                yield entry

    def verify(self, ak: bytes, admin_pub: bytes | None = None, decrypt: bool = True) -> VerifyResult:
        prev, expected, count = GENESIS, 1, 0
        for f, n, line in self._lines():
            parsed = parse_line(line)
            if parsed is None:
                return VerifyResult(False, count, expected, "unreadable", file=f.name, line=n)
            seq, ct, h = parsed
            if seq != expected:
                return VerifyResult(False, count, expected, "sequence")
            if hashlib.sha256(bytes.fromhex(prev) + ct).hexdigest() != h:
                return VerifyResult(False, count, seq, "chain")
            if decrypt:
                try:
                    C.open_sealed(ak, ct, _ad(seq))
                except C.CryptoError:
                    return VerifyResult(False, count, seq, "altered")
            prev, expected, count = h, seq + 1, count + 1
        cp = self.read_checkpoint(admin_pub)
        if cp is not None:
            if cp == "bad":
                return VerifyResult(False, count, None, "checkpoint")
            cseq, ch = cp
            if count < cseq:
                return VerifyResult(False, count, count + 1, "truncated")
            # the checkpointed entry must still carry the checkpointed hash
            if not self._hash_at(cseq) == ch:
                return VerifyResult(False, count, cseq, "checkpoint")
        return VerifyResult(True, count)

    def _hash_at(self, seq: int) -> str | None:
        for _f, _n, line in self._lines():
            parsed = parse_line(line)
            if parsed is not None and parsed[0] == seq:
                return parsed[2]
        return None

    # -------------------------------------------------------------- checkpoints

    def write_checkpoint(self, admin_sk: bytes) -> None:
        with exclusive(self.lock_path):
            seq, h = self._head()
            payload = {"seq": seq, "h": h, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            sig = C.sign(admin_sk, json.dumps(payload, sort_keys=True).encode())
            atomic_write(
                self.checkpoint_path, json.dumps({**payload, "sig": C.b64e(sig)}).encode(), self.tmp_dir
            )

    def read_checkpoint(self, admin_pub: bytes | None) -> tuple[int, str] | str | None:
        if admin_pub is None or not self.checkpoint_path.exists():
            return None
        try:
            data = json.loads(read_regular(self.checkpoint_path, MAX_LINE))
            payload = {k: data[k] for k in ("seq", "h", "at")}
            C.verify(admin_pub, C.b64d(data["sig"]), json.dumps(payload, sort_keys=True).encode())
            return int(data["seq"]), str(data["h"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError, OverflowError, StoreError, C.CryptoError):
            return "bad"

    # -------------------------------------------------------------- failed unlocks

    def record_pending(self, audit_pub: bytes, entry: dict[str, Any]) -> None:
        """Seal an event to the audit public key; no vault key needed."""
        make_dir(self.pending, 0o2770)  # never chmods through a symlink
        entry = {**entry, "ts": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        blob = C.box_seal(audit_pub, json.dumps(entry).encode(), b"asi-tui/audit-pending/v1")
        name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.evt"
        atomic_write(self.pending / name, blob, self.tmp_dir)

    def ingest_pending(self, audit_sk: bytes, ak: bytes) -> int:
        if not self.pending.is_dir():
            return 0
        n = 0
        for f in sorted(self.pending.glob("*.evt"))[:MAX_PENDING_PER_UNLOCK]:
            entry = _pending_entry(f, audit_sk)
            if entry is None:
                self.append(ak, {"action": "pending-unreadable", "detail": f.name[:80]})
            else:
                self.append(ak, entry)
                n += 1
            f.unlink(missing_ok=True)
        return n


def _pending_entry(path: Path, audit_sk: bytes) -> dict[str, Any] | None:
    """A failed-unlock event as it goes into the chain, or None.

    Anyone can seal an event to the public audit key, so only the one kind of
    event the store writes is taken, with its fields bounded."""
    try:
        entry = json.loads(C.box_open(audit_sk, read_regular(path, MAX_PENDING_BYTES), b"asi-tui/audit-pending/v1"))
    except (C.CryptoError, ValueError, RecursionError, OSError, StoreError):
        return None
    if not isinstance(entry, dict) or entry.get("action") != "unlock-failed" or not isinstance(entry.get("user"), str):
        return None
    ts = entry.get("ts")
    return {"action": "unlock-failed", "user": entry["user"][:64], "recorded": ts[:40] if isinstance(ts, str) else None}
