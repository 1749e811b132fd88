"""`index rebuild` reads the record files on several processes (rebuild_read.py):
the index and the report must be exactly what one process gives, damaged
records, lost journal answers and all; and a process with other threads (the
TUI) must never fork."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from asi_tui.store import rebuild_read

from store_helpers import ADMIN, ADMIN_PW, BASIC_ANSWERS, flip_bit

ROOT = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: the test process of a parallel suite has threads
# of its own, and a rebuild there (rightly) never forks.
SCRIPT = """
import json, multiprocessing, sys
from pathlib import Path
from asi_tui.store import Store, crypto, rebuild_read
crypto.allow_test_kdf()
rebuild_read.MIN_PARALLEL = 1
rebuild_read.CHUNK = 2
forks = []
real = multiprocessing.get_context
rebuild_read.multiprocessing.get_context = lambda m=None: forks.append(m) or real(m)
root, user, pw = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
out = {}
for workers in (1, 2):
    s = Store.open(root).unlock(user, pw)
    r = s.rebuild_index(workers=workers)
    s.close()
    s = Store.open(root).unlock(user, pw)
    out[workers] = {"report": [r.records, r.damaged, r.older, r.lost, r.missing],
                    "index": sorted(s.index.all(), key=lambda d: d["rid"])}
    s.close()
out["forks"] = forks
print(json.dumps(out))
"""


def test_parallel_rebuild_gives_what_one_process_gives(env, bank) -> None:
    rids = [env.make_record(bank, BASIC_ANSWERS[: 2 + i % 5], client_ref=f"K-{i:04}", pause=i % 2 == 0)
            for i in range(9)]
    damaged = rids[1]
    p = env.rec_path(damaged)
    p.write_bytes(flip_bit(p.read_bytes(), len(p.read_bytes()) - 1))
    lost = rids[3]  # closed without pausing: its answers are in its journal only
    jnl = env.jnl_path(lost, 0)
    jnl.write_bytes(jnl.read_bytes()[:16])  # the header alone: acknowledged answers gone
    run = subprocess.run([sys.executable, "-c", SCRIPT, str(env.root), ADMIN, ADMIN_PW], capture_output=True,
                         text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert out["forks"] == ["fork"]  # the second rebuild did run on worker processes
    one, two = out["1"], out["2"]
    assert one["report"][0] == 8 and one["report"][1] == [damaged]
    assert [entry[0] for entry in one["report"][3]] == [lost]
    assert two["report"] == one["report"]
    assert two["index"] == one["index"] and len(one["index"]) == 8


def test_a_process_with_threads_reads_in_process(env, bank, monkeypatch) -> None:
    for i in range(3):
        env.make_record(bank, BASIC_ANSWERS[:2], client_ref=f"K-{i}")
    monkeypatch.setattr(rebuild_read, "MIN_PARALLEL", 1)
    forks = []
    monkeypatch.setattr(rebuild_read.multiprocessing, "get_context", lambda m=None: forks.append(m))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # as the TUI has: a fork could inherit its locks
    other.start()
    try:
        report = env.admin.rebuild_index(workers=4)
    finally:
        stop.set()
        other.join()
    assert forks == [] and report.records == 3 and report.clean
