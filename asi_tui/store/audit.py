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
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from . import crypto as C
from .fsutil import FILE_MODE, atomic_write, fsync_dir, io_error, write_all
from .locks import exclusive

GENESIS = "0" * 64


def _ad(seq: int) -> bytes:
    return f"asi-tui/audit/v1\0{seq}".encode()


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None


class AuditLog:
    def __init__(self, directory: Path, lock_path: Path, tmp_dir: Path) -> None:
        self.dir = directory
        self.pending = directory / "pending"
        self.lock_path = lock_path
        self.tmp_dir = tmp_dir
        self.checkpoint_path = directory / "checkpoint.json"

    def _files(self) -> list[Path]:
        return sorted(self.dir.glob("*.log"))

    def _lines(self) -> Iterator[tuple[Path, int, str]]:
        for f in self._files():
            for n, line in enumerate(f.read_text(encoding="ascii", errors="replace").splitlines(), 1):
                if line.strip():
                    yield f, n, line

    def _head(self) -> tuple[int, str]:
        files = self._files()
        for f in reversed(files):
            with f.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - 65536))
                tail = fh.read().decode("ascii", errors="replace").strip().splitlines()
            for line in reversed(tail):
                try:
                    obj = json.loads(line)
                    return int(obj["seq"]), str(obj["h"])
                except (ValueError, KeyError, TypeError):
                    continue
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
            new = not path.exists()
            try:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
                try:
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
            try:
                obj = json.loads(line)
                yield json.loads(C.open_sealed(ak, base64.b64decode(obj["ct"]), _ad(int(obj["seq"]))))
            except (ValueError, KeyError, TypeError, C.CryptoError):
                continue

    def verify(self, ak: bytes, admin_pub: bytes | None = None, decrypt: bool = True) -> VerifyResult:
        prev, expected, count = GENESIS, 1, 0
        for _f, _n, line in self._lines():
            try:
                obj = json.loads(line)
                seq, ct, h = int(obj["seq"]), base64.b64decode(obj["ct"]), str(obj["h"])
            except (ValueError, KeyError, TypeError):
                return VerifyResult(False, count, expected, "unreadable")
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
            try:
                obj = json.loads(line)
                if int(obj["seq"]) == seq:
                    return str(obj["h"])
            except (ValueError, KeyError, TypeError):
                continue
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
            data = json.loads(self.checkpoint_path.read_bytes())
            payload = {k: data[k] for k in ("seq", "h", "at")}
            C.verify(admin_pub, C.b64d(data["sig"]), json.dumps(payload, sort_keys=True).encode())
            return int(data["seq"]), str(data["h"])
        except (OSError, ValueError, KeyError, TypeError, C.CryptoError):
            return "bad"

    # -------------------------------------------------------------- failed unlocks

    def record_pending(self, audit_pub: bytes, entry: dict[str, Any]) -> None:
        """Seal an event to the audit public key; no vault key needed."""
        if not self.pending.is_dir():
            self.pending.mkdir(mode=0o2770, exist_ok=True)
            os.chmod(self.pending, 0o2770)
        entry = {**entry, "ts": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        blob = C.box_seal(audit_pub, json.dumps(entry).encode(), b"asi-tui/audit-pending/v1")
        name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.evt"
        atomic_write(self.pending / name, blob, self.tmp_dir)

    def ingest_pending(self, audit_sk: bytes, ak: bytes) -> int:
        if not self.pending.is_dir():
            return 0
        n = 0
        for f in sorted(self.pending.glob("*.evt")):
            try:
                entry = json.loads(C.box_open(audit_sk, f.read_bytes(), b"asi-tui/audit-pending/v1"))
                entry["recorded"] = entry.pop("ts", None)
                self.append(ak, entry)
                n += 1
            except (C.CryptoError, ValueError, OSError):
                entry = {"action": "pending-unreadable", "detail": f.name}
                self.append(ak, entry)
            f.unlink(missing_ok=True)
        return n
