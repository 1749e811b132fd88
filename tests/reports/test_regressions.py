"""Regression tests for the two statistics bugs of issue 15.

1. With only Uppföljning chosen, the client-ratings table lost the 16 ratings
   both instruments share (they were filed under the Grund bank).
2. `stats` ignored the published migration maps that `export` applies: after
   a new Grund version merged substance code 6 into 7, the export counted the
   old answers as 7 while `stats` still counted them as 6.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from datetime import date

import pytest
from click.testing import CliRunner

from asi_tui.bank.registry import bundled_bank
from asi_tui.cli import main
from asi_tui.demo import fill
from asi_tui.reports import Filters, build_report, load_dataset
from asi_tui.store import Store, crypto
from asi_tui.store.banks import BankStore, resolver_for
from tests.banks.helpers import MAP_V1_V2, make_grund_v2, write

from .helpers import check_client_ratings

SHARED = ("M7", "M8", "E20", "E21", "D28", "D29", "D30", "D31", "L28", "L29", "F32", "F33", "F34", "F35", "P13", "P14")


def test_followup_client_ratings_keep_the_items_both_instruments_share(world, dataset):
    rows = world.completed("interview", "uppfoljning")
    table = build_report(dataset, Filters(instrument="uppfoljning"), "en").table("groups.client_ratings")
    items = [r.key for r in table.rows]
    assert set(SHARED) <= set(items) and "SE.G.insats_nojd" in items
    check_client_ratings(table, rows)


def test_both_instruments_list_each_shared_item_once(dataset):
    table = build_report(dataset, Filters(instrument=None), "en").table("groups.client_ratings")
    items = [r.key for r in table.rows]
    assert len(items) == len(set(items))
    assert set(SHARED) <= set(items) and "SE.G.insats_nojd" in items
    assert items.index("M7") < items.index("SE.G.insats_nojd")  # Grund's order first


ADMIN, ADMIN_PW = "chef", "chefens långa lösenfras"
ANNA, ANNA_PW = "anna", "annas långa lösenfras"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """Five v1 interviews with substance 6 (barbiturates), then v2 published
    with the map that merges 6 into 7, then five v2 interviews with 7."""
    crypto.allow_test_kdf()
    base = tmp_path_factory.mktemp("migrated")
    root = base / "data"
    store, _ = Store.init(root, ADMIN, "Chef", ADMIN_PW)
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_user(ANNA, "Anna", "interviewer", ANNA_PW, certified=True)
    rng = random.Random(15)
    anna = Store.open(root, resolver=resolver_for(root)).unlock(ANNA, ANNA_PW)
    for i in range(5):
        h = anna.create_record(bundled_bank("asi-grund"), f"M-{i}", date(2026, 1, 5 + i))
        assert h.answer("D14", 6).ok and h.answer("G16", 30 + i).ok
        fill(h, rng, heavy=True)
        h.complete()
        h.close()
    anna.close()
    v2 = make_grund_v2(base / "v2")
    info, reports = BankStore(root).publish(admin, v2, maps=[write(base / "maps" / "grund-1-2.yaml", MAP_V1_V2)])
    assert info.active and reports[0].errors == []
    admin.close()
    anna = Store.open(root, resolver=resolver_for(root)).unlock(ANNA, ANNA_PW)
    bank = BankStore(root).active_bank("grund")
    assert bank.version == "2.0.0"
    for i in range(5):
        h = anna.create_record(bank, f"N-{i}", date(2026, 3, 5 + i))
        assert h.answer("D14", 7).ok and h.answer("G16", 40 + i).ok
        fill(h, rng, heavy=True)
        h.complete()
        h.close()
    anna.close()
    pw = base / "pw"
    pw.write_text(ADMIN_PW + "\n")  # exports are for analysts and admins
    return root, pw


def _cli(root, pw, *args):
    result = CliRunner().invoke(main, ["--lang", "en", "--data", str(root), "--user", ADMIN, *args, "--passphrase-file", str(pw)])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return result.stdout


def test_stats_migrates_old_versions_exactly_as_the_export_does(migrated, tmp_path):
    root, pw = migrated
    out = tmp_path / "all.csv"
    _cli(root, pw, "export", "--format", "csv", "--out", str(out), "--instrument", "grund")
    with out.open(encoding="utf-8", newline="") as fh:
        exported = Counter(row["D14"] for row in csv.DictReader(fh))
    assert exported == Counter({"7": 10})  # the export moved the five old 6s to 7
    data = json.loads(_cli(root, pw, "stats", "--format", "json", "--section", "groups"))
    table = next(t for s in data["sections"] for t in s["tables"] if t["key"] == "groups.substance")
    counts = {r["key"]: r["cells"][0]["value"] for r in table["rows"]}
    assert counts["7"] == exported["7"] == 10
    assert "6" not in counts  # v2's code list has no 6 any more: the table is labelled by the newest version
    assert counts["13"] == 0  # ... and lists v2's new code (NPS)


def test_without_the_maps_the_old_code_would_be_counted(migrated):
    """The fixture really exercises the maps: read unmigrated, the five old answers stay 6."""
    root, _ = migrated
    s = Store.open(root, resolver=resolver_for(root)).unlock(ANNA, ANNA_PW)
    try:
        raw, moved = load_dataset(s, migrate=None), load_dataset(s)
    finally:
        s.close()
    assert Counter(r.substance for r in raw.rows) == Counter({6: 5, 7: 5})
    assert Counter(r.substance for r in moved.rows) == Counter({7: 10})
    assert moved.unmapped == set()
