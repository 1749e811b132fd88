"""De-identified exports: contents against the known answers, XLSX structure,
and a union across two bank versions."""

from __future__ import annotations

import csv
import os
import stat
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from asi_tui.bank.loader import load_bank
from asi_tui.bank.registry import bundled_bank, bundled_banks
from asi_tui.engine.values import MissingCode
from asi_tui.reports import export_records
from asi_tui.store.errors import StoreError
from asi_tui.store import Store

from .conftest import ANNA, ANNA_PW, ADMIN, ADMIN_PW
from .xlsx_read import read_xlsx

META = ["record_no", "instrument", "bank_id", "bank_version", "year_month", "linked_record_no"]

V1 = bundled_bank("asi-grund").version  # the bundled version the world's records start on


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


DATE_ITEMS = {i.id for b in bundled_banks() for i in b.items if i.type == "date"}


def cell(v, is_date: bool = False) -> str:
    """The export form of an engine value, written out independently."""
    if is_date and isinstance(v, (str, date)):
        return str(v)[:7]
    if v is None:
        return ""
    if isinstance(v, MissingCode):
        return v.code
    if isinstance(v, list):
        return ";".join(map(str, v))
    if isinstance(v, date):
        return v.isoformat()[:7]
    return str(v)


def expected_tuple(known, items) -> tuple:
    return (known.instrument, known.day.isoformat()[:7], *(cell(known.get(i), i in DATE_ITEMS) for i in items))


def test_csv_export_holds_every_completed_interview_and_nothing_identifying(world, tmp_path):
    out = tmp_path / "asi.csv"
    s = world.session()
    result = export_records(s, out, "csv")
    s.close()
    rows = read_csv(out)
    header, data = rows[0], rows[1:]
    assert header[: len(META)] == META
    known = [*world.completed("interview", "grund"), *world.completed("interview", "uppfoljning"),
             *world.completed("interview", "spel")]
    assert len(data) == result.rows == len(known) == 44
    items = header[len(META):]
    grund = bundled_bank("asi-grund")
    # no free text and no comments; the Grund's order first
    assert not {"G3", "G6", "G7", "E7", "M3s", "G.comment", "SE.P.diagnos_text"} & set(items)
    assert items[: 3] == [i.id for i in grund.items if i.type not in ("text", "comment")][:3]
    assert "SE.G.insats_sedan" in items and "SE.S.typer" in items  # Uppföljning and gambling items appended
    # every row is one known interview, values as stored
    got = Counter((r[1], r[4], *r[len(META):]) for r in data)
    want = Counter(expected_tuple(k, items) for k in known)
    assert got == want
    assert [r[0] for r in data] == [str(i) for i in range(1, len(data) + 1)]
    # nothing that names a client or a record
    text = out.read_text(encoding="utf-8")
    for k in world.records:
        assert k.rid not in text and k.client_ref not in text
    assert "Enhet" not in text and "anna" not in text
    # a follow-up points at its own Grund's row
    by_tuple = {(r[1], r[4], *r[len(META):]): r for r in data}
    grunds = {k.rid: k for k in world.completed("interview", "grund")}
    for u in world.completed("interview", "uppfoljning"):
        row = by_tuple[expected_tuple(u, items)]
        target = data[int(row[5]) - 1]
        assert (target[1], target[4], *target[len(META):]) == expected_tuple(grunds[u.linked], items)
    # files are private, and labels sit beside the data
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    labels = read_csv(result.labels_path)
    assert result.labels_path == tmp_path / "asi.labels.csv"
    assert stat.S_IMODE(os.stat(result.labels_path).st_mode) == 0o600
    assert labels[0] == ["variable", "bank_id", "bank_versions", "type", "value", "label"]
    assert ["G10", "asi-grund", V1, "single", "1", "Kvinna"] in labels
    assert any(r[0] == "*" and r[4] == "X" for r in labels)
    assert set(header) <= {r[0] for r in labels}


def test_export_is_audited(world, tmp_path):
    s = world.session()
    export_records(s, tmp_path / "a.csv", "csv", date_from=date(2025, 1, 1), instruments=("grund",))
    s.close()
    admin = world.session(ADMIN)
    entry = [e for e in admin.audit_entries() if e["action"] == "export"][-1]
    admin.close()
    n = sum(1 for k in world.completed("interview", "grund") if k.day >= date(2025, 1, 1))
    assert entry["detail"]["format"] == "csv" and entry["detail"]["rows"] == n
    assert entry["user"] == ANNA and "client" not in entry


