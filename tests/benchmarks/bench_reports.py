"""Benchmark: statistics and exports over 10,000 completed records.

Run: .venv/bin/python tests/benchmarks/bench_reports.py [--records 10000] [--runs 3] [--keep DIR]

Goal (issue "Follow-up and group statistics"): stats and export each
<= 3 s and <= 300 MB for 10,000 records. Issue 15: every statistics table
(all sections, subgroups, the admins' quality table, disclosure control)
within 10 s and 300 MB at 50,000 records (--records 50000); the task
`stats-detail` prints where the time goes (reading the records, each
section's tables, disclosure control, each renderer).

How the data are made. A few interviews of each kind are done through the
real API (create_record / answer / complete, the same `fill` as the demo), so
their bodies are exactly what the program writes. The 10,000 records are
then cloned from those templates with varied background, ratings, dates and
units, and written *directly*: each body is encrypted with its own data key
exactly as `Session.create_record` does (`records.new_header` +
`records.encode_snapshot`), and the index documents come from
`index.index_doc` and are stored in one `index.replace_all`. Going through
the journal for 10,000 x 280 answers would take an hour of fsyncs and
measure nothing the reports do. The only shortcut: snapshot files are not
fsynced one by one.

Each measurement runs in a fresh child process, so that its peak memory
(ru_maxrss, the whole process: interpreter, imports and data) is its own.
Times exclude unlocking (the passphrase KDF), include everything else:
reading and decrypting every record, computing, rendering/writing, audit.
A separate run under tracemalloc reports the Python heap peak of each task.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

USER, PW = "anna", "benchmark-lösenfras-1"
ADMIN, ADMIN_PW = "chef", "benchmark-lösenfras-2"
RATINGS = ("M9", "E22", "D32", "D33", "L30", "F36", "P21")
UNITS = ("Enhet A", "Enhet B", "Mottagningen", "Beroendeenheten")


def _templates(session, rng: random.Random) -> dict[str, list[dict]]:
    from asi_tui.bank.registry import bundled_bank
    from asi_tui.demo import fill

    out: dict[str, list[dict]] = {"grund": [], "uppfoljning": [], "dropout": []}
    grund, uppf, bort = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning"), bundled_bank("asi-bortfall")
    for i in range(6):
        h = session.create_record(grund, f"T-{i}", date(2025, 1, 10), unit=UNITS[i % len(UNITS)])
        fill(h, rng, heavy=i % 2 == 0)
        h.complete()
        out["grund"].append(h.body)
        linked = {"rid": h.rid, "date": h.body["interview_date"]}
        h.close()
        if i < 3:
            h = session.create_record(uppf, f"T-{i}", date(2025, 9, 10), linked=linked, unit=UNITS[i % len(UNITS)])
            fill(h, rng, heavy=i % 2 == 1)
            h.complete()
            out["uppfoljning"].append(h.body)
            h.close()
    for i in range(2):
        h = session.create_record(bort, f"TB-{i}", date(2025, 3, 1), unit=UNITS[0])
        for item, value in (("SE.B.instrument", 1 + i), ("SE.B.orsak", "declined"), ("G10", 2), ("G16", 33),
                            ("SE.G.boende", 1), ("F4", 7), ("SE.E.huvudkalla", 6), ("M3", 0), ("SE.P.kontakt", 1),
                            ("D14", 9)):
            h.answer(item, value)
        h.complete()
        out["dropout"].append(h.body)
        h.close()
    return out


def _set(body: dict, item: str, value: object) -> None:
    if item in body["answers"]:
        body["answers"][item]["v"] = value


def make_data(root: Path, n: int) -> float:
    from asi_tui.store import Store
    from asi_tui.store import crypto as C
    from asi_tui.store.index import index_doc
    from asi_tui.store.records import Snapshot, encode_snapshot, new_header

    C.allow_test_kdf()
    store, _ = Store.init(root, ADMIN, "Chef", ADMIN_PW, unit_name=UNITS[0])
    admin = store.unlock(ADMIN, ADMIN_PW)
    for name in UNITS[1:]:
        admin.add_unit(name)
    admin.add_user(USER, "Anna", "interviewer", PW, certified=True, units=list(UNITS))
    admin.close()
    s = store.unlock(USER, PW)
    rng = random.Random(20261123)
    t0 = time.perf_counter()
    tpl = _templates(s, rng)
    tpl_json = {k: [json.dumps(b) for b in v] for k, v in tpl.items()}
    for p in root.joinpath("records").glob("*.rec"):  # the templates themselves are not part of the 10,000
        p.unlink()
    docs = []
    grunds: list[tuple[str, str, str]] = []
    start = date(2022, 1, 1)
    for i in range(n):
        r = rng.random()
        kind = "grund" if r < 0.6 or not grunds else "uppfoljning" if r < 0.85 else "dropout"
        body = json.loads(rng.choice(tpl_json[kind]))
        rid = secrets.token_hex(10)
        day = start + timedelta(days=rng.randrange(0, 1400))
        ref = f"BENCH-{i:05d}"
        if kind == "uppfoljning":
            g_rid, g_ref, g_day = rng.choice(grunds)
            ref = g_ref
            day = date.fromisoformat(g_day) + timedelta(days=rng.randrange(150, 400))
            body["linked"] = {"rid": g_rid, "date": g_day}
        body.update(rid=rid, client_ref=ref, interview_date=day.isoformat())
        _set(body, "G16", rng.randint(18, 80))
        _set(body, "G10", rng.choice((1, 1, 2, 2, 2, 3)))
        _set(body, "D14", rng.choice((0, 1, 1, 2, 3, 9, 9, 10, 16, {"code": "X"})))
        _set(body, "SE.G.boende", rng.randint(1, 9))
        _set(body, "SE.E.huvudkalla", rng.randint(1, 10))
        unit = s.find_unit(rng.choice(UNITS)).id
        body["unit"] = unit
        if kind == "dropout":
            _set(body, "SE.B.orsak", rng.choice(("acute", "psych", "declined", "staff", "unreachable", "no_routine")))
        else:
            for item in RATINGS:
                _set(body, item, rng.randint(0, 9))
        if kind == "grund":
            grunds.append((rid, ref, day.isoformat()))
        dek = C.random_key()
        header = new_header(rid, 1, 0, s.keys.write_gen, s.keys.key_for(s.keys.write_gen, unit), dek, unit)
        path = root / "records" / f"{rid}.rec"
        path.write_bytes(encode_snapshot(header, body, dek))
        path.chmod(0o660)
        docs.append(index_doc(Snapshot(header, body, dek)))
    s.index.replace_all(docs)
    s.close()
    return time.perf_counter() - t0


def child(task: str, root: str, out_dir: str, trace: bool) -> None:
    from asi_tui.store import crypto as C
    from asi_tui.store import Store

    C.allow_test_kdf()
    session = Store.open(Path(root)).unlock(ADMIN, ADMIN_PW)  # statistics and exports over every unit
    from asi_tui.i18n import Translator
    from asi_tui.reports import Filters, export_records, run_stats

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        import tracemalloc

        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    if task == "stats":
        report = run_stats(session, Filters(instrument=None), "sv")
        lines = report.text_lines(Translator("sv"))
        rows = report.table("groups.overview").n
        assert lines
    elif task == "stats-detail":
        rows = stats_detail(session, out_dir)
    else:
        fmt = task.split("-")[1]
        result = export_records(session, Path(out_dir) / f"bench.{fmt}", fmt, dropouts=True)
        rows = result.rows + (result.dropouts.rows if result.dropouts else 0)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    heap = None
    if trace:
        import tracemalloc

        heap = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    session.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "maxrss_mb": peak, "baseline_mb": base, "heap_mb": heap, "rows": rows}))


def stats_detail(session, out_dir: str) -> int:
    """Every statistics table at once, timed by phase; prints one line per phase to stderr."""
    from asi_tui.i18n import Translator
    from asi_tui.reports import Filters, load_dataset
    from asi_tui.reports.disclosure import protect_report
    from asi_tui.reports.stats import ALL_SECTIONS, Report, build_tables
    from asi_tui.reports.stats_xlsx import write_xlsx

    f, compare, t = Filters(instrument=None), ("young_women", "young_men"), Translator("sv")
    phases: list[tuple[str, float]] = []
    c = time.perf_counter()
    ds = load_dataset(session, quality=True)
    phases.append(("read records -> rows", time.perf_counter() - c))
    for key in ALL_SECTIONS:
        c = time.perf_counter()
        part = build_tables(ds, f, "sv", (key,), compare if key == "compare" else ())
        phases.append((f"tables {key} ({len(part.tables)})", time.perf_counter() - c))
    report: Report = build_tables(ds, f, "sv", ALL_SECTIONS, compare)
    c = time.perf_counter()
    protect_report(report.tables)
    hidden = sum(cell.suppressed for tb in report.tables for r in tb.rows for cell in r.cells)
    phases.append((f"disclosure control ({len(report.tables)} tables, {hidden} cells hidden)", time.perf_counter() - c))
    for name, render in (("text", lambda: report.text_lines(t)), ("json", report.to_json), ("csv", report.csv_rows),
                         ("xlsx", lambda: write_xlsx(report, Path(out_dir) / "stats.xlsx", t))):
        c = time.perf_counter()
        render()
        phases.append((f"render {name}", time.perf_counter() - c))
    for name, secs in phases:
        print(f"    {name:<52} {secs:6.2f} s", file=sys.stderr)
    return len(ds.rows)


def run_child(task: str, root: Path, out_dir: Path, trace: bool = False) -> dict:
    cmd = [sys.executable, __file__, "--child", task, str(root), str(out_dir)] + (["--trace"] if trace else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    if out.stderr.strip():
        print(out.stderr.rstrip())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-heap", action="store_true", help="Skip the (slow) tracemalloc runs.")
    ap.add_argument("--keep", type=Path, help="Build the data here (or reuse it if it exists).")
    ap.add_argument("--child", nargs=3, metavar=("TASK", "ROOT", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--exports", action="store_true", help="The export benchmark instead (see export_main).")
    ap.add_argument("--export-child", nargs=3, metavar=("TASK", "ROOT", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    if args.exports:
        export_main(args)
        return
    if args.child:
        child(*args.child, args.trace)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "data"
        if not (root / "vault.json").exists():
            print(f"making {args.records} records ...", flush=True)
            secs = make_data(root, args.records)
            print(f"  made in {secs:.1f} s (direct snapshot writes, see the docstring)")
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        print(f"{'task':<12} {'median s':>9} {'runs (s)':<20} {'cpu s':>6} {'peak RSS MB':>11} {'base MB':>8} "
              f"{'heap MB':>8} {'rows':>6}")
        for task in ("stats", "stats-detail", "export-csv", "export-xlsx"):
            runs = [run_child(task, root, out_dir) for _ in range(args.runs)]
            traced = {"heap_mb": float("nan")} if args.no_heap else run_child(task, root, out_dir, trace=True)
            med = statistics.median(r["seconds"] for r in runs)
            cpu = statistics.median(r["cpu"] for r in runs)
            peak = max(r["maxrss_mb"] for r in runs)
            times = ", ".join(f"{r['seconds']:.2f}" for r in runs)
            print(f"{task:<12} {med:>9.2f} {times:<20} {cpu:>6.2f} {peak:>11.0f} "
                  f"{runs[0]['baseline_mb']:>8.0f} {traced['heap_mb']:>8.0f} {runs[0]['rows']:>6}")
        print("goal: <= 3 s and <= 300 MB each at 10,000 records; every statistics table (stats-detail: all sections,")
        print("subgroups, quality, disclosure control, four renderers) <= 10 s and 300 MB at 50,000 records.")
        print("median s = wall clock; cpu s = median process CPU time (steadier")
        print("on a busy machine); peak RSS = the whole child process; base = RSS after imports and unlock;")
        print("heap = Python allocations of the task alone, from a separate tracemalloc run.")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")



# ----------------------------------------------------------------------------- exports (issue 15)
# .venv/bin/python tests/benchmarks/bench_reports.py --exports --records 50000 --runs 1 [--keep DIR]
# Goal: every export at 50,000 records within 10 s and 300 MB. `read` is the floor under every
# export: reading and decrypting the records and nothing else. `from-export` compiles the
# statistics from the CSV export (interviews and dropouts) that `export-csv` wrote.

EXPORT_TASKS = ("read", "export-csv", "export-xlsx", "export-sav", "export-dta", "from-export")


def export_child(task: str, root: str, out_dir: str) -> None:
    from asi_tui.store import crypto as C
    from asi_tui.store import Store

    C.allow_test_kdf()
    session = Store.open(Path(root)).unlock(ADMIN, ADMIN_PW)  # exports: analysts and admins
    from asi_tui.reports import Filters, build_report, export_records
    from asi_tui.reports.from_export import load_exports

    if task == "export-sav":
        import pandas  # noqa: F401  (imported before the baseline: the extra's own cost is shown apart)
        import pyreadstat  # noqa: F401
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, c0 = time.perf_counter(), time.process_time()
    if task == "read":
        rows = sum(1 for _ in session.read_bodies())
    elif task == "from-export":
        csv_out = Path(out_dir) / "bench.csv"
        ds = load_exports([csv_out, csv_out.with_name("bench.dropouts.csv")])
        report = build_report(ds, Filters(instrument=None), "sv")
        rows = len(ds.rows)
        assert report.tables
    else:
        fmt = task.split("-")[1]
        result = export_records(session, Path(out_dir) / f"bench.{fmt}", fmt, dropouts=True)
        rows = result.rows + (result.dropouts.rows if result.dropouts else 0)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    session.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "maxrss_mb": peak, "baseline_mb": base, "rows": rows}))


def export_main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "data"
        if not (root / "vault.json").exists():
            print(f"making {args.records} records ...", flush=True)
            print(f"  made in {make_data(root, args.records):.1f} s (direct snapshot writes, see the docstring)")
        out_dir = Path(tmp) / "out"
        out_dir.mkdir()
        print(f"{'task':<12} {'median s':>9} {'cpu s':>6} {'peak RSS MB':>11} {'base MB':>8} {'rows':>7}")
        for task in EXPORT_TASKS:
            cmd = [sys.executable, __file__, "--export-child", task, str(root), str(out_dir)]
            runs = []
            for _ in range(args.runs):
                out = subprocess.run(cmd, capture_output=True, text=True)
                if out.returncode:
                    print(f"{task:<12} failed: {out.stderr.strip().splitlines()[-1:]}")
                    break
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            if runs:
                print(f"{task:<12} {statistics.median(r['seconds'] for r in runs):>9.2f} "
                      f"{statistics.median(r['cpu'] for r in runs):>6.2f} {max(r['maxrss_mb'] for r in runs):>11.0f} "
                      f"{runs[0]['baseline_mb']:>8.0f} {runs[0]['rows']:>7}")
        sizes = {p.name: p.stat().st_size / 1e6 for p in sorted(out_dir.glob("bench.*"))}
        print("files (MB): " + ", ".join(f"{k} {v:.1f}" for k, v in sizes.items()))
        print("goal: <= 10 s and <= 300 MB each at 50,000 records. base = RSS after imports and unlock;")
        print("read = reading and decrypting the records only (the floor under every export).")
        print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
