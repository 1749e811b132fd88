"""The store benchmarks run at tiny sizes, so that they do not rot (no timing is checked)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "tests" / "benchmarks"


def run(script: str, *args: str, tmp_path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)}
    out = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.mark.slow
def test_bench_store_prints_every_operation(tmp_path: Path) -> None:
    keep = tmp_path / "keep"
    text = run("bench_store.py", "--sizes", "20,60", "--ops", "2", "--keep", str(keep), tmp_path=tmp_path)
    for op in ("create", "answer", "pause", "open", "complete", "home"):
        row = next(line for line in text.splitlines() if line.startswith(op + " "))
        assert len(row.split()) >= 7, row  # 2 sizes x (median, p99) + 2 ratios
    assert "index rebuild at 60:" in text and "records/s" in text
    # reused: nothing is made again, and the kept stores keep their size
    again = run("bench_store.py", "--sizes", "20,60", "--ops", "1", "--reuse", str(keep), "--no-rebuild",
                tmp_path=tmp_path)
    assert "making" not in again and "index rebuild" not in again
    assert "n=60: anna sees" in again and text.split("n=60: anna sees")[1].split()[0] == again.split("n=60: anna sees")[1].split()[0]


@pytest.mark.slow
def test_bench_concurrency_matches_rebuilt_index(tmp_path: Path) -> None:
    text = run("bench_concurrency.py", "--procs", "3", "--seconds", "3", "--records", "40", "--think", "5", tmp_path=tmp_path)
    for op in ("create", "answer", "pause", "open", "complete", "home", "overall"):
        assert any(line.startswith(op + " ") for line in text.splitlines()), op
    assert "errors: 0" in text
    assert "index rebuilt vs live: MATCH" in text
