"""The audit log: encrypted, hash-chained entries in `audit/<yyyy-mm>.log`.

Each line is ``{"seq": n, "ct": base64(nonce || AES-GCM(AK, entry)), "h": hex}``
with ``h_n = SHA-256(h_{n-1} || ct_n)``. Entries are personal data (who opened
which client's record), so they are encrypted; the chain makes removal,
alteration and reordering visible, and an admin-signed checkpoint of the head
makes tail truncation visible too.

Who did what to which client is readable by admins only: each entry holds an
*integrity part* under AK (sequence, time, action, record id and the numbers
the integrity checks need: generations, sequence numbers, vault serials,
checkpoint numbers) and, inside it, a *personal part* (user, session, client
reference, unit, reason, details) sealed to the generation's audit reader
public key, whose private half only admins and the recovery slot hold
(`genkeys`). Appending needs no secret beyond AK; every session can still
check the chain, the vault marks and the record marks, and none but an admin
can tell who opened which client. Entries written before the upgrade to unit
keys are not split; their audit keys are held by admins only.

Failed unlocks happen without any key, so they are sealed to the vault's audit
public key into `audit/pending/` and moved into the chain by the next session
that unlocks.

The audit key changes with every vault key generation; readers pass every
key they hold (`Keys.audit_keys()`), newest first. Checkpoints are numbered:
each is an audit entry ("checkpoint", n) and the vault records the latest,
so a deleted or older `checkpoint.json` shows (`integrity`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from . import crypto as C
from .errors import StoreError
from .fsutil import FILE_MODE, atomic_write, fsync_dir, io_error, make_dir, open_regular, read_regular, write_all
from .integrity import RecordMark, VaultMarks
from .locks import exclusive

GENESIS = "0" * 64
MAX_LINE = 64 << 10  # an entry is well under 4 KiB; anything longer is damage
MAX_PENDING_BYTES = 64 << 10
APPEND_POLL = 0.01  # the log lock is held for one append: poll it often (the default backs off to 250 ms)
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

AuditKeys = bytes | list[bytes]


def _key_list(keys: AuditKeys) -> list[bytes]:
    return [keys] if isinstance(keys, bytes) else list(keys)


# the detail fields the integrity checks read (`integrity`): numbers, never personal data
MARK_FIELDS = ("gen", "seq", "first", "last", "taken", "step", "serial", "hash", "n")
PUBLIC_FIELDS = ("seq", "ts", "action", "rid")


def _decrypted(keys: list[bytes], lines: Iterable[bytes | str | None],
               readers: list[bytes] | None = None) -> Iterator[dict[str, Any]]:
    """The entries of `lines` that parse and decrypt (verify reports the others);
    with `readers` (admins) the personal part of each entry joined in."""
    for line in lines:
        parsed = parse_line(line.encode() if isinstance(line, str) else line)
        if parsed is None:
            continue
        entry = _open_entry(keys, parsed[1], parsed[0])
        if entry is not None:
            yield _joined(entry, parsed[0], readers)


def _open_entry(keys: list[bytes], ct: bytes, seq: int) -> dict[str, Any] | None:
    """Decrypt one entry with whichever key opens it; that key moves to the
    front, since entries come in runs of one key generation."""
    for i, key in enumerate(keys):
        try:
            entry = json.loads(C.open_sealed(key, ct, _ad(seq)))
        except (C.CryptoError, ValueError, RecursionError):
            continue
        if i:
            keys.insert(0, keys.pop(i))
        return entry if isinstance(entry, dict) else None
    return None


def _ad(seq: int) -> bytes:
    return f"asi-tui/audit/v1\0{seq}".encode()


def _private_ad(seq: int) -> bytes:
    return f"asi-tui/audit-private/v1\0{seq}".encode()


def split_entry(record: dict[str, Any], reader_pub: bytes) -> dict[str, Any]:
    """The integrity part of an entry, with the personal part sealed inside it (`p`)."""
    public = {k: record[k] for k in PUBLIC_FIELDS if k in record}
    detail = record.get("detail")
    if isinstance(detail, dict):
        marks = {k: detail[k] for k in MARK_FIELDS if k in detail}
        if marks:
            public["detail"] = marks
    private = {k: v for k, v in record.items() if k not in ("seq", "ts", "action", "rid")}
    blob = C.box_seal(reader_pub, json.dumps(private, ensure_ascii=False).encode(), _private_ad(int(record["seq"])))
    public["p"] = base64.b64encode(blob).decode()
    return public


def _joined(entry: dict[str, Any], seq: int, readers: list[bytes] | None) -> dict[str, Any]:
    """An entry as its reader may see it: the personal part joined in for an
    admin, left out (with `private` set) for everyone else."""
    blob = entry.pop("p", None)
    if not isinstance(blob, str):
        return entry
    for sk in readers or ():
        try:
            private = json.loads(C.box_open(sk, base64.b64decode(blob, validate=True), _private_ad(seq)))
        except (C.CryptoError, ValueError, RecursionError):
            continue
        if isinstance(private, dict):
            return {**entry, **{k: v for k, v in private.items() if k not in ("seq", "ts", "action", "rid")}}
    entry["private"] = True
    return entry


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # numbers for the reason's message
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

    def append(self, ak: bytes, entry: dict[str, Any], reader_pub: bytes | None = None) -> int:
        """Append one entry; with `reader_pub` its personal part is sealed for admins (`split_entry`)."""
        with exclusive(self.lock_path, max_pause=APPEND_POLL):
            seq, prev = self._head()
            seq += 1
            record = {"seq": seq, "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"), **entry}
            if reader_pub is not None:
                record = split_entry(record, reader_pub)
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

    def entries(self, aks: AuditKeys, readers: list[bytes] | None = None) -> Iterator[dict[str, Any]]:
        """Every entry these keys open; the personal parts only with `readers` (admins)."""
        yield from _decrypted(_key_list(aks), (line for _f, _n, line in self._lines()), readers)

    def verify(
        self,
        aks: AuditKeys,
        admin_pubs: bytes | list[bytes] | None = None,
        decrypt: bool = True,
        vault_checkpoint: dict[str, Any] | None = None,
    ) -> VerifyResult:
        """Recompute the chain; then check it against `checkpoint.json` and the
        checkpoint the vault recorded (`vault_checkpoint`). `admin_pubs` are the
        admin keys whose checkpoint signatures count."""
        keys = _key_list(aks)
        pubs = [admin_pubs] if isinstance(admin_pubs, bytes) else list(admin_pubs or [])
        prev, expected, count = GENESIS, 1, 0
        logged_n = 0  # the highest checkpoint number the chain itself records
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
                entry = _open_entry(keys, ct, seq)
                if entry is None:
                    return VerifyResult(False, count, seq, "altered")
                if entry.get("action") == "checkpoint":
                    logged_n = max(logged_n, _int(entry.get("detail", {}).get("n")))
            prev, expected, count = h, seq + 1, count + 1
        return self._check_checkpoints(count, pubs, vault_checkpoint, logged_n)

    def _check_checkpoints(
        self, count: int, pubs: list[bytes], vault_cp: dict[str, Any] | None, logged_n: int
    ) -> VerifyResult:
        """The chain of `count` entries against checkpoint.json and the vault's record of it.

        checkpoint.json counts if it is the one the vault recorded, or a newer
        one signed with a current admin key (a crash before the vault was
        updated); it must not be missing once the vault recorded one, nor older
        than the vault's or the chain's latest checkpoint entry."""
        cp = self.read_checkpoint(pubs, vault_cp)
        if cp == "bad":
            return VerifyResult(False, count, None, "checkpoint")
        if cp is None and vault_cp:
            return VerifyResult(False, count, None, "checkpoint_missing", {"n": vault_cp["n"]})
        if cp is None:
            return VerifyResult(True, count)
        assert not isinstance(cp, str)
        newest = max(int(vault_cp["n"]) if vault_cp else 0, logged_n)
        if cp["n"] < newest:
            return VerifyResult(False, count, None, "checkpoint_older", {"n": cp["n"], "expected": newest})
        for mark in (cp, vault_cp):
            if not mark:
                continue
            if count < int(mark["seq"]):
                return VerifyResult(False, count, count + 1, "truncated")
            # the checkpointed entry must still carry the checkpointed hash
            if self._hash_at(int(mark["seq"])) != mark["h"]:
                return VerifyResult(False, count, int(mark["seq"]), "checkpoint")
        return VerifyResult(True, count)

    def _hash_at(self, seq: int) -> str | None:
        for _f, _n, line in self._lines():
            parsed = parse_line(line)
            if parsed is not None and parsed[0] == seq:
                return parsed[2]
        return None

    # -------------------------------------------------------------- checkpoints

    def write_checkpoint(self, admin_sk: bytes, n: int) -> dict[str, Any]:
        """Sign the head as checkpoint number `n`; returns {"n", "seq", "h"} for the vault."""
        with exclusive(self.lock_path):
            seq, h = self._head()
            payload = {"seq": seq, "h": h, "n": n, "at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            sig = C.sign(admin_sk, json.dumps(payload, sort_keys=True).encode())
            atomic_write(
                self.checkpoint_path, json.dumps({**payload, "sig": C.b64e(sig)}).encode(), self.tmp_dir
            )
        return {"n": n, "seq": seq, "h": h}

    def read_checkpoint(
        self, admin_pubs: list[bytes], vault_cp: dict[str, Any] | None = None
    ) -> dict[str, Any] | str | None:
        """checkpoint.json as {"n", "seq", "h"}; None if there is none, "bad" if it does not count.

        It counts when it is exactly the checkpoint the vault recorded (whoever
        signed it: the admin key may have been rotated since), or when its
        signature verifies with one of `admin_pubs`."""
        if not self.checkpoint_path.exists():
            return None
        try:
            data = json.loads(read_regular(self.checkpoint_path, MAX_LINE))
            payload = {k: data[k] for k in ("seq", "h", "n", "at")}
            cp = {"n": int(payload["n"]), "seq": int(payload["seq"]), "h": str(payload["h"])}
        except (OSError, ValueError, KeyError, TypeError, RecursionError, OverflowError, StoreError):
            return "bad"
        if vault_cp and cp == {k: vault_cp[k] for k in ("n", "seq", "h")}:
            return cp
        message = json.dumps(payload, sort_keys=True).encode()
        for pub in admin_pubs:
            try:
                C.verify(pub, C.b64d(data.get("sig")), message)
                return cp
            except (C.CryptoError, TypeError, ValueError):
                continue
        return "bad"

    # -------------------------------------------------------------- what the chain says (integrity)

    def is_empty(self) -> bool:
        return not any(True for _ in self._lines())

    def _reversed(self, aks: AuditKeys) -> Iterator[dict[str, Any]]:
        """Decrypted entries, newest first; unreadable lines are skipped (verify reports them)."""
        keys = _key_list(aks)
        for f in reversed(self._files()):
            lines = [line for _f, _n, line in self._lines([f])]  # plain files only, bounded lines
            yield from _decrypted(keys, reversed(lines))

    def vault_marks(self, aks: AuditKeys) -> VaultMarks:
        """The vault states recorded last (scans back only to the latest finished change)."""
        marks = VaultMarks()
        for entry in self._reversed(aks):
            marks.scanned += 1
            if entry.get("action") != "vault":
                continue
            d = entry.get("detail") or {}
            state = (_int(d.get("serial")), str(d.get("hash")))
            if d.get("step") in ("done", "seen"):
                marks.done = state
                break
            marks.begun.append(state)
        return marks

    def record_marks(self, aks: AuditKeys, rid: str | None = None) -> dict[str, RecordMark]:
        """Per record: when it was created, whether it was deleted through the
        app, and the highest (generation, sequence) any entry logged for it."""
        out: dict[str, RecordMark] = {}
        for entry in self.entries(aks):
            r = entry.get("rid")
            if not isinstance(r, str) or (rid is not None and r != rid):
                continue
            mark = out.setdefault(r, RecordMark(r))
            action = entry.get("action")
            if action == "create":
                mark.created = str(entry.get("ts"))
            elif action == "delete":
                mark.deleted = True
            d = entry.get("detail")
            if not isinstance(d, dict):
                continue
            if action == "journal-loss" and d.get("taken") is True and _int(d.get("gen")) == mark.gen:
                mark.seq = min(mark.seq, _int(d.get("first")) - 1)  # taken as seen by an editor
            elif "gen" in d and "seq" in d:
                mark.raise_to(_int(d["gen"]), _int(d["seq"]))
        return out

    def user_keys(self, aks: AuditKeys, readers: list[bytes] | None = None) -> dict[str, str]:
        """Per user id, the fingerprint of the public key the latest audited
        user-init/add/reset gave them, or the upgrade of an earlier version's
        vault found in its signed user table: who the app itself let in (admins: `readers`)."""
        out: dict[str, str] = {}
        for entry in self.entries(aks, readers):
            if entry.get("action") in ("user-init", "user-add", "user-reset", "user-upgrade"):
                d = entry.get("detail")
                if isinstance(d, dict) and isinstance(d.get("user"), str) and isinstance(d.get("key"), str):
                    out[d["user"]] = d["key"]
        return out

    # -------------------------------------------------------------- failed unlocks

    def record_pending(self, audit_pub: bytes, entry: dict[str, Any]) -> None:
        """Seal an event to the audit public key; no vault key needed."""
        make_dir(self.pending, 0o2770)  # never chmods through a symlink
        entry = {**entry, "ts": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        blob = C.box_seal(audit_pub, json.dumps(entry).encode(), b"asi-tui/audit-pending/v1")
        name = f"{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.evt"
        atomic_write(self.pending / name, blob, self.tmp_dir)

    def ingest_pending(self, audit_sks: list[bytes], ak: bytes, reader_pub: bytes | None = None) -> int:
        """Move sealed events into the chain; `audit_sks` are every audit private
        key the session holds (an event may predate a rotation)."""
        if not self.pending.is_dir():
            return 0
        n = 0
        for f in sorted(self.pending.glob("*.evt"))[:MAX_PENDING_PER_UNLOCK]:
            entry = _pending_entry(f, audit_sks)
            if entry is None:
                self.append(ak, {"action": "pending-unreadable", "detail": f.name[:80]}, reader_pub)
            else:
                self.append(ak, entry, reader_pub)
                n += 1
            f.unlink(missing_ok=True)
        return n


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _pending_entry(path: Path, audit_sks: list[bytes]) -> dict[str, Any] | None:
    """A failed-unlock event as it goes into the chain, or None.

    Anyone can seal an event to the public audit key, so only the one kind of
    event the store writes is taken, with its fields bounded."""
    try:
        blob = read_regular(path, MAX_PENDING_BYTES)
    except (OSError, StoreError):
        return None
    entry = None
    for sk in audit_sks:  # an event may predate a rotation
        try:
            entry = json.loads(C.box_open(sk, blob, b"asi-tui/audit-pending/v1"))
            break
        except (C.CryptoError, ValueError, RecursionError):
            continue
    if not isinstance(entry, dict) or entry.get("action") != "unlock-failed" or not isinstance(entry.get("user"), str):
        return None
    ts = entry.get("ts")
    return {"action": "unlock-failed", "user": entry["user"][:64], "recorded": ts[:40] if isinstance(ts, str) else None}
