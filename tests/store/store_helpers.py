"""Plain helpers shared by the store tests (fixtures live in conftest.py)."""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
from pathlib import Path
from datetime import date
from typing import Any

INTERVIEW_DATE = date(2024, 1, 10)

ADMIN = "admin"
ADMIN_PW = "lösenordet är långt å"  # NFC; the NFD form must unlock too
ANNA = "anna"  # certified interviewer
ANNA_PW = "annas-hemliga-fras-1"
OLLE = "olle"  # uncertified interviewer
OLLE_PW = "olles-hemliga-fras-2"
PASSWORDS = {ADMIN: ADMIN_PW, ANNA: ANNA_PW, OLLE: OLLE_PW}

# Items of asi-grund that do not depend on each other (G16 is the age item).
BASIC_ANSWERS: list[tuple[str, Any]] = [
    ("G16", 30),
    ("E2", 3),
    ("E4", 1),
    ("E5", 0),
    ("M6", 12),
    ("E11", 7),
    ("E12", 1500),
    ("E13", 200),
]

JNL_HEADER = b"ASIJNL\n\x01"  # magic and format; then the 8-byte sequence number of the first frame
JNL_HEADER_LEN = len(JNL_HEADER) + 8
REC_MAGIC = b"ASIREC\n"


def flip_bit(data: bytes, index: int, bit: int = 0) -> bytes:
    buf = bytearray(data)
    buf[index] ^= 1 << bit
    return bytes(buf)


def flip_b64(text: str, index: int = 0, bit: int = 0) -> str:
    raw = base64.b64decode(text)
    return base64.b64encode(flip_bit(raw, index % len(raw), bit)).decode()


# ----------------------------------------------------------------- journals


def journal_frames(data: bytes) -> list[bytes]:
    """Split a well-formed journal into its frames (length prefix included)."""
    assert data[: len(JNL_HEADER)] == JNL_HEADER
    pos, frames = JNL_HEADER_LEN, []
    while pos < len(data):
        (n,) = struct.unpack_from(">I", data, pos)
        frames.append(data[pos : pos + 4 + n])
        pos += 4 + n
    assert pos == len(data)
    return frames


def frame_boundaries(data: bytes) -> list[int]:
    """Byte offsets at which a frame ends (the header end included)."""
    out, pos = [JNL_HEADER_LEN], JNL_HEADER_LEN
    for f in journal_frames(data):
        pos += len(f)
        out.append(pos)
    return out


def join_journal(frames: list[bytes], first_seq: int = 1) -> bytes:
    return JNL_HEADER + struct.pack(">Q", first_seq) + b"".join(frames)


# ----------------------------------------------------------------- records


def rec_header_span(data: bytes) -> tuple[int, int]:
    """(start, end) of the JSON header inside a snapshot file."""
    prefix = len(REC_MAGIC) + 1 + 4
    (hlen,) = struct.unpack_from(">I", data, len(REC_MAGIC) + 1)
    return prefix, prefix + hlen


def values(handle, items) -> dict[str, Any]:  # noqa: ANN001
    return {i: handle.interview.value(i) for i in items}


def fill_to_complete(handle) -> None:  # noqa: ANN001
    """Answer every missing item with X (or the first value it accepts)."""
    for _ in range(5):
        items, ratings = handle.interview.missing()
        if not items and not ratings:
            return
        for item in items + ratings:
            if not handle.interview.is_visible(item):
                continue
            for v in ("X", 0, 1, "text"):
                if handle.answer(item, v).ok:
                    break
    assert handle.interview.can_complete()


def all_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


# ----------------------------------------------------------------- subprocesses

CHILD_PRELUDE = r"""
import json, os, sys, time
from pathlib import Path
ARGS = json.loads(sys.argv[1])
from asi_tui.store import crypto as C
C.allow_test_kdf()
from asi_tui.store import Store
from asi_tui.store import errors as E
from datetime import date
ROOT = Path(ARGS["root"])
def out(**kw):
    print(json.dumps(kw, default=str), flush=True)
"""


def child_cmd(body: str, **args: Any) -> list[str]:
    return [sys.executable, "-c", CHILD_PRELUDE + body, json.dumps(args)]


def run_child(body: str, timeout: float = 60, **args: Any) -> list[dict[str, Any]]:
    """Run a Python child with the store prelude; returns its JSON output lines."""
    proc = subprocess.run(child_cmd(body, **args), capture_output=True, text=True, timeout=timeout, env=child_env())
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("ASI_TUI_DATA", None)
    return env


# --------------------------------------------------------------------------- the index's files (store/segments.py)


def index_partition(root: Path, compartment: str | None = None) -> Path:
    """A partition's directory: `compartment`'s, or the only one there is."""
    if compartment is not None:
        return root / "index" / compartment
    parts = [p for p in (root / "index").iterdir() if p.is_dir()]
    assert len(parts) == 1, parts
    return parts[0]


def index_live(root: Path, kind: str, compartment: str | None = None) -> Path:
    """The live `base` or `log` file of a partition (the epoch CURRENT names)."""
    part = index_partition(root, compartment)
    return part / f"{kind}.{int((part / 'CURRENT').read_text())}"


def index_gen(root: Path, compartment: str | None = None) -> int:
    """The key generation a partition's live log is sealed under (its header)."""
    data = index_live(root, "log", compartment).read_bytes()
    (n,) = struct.unpack_from(">I", data, 8)
    return int(json.loads(data[12 : 12 + n])["gen"])


def delete_index(root: Path) -> None:
    """Every partition gone (and the one-file index of earlier versions)."""
    import shutil

    shutil.rmtree(root / "index", ignore_errors=True)
    (root / "index.db").unlink(missing_ok=True)
