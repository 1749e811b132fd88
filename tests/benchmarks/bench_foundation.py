"""Benchmark: bank load+validate, and one engine answer on the full Grund.

Run: .venv/bin/python tests/benchmarks/bench_foundation.py
Prints medians (and p99 for answers); goals from the foundation issue:
load+validate of all banks <= 100 ms, one answer with re-evaluation p99 <= 1 ms.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date
from pathlib import Path

from asi_tui.bank.loader import load_bank, validate_paths
from asi_tui.engine.interview import Interview

ROOT = Path(__file__).resolve().parents[2] / "question_bank"


def bench_load(rounds: int = 30) -> list[float]:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        banks, problems = validate_paths([ROOT])
        times.append((time.perf_counter() - t0) * 1000)
        assert not problems and banks
    return times


def _valid_value(iv: Interview, item, rng: random.Random):
    t = item.type
    if t in ("count", "days", "money", "years_months"):
        return 0 if rng.random() < 0.5 else rng.randint(0, 3)
    if t in ("yes_no", "single", "client_rating", "interviewer_rating"):
        return rng.choice(iv.bank.codes_for(item).values)
    if t == "multi":
        return [iv.bank.codes_for(item).values[0]]
    if t == "date":
        return "2026-01-01"
    if t == "text":
        return "1234" if item.pattern and "4" in item.pattern else ("10:00" if item.pattern else "abc")
    return "note"


def bench_answers(n: int = 3000) -> list[float]:
    bank = load_bank(ROOT / "grund" / "asi-grund-1.0.0.yaml")
    rng = random.Random(7)
    times = []
    iv = Interview(bank, date(2026, 11, 20))
    iv.answer("G16", 40)
    items = [i for i in bank.items if i.type != "comment"]
    while len(times) < n:
        item = rng.choice(items)
        if not iv.is_visible(item.id):
            continue
        raw = _valid_value(iv, item, rng)
        t0 = time.perf_counter()
        iv.answer(item.id, raw)
        times.append((time.perf_counter() - t0) * 1e6)
    return times


def p99(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.99) - 1]


def main() -> None:
    load = bench_load()
    print(f"load+validate all banks: median {statistics.median(load):.1f} ms over {len(load)} rounds (goal <= 100 ms)")
    ans = bench_answers()
    print(
        f"engine answer on full Grund: median {statistics.median(ans):.1f} us, p99 {p99(ans):.1f} us "
        f"over {len(ans)} answers (goal p99 <= 1000 us)"
    )


if __name__ == "__main__":
    main()
