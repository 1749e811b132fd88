"""The rollout the issue asks for: Grund v2 is published while a v1 interview is open.

The v1 interview completes on v1, new interviews start on v2, and data over
both versions lines up column by column with the migration map applied.
"""

from __future__ import annotations

from .helpers import V1
import random
from datetime import date

import csv

from asi_tui.store.banks import BankStore
from asi_tui.reports.export import export_records
from asi_tui.demo import fill
from asi_tui.engine.values import decode


def _complete(handle, seed: int) -> None:
    fill(handle, random.Random(seed), heavy=True)
    handle.complete()


def test_publishing_v2_mid_interview(env, grund_v2_file, map_file, tmp_path):
    rename = {"M4": "M4x"}
    anna = env.session("anna")
    v1 = env.banks().active_bank("grund")
    assert v1.version == V1

    # an interview starts on v1 and is paused half-way, with the items v2 changes answered
    h = anna.create_record(v1, "K-0001", date(2026, 3, 2))
    for item_id, value in (("G16", 40), ("M4", 1), ("M11", 1)):
        assert h.answer(item_id, value).ok
    fill(h, random.Random(1), heavy=True, upto=0.4)
    h.pause()
    old_rid = h.rid
    h.close()

    # the admin publishes v2 with its migration map
    info, reports = env.banks().publish(env.admin, grund_v2_file, maps=[map_file])
    assert info.active and reports[0].errors == []

    # a new process: the open interview resumes on v1 and completes there
    anna = env.session("anna")
    h = anna.open_record(old_rid)
    assert (h.bank.id, h.bank.version) == ("asi-grund", V1)
    assert h.interview.value("M4") == 1 and "M11" in h.bank.by_id
    assert h.interview.is_visible("D14")
    assert h.answer("D14", 6).ok  # barbiturates: a code v2 merged into 7
    _complete(h, 2)
    assert h.body["bank"]["version"] == V1
    h.close()

    # a new interview starts on v2
    bs = BankStore(env.root)
    v2 = bs.active_bank("grund")
    assert v2.version == "2.0.0" and "M4x" in v2.by_id and "M11" not in v2.by_id
    h = anna.create_record(v2, "K-0002", date(2026, 3, 3))
    assert h.answer("M4x", 0).ok and h.answer("D14", 13).ok
    _complete(h, 3)
    new_rid = h.rid
    h.close()
    assert {d["rid"]: d["bank_version"] for d in anna.list_records()} == {old_rid: V1, new_rid: "2.0.0"}

    # the completed v1 record still opens (read-only) on v1 after v2 became active
    ro = anna.open_record(old_rid, readonly=True)
    assert ro.bank.version == V1 and ro.status == "completed"
    ro.close()

    # data over both versions: migrate v1 answers to v2 and line up the columns
    migrate = bs.migrator()
    rows = {}
    for body in anna.read_bodies():
        answers = migrate(body["bank"]["id"], body["bank"]["version"], body["answers"])
        rows[body["rid"]] = {k: decode(v["v"]) for k, v in answers.items()}
    assert migrate.unmapped == set()
    old, new = rows[old_rid], rows[new_rid]
    assert old["M4x"] == 1 and "M4" not in old  # renamed: the answer moved to the new column
    assert old["D14"] == 7  # recoded: barbiturates are sedatives in v2
    assert old["M11"] == 1 and "M11" not in new  # removed: kept as an old-version-only column
    assert new["M4x"] == 0 and new["D14"] == 13
    columns = set(old) | set(new)
    v1_ids = {i.id for i in v1.items if i.type != "comment"}  # comments are optional, never filled here
    v2_ids = {i.id for i in v2.items if i.type != "comment"}
    assert v2_ids <= columns and "M11" in columns and "M4" not in columns
    assert columns == v2_ids | {"M11"}
    # every v1 answer survives the migration: same count, no value lost
    raw_old = next(b for b in anna.read_bodies() if b["rid"] == old_rid)["answers"]
    assert len(old) == len(raw_old) and v1_ids - {"M4"} <= set(old)

    # the export module over both versions, with the migration as its hook
    admin = env.session("admin")
    out = tmp_path / "export.csv"
    result = export_records(admin, out, "csv", migrate=bs.migrator(), exact_age=True)  # every item (age too)
    with out.open(encoding="utf-8", newline="") as fh:
        table = {r["bank_version"]: r for r in csv.DictReader(fh)}
    assert result.rows == 2 and set(table) == {V1, "2.0.0"}
    header = result.columns
    exportable = {i.id for i in v2.items if i.type not in ("text", "comment")}
    assert exportable <= set(header) and "M11" in header  # every v2 column, and v1's removed item
    assert (table[V1]["M4x"], table[V1]["D14"], table[V1]["M11"]) == ("1", "7", "1")
    assert (table["2.0.0"]["M4x"], table["2.0.0"]["D14"], table["2.0.0"]["M11"]) == ("0", "13", "")
    assert table[V1].get("M4", "") == ""  # the answer moved to M4x, not left behind
    # every v1 answer has a cell: migrated answers lose nothing
    filled = {k for k, v in table[V1].items() if v != ""}
    assert {rename.get(i, i) for i in v1_ids if v1.by_id[i].type != "text"} <= filled
    # without the map the columns do not line up: v1's answer sits in M4 and D14 keeps the old code
    plain = tmp_path / "plain.csv"
    export_records(admin, plain, "csv")
    with plain.open(encoding="utf-8", newline="") as fh:
        old_row = next(r for r in csv.DictReader(fh) if r["bank_version"] == V1)
    assert (old_row["M4"], old_row["M4x"], old_row["D14"]) == ("1", "", "6")
