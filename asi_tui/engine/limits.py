"""Bounds on what a user can type or import, in one place.

Every front end takes its limits from here: the engine refuses a longer text
answer or comment, the answers-file reader refuses a bigger or deeper file,
and the store, the CLI and the TUI's new-interview form check client
references and record ids with `check_ref`. A limit reaches the user as a
message key that names it, never as a traceback or a record nobody can open.
"""

from __future__ import annotations

import re
import unicodedata

from .outcome import EngineError

TEXT_MAX = 2000  # characters in a free-text ("specify") answer
COMMENT_MAX = 4000  # characters in a section comment
RAW_MAX = 200  # characters of raw input for any other item type (numbers, codes, dates)

CLIENT_REF_MAX = 80  # room for practice references, "övning:" + an exercise id of up to 64
RECORD_ID_MAX = 40

ANSWERS_FILE_MAX_BYTES = 1024 * 1024
ANSWERS_MAX_DEPTH = 4  # mapping -> list or {years, months} -> value, with one level to spare
NUMBER_MAX_DIGITS = 15  # a plain integer in an answers file; money tops out far below


def text_limit(item_type: str) -> int:
    """The most characters a raw answer to an item of `item_type` may have."""
    if item_type == "comment":
        return COMMENT_MAX
    if item_type == "text":
        return TEXT_MAX
    return RAW_MAX


class InvalidReference(EngineError):
    """A client reference or record id that cannot be used; `key` names what is wrong."""


_KEYS = {
    ("client_ref", "empty"): "engine.ref.client_ref.empty",
    ("client_ref", "too_long"): "engine.ref.client_ref.too_long",
    ("client_ref", "unprintable"): "engine.ref.client_ref.unprintable",
    ("record_id", "empty"): "engine.ref.record_id.empty",
    ("record_id", "too_long"): "engine.ref.record_id.too_long",
    ("record_id", "unprintable"): "engine.ref.record_id.unprintable",
}
_MAX = {"client_ref": CLIENT_REF_MAX, "record_id": RECORD_ID_MAX}
_RECORD_ID_RE = re.compile(r"[0-9A-Za-z_-]+")


def _printable(text: str) -> bool:
    """No control, format (e.g. a right-to-left override), private-use or
    unassigned characters, and no line or paragraph separators."""
    return not any(unicodedata.category(ch)[0] == "C" or unicodedata.category(ch) in ("Zl", "Zp") for ch in text)


def check_ref(value: object, kind: str = "client_ref") -> str:
    """`value` without surrounding blanks, if it may be used as a `kind`
    ("client_ref" or "record_id"); raises InvalidReference otherwise.

    Both must be 1..max printable characters with no control characters
    (terminal escapes, newlines, bidi overrides). A record id is also a file
    name, so it may hold only letters, digits, `_` and `-`.
    """
    limit = _MAX[kind]
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidReference(_KEYS[kind, "empty"])
    if len(text) > limit:
        raise InvalidReference(_KEYS[kind, "too_long"], max=limit)
    if not _printable(text) or (kind == "record_id" and not _RECORD_ID_RE.fullmatch(text)):
        raise InvalidReference(_KEYS[kind, "unprintable"])
    return text


def same_client_key(ref: object) -> str:
    """The form in which two client references are compared: case and runs of
    blanks do not tell clients apart ("K-7" and " k-7 " are one client), so
    follow-up chains and export keys do not split over a typing difference."""
    return " ".join(ref.split()).casefold() if isinstance(ref, str) else ""

# batch import (`asi-tui record import` with many files, a directory, JSON lines or CSV)
BATCH_FILE_MAX_BYTES = 64 * 1024 * 1024  # one JSON-lines or CSV file: 10,000 Grund interviews take about 30 MiB
BATCH_ROW_MAX_BYTES = 256 * 1024  # one row or line: every answer at its longest stays far below
BATCH_MAX_ROWS = 50_000  # interviews in one JSON-lines or CSV file
BATCH_MAX_FILES = 50_000  # answers files in one directory or on one command line
META_MAX = 200  # characters of a bank id, date, unit, record id or yes/no field in a row
