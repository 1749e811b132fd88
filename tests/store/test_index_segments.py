"""The partitioned index (store/segments.py, store/index.py, issue 16): a torn
log tail, compaction cut short at every step, two processes compacting at
once, readers that follow other processes' appends and compactions, the
one-file index of earlier versions, and a unit's partition closed to the
keys of other units. Real files in tmp_path; failures injected with the
store's fault points."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest

from asi_tui.store import faults, segments
from asi_tui.store import crypto as C
from asi_tui.store.errors import StoreError
from asi_tui.store.index import AD, MAGIC
from asi_tui.store.locks import exclusive
from asi_tui.store.segments import IndexDamaged, Partition

from store_helpers import ADMIN, ANNA, BASIC_ANSWERS, INTERVIEW_DATE, child_cmd, child_env, index_live, index_partition


def _summary(docs):  # noqa: ANN001
    return sorted((d["rid"], d["status"], tuple(d["hwm"]), d["client_ref"]) for d in docs)


def _records(env, bank, n, session=None, start=0):  # noqa: ANN001
    s = session or env.session(ANNA)
    return [env.make_record(bank, BASIC_ANSWERS[:2], session=s, client_ref=f"K-{start + i}", pause=i % 2 == 0) for i in range(n)]


def _epochs(root):  # noqa: ANN001
    """The epochs whose files lie in the partition."""
    return sorted({int(p.name.split(".")[1]) for p in index_partition(root).iterdir() if p.name[:4] in ("base", "log.")})


@pytest.fixture
def small_logs(monkeypatch):
    """Compaction after a handful of appends instead of thousands."""
    monkeypatch.setattr(segments, "COMPACT_MIN_FRAMES", 6)


@pytest.fixture(autouse=True)
def _disarm():
    yield
    faults.disarm_all()


# --------------------------------------------------------------------------- torn tail


@pytest.mark.parametrize("tail", ["half-frame", "length-only", "garbage-frame"])
def test_a_torn_log_tail_is_ignored_by_readers_and_cut_by_the_next_writer(env, bank, tail):
    rids = _records(env, bank, 3)
    before = _summary(env.admin.list_records())
    log = index_live(env.root, "log")
    data = log.read_bytes()
    frame = data[-200:]  # the tail of the last frame, as bytes a crashed append could leave
    torn = {"half-frame": struct.pack(">I", 300) + frame[:120],
            "length-only": struct.pack(">I", 300)[:3],
            "garbage-frame": struct.pack(">I", 40) + os.urandom(40)}[tail]
    log.write_bytes(data + torn)
    assert _summary(env.session(ANNA).list_records()) == before  # no error, nothing lost
    rid = _records(env, bank, 1, start=10)[0]  # the next append cuts the torn bytes first
    after = env.session(ADMIN).list_records()
    assert sorted(d["rid"] for d in after) == sorted(rids + [rid])
    fresh = env.session(ANNA)
    fresh.list_records()
    assert fresh.index.partitions["enheten"].offset == index_live(env.root, "log").stat().st_size  # cut, then appended
    assert env.session(ADMIN).rebuild_index().clean
    assert _summary(env.session(ADMIN).list_records()) == _summary(after)


def test_frames_cannot_be_swapped_within_the_log(env, bank):
    _records(env, bank, 2)
    log = index_live(env.root, "log")
    data = log.read_bytes()
    pos = 12 + struct.unpack_from(">I", data, 8)[0]
    frames = []
    while pos < len(data):
        n = struct.unpack_from(">I", data, pos)[0]
        frames.append(data[pos : pos + 4 + n])
        pos += 4 + n
    assert len(frames) >= 3
    head = data[: len(data) - sum(map(len, frames))]
    log.write_bytes(head + frames[1] + frames[0] + b"".join(frames[2:]))
    with pytest.raises(IndexDamaged):
        env.session(ADMIN).list_records()


# --------------------------------------------------------------------------- compaction


def test_compaction_keeps_every_document_and_leaves_one_epoch(env, bank, small_logs):
    anna = env.session(ANNA)
    rids = _records(env, bank, 8, session=anna)
    assert _epochs(env.root) == [max(_epochs(env.root))] and max(_epochs(env.root)) > 1  # compacted, cleaned
    assert sorted(d["rid"] for d in env.session(ADMIN).list_records()) == sorted(rids)
    live = _summary(env.session(ADMIN).list_records())
    assert env.session(ADMIN).rebuild_index().clean
    assert _summary(env.session(ADMIN).list_records()) == live


STEPS = ["atomic.after_write_before_fsync", "index.compact.after_base", "index.compact.after_log",
         "index.compact.after_current", "index.compact.before_cleanup"]


@pytest.mark.parametrize("point", STEPS)
def test_compaction_cut_short_at_any_step_loses_nothing(env, bank, small_logs, monkeypatch, point):
    anna = env.session(ANNA)
    rids = _records(env, bank, 3, session=anna)
    part = anna.index.partitions["enheten"]
    epoch = part.epoch
    faults.arm(point, "eio")
    with pytest.raises((OSError, StoreError)):
        part.compact(anna.keys.write_gen)
    faults.disarm_all()
    # a fresh process reads the old epoch (cut before the switch) or the new one (after it), whole
    fresh = env.session(ADMIN)
    assert sorted(d["rid"] for d in fresh.list_records()) == sorted(rids)
    switched = point in ("index.compact.after_current", "index.compact.before_cleanup")
    assert int((index_partition(env.root) / "CURRENT").read_text()) == (epoch + 1 if switched else epoch)
    # writing goes on, and the next compaction removes what was left behind
    more = _records(env, bank, 6, session=anna, start=10)
    assert sorted(d["rid"] for d in env.session(ADMIN).list_records()) == sorted(rids + more)
    assert len(_epochs(env.root)) == 1
    assert sorted(d["rid"] for d in anna.list_records()) == sorted(rids + more)


def test_a_second_compactor_does_not_wait_and_appends_go_on(env, bank):
    anna = env.session(ANNA)
    _records(env, bank, 2, session=anna)
    part = anna.index.partitions["enheten"]
    with exclusive(part.compact_lock):  # another process compacting this partition
        assert part.compact(anna.keys.write_gen) is False
        rid = _records(env, bank, 1, session=anna, start=5)[0]
    assert rid in {d["rid"] for d in env.session(ADMIN).list_records()}


COMPACTING_WRITER = r"""
from asi_tui.bank.registry import bundled_bank
from asi_tui.store import segments
segments.COMPACT_MIN_FRAMES = 4
s = Store.open(ROOT).unlock(ARGS["user"], ARGS["pw"])
bank = bundled_bank("asi-grund")
rids = []
for i in range(ARGS["n"]):
    h = s.create_record(bank, f"{ARGS['prefix']}-{i}", date.fromisoformat(ARGS["day"]))
    h.answer("G4", "1")
    h.pause()
    h.close()
    rids.append(h.rid)
    s.index.partitions["enheten"].compact(s.keys.write_gen)  # every process tries, all the time
