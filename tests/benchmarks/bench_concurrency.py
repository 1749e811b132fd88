"""Benchmark: many interviewers at once on one data directory.

Run: PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_concurrency.py [--procs 20] [--seconds 60]
         [--records 20000] [--think MS] [--keep DIR | --reuse DIR]

The data directory (`--records` records, made by store_data.py: three units,
eight interviewers, ten years of chains; see there) is built, or taken from
`--reuse DIR` / `--keep DIR` (DIR/n<records>). Then `--procs` worker
processes each unlock as one of the eight interviewers (several processes
share a user, as one person with two terminals would) and, once all are
ready, loop for `--seconds` through what the UI does, each call timed
(back to back, or with `--think MS`: a random pause averaging MS after each
call, outside the figures, as an interviewer's pace):

  create (similar_records + create_record; a Grund every third round, else a
  dropout registration), answer (a few autosaves), pause (+ close), open
  (reopen that record), answer (the rest: the whole Grund, or the dropout's
  items), complete (+ close), home (reports.home.home_lists).

Every exception is counted as an error (its type and message key, never
client data) and the round goes on with a new record. Afterwards the live
index (as a fresh admin session reads it) is compared with an index rebuilt
from the record files (`rebuild_index`) in a copy of the data directory:
MATCH or DIFFER (with the fields that differ). Goal: p99 <= 100 ms, 0 errors.
The records a run makes stay in a kept store (it grows by a few thousand per run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import store_data as D  # noqa: E402

OPS = ("create", "answer", "pause", "open", "complete", "home")
GOAL_P99_MS = 100.0


def describe(exc: BaseException) -> str:
    """The exception's type and message key (StoreError/EngineError), or its text without the client reference."""
    key = getattr(exc, "key", None)
    if isinstance(key, str):
        return f"{type(exc).__name__}: {key}"
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def worker(root: Path, user: str, go: Path, seconds: float, out: Path, think_ms: float) -> None:
    from asi_tui.bank.registry import bundled_bank
    from asi_tui.demo import fill
    from asi_tui.reports.home import home_lists

    today = date.today()
    grund, bort = bundled_bank("asi-grund"), bundled_bank("asi-bortfall")
    s = D.unlock(root, user)
    units = [u.id for u in s.my_units()]
    home_lists(s, today)  # the first view (reading the index base) is before the start, as at login
    lat: dict[str, list[float]] = {op: [] for op in OPS}
    errors: Counter[str] = Counter()
    rng = random.Random(os.getpid())
    out.with_suffix(".ready").touch()  # unlocked and read the index: the parent starts everyone at once
    while not go.exists():
        time.sleep(0.01)
    start_at = float(go.read_text())
    while time.time() < start_at:
        time.sleep(0.005)
    end = start_at + seconds

    def think() -> None:  # an interviewer's pace between two actions (outside every figure)
        if think_ms:
            time.sleep(rng.uniform(0, 2 * think_ms) / 1000)

    def timed(op: str, fn, *a, **kw):
        t0 = time.perf_counter()
        try:
            return fn(*a, **kw)
        finally:
            lat[op].append((time.perf_counter() - t0) * 1000)
            think()

    def answers(h, full: bool) -> None:
        plain = h.answer
        h.answer = lambda item, value: timed("answer", plain, item, value)
        if h.bank.instrument == "bortfall":
            for item, value in (D.DROPOUT_ANSWERS if full else D.DROPOUT_ANSWERS[:3]):
                h.answer(item, value)
        else:
            fill(h, rng, heavy=False, upto=1.0 if full else 0.03)

    def create(ref: str, bank):
        s.similar_records(ref, bank, today)
        return s.create_record(bank, ref, today, unit=rng.choice(units))

    def close_after(h, fn) -> None:
        fn()
        h.close()

    i = 0
    while time.time() < end:
        i += 1
        bank = grund if i % 3 == 1 else bort
        ref = f"C-{os.getpid()}-{i}"
        h = None
        try:
            h = timed("create", create, ref, bank)
            answers(h, full=False)
            timed("pause", close_after, h, h.pause)
            rid, h = h.rid, None
            h = timed("open", s.open_record, rid)
            answers(h, full=True)
            timed("complete", close_after, h, h.complete)
            h = None
            timed("home", home_lists, s, today)
        except Exception as exc:  # every error is counted, the loop goes on
            errors[describe(exc)] += 1
            if h is not None:
                try:
                    h.close()
                except Exception as exc2:
                    errors["close after error: " + describe(exc2)] += 1
    s.close()
    out.write_text(json.dumps({"lat": lat, "errors": errors, "rounds": i}))


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s) + 0.5) - 1))] if s else float("nan")


