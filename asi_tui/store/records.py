"""Record snapshots: `records/<rid>.rec`.

Layout: ``MAGIC || fmt(1) || len(4) || header JSON || nonce || AES-GCM body``.
The header holds only what is needed to find the key: record id, snapshot
generation, last journal sequence, the key generation, the record's unit
(`unit`: a unit id, or `practice`) and the record's own data key (DEK) sealed
under that unit's key of that generation, with record id and unit as AD: a
user who holds no key of the unit gets nothing out of the file. Small
documents (`docs`) have no unit: their DEK is sealed under the vault key.
The body's AD binds rid, gen and seq, so swapping files between records,
editing the header or rolling one field back fails authentication.  Client
data lives only in the encrypted body.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from . import crypto as C
from .access import PRACTICE_UNIT
from .errors import NewerFormat, NoUnitKey, RecordDamaged
from .fsutil import atomic_write, read_regular

MAGIC = b"ASIREC\n"
FMT = 1
_LEN = struct.Struct(">I")
MAX_HEADER = 1 << 16
MAX_RECORD_BYTES = 64 << 20  # far above any record asi-tui writes; bounds what a planted file costs


def dek_ad(rid: str, unit: str | None = None) -> bytes:
    if unit is None:
        return f"asi-tui/dek/v1\0{rid}".encode()
    return f"asi-tui/dek/v2\0{rid}\0{unit}".encode()


class KeyRing(Protocol):
    """What opens a header: the key of (generation, unit), or None (`Keys.key_for`)."""

    def key_for(self, gen: int, unit: str | None) -> bytes | None: ...


class VaultKeys:
    """A KeyRing of vault keys only: documents, and records written before unit keys (upgrade)."""

    def __init__(self, vks: dict[int, bytes]) -> None:
        self.vks = vks

    def key_for(self, gen: int, unit: str | None) -> bytes | None:
        return self.vks.get(gen) if unit is None else None


def header_unit(header: dict[str, Any]) -> str | None:
    unit = header.get("unit")
    return unit if isinstance(unit, str) else None


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
    if "unit" in header and not isinstance(header["unit"], str):
        raise RecordDamaged()
    return header, data[prefix + hlen :]


def _ring(keys: "KeyRing | dict[int, bytes]") -> KeyRing:
    return VaultKeys(keys) if isinstance(keys, dict) else keys


def unwrap_dek(header: dict[str, Any], keys: "KeyRing | dict[int, bytes]") -> bytes:
    """The record's data key; NoUnitKey when this user holds no key of its unit."""
    unit, gen, ring = header_unit(header), int(header["vk_gen"]), _ring(keys)
    key = ring.key_for(gen, unit)
    if key is None:
        if unit is not None and gen in getattr(ring, "vks", {}):
            raise NoUnitKey(None, unit=unit)  # a generation this user holds, a unit they do not
        raise RecordDamaged()
    try:
        return C.open_sealed(key, C.b64d(header["dek"]), dek_ad(str(header["rid"]), unit))
    except C.CryptoError:
        raise RecordDamaged() from None


def read_snapshot(path: Path, rid: str, keys: "KeyRing | dict[int, bytes]") -> Snapshot:
    header, blob = read_header(path)
    if header["rid"] != rid:
        raise RecordDamaged()
    dek = unwrap_dek(header, keys)
    try:
        body = json.loads(C.open_sealed(dek, blob, body_ad(header)))
    except (C.CryptoError, ValueError, RecursionError):
        raise RecordDamaged() from None
    if not isinstance(body, dict) or body.get("rid") != rid:
        raise RecordDamaged()
    if header_unit(header) is not None and header_unit(header) != body_unit(body):
        raise RecordDamaged()  # the unit the key says is the unit the record says
    return Snapshot(header, body, dek)


def body_unit(body: dict[str, Any]) -> str | None:
    """The unit a record body belongs to: its `unit`, or `practice`."""
    if body.get("practice"):
        return PRACTICE_UNIT
    unit = body.get("unit")
    return unit if isinstance(unit, str) else None


def encode_snapshot(header: dict[str, Any], body: dict[str, Any], dek: bytes) -> bytes:
    hbytes = json.dumps(header, sort_keys=True).encode()
    blob = C.seal(dek, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode(), body_ad(header))
    return MAGIC + bytes([FMT]) + _LEN.pack(len(hbytes)) + hbytes + blob


def new_header(rid: str, gen: int, seq: int, vk_gen: int, key: bytes, dek: bytes, unit: str | None = None) -> dict[str, Any]:
    """`key`: the unit's key of generation `vk_gen` (a document: the vault key, no unit)."""
    header = {
        "fmt": FMT,
        "rid": rid,
        "gen": gen,
        "seq": seq,
        "vk_gen": vk_gen,
        "dek": C.b64e(C.seal(key, dek, dek_ad(rid, unit))),
    }
    if unit is not None:
        header["unit"] = unit
    return header


def write_snapshot(path: Path, header: dict[str, Any], body: dict[str, Any], dek: bytes, tmp_dir: Path) -> None:
    atomic_write(path, encode_snapshot(header, body, dek), tmp_dir)


def rewrap_header(path: Path, keys: "KeyRing | dict[int, bytes]", new_gen: int, tmp_dir: Path) -> bool:
    """Seal a record's DEK under its unit's key of `new_gen` (body untouched).

    Returns False when the record already uses `new_gen`.
    """
    header, blob = read_header(path)
    if header["vk_gen"] == new_gen:
        return False
    ring = _ring(keys)
    dek = unwrap_dek(header, ring)
    rid, unit = str(header["rid"]), header_unit(header)
    key = ring.key_for(new_gen, unit)
    if key is None:
        raise NoUnitKey(None, unit=unit or "-")
    header = {**header, "vk_gen": new_gen, "dek": C.b64e(C.seal(key, dek, dek_ad(rid, unit)))}
    hbytes = json.dumps(header, sort_keys=True).encode()
    atomic_write(path, MAGIC + bytes([FMT]) + _LEN.pack(len(hbytes)) + hbytes + blob, tmp_dir)
    return True
