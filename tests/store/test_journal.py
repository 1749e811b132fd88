"""The autosave journal: torn tails, garbage and tampered frames
(storage-design §3.3, §3.6 #7 #8)."""

from __future__ import annotations

import os
import struct

import pytest

from asi_tui.store.errors import NewerFormat, RecordDamaged

from store_helpers import (
    BASIC_ANSWERS,
    INTERVIEW_DATE,
    JNL_HEADER,
    frame_boundaries,
    join_journal,
    journal_frames,
    values,
)

TORN = "store.notice.torn_tail"
N_ANSWERS = 6
ANSWERS = BASIC_ANSWERS[:N_ANSWERS]
ITEMS = [i for i, _ in BASIC_ANSWERS]


def _expected(k: int) -> dict:
    """Values after replaying the first k frames."""
    got = dict(ANSWERS[:k])
    return {i: got.get(i) for i in ITEMS}


@pytest.fixture
def journalled(env, bank):
    """A record whose answers live only in its gen-0 journal (never paused)."""
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    for item, value in ANSWERS:
        assert h.answer(item, value).ok
    h.close()
    path = env.jnl_path(h.rid, 0)
    data = path.read_bytes()
    assert len(journal_frames(data)) == N_ANSWERS
    return h.rid, path, data


def _open(env, rid, readonly=False):  # noqa: ANN001
    return env.admin.open_record(rid, readonly=readonly)


# --------------------------------------------------------------------------- #7 torn tails


def test_journal_truncated_at_every_offset_keeps_the_valid_prefix(env, journalled):
    rid, path, data = journalled
    bounds = frame_boundaries(data)  # [8, end of frame 1, ..., end of frame 6]
    for cut in range(len(data) + 1):
        path.write_bytes(data[:cut])
        complete = sum(1 for b in bounds[1:] if b <= cut)
        clean = cut == 0 or cut in bounds
        h = _open(env, rid)
        try:
            assert values(h, ITEMS) == _expected(complete), cut
            assert (TORN in h.notices) == (not clean), (cut, h.notices)
            # the torn tail is cut off at once, down to the last whole frame
            assert path.read_bytes() == (data[: bounds[complete]] if not clean else data[:cut]), cut
        finally:
            h.close()


@pytest.mark.parametrize("cut_in_frame", [2, 5])
def test_work_continues_normally_after_a_torn_tail(env, journalled, cut_in_frame):
    rid, path, data = journalled
    bounds = frame_boundaries(data)
    path.write_bytes(data[: bounds[cut_in_frame] + 7])  # 7 bytes into frame cut_in_frame+1
    h = _open(env, rid)
    assert TORN in h.notices
    assert h.answer("E2", 42).ok
    assert h.answer("E13", 99).ok
    h.close()
    again = _open(env, rid)
    expected = {**_expected(cut_in_frame), "E2": 42, "E13": 99}
    assert values(again, ITEMS) == expected
    assert again.notices == []
    again.pause()
    again.close()
    assert values(_open(env, rid, readonly=True), ITEMS) == expected


@pytest.mark.parametrize(
    "tail",
    [
        os.urandom(1),
        os.urandom(3),
        os.urandom(200),
        b"\x00" * 4096,  # zero-filled tail (a crash after the file grew)
        struct.pack(">I", 60) + os.urandom(60),  # a whole-looking frame of garbage
        struct.pack(">I", 60) + os.urandom(20),  # a length prefix promising more than is there
        struct.pack(">I", 0xFFFFFFFF),
    ],
    ids=["1-byte", "3-bytes", "200-random", "zero-fill", "garbage-frame", "short-frame", "huge-length"],
)
def test_garbage_after_the_last_frame_is_cut_with_a_notice(env, journalled, tail):
    rid, path, data = journalled
    path.write_bytes(data + tail)
    ro = _open(env, rid, readonly=True)
    assert values(ro, ITEMS) == _expected(N_ANSWERS)
    assert TORN in ro.notices
    assert path.read_bytes() == data + tail  # a read-only view repairs nothing
    h = _open(env, rid)
    assert values(h, ITEMS) == _expected(N_ANSWERS) and TORN in h.notices
    assert path.read_bytes() == data
    assert h.answer("E14", 5).ok
    h.close()
    assert _open(env, rid, readonly=True).interview.value("E14") == 5


def test_torn_tail_repair_is_audited(env, journalled):
    rid, path, data = journalled
    path.write_bytes(data[:-5])
    _open(env, rid).close()
    repairs = [e for e in env.admin.audit_entries() if e.get("action") == "journal-repair" and e.get("rid") == rid]
    assert len(repairs) == 1


# --------------------------------------------------------------------------- #7 garbage in the middle


@pytest.mark.parametrize("bad", [0, 2, 4])
def test_garbage_frame_followed_by_valid_frames_is_damage(env, journalled, bad):
    rid, path, data = journalled
    frames = journal_frames(data)
    frames[bad] = frames[bad][:4] + os.urandom(len(frames[bad]) - 4)
    tampered = join_journal(frames)
    path.write_bytes(tampered)
    for readonly in (True, False):
        with pytest.raises(RecordDamaged):
            _open(env, rid, readonly=readonly)
    assert path.read_bytes() == tampered  # never silently truncated


