"""Record snapshots and their lifecycle (storage-design §3.3, §3.6 #4 #5 #6 #16)."""

from __future__ import annotations

import json
import struct

import pytest

from asi_tui.engine.values import N
from asi_tui.store import Store
from asi_tui.store import records as R
from asi_tui.store.errors import (
    NewerFormat,
    NotAuthorized,
    RecordDamaged,
    RecordLocked,
    RecordNotFound,
    RecordRolledBack,
    StoreError,
    WrongPassphrase,
)

from store_helpers import (
    delete_index,
    ADMIN,
    ANNA,
    BASIC_ANSWERS,
    INTERVIEW_DATE,
    REC_MAGIC,
    all_files,
    fill_to_complete,
    flip_bit,
    rec_header_span,
    values,
)

ITEMS = [i for i, _ in BASIC_ANSWERS]
EXPECTED = dict(BASIC_ANSWERS)


@pytest.fixture
def paused_rid(env, bank) -> str:
    return env.make_record(bank, BASIC_ANSWERS[:4], pause=True)


def _open_fails_with(env, rid, exc_type, readonly=False):  # noqa: ANN001
    with pytest.raises(exc_type):
        env.admin.open_record(rid, readonly=readonly, reason="check")


# --------------------------------------------------------------------------- answers survive


def test_answers_survive_pause_and_reopen(env, bank):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    for item, value in BASIC_ANSWERS[:4]:
        assert h.answer(item, value).ok
    h.pause()
    for item, value in BASIC_ANSWERS[4:]:
        assert h.answer(item, value).ok
    h.pause()
    h.close()
    s = env.session(ANNA)
    again = s.open_record(h.rid)
    assert values(again, ITEMS) == EXPECTED
    assert again.status == "paused" and again.notices == []
    assert [d["status"] for d in s.list_records() if d["rid"] == h.rid] == ["paused"]


def test_answers_survive_close_without_pause_through_the_journal(env, bank):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    for item, value in BASIC_ANSWERS[:3]:
        assert h.answer(item, value).ok
    h.pause()
    for item, value in BASIC_ANSWERS[3:]:
        assert h.answer(item, value).ok
    assert h.answer("E2", 9).ok  # a correction: the later value wins
    h.close()  # no pause: the last answers exist only as journal frames
    assert env.jnl_path(h.rid, 1).stat().st_size > 8
    again = env.session(ADMIN).open_record(h.rid, reason="check")
    assert values(again, ITEMS) == {**EXPECTED, "E2": 9}
    assert again.notices == []


def test_answer_made_by_a_dropped_handle_is_on_disk(env, bank):
    """No close, no pause: an acknowledged answer is already durable."""
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 44).ok
    h.writer.close()
    h.lock.release()  # what the kernel does when the process dies
    assert env.session(ANNA).open_record(h.rid, readonly=True).interview.value("G16") == 44


def test_hidden_items_are_n_after_reopen(env, bank):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    assert h.answer("M1", 0).ok  # hides M2
    assert h.answer("E3", 1).ok
    assert h.answer("E3s", "hemlig text").ok
    assert "E3s" in h.answer("E3", 0).hidden  # hides E3s again
    h.pause()
    assert h.answer("E8", 0).ok  # hides E9, only in the journal
    h.close()
    again = env.session(ADMIN).open_record(h.rid, reason="check")
    for item in ("M2", "E3s", "E9"):
        assert again.interview.value(item) is N, item
        assert not again.interview.is_visible(item), item
    assert again.answer("E3", 1).ok  # shown again, and empty
    assert again.interview.is_visible("E3s") and again.interview.value("E3s") is None


def test_completed_record_refuses_answers(env, bank):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    fill_to_complete(h)
    h.complete()
    with pytest.raises(StoreError) as info:
        h.answer("E2", 5)
    assert info.value.key == "engine.invalid.completed"
    h.close()
    snapshot = env.rec_path(h.rid).read_bytes()
    again = env.session(ADMIN).open_record(h.rid, reason="check")
    assert again.status == "completed"
    with pytest.raises(StoreError):
        again.answer("E2", 5)
    with pytest.raises(StoreError):
        again.clear("E2")
    assert again.interview.value("E2") != 5
    again.close()
    assert env.rec_path(h.rid).read_bytes() == snapshot
    assert [d["status"] for d in env.admin.list_records() if d["rid"] == h.rid] == ["completed"]


# --------------------------------------------------------------------------- delete


