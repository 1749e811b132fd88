"""Re-evaluation after an answer touches only what depends on the answered item."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from asi_tui.bank.loader import load_bank
from asi_tui.engine.interview import Interview
from tests.conftest import BANKS


@pytest.fixture
def counted():
    bank = load_bank(BANKS / "grund" / "asi-grund-1.0.0.yaml")
    calls: Counter[str] = Counter()
    for item_id, expr in bank.relevance.items():
        inner = expr._fn

        def wrapped(env, _inner=inner, _id=item_id):
            calls[_id] += 1
            return _inner(env)

        expr._fn = wrapped
    iv = Interview(bank, date(2026, 11, 20))
    calls.clear()
    return iv, calls


def test_answer_without_dependents_evaluates_no_relevance(counted):
    iv, calls = counted
    iv.answer("E11", 4)
    assert calls == Counter()


def test_answer_evaluates_only_its_dependents(counted):
    iv, calls = counted
    iv.answer("L21", 0)
    assert set(calls) == {"L22", "L23"}
    assert iv.value("L22").code == "N"


def test_full_grund_has_many_relevance_rules_but_one_answer_touches_few(counted):
    iv, calls = counted
    assert len(iv.bank.relevance) > 30
    iv.answer("D3a", 0)
    assert set(calls) == {"D3c"}