out(rids=rids, seen=sorted(d["rid"] for d in s.list_records()))
"""


def test_two_processes_writing_and_compacting_at_once_lose_nothing(env, bank):
    from store_helpers import ANNA_PW

    procs = [subprocess.Popen(child_cmd(COMPACTING_WRITER, root=str(env.root), user=ANNA, pw=ANNA_PW, n=12, prefix=p,
                                        day=INTERVIEW_DATE.isoformat()),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
             for p in ("A", "B")]
    outs = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0, stderr
        outs.append(json.loads(stdout.strip().splitlines()[-1]))
    written = sorted(r for o in outs for r in o["rids"])
    assert len(written) == 24
    for o in outs:  # each saw at least its own, and everything the other had written before
        assert set(o["rids"]) <= set(o["seen"])
    live = env.session(ADMIN).list_records()
    assert sorted(d["rid"] for d in live) == written
    assert all(d["status"] == "paused" for d in live)
    assert len(_epochs(env.root)) == 1
    report = env.session(ADMIN).rebuild_index()
    assert report.clean and report.records == 24
    assert _summary(env.session(ADMIN).list_records()) == _summary(live)


# --------------------------------------------------------------------------- readers


def test_a_reader_follows_appends_and_a_compaction_without_reading_the_base_again(env, bank, small_logs, monkeypatch):
    reader = env.session(ADMIN)
    writer = env.session(ANNA)
    first = _records(env, bank, 2, session=writer)
    assert sorted(d["rid"] for d in reader.list_records()) == sorted(first)
    reads = []
    original = Partition._read_base
    monkeypatch.setattr(Partition, "_read_base", lambda self, epoch: reads.append(epoch) or original(self, epoch))
    more = []
    for i in range(12):  # the writer compacts on the way; the reader looks now and then
        more += _records(env, bank, 1, session=writer, start=10 + i)
        if i % 3 == 2:
            assert sorted(d["rid"] for d in reader.list_records()) == sorted(first + more)
    assert max(_epochs(env.root)) > 2
    assert reads == []  # it had read as far as the new base: the copied events were enough


def test_a_reader_that_fell_behind_a_compaction_reads_the_new_base(env, bank, small_logs):
    reader = env.session(ADMIN)
    reader.list_records()
    writer = env.session(ANNA)
    rids = _records(env, bank, 14, session=writer)  # several compactions while the reader slept
    assert sorted(d["rid"] for d in reader.list_records()) == sorted(rids)


def test_the_log_cut_below_what_a_reader_has_read_is_damage(env, bank):
    reader = env.session(ADMIN)
    _records(env, bank, 3)
    reader.list_records()
    log = index_live(env.root, "log")
    log.write_bytes(log.read_bytes()[:-1])
    with pytest.raises(IndexDamaged):
        reader.list_records()


# --------------------------------------------------------------------------- need to know


def test_a_units_partition_opens_with_that_units_keys_only(env, bank):
    env.admin.add_unit("Mottagningen")
    env.admin.add_user("maja", "Maja", "interviewer", "majas-egna-fras-42", certified=True, units=["Mottagningen"])
    _records(env, bank, 2)  # anna's unit
    maja = env.session("maja", "majas-egna-fras-42")
    h = maja.create_record(bank, "M-1", INTERVIEW_DATE)
    h.close()
    assert [d["client_ref"] for d in maja.list_records()] == ["M-1"]
    assert "enheten" not in maja.index.partitions  # never read, let alone decrypted
    theirs = index_live(env.root, "log", "enheten").parent
    maja_keys = [maja.keys.index_key(u, g) for g in maja.keys.unit_keys for u in maja.keys.unit_keys[g]]
    for key in maja_keys:
        part = Partition(theirs.parent, env.root / "locks", env.root / "tmp", "enheten", lambda gen, k=key: k,
                         lambda old, new: None)
        with pytest.raises(IndexDamaged):
            part.refresh()
    assert {d["client_ref"] for d in env.session(ANNA).list_records()} == {"K-0", "K-1"}


# --------------------------------------------------------------------------- earlier versions


def _write_legacy(env, docs):  # noqa: ANN001
    """The one-file index of earlier versions: TinyDB JSON sealed under the generation's index key."""
    ik = env.admin.keys.ik
    table = {str(i + 1): d for i, d in enumerate(docs)}
    plain = json.dumps({"_default": table}).encode()
    (env.root / "index.db").write_bytes(MAGIC + C.seal(ik, plain, AD))