def test_delete_record_removes_files_and_index_entry(env, bank):
    keep = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-keep")
    rid = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-gone", pause=True)
    h = env.admin.open_record(rid, reason="check")
    assert h.answer("E4", 1).ok  # leave a journal with a frame
    h.close()
    env.admin.delete_record(rid)
    leftovers = [p.name for p in all_files(env.root) if rid in p.name]
    assert leftovers == []
    assert [d["rid"] for d in env.admin.list_records()] == [keep]
    with pytest.raises(RecordNotFound):
        env.admin.open_record(rid, reason="check")
    assert [d["rid"] for d in env.session(ANNA).list_records()] == [keep]
    assert any(e.get("action") == "delete" and e.get("rid") == rid for e in env.admin.audit_entries())


def test_interviewer_cannot_delete(env, bank):
    anna = env.session(ANNA)
    rid = env.make_record(bank, BASIC_ANSWERS[:2], session=anna)
    before = env.rec_path(rid).read_bytes()
    with pytest.raises(NotAuthorized):
        anna.delete_record(rid)
    assert env.rec_path(rid).read_bytes() == before
    assert [d["rid"] for d in anna.list_records()] == [rid]
    assert anna.open_record(rid).interview.value("G16") == 30


def test_record_open_elsewhere_cannot_be_deleted(env, bank):
    rid = env.make_record(bank, BASIC_ANSWERS[:2])
    h = env.session(ANNA).open_record(rid)
    with pytest.raises(RecordLocked):
        env.admin.delete_record(rid)
    assert h.answer("E4", 1).ok
    h.close()
    assert env.admin.open_record(rid, readonly=True, reason="check").interview.value("E4") == 1


# --------------------------------------------------------------------------- no plaintext


