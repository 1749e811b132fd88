"""Batch import speed: `asi-tui record import` of N complete Grund interviews
(about 180-280 answers each) from a JSON-lines file, in one process with one
unlock, as a user runs it. Prints records/s (goal: >= 50) and, for scale, the
per-answer path (create, one fsynced journal frame per answer, complete).

    PYTHONPATH=. python tests/benchmarks/bench_import.py --records 500
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from click.testing import CliRunner  # noqa: E402

from asi_tui.bank.registry import bundled_bank  # noqa: E402
from asi_tui.cli import main  # noqa: E402
from asi_tui.store import Store, crypto  # noqa: E402
from tests.batch_data import grund_answers  # noqa: E402

PW = "anna passphrase 22"


def setup(tmp: Path) -> tuple[Path, Path]:
    root = tmp / "data"
    store, _ = Store.init(root, "admin", "Admin", "admin passphrase 1")
    s = store.unlock("admin", "admin passphrase 1")
    s.add_user("anna", "Anna", "interviewer", PW, certified=True)
    s.close()
    pw = tmp / "pw"
    pw.write_text(PW + "\n")
    return root, pw


def main_(n: int) -> None:
    crypto.allow_test_kdf()  # the KDF is paid once per batch either way; measure the import
    pool = [grund_answers(seed) for seed in range(20)]
    answers = sum(len(a) for a in pool) / len(pool)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        root, pw = setup(tmp)
        rows = tmp / "rows.jsonl"
        day = date(2026, 1, 15)
        with rows.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps({"client": f"K-{i}", "date": day.isoformat(),
                                     **pool[i % len(pool)]}) + "\n")
        t0 = time.perf_counter()
        r = CliRunner().invoke(main, ["--lang", "en", "--data", str(root), "--user", "anna", "record", "import", str(rows),
                                      "--bank", "asi-grund", "--complete", "--passphrase-file", str(pw)])
        batch = time.perf_counter() - t0
        assert r.exit_code == 0, r.output[-2000:]
        assert f"Imported {n} records ({n} completed); 0 failed." in r.output, r.output[-500:]
        # the per-answer path, on a few records
        k = min(20, n)
        s = Store.open(root).unlock("anna", PW)
        bank = bundled_bank("asi-grund")
        t0 = time.perf_counter()
        for i in range(k):
            h = s.create_record(bank, f"P-{i}", day)
            for item in bank.items:
                if item.id in pool[i % len(pool)] and h.interview.is_visible(item.id):
                    h.answer(item.id, pool[i % len(pool)][item.id])
            h.complete()
            h.close()
        single = (time.perf_counter() - t0) / k
        s.close()
    print(f"batch import: {n} complete Grund interviews (~{answers:.0f} answers each) in {batch:.2f} s "
          f"= {n / batch:.1f} records/s (incl. start-up and one unlock)")
    print(f"per-answer path (journal fsync per answer): {1 / single:.1f} records/s; ratio {n / batch * single:.1f}x")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=500)
    main_(ap.parse_args().records)
