"""Benchmark: an interviewer's everyday store operations against the archive size.

Run: PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_store.py [--sizes 100,20000,100000] [--ops 20]
         [--keep DIR | --reuse DIR] [--no-rebuild]

For each size, a data directory of that many records is made (store_data.py:
three units, eight interviewers, ten years of Grund, follow-ups, dropouts and
some open interviews; cloned records written directly, see there), or reused
from `--reuse DIR` / `--keep DIR` (DIR/n<size>; `--keep` builds what is
missing there and keeps it). Then a fresh child process per size unlocks as
the interviewer "anna" (two units, open interviews, follow-ups due) and does,
`--ops` times, what the UI does, each timed through the Session API:

- create:   `similar_records` (the new-interview form's warning) + `create_record` (Grund)
- answer:   every `handle.answer` (autosave: one fsynced journal frame) of the
            first ~15% of the items, then the rest after reopening (all timed)
- pause:    `handle.pause()` + `handle.close()`
- open:     `open_record(rid)` of that paused record
- complete: `handle.complete()` + `handle.close()`
- home:     `reports.home.home_lists(session, today)` (the home screen's data)

Unlocking (the passphrase KDF) is outside every figure; the session's index
view refresh (reading what was appended since) is inside, as in a real
process. The first home_lists of the process (reading the index base,
building the planner) is printed apart ("first home"). With rebuild on, the
admin then runs `rebuild_index` on the largest store (records/s), on one
reading process per core as `asi-tui index rebuild` does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import store_data as D  # noqa: E402

OPS = ("create", "answer", "pause", "open", "complete", "home")
GOALS = {
    "create": "median <= 15 ms at 100k, ratio <= 1.5",
    "open": "median <= 15 ms at 100k, ratio <= 1.5",
    "pause": "median <= 15 ms at 100k, ratio <= 1.5",
    "complete": "median <= 15 ms at 100k, ratio <= 1.5",
    "home": "<= 50 ms at 100k",
    "answer": "p99 <= 5 ms",
}
REBUILD_GOAL = "100k records <= 60 s"


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))]


def child(root: Path, ops: int, rebuild: bool, profile: str | None) -> None:
    from asi_tui.bank.registry import bundled_bank
    from asi_tui.demo import fill
    from asi_tui.reports.home import home_lists

    today = date.today()
    grund = bundled_bank("asi-grund")
    os.sync()  # a store just built leaves dirty pages that the first fsyncs would pay for
    s = D.unlock(root, "anna")
    unit = s.find_unit(D.UNITS[0]).id
    times: dict[str, list[float]] = {op: [] for op in OPS}
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
    t = time.perf_counter()
    first = home_lists(s, today)
    first_ms = (time.perf_counter() - t) * 1000
    visible = len(s.index.docs)
    rng = random.Random(5)

    def timed(op: str, fn, *a, **kw):
        if prof is not None and op == profile:
            prof.enable()
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        times[op].append((time.perf_counter() - t0) * 1000)
        if prof is not None and op == profile:
            prof.disable()
        return out

    def create(ref: str):
        s.similar_records(ref, grund, today)
        return s.create_record(grund, ref, today, unit=unit)

    def close_after(fn):
        def run(h):
            fn()
            h.close()
        return run

    made = []
    for i in range(ops):
        ref = f"BENCH-{os.getpid()}-{i}"
        h = timed("create", create, ref)
        plain = h.answer
        h.answer = lambda item, value: timed("answer", plain, item, value)  # type: ignore[method-assign]
        fill(h, rng, heavy=i % 2 == 0, upto=0.15)
        timed("pause", close_after(h.pause), h)
        rid = h.rid
        made.append(rid)
        h = timed("open", s.open_record, rid)
        plain = h.answer
        h.answer = lambda item, value: timed("answer", plain, item, value)  # type: ignore[method-assign]
        fill(h, rng, heavy=i % 2 == 0)
        timed("complete", close_after(h.complete), h)
        timed("home", home_lists, s, today)
    s.close()
    out = {"times": times, "first_home_ms": first_ms, "records_visible": visible,
           "home": {"open": len(first.open), "due": len(first.due), "overdue": len(first.overdue) + first.more_overdue}}
    if prof is not None:
        import pstats

        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
    admin = D.unlock(root, D.ADMIN)
    for rid in made:  # untimed: a kept store stays at its size for the next run
        admin.delete_record(rid)
    if rebuild:
        from asi_tui.store.rebuild_read import default_workers

        t = time.perf_counter()
        report = admin.rebuild_index(workers=default_workers())  # as `asi-tui index rebuild` does
        secs = time.perf_counter() - t
        out["rebuild"] = {"seconds": secs, "records": report.records, "damaged": len(report.damaged),
                          "workers": default_workers()}
    admin.close()
    print(json.dumps(out))


def run_size(root: Path, ops: int, rebuild: bool, profile: str | None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(root), "--ops", str(ops)] + (["--rebuild"] if rebuild else []) \
        + (["--profile", profile] if profile else [])
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.stderr.strip():
        print(out.stderr.rstrip(), file=sys.stderr)
    if out.returncode:
        raise SystemExit(f"child failed for {root} (exit {out.returncode})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,20000,100000", help="Record counts, comma separated.")
    ap.add_argument("--ops", type=int, default=20, help="Repetitions of each operation per size.")
    ap.add_argument("--keep", type=Path, help="Build the stores under DIR (DIR/n<size>) and keep them.")
    ap.add_argument("--reuse", type=Path, help="Use stores built earlier with --keep DIR (missing ones are built).")
    ap.add_argument("--no-rebuild", action="store_true", help="Skip the index rebuild of the largest store.")
    ap.add_argument("--profile", choices=OPS, help="cProfile one operation (printed to stderr).")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--rebuild", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.ops, args.rebuild, args.profile)
        return
    sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    with tempfile.TemporaryDirectory(prefix="asi-bench-") as tmp:
        base = args.reuse or args.keep or Path(tmp)
        results = {}
        for n in sizes:
            root = D.ensure(base / f"n{n}", n)
            results[n] = run_size(root, args.ops, not args.no_rebuild and n == sizes[-1], args.profile)
            r = results[n]
            print(f"  n={n}: anna sees {r['records_visible']} records; home: {r['home']['open']} open, "
                  f"{r['home']['due']} due, {r['home']['overdue']} overdue; first home {r['first_home_ms']:.0f} ms",
                  flush=True)
        report(sizes, results, args.ops)


def report(sizes: list[int], results: dict, ops: int) -> None:
    lo, hi = sizes[0], sizes[-1]
    head = f"{'operation':<10}" + "".join(f"{f'{n} med':>11}{'p99':>8}" for n in sizes) + f"{'ratio med':>10}{'ratio p99':>10}  goal"
    print(f"\nms per operation, {ops} ops per size (answer: every autosave of those interviews)")
    print(head)
    for op in OPS:
        row, meds, p99s = f"{op:<10}", {}, {}
        for n in sizes:
            v = results[n]["times"][op]
            meds[n], p99s[n] = statistics.median(v), pct(v, 99)
            row += f"{meds[n]:>11.2f}{p99s[n]:>8.2f}"
        row += f"{meds[hi] / meds[lo]:>10.2f}{p99s[hi] / p99s[lo]:>10.2f}  {GOALS[op]}"
        print(row)
    rb = results[hi].get("rebuild")
    if rb:
        print(f"index rebuild at {hi}: {rb['seconds']:.1f} s, {rb['records'] / rb['seconds']:.0f} records/s "
              f"({rb['records']} records, {rb['damaged']} damaged, {rb['workers']} reading processes)  goal: {REBUILD_GOAL}")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