def test_client_data_never_appears_in_plaintext_on_disk(env, bank):
    client = "SENTINEL-CLIENT-7741"
    answer = "SENTINEL-SVAR-Åsa-7741"
    passphrase = "SENTINEL-FRAS-7741"
    env.admin.add_user("sara", "Sara", "interviewer", passphrase, certified=True)
    sara = env.session("sara", passphrase)
    h = sara.create_record(bank, client, INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    assert h.answer("E3", 1).ok
    assert h.answer("E3s", answer).ok
    h.pause()
    assert h.answer("E3s", answer + "-2").ok  # a journal frame too
    h.close()
    sara.open_record(h.rid, readonly=True).close()
    with pytest.raises(WrongPassphrase):  # a failed unlock leaves a pending audit event
        Store.open(env.root).unlock("sara", "SENTINEL-FEL-7741")
    env.admin.rebuild_index()
    admin = env.session(ADMIN)
    assert any(e.get("client") == client for e in admin.audit_entries())
    assert admin.open_record(h.rid, readonly=True, reason="check").interview.value("E3s") == answer + "-2"

    needles = []
    for s in (client, answer, passphrase):
        needles += [s.encode("utf-8"), s.encode("utf-16-le"), json.dumps(s).encode()[1:-1]]
    hits = [(str(p.relative_to(env.root)), n) for p in all_files(env.root) for n in needles if n in p.read_bytes()]
    assert hits == []
    assert list((env.root / "tmp").iterdir()) == []


# --------------------------------------------------------------------------- #4 tampering


def test_every_single_bit_flip_in_a_snapshot_is_detected(env, paused_rid):
    path = env.rec_path(paused_rid)
    original = path.read_bytes()
    for i in range(len(original)):
        for bit in (0, 6):
            if i == len(REC_MAGIC) and bit == 6:
                continue  # fmt 1 -> 65 is "newer format", tested below
            path.write_bytes(flip_bit(original, i, bit))
            with pytest.raises(RecordDamaged):
                env.admin.open_record(paused_rid, reason="check")
    path.write_bytes(original)
    assert values(env.admin.open_record(paused_rid, reason="check"), ITEMS[:4]) == dict(BASIC_ANSWERS[:4])


@pytest.mark.parametrize("where", ["header-json", "header-length", "dek", "body", "tag"])
@pytest.mark.parametrize("readonly", [False, True])
def test_tampered_record_is_damaged_and_left_as_it_is(env, paused_rid, where, readonly):
    path = env.rec_path(paused_rid)
    data = path.read_bytes()
    start, end = rec_header_span(data)
    index = {
        "header-json": start + 1,
        "header-length": start - 1,
        "dek": start + data[start:end].index(b'"dek": "') + 20,
        "body": (end + len(data)) // 2,
        "tag": len(data) - 1,
    }[where]
    tampered = flip_bit(data, index, 7 if where != "header-length" else 0)
    path.write_bytes(tampered)
    _open_fails_with(env, paused_rid, RecordDamaged, readonly)
    assert path.read_bytes() == tampered  # never silently repaired


def test_swapped_record_files_are_both_damaged(env, bank):
    a = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-A", pause=True)
    b = env.make_record(bank, BASIC_ANSWERS[:3], client_ref="K-B", pause=True)
    pa, pb = env.rec_path(a), env.rec_path(b)
    da, db = pa.read_bytes(), pb.read_bytes()
    pa.write_bytes(db)
    pb.write_bytes(da)
    _open_fails_with(env, a, RecordDamaged)
    _open_fails_with(env, b, RecordDamaged, readonly=True)


def test_record_copied_over_another_is_damaged(env, bank):
    a = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-A", pause=True)
    b = env.make_record(bank, BASIC_ANSWERS[:3], client_ref="K-B", pause=True)
    env.rec_path(b).write_bytes(env.rec_path(a).read_bytes())
    _open_fails_with(env, b, RecordDamaged)
    assert env.admin.open_record(a, reason="check").interview.value("E2") == 3


def test_record_copied_over_another_with_its_header_rid_rewritten_is_damaged(env, bank):
    """The record id is bound into the key wrap and the body's AD, not only the header."""
    a = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-A", pause=True)
    b = env.make_record(bank, BASIC_ANSWERS[:3], client_ref="K-B", pause=True)
    header, blob = R.read_header(env.rec_path(a))
    hb = json.dumps({**header, "rid": b}, sort_keys=True).encode()
    env.rec_path(b).write_bytes(REC_MAGIC + b"\x01" + struct.pack(">I", len(hb)) + hb + blob)
    _open_fails_with(env, b, RecordDamaged)


@pytest.mark.parametrize(
    "field, value",
    [("vk_gen", "1"), ("vk_gen", None), ("vk_gen", 99), ("gen", 1.5), ("seq", "4"), ("rid", ["x"]), ("dek", 5), ("fmt", 2)],
)
def test_header_fields_of_the_wrong_type_are_damaged(env, paused_rid, field, value):
    path = env.rec_path(paused_rid)
    header, blob = R.read_header(path)
    hb = json.dumps({**header, field: value}).encode()
    path.write_bytes(REC_MAGIC + b"\x01" + struct.pack(">I", len(hb)) + hb + blob)
    _open_fails_with(env, paused_rid, RecordDamaged)
    report = env.admin.rebuild_index()
    assert (report.records, report.damaged) == (0, [paused_rid])


@pytest.mark.parametrize("value", [[1], {"gen": 1}], ids=["list", "object"])
def test_unhashable_vk_gen_in_header_is_damaged_not_a_crash(env, bank, paused_rid, value):
    other = env.make_record(bank, BASIC_ANSWERS[:2], client_ref="K-other")
    path = env.rec_path(paused_rid)
    header, blob = R.read_header(path)
    hb = json.dumps({**header, "vk_gen": value}).encode()
    path.write_bytes(REC_MAGIC + b"\x01" + struct.pack(">I", len(hb)) + hb + blob)
    with pytest.raises(RecordDamaged):
        env.admin.open_record(paused_rid, readonly=True, reason="check")
    # one crafted file must not stop the index rebuild for every other record
    report = env.admin.rebuild_index()
    assert (report.records, report.damaged) == (1, [paused_rid])
    assert [d["rid"] for d in env.admin.list_records()] == [other]


# --------------------------------------------------------------------------- #5 rollback


def _rolled_back(env, bank):  # noqa: ANN001
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    rid = h.rid
    created = env.rec_path(rid).read_bytes()
    for item, value in BASIC_ANSWERS[:3]:
        assert h.answer(item, value).ok
    h.pause()
    first_pause = env.rec_path(rid).read_bytes()
    for item, value in BASIC_ANSWERS[3:]:
        assert h.answer(item, value).ok
    h.pause()
    h.close()
    return rid, created, first_pause


@pytest.mark.parametrize("copy", ["first-pause", "as-created"])
@pytest.mark.parametrize("readonly", [False, True])
def test_older_copy_of_a_record_is_detected_as_rollback(env, bank, copy, readonly):
    rid, created, first_pause = _rolled_back(env, bank)
    old = first_pause if copy == "first-pause" else created
    env.rec_path(rid).write_bytes(old)
    with pytest.raises(RecordRolledBack) as info:
        env.session(ANNA).open_record(rid, readonly=readonly)
    assert isinstance(info.value, RecordDamaged)
    assert env.rec_path(rid).read_bytes() == old


def test_rollback_is_caught_by_the_index_when_the_newer_journal_is_gone_too(env, bank):
    rid, _created, first_pause = _rolled_back(env, bank)
    env.rec_path(rid).write_bytes(first_pause)
    env.jnl_path(rid, 2).unlink()
    _open_fails_with(env, rid, RecordRolledBack)


def test_rollback_is_caught_by_the_newer_journal_when_the_index_is_gone_too(env, bank):
    rid, _created, first_pause = _rolled_back(env, bank)
    env.rec_path(rid).write_bytes(first_pause)
    delete_index(env.root)
    _open_fails_with(env, rid, RecordRolledBack)


# --------------------------------------------------------------------------- #6 truncation


def test_snapshot_truncated_at_every_offset_is_a_clean_error(env, paused_rid):
    path = env.rec_path(paused_rid)
    original = path.read_bytes()
    for cut in range(len(original)):
        path.write_bytes(original[:cut])
        for readonly in (False, True):
            try:
                env.admin.open_record(paused_rid, readonly=readonly, reason="check")
            except (RecordDamaged, NewerFormat):
                pass
            except Exception as exc:  # noqa: BLE001
                pytest.fail(f"cut at {cut}: {type(exc).__name__}: {exc}")
            else:
                pytest.fail(f"cut at {cut}: a truncated snapshot opened")
    path.write_bytes(original)
    assert values(env.admin.open_record(paused_rid, reason="check"), ITEMS[:4]) == dict(BASIC_ANSWERS[:4])


# --------------------------------------------------------------------------- #16 newer format


@pytest.mark.parametrize("fmt", [2, 255])
def test_record_of_a_newer_format_is_refused_untouched(env, bank, fmt):
    rid = env.make_record(bank, BASIC_ANSWERS[:2], pause=True)
    h = env.admin.open_record(rid, reason="check")
    assert h.answer("E4", 1).ok
    h.close()
    path, jnl = env.rec_path(rid), env.jnl_path(rid, 1)
    data = bytearray(path.read_bytes())
    data[len(b"ASIREC\n")] = fmt
    path.write_bytes(bytes(data))
    journal = jnl.read_bytes()
    for readonly in (False, True, False):  # twice in edit mode: the lock was released
        with pytest.raises(NewerFormat) as info:
            env.admin.open_record(rid, readonly=readonly, reason="check")
        assert info.value.key == "store.error.newer_format"
    assert path.read_bytes() == bytes(data)
    assert jnl.read_bytes() == journal


# --------------------------------------------------------------------------- key rotation


@pytest.mark.parametrize("reencrypt", [False, True])
def test_records_and_users_survive_key_rotation(env, bank, reencrypt):
    rids = [env.make_record(bank, BASIC_ANSWERS[: 2 + i], client_ref=f"K-{i}", pause=i % 2 == 0) for i in range(3)]
    deks = {rid: R.read_header(env.rec_path(rid))[0]["dek"] for rid in rids}
    result = env.admin.rotate_key(reencrypt=reencrypt)
    assert result["finished"] and result["skipped"] == []
    for rid in rids:
        assert R.read_header(env.rec_path(rid))[0]["vk_gen"] == result["gen"]
        assert R.read_header(env.rec_path(rid))[0]["dek"] != deks[rid]
    anna = env.session(ANNA)
    assert sorted(d["rid"] for d in anna.list_records()) == sorted(rids)
    for i, rid in enumerate(rids):
        assert values(anna.open_record(rid, readonly=True), ITEMS[: 2 + i]) == dict(BASIC_ANSWERS[: 2 + i])
    assert env.session(ANNA).verify_audit().ok


def test_record_being_edited_during_key_rotation_stays_readable(env, bank):
    anna = env.session(ANNA)
    h = anna.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    env.admin.rotate_key()
    assert h.answer("E2", 3).ok
    h.pause()
    h.close()
    again = env.session(ADMIN).open_record(h.rid, readonly=True, reason="check")
    assert values(again, ["G16", "E2"]) == {"G16": 30, "E2": 3}


def test_record_created_by_a_session_older_than_a_key_rotation_stays_readable(env, bank):
    anna = env.session(ANNA)  # unlocked in the morning
    env.admin.rotate_key()  # the admin rotates at noon
    rid = env.make_record(bank, BASIC_ANSWERS[:2], session=anna, pause=True)
    again = env.session(ANNA).open_record(rid, readonly=True)
    assert values(again, ITEMS[:2]) == dict(BASIC_ANSWERS[:2])