def test_the_one_file_index_of_earlier_versions_is_read_then_replaced(env, bank):
    rids = _records(env, bank, 3)
    docs = env.admin.list_records()
    import shutil

    shutil.rmtree(env.root / "index")
    _write_legacy(env, docs)
    anna = env.session(ANNA)
    assert _summary(anna.list_records()) == _summary(docs)  # read as it is
    new = _records(env, bank, 1, session=anna, start=10)  # the first write starts the partition from it
    assert sorted(d["rid"] for d in env.session(ANNA).list_records()) == sorted(rids + new)
    report = env.session(ADMIN).rebuild_index()
    assert report.clean and not (env.root / "index.db").exists()
    assert sorted(d["rid"] for d in env.session(ANNA).list_records()) == sorted(rids + new)


def test_an_oversized_index_entry_is_refused_in_one_line(env, bank):
    anna = env.session(ANNA)
    with pytest.raises(StoreError) as exc:
        anna.index.upsert({"rid": "r" * 20, "unit": "enheten", "client_ref": "x" * (segments.MAX_FRAME + 1)})
    assert exc.value.key == "store.error.index_entry_too_large"


def test_a_planted_partition_name_is_never_opened(env, bank):
    (env.root / "index" / "..evil").mkdir(parents=True)
    os.symlink("/etc", env.root / "index" / "etc")
    _records(env, bank, 1)
    assert len(env.session(ADMIN).list_records()) == 1