def compare_rebuilt(root: Path, work: Path) -> tuple[bool, str]:
    """The live index against one rebuilt from the records, in a copy of `root`."""
    live = {d["rid"]: d for d in D.unlock(root, D.ADMIN).index.all()}
    copy = work / "rebuilt"
    shutil.copytree(root, copy, symlinks=True)
    admin = D.unlock(copy, D.ADMIN)
    t = time.perf_counter()
    report = admin.rebuild_index()
    secs = time.perf_counter() - t
    admin.close()
    rebuilt = {d["rid"]: d for d in D.unlock(copy, D.ADMIN).index.all()}
    shutil.rmtree(copy)
    fields: Counter[str] = Counter()
    for rid in live.keys() | rebuilt.keys():
        a, b = live.get(rid), rebuilt.get(rid)
        if a is None or b is None:
            fields["only in " + ("rebuilt" if a is None else "live")] += 1
            continue
        for k in a.keys() | b.keys():
            if a.get(k) != b.get(k):
                fields[k] += 1
    info = (f"{len(live)} live, {len(rebuilt)} rebuilt in {secs:.1f} s "
            f"(damaged {len(report.damaged)}, older {len(report.older)}, lost {len(report.lost)}, missing {len(report.missing)})")
    if fields:
        info += "; differing: " + ", ".join(f"{k} x{n}" for k, n in fields.most_common())
    return not fields, info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--procs", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--records", type=int, default=20000)
    ap.add_argument("--keep", type=Path, help="Build the store under DIR (DIR/n<records>) and keep it.")
    ap.add_argument("--reuse", type=Path, help="Use a store built earlier with --keep DIR (built if missing).")
    ap.add_argument("--think", type=float, default=0,
                    help="Mean pause in ms after each timed call (uniform 0..2x), an interviewer's pace; "
                         "0 (default): back to back, a stress test.")
    ap.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        root, user, go, seconds, out, think_ms = args.worker
        worker(Path(root), user, Path(go), float(seconds), Path(out), float(think_ms))
        return
    with tempfile.TemporaryDirectory(prefix="asi-conc-") as tmp:
        root = D.ensure((args.reuse or args.keep or Path(tmp)) / f"n{args.records}", args.records)
        users = list(D.INTERVIEWERS)
        outs = [Path(tmp) / f"w{i}.json" for i in range(args.procs)]
        go = Path(tmp) / "go"
        running = [subprocess.Popen([sys.executable, __file__, "--worker", str(root), users[i % len(users)],
                                     str(go), str(args.seconds), str(out), str(args.think)],
                                    stderr=subprocess.PIPE, text=True)
                   for i, out in enumerate(outs)]
        # all start together, once every worker has unlocked and read the index (or died)
        while not all(o.with_suffix(".ready").exists() or p.poll() is not None for o, p in zip(outs, running)):
            time.sleep(0.05)
        tmp_go = go.with_suffix(".tmp")
        tmp_go.write_text(str(time.time() + 0.5))
        tmp_go.rename(go)
        for p in running:
            _, err = p.communicate()
            if p.returncode:
                print(f"worker failed (exit {p.returncode}): {err.strip().splitlines()[-1:] if err else ''}")
        results = [json.loads(o.read_text()) for o in outs if o.exists()]
        report(results, args)
        ok, info = compare_rebuilt(root, Path(tmp))
        print(f"index rebuilt vs live: {'MATCH' if ok else 'DIFFER'} ({info})")


def report(results: list[dict], args: argparse.Namespace) -> None:
    pace = f"think {args.think:.0f} ms after each call" if args.think else "back to back"
    print(f"\n{len(results)} of {args.procs} workers, {args.seconds:.0f} s, {args.records} records, {pace}; "
          f"{sum(r['rounds'] for r in results)} rounds; latency ms")
    print(f"{'operation':<10}{'count':>8}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    every: list[float] = []
    for op in OPS + ("overall",):
        v = every if op == "overall" else [x for r in results for x in r["lat"][op]]
        if op != "overall":
            every += v
        print(f"{op:<10}{len(v):>8}{pct(v, 50):>9.2f}{pct(v, 95):>9.2f}{pct(v, 99):>9.2f}{max(v, default=float('nan')):>9.2f}")
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    print(f"errors: {sum(errors.values())}" + "".join(f"\n  {n} x {k}" for k, n in errors.most_common()))
    if len(results) < args.procs:
        print(f"workers that did not report: {args.procs - len(results)}")
    worst = pct(every, 99)
    print(f"goal: p99 <= {GOAL_P99_MS:.0f} ms ({'met' if worst <= GOAL_P99_MS else 'MISSED'}: {worst:.1f}), 0 errors "
          f"({'met' if not errors else 'MISSED'})")
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
