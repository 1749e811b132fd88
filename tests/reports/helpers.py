"""Independent counting for the report tests (no code from asi_tui.reports)."""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable

import pytest

from asi_tui.engine.values import MissingCode


def age_band(age: Any) -> str:
    if not isinstance(age, int):
        return "missing"
    if age < 18:
        return "<18"
    if age <= 24:
        return "18-24"
    if age <= 34:
        return "25-34"
    if age <= 44:
        return "35-44"
    if age <= 54:
        return "45-54"
    if age <= 64:
        return "55-64"
    return "65+"


def code(v: Any) -> Any:
    """A background value as the tables key it: the code, or 'missing' for X/N/none."""
    return "missing" if v is None or isinstance(v, MissingCode) else v


def is_x(v: Any) -> bool:
    return isinstance(v, MissingCode) and v.code == "X"


def number(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def in_period(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def assert_count(cell, expected: int) -> None:
    """A count cell shows the count, or '..' (value removed): always for 1-4;
    for 5 or more only when it had to be hidden to protect another cell
    (complementary suppression); 0 is always shown."""
    if 1 <= expected <= 4:
        assert cell.suppressed and cell.value is None, (cell, expected)
    elif cell.suppressed:
        assert expected > 0 and cell.value is None, (cell, expected)
    else:
        assert cell.value == expected, (cell, expected)


def assert_share(cell, count: int, n: int) -> None:
    if 1 <= count <= 4:
        assert cell.suppressed and cell.value is None
    elif cell.suppressed:
        assert cell.value is None
    elif n == 0:
        assert cell.value is None
    else:
        assert cell.value == pytest.approx(count / n)


def assert_stat(cell, values: Iterable[float], fn) -> None:  # noqa: ANN001
    """A mean/median cell: the value over >= 5 clients, else suppressed (or empty for none)."""
    values = list(values)
    if not values:
        assert cell.value is None
    elif len(values) < 5:
        assert cell.suppressed and cell.value is None
    else:
        assert not cell.suppressed and cell.value == pytest.approx(fn(values))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def median(values: list[float]) -> float:
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def assert_n(table, expected: int) -> None:
    """A table's n: shown, or '..' for 1-4 or when it had to protect a hidden cell."""
    if 1 <= expected <= 4:
        assert table.n is None and table.n_suppressed, (table.key, expected)
    elif table.n_suppressed:
        assert table.n is None and expected > 0, (table.key, expected)
    else:
        assert table.n == expected, (table.key, table.n, expected)


def check_client_ratings(table, rows) -> None:
    """Every row of the client-ratings table against the known answers of `rows`."""
    for item in [r.key for r in table.rows]:
        values = [r.get(item) for r in rows]
        nums = [v for v in map(number, values) if v is not None]
        for s in range(5):
            assert_count(table.cell(item, f"c{s}"), sum(1 for v in nums if v == s))
        assert_count(table.cell(item, "X"), sum(1 for v in values if is_x(v)))
        assert_stat(table.cell(item, "mean"), nums, mean)