@pytest.mark.parametrize("where", [0, 3, 5])
def test_garbage_inserted_between_frames_is_damage(env, journalled, where):
    rid, path, data = journalled
    frames = journal_frames(data)
    frames.insert(where, os.urandom(37))
    tampered = join_journal(frames)
    path.write_bytes(tampered)
    with pytest.raises(RecordDamaged):
        _open(env, rid)
    assert path.read_bytes() == tampered


@pytest.mark.parametrize("index", [0, 2, 4])
def test_single_bit_flip_inside_a_frame_before_the_last_is_damage(env, journalled, index):
    rid, path, data = journalled
    frames = journal_frames(data)
    f = bytearray(frames[index])
    f[len(f) // 2] ^= 0x10
    frames[index] = bytes(f)
    path.write_bytes(join_journal(frames))
    with pytest.raises(RecordDamaged):
        _open(env, rid)


def test_bad_journal_magic_is_damage_and_newer_journal_format_is_refused(env, journalled):
    rid, path, data = journalled
    path.write_bytes(b"XSIJNL\n\x01" + data[len(JNL_HEADER) :])
    with pytest.raises(RecordDamaged):
        _open(env, rid)
    newer = b"ASIJNL\n\x02" + data[len(JNL_HEADER) :]
    path.write_bytes(newer)
    with pytest.raises(NewerFormat):
        _open(env, rid)
    assert path.read_bytes() == newer


# --------------------------------------------------------------------------- #8 frames moved


@pytest.mark.parametrize("pair", [(0, 1), (2, 3), (1, 4), (4, 5)])
def test_reordered_frames_are_damage(env, journalled, pair):
    rid, path, data = journalled
    frames = journal_frames(data)
    i, j = pair
    frames[i], frames[j] = frames[j], frames[i]
    path.write_bytes(join_journal(frames))
    with pytest.raises(RecordDamaged):
        _open(env, rid)


@pytest.mark.parametrize("index", [0, 2, 4])
def test_duplicated_frame_is_damage(env, journalled, index):
    rid, path, data = journalled
    frames = journal_frames(data)
    frames.insert(index + 1, frames[index])
    path.write_bytes(join_journal(frames))
    with pytest.raises(RecordDamaged):
        _open(env, rid)


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_frame_deleted_in_the_middle_is_damage(env, journalled, index):
    rid, path, data = journalled
    frames = journal_frames(data)
    del frames[index]
    tampered = join_journal(frames)
    path.write_bytes(tampered)
    with pytest.raises(RecordDamaged):
        _open(env, rid)
    assert path.read_bytes() == tampered


def test_penultimate_frame_deleted_is_damage_not_a_torn_tail(env, journalled):
    rid, path, data = journalled
    frames = journal_frames(data)
    del frames[N_ANSWERS - 2]
    tampered = join_journal(frames)
    path.write_bytes(tampered)
    with pytest.raises(RecordDamaged):
        _open(env, rid)
    assert path.read_bytes() == tampered  # the last acknowledged answer is still on disk


def test_block_of_frames_deleted_in_the_middle_is_damage(env, bank):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    for item, value in BASIC_ANSWERS:  # 8 frames
        assert h.answer(item, value).ok
    h.close()
    path = env.jnl_path(h.rid, 0)
    frames = journal_frames(path.read_bytes())
    tampered = join_journal(frames[:1] + frames[5:])  # frames 2-5 gone, 6-8 left
    path.write_bytes(tampered)
    with pytest.raises(RecordDamaged):
        _open(env, h.rid)
    assert path.read_bytes() == tampered


def test_frame_moved_from_another_record_is_damage(env, bank, journalled):
    rid, path, data = journalled
    other = env.admin.create_record(bank, "K-2", INTERVIEW_DATE)
    for item, value in ANSWERS:
        assert other.answer(item, value).ok
    other.close()
    foreign = journal_frames(env.jnl_path(other.rid, 0).read_bytes())
    frames = journal_frames(data)
    frames[2] = foreign[2]  # same seq, same item and value, other record
    path.write_bytes(join_journal(frames))
    with pytest.raises(RecordDamaged):
        _open(env, rid)


def test_journal_of_an_older_generation_is_never_replayed(env, journalled):
    """Frames of a pre-pause journal put under the current generation's name
    must not be applied (gen is in every frame's AD)."""
    rid, path, data = journalled
    h = _open(env, rid)
    assert h.answer("E2", 9).ok
    h.pause()  # snapshot gen 1 holds E2=9; the gen-0 journal (E2=3) is deleted
    h.close()
    assert not path.exists()
    env.jnl_path(rid, 1).write_bytes(data)
    try:
        again = _open(env, rid)
    except RecordDamaged:
        return
    assert values(again, ITEMS) == {**_expected(N_ANSWERS), "E2": 9}
    assert TORN in again.notices
