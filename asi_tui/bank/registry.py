"""The bundled reference banks."""

from __future__ import annotations

from functools import cache

from ..resources import bundled_dir
from .loader import QuestionBank, load_bank
from .model import version_key

INSTRUMENT_DIRS = ("grund", "uppfoljning", "spelmodul", "bortfall")


@cache
def bundled_banks() -> tuple[QuestionBank, ...]:
    """Every bundled bank, sorted by id and version (oldest first)."""
    root = bundled_dir("question_bank")
    banks = [load_bank(f) for d in INSTRUMENT_DIRS for f in sorted((root / d).glob("*.yaml"))]
    return tuple(sorted(banks, key=lambda b: (b.id, version_key(b.version))))


def bundled_bank(bank_id: str) -> QuestionBank:
    """Newest bundled version of `bank_id`."""
    matches = [b for b in bundled_banks() if b.id == bank_id]
    if not matches:
        raise KeyError(bank_id)
    return matches[-1]
