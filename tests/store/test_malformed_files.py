"""Malformed store files end in one clear line and the user-error exit, never
the internal-error path (issue 11): a broken vault.json, a deeply nested
record header, huge or garbage journals, and the record whose journal holds
one 1.5 MB frame that made `record show` spin for minutes."""

from __future__ import annotations

import json
import os
import struct

import pytest

from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.engine import limits
from asi_tui.store import crypto as C
from asi_tui.store import journal
from asi_tui.store.errors import FrameTooLarge

from store_helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW, BASIC_ANSWERS, INTERVIEW_DATE, REC_MAGIC, values


def run(env, *args: str, user: str = ADMIN, pw: str | None = None):  # noqa: ANN001, ANN202
    f = env.root.parent / f"pw-{user}"
    f.write_text((pw if pw is not None else {ADMIN: ADMIN_PW, ANNA: ANNA_PW}[user]) + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["--lang", "en", "--data", str(env.root), "--user", user, *args, "--passphrase-file", str(f)])
    assert "Traceback" not in r.output
    return r


def one_line(r) -> str:  # noqa: ANN001
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 1, r.output  # the user-error exit, not 70 (internal error)
    assert len(lines) == 1, r.output
    assert lines[0].startswith("Error: ")
    return lines[0]


VAULT_ALTERED = "Error: The key vault (vault.json) has been altered or damaged and is not used. Contact the administrator."


# --------------------------------------------------------------------------- vault.json


def _set(path: str, value):  # noqa: ANN001, ANN202
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for p in parents:
            node = node[p] if not isinstance(node, list) else node[int(p)]
        node[last] = value

    return change


def _first_slot(value):  # noqa: ANN001, ANN202
    def change(data: dict) -> None:
        data["slots"][next(iter(data["slots"]))] = value

    return change


def _first_gen_keys(value):  # noqa: ANN001, ANN202
    def change(data: dict) -> None:
        data["keys"][str(data["vk_gen"])] = value

    return change


VAULT_CHANGES = {
    "slots-list": _set("slots", []),
    "slots-str": _set("slots", "x"),
    "slot-list": _first_slot([1]),
    "slot-kdf-str": _first_slot({"kdf": "argon2id", "sk": "x", "pub": "y"}),
    "boxes-list": _set("boxes", [1]),
    "boxes-gen-str": _set("boxes.1", "x"),
    "admin-boxes-list": _set("admin_boxes", []),
    "keys-list": _set("keys", []),
    "keys-gen-str": _first_gen_keys("x"),
    "vk-gen-str": _set("vk_gen", "one"),
    "vk-gen-missing-gen": _set("vk_gen", 7),
    "vk-gen-float": _set("vk_gen", 1e300),
    "vk-gen-bool": _set("vk_gen", True),
    "rotating-str": _set("rotating_to", "2"),
    "recovery-list": _set("recovery", []),
    "users-str": _set("users", "admin"),
    "user-id-int": _set("users.0.id", 5),
    "created-list": _set("created", []),
    "fmt-str": _set("fmt", "1"),
    "sig-int": _set("users_sig", 12),
}


@pytest.fixture
def vault_data(env):
    return json.loads(env.vault_path.read_text())


@pytest.mark.parametrize("change", list(VAULT_CHANGES.values()), ids=list(VAULT_CHANGES))
@pytest.mark.parametrize("passphrase", ["right", "wrong"])
def test_a_vault_with_wrong_types_is_one_line(env, vault_data, change, passphrase):
    """Each command either works (the field does not matter to it) or ends in
    one clear line; never the internal-error exit."""
    change(vault_data)
    env.vault_path.write_text(json.dumps(vault_data))
    pw = ADMIN_PW if passphrase == "right" else "not the right passphrase"
    outcomes = [run(env, "record", "list", pw=pw), run(env, "user", "list", user=ANNA)]
    for r in outcomes:
        if r.exit_code != 0:
            assert "unexpected error" not in one_line(r)
    assert any(r.exit_code == 1 for r in outcomes)  # the damage is noticed


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"null", b"[]", b"\xff\xfe garbage", b"[" * 30_000 + b"]" * 30_000, b'{"fmt": 1, "users": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"],
    ids=["empty", "truncated", "null", "list", "binary", "deep", "deep-field"],
)
def test_a_broken_vault_is_one_line(env, content):
    env.vault_path.write_bytes(content)
    assert one_line(run(env, "record", "list")) == VAULT_ALTERED


def test_a_truncated_vault_is_one_line_at_every_tenth_byte(env):
    data = env.vault_path.read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 10)):
        env.vault_path.write_bytes(data[:cut])
        assert one_line(run(env, "record", "list")) == VAULT_ALTERED, cut


def test_a_huge_vault_is_refused_without_reading_it(env):
    with env.vault_path.open("r+b") as fh:
        fh.truncate(200 << 20)  # sparse: no disk used
    line = one_line(run(env, "record", "list"))
    assert "vault.json is larger than any file asi-tui writes" in line


# --------------------------------------------------------------------------- record headers


def _deep_header_record(env, rid: str, depth: int = 30_000) -> None:
    header = b"[" * depth + b"]" * depth
    env.rec_path(rid).write_bytes(REC_MAGIC + b"\x01" + struct.pack(">I", len(header)) + header)


def test_a_deeply_nested_record_header_does_not_stop_index_rebuild(env, bank):
    good = env.make_record(bank, BASIC_ANSWERS[:2], pause=True)
    bad = "f" * 20
    _deep_header_record(env, bad)
    r = run(env, "index", "rebuild")
    assert r.exit_code == 1, r.output  # rebuild finishes, then reports what it found with a non-zero exit
    assert "Rebuilt the record index with 1 records." in r.output
    assert f"Skipped a damaged record: {bad}" in r.output
    assert [d["rid"] for d in env.admin.list_records()] == [good]
    line = one_line(run(env, "record", "show", bad))
    assert line == "Error: The record is damaged or altered; nothing was changed."


