"""Monotonic state that a file restore cannot roll back unnoticed: the names
and the rules (storage-design.md 3.6 #5, #15; issue 11).

What the audit chain records, and what is checked against it:

* **vault.json**: every signed change raises the vault's signed serial; the
  audit chain gets ``vault begin`` (serial, digest) before the file is
  replaced and ``vault done`` after. At unlock and in `audit verify` the file
  must match the last ``done`` (or a later ``begin``: a crash between the
  two; a ``seen`` mark, written by a session whose check passed, counts as
  ``done`` and keeps the unlock's read-back short). An older serial is a restored copy (`VaultOlder`); anything else was
  changed outside the app, or the audit log lost its tail (`VaultMismatch`).
* **records**: create, pause, complete and the end of an edit session log the
  record's (snapshot generation, journal sequence) high-water mark. The index
  document keeps the same mark (`hwm`) for the hot path; `index rebuild`
  re-derives it from the chain. An older snapshot generation is a rolled-back
  copy; a journal that ends below the mark lost acknowledged answers.
* **audit checkpoints**: each checkpoint an admin writes is itself an audit
  entry with a growing number `n`, and the vault records the latest one, so
  a deleted or older `checkpoint.json` is reported.

Limits, stated: answers acknowledged after the last logged mark (a session
that is still running, or ended by a crash before closing the record) can be
cut from the journal without a trace, because a crash looks the same; and a
consistent restore of *every* file (vault, audit log, records, checkpoint)
to an earlier moment cannot be told from that moment: only a copy of the
audit head outside the data directory (syslog) catches it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import RecordRolledBack, StoreError, VaultAltered


class VaultOlder(VaultAltered):
    """vault.json is an older copy than the audit chain says (a restore)."""

    key = "store.error.vault_older"


class VaultMismatch(VaultAltered):
    """vault.json differs from the last state the audit chain recorded."""

    key = "store.error.vault_mismatch"


class NoCurrentKey(StoreError):
    """The user has no box for the current key generation (left out of a rotation)."""

    key = "store.error.no_current_key"


class DocDamaged(StoreError):
    key = "store.error.doc_damaged"


def older_copy(rid: str, gen: int, hwm_gen: int) -> RecordRolledBack:
    return RecordRolledBack("store.error.record_older_copy", rid=rid, gen=gen, hwm=hwm_gen)


class Notice(str):
    """A notice shown when a record is opened: a locale key, with parameters
    for its message (`t(notice, **notice.params)`); compares equal to its key."""

    params: dict[str, Any]

    def __new__(cls, key: str, **params: Any) -> "Notice":
        obj = super().__new__(cls, key)
        obj.params = params
        return obj


def notice_params(notice: str) -> dict[str, Any]:
    return dict(getattr(notice, "params", {}))


# ----------------------------------------------------------------------------- vault


# A session whose check passed after reading back this many entries writes a
# "seen" mark (the state it verified), so that the next unlocks read back less.
SEEN_AFTER = 64


@dataclass
class VaultMarks:
    """The vault states the audit chain recorded last: the latest finished
    (or verified, "seen") state, and any change begun after it."""

    done: tuple[int, str] | None = None
    begun: list[tuple[int, str]] = field(default_factory=list)
    scanned: int = 0  # entries read back to find them


def check_vault(serial: int, digest: str, marks: VaultMarks, audit_empty: bool) -> None:
    """Raise VaultOlder/VaultMismatch unless vault.json is the state the audit
    chain recorded last (or one begun after it, i.e. a crash mid-change)."""
    if marks.done is None and not marks.begun:
        if audit_empty and serial == 1:
            return  # a new data directory: its first session records the vault
        raise VaultMismatch(None, serial=serial, expected=0)
    if (serial, digest) == marks.done or (serial, digest) in marks.begun:
        return
    expected = marks.done[0] if marks.done else max(s for s, _ in marks.begun)
    if serial < expected:
        raise VaultOlder(None, serial=serial, expected=expected)
    raise VaultMismatch(None, serial=serial, expected=expected)


# ----------------------------------------------------------------------------- records


@dataclass
class RecordMark:
    """What the audit chain knows of one record."""

    rid: str
    created: str | None = None
    deleted: bool = False
    gen: int = -1
    seq: int = -1

    def raise_to(self, gen: int, seq: int) -> None:
        if (gen, seq) > (self.gen, self.seq):
            self.gen, self.seq = gen, seq


@dataclass
class RebuildReport:
    """What `index rebuild` found, by record id."""

    records: int
    damaged: list[str] = field(default_factory=list)
    older: list[tuple[str, int, int]] = field(default_factory=list)  # rid, file generation, logged generation
    missing: list[tuple[str, str]] = field(default_factory=list)  # rid, created (never deleted through the app)
    lost: list[tuple[str, int, int]] = field(default_factory=list)  # rid, first and last missing journal seq

    @property
    def clean(self) -> bool:
        return not (self.damaged or self.older or self.missing or self.lost)


def hwm_of(doc: dict[str, Any] | None) -> tuple[int, int] | None:
    """The (generation, sequence) high-water mark an index document holds."""
    if not doc:
        return None
    mark = doc.get("hwm")
    try:
        if isinstance(mark, list) and len(mark) == 2:
            return int(mark[0]), int(mark[1])
        return int(doc.get("gen", 0)), int(doc.get("seq", 0))
    except (TypeError, ValueError):
        return None