def test_dropouts_full_dates_and_interviewer_on_request(world, tmp_path):
    out = tmp_path / "asi.csv"
    s = world.session()
    result = export_records(s, out, "csv", dropouts=True, full_dates=True, with_interviewer=True,
                            instruments=("uppfoljning",))
    s.close()
    data = read_csv(out)
    assert data[0][4] == "interview_date" and data[0][6] == "interviewer"
    assert len(data) - 1 == len(world.completed("interview", "uppfoljning"))
    assert {r[4] for r in data[1:]} == {k.day.isoformat() for k in world.completed("interview", "uppfoljning")}
    assert {r[6] for r in data[1:]} == {ANNA}
    assert all(r[5] == "" for r in data[1:])  # the Grund interviews are not in this file
    drops = read_csv(result.dropouts.path)
    assert result.dropouts.path == tmp_path / "asi.dropouts.csv"
    assert drops[0][:5] == ["record_no", "instrument", "bank_id", "bank_version", "interview_date"]
    assert "SE.B.orsak" in drops[0] and "SE.B.orsak_annan" not in drops[0] and "B.comment" not in drops[0]
    col = drops[0].index("SE.B.orsak")
    assert Counter(r[col] for r in drops[1:]) == Counter(k.get("SE.B.orsak") for k in world.completed("dropout"))
    assert stat.S_IMODE(os.stat(result.dropouts.path).st_mode) == 0o600


def test_xlsx_matches_the_csv(world, tmp_path):
    s = world.session()
    export_records(s, tmp_path / "a.csv", "csv", dropouts=True)
    result = export_records(s, tmp_path / "a.xlsx", "xlsx", dropouts=True)
    s.close()
    assert result.labels_path is None
    assert stat.S_IMODE(os.stat(tmp_path / "a.xlsx").st_mode) == 0o600
    book = read_xlsx(tmp_path / "a.xlsx")
    assert list(book) == ["data", "labels"]
    csv_rows = read_csv(tmp_path / "a.csv")
    width = len(csv_rows[0])
    assert [r + [""] * (width - len(r)) for r in book["data"]] == csv_rows
    labels = read_csv(tmp_path / "a.labels.csv")
    assert [r + [""] * (len(labels[0]) - len(r)) for r in book["labels"]] == labels
    drops = read_xlsx(tmp_path / "a.dropouts.xlsx")
    assert len(drops["data"]) - 1 == len(world.completed("dropout"))


def test_bad_requests_are_typed_errors(world, tmp_path):
    s = world.session()
    with pytest.raises(StoreError) as exc:
        export_records(s, tmp_path / "missing-dir" / "a.csv", "csv")
    assert exc.value.key == "reports.error.write"
    with pytest.raises(StoreError) as exc:
        export_records(s, tmp_path / "a.csv", "ods")
    assert exc.value.key == "reports.error.format"
    s.close()
    assert not list(tmp_path.iterdir())


# ----------------------------------------------------------------------------- two bank versions