def test_a_record_header_of_any_size_or_shape_is_damage(env, bank):
    rid = env.make_record(bank, BASIC_ANSWERS[:1], pause=True)
    data = env.rec_path(rid).read_bytes()
    for header in (b"{}", b'{"fmt": 1, "rid": [], "gen": 0, "seq": 0, "vk_gen": 1, "dek": "x"}', b"1" * 5000, b'"' + b"x" * 60_000 + b'"'):
        env.rec_path(rid).write_bytes(REC_MAGIC + b"\x01" + struct.pack(">I", len(header)) + header + data[-100:])
        assert one_line(run(env, "record", "show", rid)) == "Error: The record is damaged or altered; nothing was changed."


# --------------------------------------------------------------------------- journals


def _journalled(env, bank):  # noqa: ANN001, ANN202
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    for item, value in BASIC_ANSWERS[:3]:
        assert h.answer(item, value).ok
    h.close()
    return h.rid, env.jnl_path(h.rid, 0)


def test_a_garbage_journal_is_one_line(env, bank):
    rid, jnl = _journalled(env, bank)
    jnl.write_bytes(os.urandom(10_000))
    assert one_line(run(env, "record", "show", rid)) == "Error: The record is damaged or altered; nothing was changed."


def test_a_huge_journal_is_refused_without_reading_it(env, bank):
    rid, jnl = _journalled(env, bank)
    with jnl.open("r+b") as fh:
        fh.truncate(journal.MAX_JOURNAL_BYTES + 1)  # sparse
    line = one_line(run(env, "record", "show", rid))
    assert f"{jnl.name} is larger than any file asi-tui writes" in line


@pytest.fixture
def count_decrypts(monkeypatch):
    calls = {"n": 0}
    real = C.open_sealed

    def counting(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(C, "open_sealed", counting)
    return calls


def test_a_journal_holding_one_1_5_mb_frame_is_read_at_once_and_keeps_the_comment(env, bank, monkeypatch, count_decrypts):
    """An earlier version acknowledged a 1.5 MB comment. Reading it tried every
    byte offset against every sequence number (minutes), and would then have cut
    the acknowledged comment as a torn tail."""
    comment = "G19: " + ("lång kommentar " * 100_000).strip()  # 1.5 MB
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    with monkeypatch.context() as m:
        m.setattr(journal, "MAX_FRAME", 1 << 30)  # the earlier version had no bound when writing
        m.setattr(limits, "COMMENT_MAX", 1 << 30)  # nor on comments
        assert h.answer("G.comment", comment).ok
    h.close()
    assert env.jnl_path(h.rid, 0).stat().st_size > 1_500_000
    count_decrypts["n"] = 0
    r = run(env, "record", "show", h.rid, "--json")
    assert r.exit_code == 0, r.output
    shown = json.loads(r.output)
    assert shown["answers"]["G.comment"] == comment and shown["notices"] == []
    assert count_decrypts["n"] < 40  # snapshot, frames, vault: no scan


def test_a_1_5_mb_garbage_tail_is_judged_with_bounded_work(env, bank, count_decrypts):
    rid, jnl = _journalled(env, bank)
    with jnl.open("ab") as fh:
        fh.write(os.urandom(1_500_000))
    count_decrypts["n"] = 0
    line = one_line(run(env, "record", "show", rid))
    assert line == "Error: The record is damaged or altered; nothing was changed."
    assert count_decrypts["n"] < 40  # more than one frame of debris cannot be a torn tail: no scan


def test_a_torn_tail_of_a_large_frame_is_still_a_torn_tail(env, bank, monkeypatch):
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    monkeypatch.setattr(limits, "COMMENT_MAX", 1 << 30)  # as an earlier version wrote it
    assert h.answer("G.comment", "x" * 200_000).ok  # under the frame bound
    h.close()
    jnl = env.jnl_path(h.rid, 0)
    jnl.write_bytes(jnl.read_bytes()[:-1000])  # the write of the big frame was cut short
    ro = env.admin.open_record(h.rid, readonly=True)
    assert ro.interview.value("G16") == 30 and ro.interview.value("G.comment") is None
    # the close logged the comment's sequence number, so its loss is named too
    assert sorted(ro.notices) == ["store.notice.answers_lost", "store.notice.torn_tail"]


def test_an_entry_over_the_frame_bound_is_refused_and_not_acknowledged(env, bank, monkeypatch):
    """The journal's own bound, behind the engine's length limits (which are lifted here)."""
    monkeypatch.setattr(limits, "COMMENT_MAX", 1 << 30)
    h = env.admin.create_record(bank, "K-1", INTERVIEW_DATE)
    assert h.answer("G16", 30).ok
    jnl = env.jnl_path(h.rid, 0)
    before = jnl.read_bytes()
    with pytest.raises(FrameTooLarge) as exc:
        h.answer("G.comment", "x" * 1_500_000)
    assert exc.value.params["limit_kb"] == 256 and exc.value.params["size_kb"] > 1400
    assert h.interview.value("G.comment") is None  # the engine state is rolled back
    assert jnl.read_bytes() == before
    assert h.answer("E2", 3).ok  # and work goes on
    h.close()
    assert values(env.admin.open_record(h.rid, readonly=True), ["G16", "E2", "G.comment"]) == {"G16": 30, "E2": 3, "G.comment": None}
