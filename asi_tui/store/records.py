"""Record snapshots: `records/<rid>.rec`.

Layout: ``MAGIC || fmt(1) || len(4) || header JSON || nonce || AES-GCM body``.
The header holds only what is needed to find the key: record id, snapshot
generation, last journal sequence, the vault-key generation and the record's
own data key (DEK) sealed under that vault key with the record id as AD.
The body's AD binds rid, gen and seq, so swapping files between records,
editing the header or rolling one field back fails authentication.  Client
data lives only in the encrypted body.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import crypto as C
from .errors import NewerFormat, RecordDamaged
from .fsutil import atomic_write, read_regular

MAGIC = b"ASIREC\n"
FMT = 1
_LEN = struct.Struct(">I")
MAX_HEADER = 1 << 16
MAX_RECORD_BYTES = 64 << 20  # far above any record asi-tui writes; bounds what a planted file costs


def dek_ad(rid: str) -> bytes:
    return f"asi-tui/dek/v1\0{rid}".encode()


def body_ad(header: dict[str, Any]) -> bytes:
    bound = {k: header[k] for k in ("fmt", "rid", "gen", "seq")}
    return b"asi-tui/rec/v1\0" + json.dumps(bound, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class Snapshot:
    header: dict[str, Any]
    body: dict[str, Any]
    dek: bytes

    @property
    def rid(self) -> str:
        return str(self.header["rid"])

    @property
    def gen(self) -> int:
        return int(self.header["gen"])

    @property
    def seq(self) -> int:
        return int(self.header["seq"])


def read_header(path: Path) -> tuple[dict[str, Any], bytes]:
    """(header, encrypted body) of a snapshot file; RecordDamaged/NewerFormat on error."""
    try:
        data = read_regular(path, MAX_RECORD_BYTES)  # UnsafePath, FileTooLarge
    except FileNotFoundError:
        raise
    except OSError:
        raise RecordDamaged() from None
    prefix = len(MAGIC) + 1 + _LEN.size
    if len(data) < prefix or data[: len(MAGIC)] != MAGIC:
        raise RecordDamaged()
    if data[len(MAGIC)] > FMT:
        raise NewerFormat(None, what="record")
    if data[len(MAGIC)] != FMT:
        raise RecordDamaged()
    (hlen,) = _LEN.unpack_from(data, len(MAGIC) + 1)
    if hlen > MAX_HEADER or prefix + hlen > len(data):
        raise RecordDamaged()
    try:
        header = json.loads(data[prefix : prefix + hlen])
    except (ValueError, RecursionError):  # a deeply nested header must not stop `index rebuild`
        raise RecordDamaged() from None
    if not isinstance(header, dict) or not {"fmt", "rid", "gen", "seq", "vk_gen", "dek"} <= set(header):
        raise RecordDamaged()
    for field_name in ("gen", "seq", "vk_gen"):
        value = header[field_name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RecordDamaged()
    if header["fmt"] != FMT or not isinstance(header["rid"], str) or not isinstance(header["dek"], str):
        raise RecordDamaged()
    return header, data[prefix + hlen :]


def unwrap_dek(header: dict[str, Any], vks: dict[int, bytes]) -> bytes:
    vk = vks.get(int(header["vk_gen"])) if isinstance(header.get("vk_gen"), int) else None
    if vk is None:
        raise RecordDamaged()
    try:
        return C.open_sealed(vk, C.b64d(header["dek"]), dek_ad(str(header["rid"])))
    except C.CryptoError:
        raise RecordDamaged() from None


def read_snapshot(path: Path, rid: str, vks: dict[int, bytes]) -> Snapshot:
    header, blob = read_header(path)
    if header["rid"] != rid:
        raise RecordDamaged()
    dek = unwrap_dek(header, vks)
    try:
        body = json.loads(C.open_sealed(dek, blob, body_ad(header)))
    except (C.CryptoError, ValueError, RecursionError):
        raise RecordDamaged() from None
    if not isinstance(body, dict) or body.get("rid") != rid:
        raise RecordDamaged()
    return Snapshot(header, body, dek)


def encode_snapshot(header: dict[str, Any], body: dict[str, Any], dek: bytes) -> bytes:
    hbytes = json.dumps(header, sort_keys=True).encode()
    blob = C.seal(dek, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), body_ad(header))
    return MAGIC + bytes([FMT]) + _LEN.pack(len(hbytes)) + hbytes + blob


def new_header(rid: str, gen: int, seq: int, vk_gen: int, vk: bytes, dek: bytes) -> dict[str, Any]:
    return {
        "fmt": FMT,
        "rid": rid,
        "gen": gen,
        "seq": seq,
        "vk_gen": vk_gen,
        "dek": C.b64e(C.seal(vk, dek, dek_ad(rid))),
    }


def write_snapshot(path: Path, header: dict[str, Any], body: dict[str, Any], dek: bytes, tmp_dir: Path) -> None:
    atomic_write(path, encode_snapshot(header, body, dek), tmp_dir)


def rewrap_header(path: Path, vks: dict[int, bytes], new_gen: int, tmp_dir: Path) -> bool:
    """Seal a record's DEK under the vault key of `new_gen` (body untouched).

    Returns False when the record already uses `new_gen`.
    """
    header, blob = read_header(path)
    if header["vk_gen"] == new_gen:
        return False
    dek = unwrap_dek(header, vks)
    rid = str(header["rid"])
    header = {**header, "vk_gen": new_gen, "dek": C.b64e(C.seal(vks[new_gen], dek, dek_ad(rid)))}
    hbytes = json.dumps(header, sort_keys=True).encode()
    atomic_write(path, MAGIC + bytes([FMT]) + _LEN.pack(len(hbytes)) + hbytes + blob, tmp_dir)
    return True