def _grund_v110(tmp_path: Path) -> Path:
    """A copy of the Grund as 1.1.0 without E18 and with a new item after E17."""
    text = bundled_bank("asi-grund").path.read_text(encoding="utf-8")
    text = text.replace(f"version: {bundled_bank('asi-grund').version}\n", "version: 1.1.0\n", 1)
    start = text.index("      - id: E18\n")
    end = text.index("      - id: SE.E.huvudkalla\n")
    new_item = (
        "      - id: SE.E.skulder\n"
        '        label: {sv: "Hur stora skulder har du?", en: "How large are your debts?"}\n'
        "        type: money\n"
        "        timeframe: current\n"
        "        unit: sek\n\n"
    )
    text = text[:start] + new_item + text[end:]
    path = tmp_path / "banks" / "grund" / "asi-grund-1.1.0.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def two_versions(tmp_path):
    v110 = load_bank(_grund_v110(tmp_path))
    assert v110.version == "1.1.0" and "E18" not in v110.by_id and "SE.E.skulder" in v110.by_id

    def resolver(bank_id: str, version: str, sha256: str):
        if (bank_id, version) == ("asi-grund", "1.1.0"):
            return v110
        for b in bundled_banks():
            if b.id == bank_id and b.version == version:
                return b
        raise StoreError("store.error.bank_missing", bank=f"{bank_id} {version}")

    root = tmp_path / "data"
    store, _ = Store.init(root, ADMIN, "Chef", ADMIN_PW, resolver=resolver)
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_user(ANNA, "Anna", "interviewer", ANNA_PW, certified=True)
    admin.close()
    s = store.unlock(ANNA, ANNA_PW)
    import random

    from asi_tui.demo import fill

    made = []
    for i, (bank, e18, skulder) in enumerate([(bundled_bank("asi-grund"), 2, None), (bundled_bank("asi-grund"), 3, None),
                                              (v110, None, 15000), (v110, None, 0)]):
        h = s.create_record(bank, f"V-{i}", date(2025, 3, 1 + i))
        if e18 is not None:
            assert h.answer("E18", e18).ok
        if skulder is not None:
            assert h.answer("SE.E.skulder", skulder).ok
        fill(h, random.Random(i), heavy=True)
        h.complete()
        made.append((bank.version, e18, skulder, dict(h.interview.answers)))
        h.close()
    return s, made, v110


def test_union_across_bank_versions_keeps_every_column(two_versions, tmp_path):
    s, made, v110 = two_versions
    result = export_records(s, tmp_path / "v.csv", "csv")
    rows = read_csv(tmp_path / "v.csv")
    header, data = rows[0], rows[1:]
    items = header[len(META):]
    newest = [i.id for i in v110.items if i.type not in ("text", "comment")]
    assert items == [*newest, "E18"]  # the newest order, then the item only 1.0.0 has
    assert sorted(result.banks) == [f"asi-grund {V1}", "asi-grund 1.1.0"]
    version = {r[0]: r[3] for r in data}
    assert sorted(version.values()) == [V1, V1, "1.1.0", "1.1.0"]
    e18, sk = header.index("E18"), header.index("SE.E.skulder")
    by_version = {}
    for r in data:
        by_version.setdefault(r[3], []).append((r[e18], r[sk]))
    assert sorted(by_version[V1]) == [("2", ""), ("3", "")]
    assert sorted(by_version["1.1.0"]) == [("", "0"), ("", "15000")]
    # every other column holds the same answers in both versions
    for version_, _e18, _sk, answers in made:
        row = next(r for r in data if r[3] == version_ and r[e18] == (str(_e18) if _e18 is not None else "")
                   and r[sk] == (str(_sk) if _sk is not None else ""))
        for i, name in enumerate(header[len(META):], len(META)):
            assert row[i] == cell(answers.get(name), name in DATE_ITEMS), name
    labels = read_csv(result.labels_path)
    assert ["E18", "asi-grund", V1, "count", "", bundled_bank("asi-grund").by_id["E18"].label.sv] in labels
    assert ["SE.E.skulder", "asi-grund", "1.1.0", "money", "", "Hur stora skulder har du?"] in labels
    assert ["G10", "asi-grund", f"{V1} 1.1.0", "single", "1", "Kvinna"] in labels  # same codes: one set of labels
    # XLSX: the same columns
    export_records(s, tmp_path / "v.xlsx", "xlsx")
    assert read_xlsx(tmp_path / "v.xlsx")["data"][0] == header
    s.close()


def test_migration_hook_maps_older_answers_before_the_union(two_versions, tmp_path):
    s, made, v110 = two_versions
    calls = []

    def migrate(bank_id, version, answers):
        calls.append((bank_id, version))
        moved = dict(answers)
        moved["SE.E.skulder"] = moved.pop("E18") * 1000  # an invented mapping, for the test
        return moved

    export_records(s, tmp_path / "m.csv", "csv", migrate=migrate)
    s.close()
    rows = read_csv(tmp_path / "m.csv")
    header, data = rows[0], rows[1:]
    assert sorted(calls) == [("asi-grund", V1), ("asi-grund", V1)]  # the newest version is not migrated
    e18, sk = header.index("E18"), header.index("SE.E.skulder")
    assert sorted((r[3], r[e18], r[sk]) for r in data) == [
        (V1, "", "2000"), (V1, "", "3000"), ("1.1.0", "", "0"), ("1.1.0", "", "15000")]
