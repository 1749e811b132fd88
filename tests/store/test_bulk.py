"""Bulk import in the store (`store/bulk.py`): validated whole before
anything is written, one snapshot per record, and no half record after a
failure or a kill -9 at any step of the write."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Store, faults
from asi_tui.store.bulk import BulkImporter, BulkSpec, ImportRefused
from asi_tui.store.errors import StorageIOError
from tests.batch_data import grund_answers

from store_helpers import child_env

DAY = date(2026, 1, 15)
ADMIN_PW, ANNA_PW = "admin passphrase 1", "anna passphrase 22"


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "data"
    store, _ = Store.init(root, "admin", "Admin", ADMIN_PW)
    s = store.unlock("admin", ADMIN_PW)
    s.add_user("anna", "Anna", "interviewer", ANNA_PW, certified=True)
    s.close()
    return root


@pytest.fixture(scope="module")
def answers():
    return grund_answers(3)


def files(root: Path) -> list[str]:
    """Record files, journals, temp files and record lock files (not the store's own locks)."""
    return sorted(str(p.relative_to(root)) for sub in ("records", "locks", "tmp", "journals")
                  for p in (root / sub).rglob("*")
                  if p.is_file() and (sub != "locks" or re.fullmatch(r"[0-9a-f]{20}\.lock", p.name)))


def test_prepare_refuses_a_bad_answer_and_writes_nothing(root, answers):
    s = Store.open(root).unlock("anna", ANNA_PW)
    before = files(root)
    bad = {**answers, "G16": 500, "NOPE": 1}
    with pytest.raises(ImportRefused) as exc:
        BulkImporter(s).prepare(BulkSpec(bundled_bank("asi-grund"), "K-1", DAY, bad, complete=True), "a.yaml")
    assert [p[0] for p in exc.value.problems] == ["NOPE", "G16"]
    assert files(root) == before and s.list_records() == []
    s.close()


@pytest.mark.parametrize("point", ["bulk.before_snapshot", "atomic.after_fsync_before_replace",
                                   "atomic.after_replace_before_dir_fsync", "bulk.after_snapshot", "bulk.after_index"])
def test_a_failure_midway_removes_the_record(root, answers, point):
    s = Store.open(root).unlock("anna", ANNA_PW)
    importer = BulkImporter(s)
    before = files(root)
    prepared = importer.prepare(BulkSpec(bundled_bank("asi-grund"), "K-1", DAY, answers, complete=True), "a.yaml")
    faults.arm(point, "eio")
    try:
        with pytest.raises(StorageIOError):
            importer.write(prepared)
    finally:
        faults.disarm_all()
    assert files(root) == before
    assert s.list_records() == []
    # and the next one goes through
    rid = importer.write(importer.prepare(BulkSpec(bundled_bank("asi-grund"), "K-2", DAY, answers, complete=True), "b"))
    assert [d["rid"] for d in s.list_records()] == [rid]
    s.close()


CHILD = r"""
import json, os, signal, sys
from datetime import date
from pathlib import Path
from asi_tui.store import crypto, faults, Store
crypto.allow_test_kdf()
from asi_tui.bank.registry import bundled_bank
from asi_tui.store.bulk import BulkImporter, BulkSpec
args = json.loads(sys.argv[1])
hits = {"n": 0}
real = faults.point
inside = {"on": False}  # atomic.* points count only in a record's snapshot write, not the store's other files
def point(name):
    if name == "bulk.before_snapshot":
        inside["on"] = True
    elif name == "bulk.after_snapshot":
        inside["on"] = False
    if name == args["point"] and (inside["on"] or not name.startswith("atomic.")):
        hits["n"] += 1
        if hits["n"] == args["nth"]:
            os.kill(os.getpid(), signal.SIGKILL)
    real(name)
faults.point = point
import asi_tui.store.fsutil as fsutil
fsutil.faults.point = point
s = Store.open(Path(args["root"])).unlock("anna", args["pw"])
importer = BulkImporter(s)
bank = bundled_bank("asi-grund")
for i in range(5):
    importer.write(importer.prepare(BulkSpec(bank, f"K-{i}", date(2026, 1, 15), args["answers"], complete=True), str(i)))
    print(i, flush=True)
"""


@pytest.mark.parametrize("point", ["bulk.before_snapshot", "atomic.after_write_before_fsync",
                                   "atomic.after_fsync_before_replace", "atomic.after_replace_before_dir_fsync",
                                   "bulk.after_snapshot", "bulk.after_index"])
def test_kill_9_in_the_middle_of_a_batch_leaves_whole_records_or_none(root, answers, point):
    args = {"root": str(root), "pw": ANNA_PW, "answers": answers, "point": point, "nth": 3}
    proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(args)], capture_output=True, text=True, timeout=120,
                          env=child_env())
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert proc.stdout.split() == ["0", "1"]
    s = Store.open(root).unlock("admin", ADMIN_PW)  # opening sweeps the temp directory
    listed = {d["rid"]: d for d in s.list_records()}
    on_disk = sorted(p.stem for p in (root / "records").glob("*.rec"))
    assert len(listed) >= 2 and set(listed) <= set(on_disk)
    # every record file there is holds the whole interview, completed
    for rid in on_disk:
        h = s.open_record(rid, readonly=True, reason="check")
        assert h.status == "completed" and len(h.interview.answers) == len(answers), point
        h.close(log=False)
    if point in ("bulk.after_snapshot", "atomic.after_replace_before_dir_fsync"):
        # killed after the rename: complete on disk, listed after an index rebuild
        assert len(on_disk) == 3
    elif point == "bulk.after_index":
        assert len(listed) == 3
    else:
        assert len(on_disk) == 2 and len(listed) == 2
    s.rebuild_index()
    assert len(s.list_records()) == len(on_disk)
    # at most an encrypted temp file of the killed write: never a record, swept at a later start once old enough
    assert all(p.name.endswith(".tmp") for p in (root / "tmp").iterdir())
    s.close()
