"""Complete interviews as answers-file data, for the batch import tests and
`tests/benchmarks/bench_import.py`: `demo.fill`'s plausible values, answered
through a bare engine, written back in the form an answers file holds."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from asi_tui.bank.registry import bundled_bank
from asi_tui.demo import fill
from asi_tui.engine.interview import Interview
from asi_tui.engine.values import MissingCode, encode


class _Bare:
    """What `fill` needs of a record handle, over an Interview alone."""

    def __init__(self, bank: Any, day: date) -> None:
        self.bank = bank
        self.interview = Interview(bank, day, None, today=date.today())

    def answer(self, item_id: str, raw: object) -> Any:
        return self.interview.answer(item_id, raw)


def raw(value: object) -> object:
    return value.code if isinstance(value, MissingCode) else encode(value)


def grund_answers(seed: int, day: date = date(2026, 1, 15), bank_id: str = "asi-grund") -> dict[str, Any]:
    """A complete Grund's answers (item id -> raw value), different per seed."""
    bank = bundled_bank(bank_id)
    h = _Bare(bank, day)
    fill(h, random.Random(seed), heavy=seed % 2 == 0)
    assert h.interview.can_complete()
    return {k: raw(v) for k, v in h.interview.answers.items()}
