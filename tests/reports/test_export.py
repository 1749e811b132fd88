"""De-identified exports: contents against the known answers, numbers that
stay numbers, the codebook, XLSX structure, and a union across two bank
versions."""

from __future__ import annotations

import csv
import os
import re
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

from .conftest import ANALYST, ANNA, ADMIN
from .export_helpers import admin_of, new_data_dir
from .helpers import age_band
from .xlsx_read import read_xlsx

META = ["record_no", "linked_record_no", "unit_id", "unit_name", "interview_key", "client_key", "grund_key",
        "linked_key", "instrument", "bank_id", "bank_version", "year_month", "age_band"]
ITEM_TYPES = {i.id: i.type for b in bundled_banks() for i in b.items}
CODES = {i.id: [c.code for c in b.codes_for(i).codes] for b in bundled_banks() for i in b.items
         if i.type in ("single", "multi") and b.codes_for(i) is not None}

V1 = bundled_bank("asi-grund").version  # the bundled version the world's records start on


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def read_dicts(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def band(age) -> str:
    """The age_band cell, worked out on its own: the band's lowest age."""
    if isinstance(age, MissingCode):
        return {"X": "-9", "N": "-8"}[age.code]
    key = age_band(age)
    return "" if key == "missing" else "0" if key == "<18" else key.rstrip("+").split("-")[0]


def cell(answers: dict, column: str, full_dates: bool = False) -> str:
    """The export form of an engine value, written out independently."""
    if column in ITEM_TYPES:
        item, code = column, None
    else:  # a multi-choice item's 0/1 column
        item, _, code = column.rpartition("_")
        assert ITEM_TYPES[item] == "multi", column
    v = answers.get(item)
    if v is None:
        return ""
    if isinstance(v, MissingCode):
        return {"X": "-9", "N": "-8"}[v.code]
    if code is not None:
        return "1" if int(code) in v else "0"
    if ITEM_TYPES[item] == "date":
        return str(v) if full_dates else str(v)[:7]
    if isinstance(v, str) and item in CODES:  # text codes are numbered in code-list order
        return str(CODES[item].index(v) + 1)
    return str(int(v))


def expected_tuple(known, items) -> tuple:
    return (known.instrument, known.day.isoformat()[:7], band(known.get("G16")), *(cell(known.answers, i) for i in items))


def got_tuple(row: dict[str, str], items) -> tuple:
    return (row["instrument"], row["year_month"], row["age_band"], *(row[i] for i in items))


def test_csv_export_holds_every_completed_interview_and_nothing_identifying(world, tmp_path):
    out = tmp_path / "asi.csv"
    s = world.session(ANALYST)
    result = export_records(s, out, "csv")
    s.close()
    rows = read_csv(out)
    header, data = rows[0], read_dicts(out)
    assert header[: len(META)] == META
    known = [*world.completed("interview", "grund"), *world.completed("interview", "uppfoljning"),
             *world.completed("interview", "spel")]
    assert len(data) == result.rows == len(known) == 44
    items = header[len(META):]
    grund = bundled_bank("asi-grund")
    # no free text, no comments, no exact age; the Grund's order first
    assert not {"G3", "G6", "G7", "E7", "M3s", "G.comment", "SE.P.diagnos_text", "G16"} & set(items)
    assert items[:3] == [i.id for i in grund.items if i.type not in ("text", "comment") and i.id != "G16"][:3]
    assert "SE.G.insats_sedan" in items  # Uppföljning items appended
    spel_types = [c for c in items if re.fullmatch(r"SE\.S\.typer_\d+", c)]
    assert spel_types == [f"SE.S.typer_{c}" for c in CODES["SE.S.typer"]]  # a multi item: one 0/1 column per code
    # every row is one known interview, values as numbers with X/N as -9/-8
    assert Counter(got_tuple(r, items) for r in data) == Counter(expected_tuple(k, items) for k in known)
    assert [r["record_no"] for r in data] == [str(i) for i in range(1, len(data) + 1)]
    # nothing that names a client, a record or a member of staff
    text = out.read_text(encoding="utf-8")
    for k in world.records:
        assert k.rid not in text and k.client_ref not in text
    assert "anna" not in text
    # the unit: one id per unit however it was typed, one name per id
    units = {(r["unit_id"], r["unit_name"]) for r in data}
    assert units == {("enhet-a", "Enhet A"), ("enhet-b", "Enhet B")}
    # a follow-up points at its own Grund's row, and shares its Grund's keys
    by_tuple = {got_tuple(r, items): r for r in data}
    grunds = {k.rid: k for k in world.completed("interview", "grund")}
    for u in world.completed("interview", "uppfoljning"):
        row = by_tuple[expected_tuple(u, items)]
        target = data[int(row["linked_record_no"]) - 1]
        assert got_tuple(target, items) == expected_tuple(grunds[u.linked], items)
        assert row["linked_key"] == row["grund_key"] == target["interview_key"] == target["grund_key"]
        assert row["client_key"] == target["client_key"]
    assert len({r["interview_key"] for r in data}) == len(data)
    assert all(re.fullmatch(r"[0-9a-f]{16}", r["interview_key"]) for r in data)
    # files are private, and the codebook sits beside the data
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert result.codebook_path == tmp_path / "asi.codebook.csv"
    assert stat.S_IMODE(os.stat(result.codebook_path).st_mode) == 0o600


def test_numeric_columns_load_as_numbers(world, tmp_path):
    """The analyst's complaint: X and N made most columns text in pandas, R and Stata."""
    pd = pytest.importorskip("pandas")
    out = tmp_path / "asi.csv"
    s = world.session(ANALYST)
    result = export_records(s, out, "csv", dropouts=True)
    s.close()
    for data, codebook in ((out, result.codebook_path), (result.dropouts.path, result.dropouts.codebook_path)):
        frame = pd.read_csv(data)
        storage = {r[1]: r[4] for r in read_csv(codebook) if r[0] == "variable"}
        numeric = [c for c, kind in storage.items() if kind == "numeric"]
        text = {c for c, kind in storage.items() if kind == "string"} - {"G4"}  # G4: a date, year and month
        assert text == {"unit_id", "unit_name", "interview_key", "client_key", "grund_key", "linked_key", "instrument",
                        "bank_id", "bank_version", "year_month"} - ({"grund_key"} if data != out else set())
        assert [c for c in numeric if not pd.api.types.is_numeric_dtype(frame[c])] == []
        # X and N are -9/-8, and nothing else is negative
        values = frame[numeric].stack()
        assert set(values[values < 0]) <= {-9, -8}
        assert (values == -9).any() and ((values == -8).any() or data != out)  # (no dropout answer is N)


def test_codebook_describes_every_column(world, tmp_path):
    out = tmp_path / "asi.csv"
    s = world.session(ANALYST)
    result = export_records(s, out, "csv", lang="en")
    s.close()
    header = read_csv(out)[0]
    book = read_csv(result.codebook_path)
    assert book[0] == ["record", "variable", "name", "kind", "storage", "type", "item", "bank_id", "bank_versions",
                       "value", "code", "label_sv", "label_en", "missing"]
    variables = [r for r in book if r[0] == "variable"]
    assert [r[1] for r in variables] == header
    names = [r[2] for r in variables]
    assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", n) and not n.endswith("_") for n in names)
    assert len({n.lower() for n in names}) == len(names)
    by_column = {r[1]: r for r in variables}
    assert by_column["SE.G.boende"][2] == "SE_G_boende" and by_column["SE.G.boende"][4] == "numeric"
    assert by_column["G10"][13] == "-9 -8" and by_column["G10"][11] == "Kön"
    assert by_column["G4"][4] == "string"  # a date: year and month
    versions = f"asi-grund {V1}; asi-uppfoljning {bundled_bank('asi-uppfoljning').version}"
    assert ["value", "G10", "G10", "", "", "", "", "", versions, "1", "1", "Kvinna", "Woman", ""] in book
    assert [r[9] for r in book if r[0] == "value" and r[1] == "age_band"] == ["0", "18", "25", "35", "45", "55", "65"]
    missing = {r[10]: r[9] for r in book if r[0] == "missing"}
    assert missing == {"X": "-9", "N": "-8"}
    info = {r[1]: r[9] for r in book if r[0] == "file"}
    assert info["kind"] == "interviews" and info["rows"] == "44" and info["full_dates"] == "0"
    assert info[f"bank asi-grund {V1}"] == f"{bundled_bank('asi-grund').sha256} {V1}"


def test_export_is_audited_and_names_identifying_options(world, tmp_path):
    s = world.session(ANALYST)
    export_records(s, tmp_path / "a.csv", "csv", date_from=date(2025, 1, 1), instruments=("grund",))
    s.close()
    s = world.session(ADMIN)  # identifying options: admins only (issue 13)
    export_records(s, tmp_path / "b.csv", "csv", full_dates=True, exact_age=True)
    s.close()
    admin = world.session(ADMIN)
    first, second = [e for e in admin.audit_entries() if e["action"] == "export"][-2:]
    admin.close()
    n = sum(1 for k in world.completed("interview", "grund") if k.day >= date(2025, 1, 1))
    assert first["detail"]["format"] == "csv" and first["detail"]["rows"] == n
    assert first["detail"]["identifying_options"] == []
    assert second["detail"]["identifying_options"] == ["full_dates", "exact_age"]
    assert first["user"] == ANALYST and "client" not in first


def test_exact_age_and_full_dates_on_request(world, tmp_path):
    out = tmp_path / "asi.csv"
    s = world.session(ADMIN)
    export_records(s, out, "csv", full_dates=True, exact_age=True, instruments=("grund",))
    s.close()
    data = read_dicts(out)
    assert "year_month" not in data[0] and "G16" in data[0]
    got = Counter((r["interview_date"], r["G16"], r["age_band"], r["G4"]) for r in data)
    want = Counter((k.day.isoformat(), str(k.get("G16")), band(k.get("G16")), cell(k.answers, "G4", True))
                   for k in world.completed("interview", "grund"))
    assert got == want


def test_dropouts_and_interviewer_on_request(world, tmp_path):
    out = tmp_path / "asi.csv"
    s = world.session(ADMIN)
    result = export_records(s, out, "csv", dropouts=True, with_interviewer=True, instruments=("uppfoljning",))
    s.close()
    data = read_dicts(out)
    assert list(data[0])[-1] != "interviewer" and "interviewer" in data[0]
    assert len(data) == len(world.completed("interview", "uppfoljning"))
    assert {r["interviewer"] for r in data} == {ANNA}
    assert all(r["linked_record_no"] == "" and r["grund_key"] for r in data)  # the Grund is not in this file
    drops = read_dicts(result.dropouts.path)
    assert result.dropouts.path == tmp_path / "asi.dropouts.csv"
    assert list(drops[0])[:6] == ["record_no", "unit_id", "unit_name", "interview_key", "client_key", "linked_key"]
    assert "SE.B.orsak" in drops[0] and "SE.B.orsak_annan" not in drops[0] and "B.comment" not in drops[0]
    assert Counter(r["SE.B.orsak"] for r in drops) == Counter(cell(k.answers, "SE.B.orsak") for k in world.completed("dropout"))
    assert Counter(r["age_band"] for r in drops) == Counter(band(k.get("G16")) for k in world.completed("dropout"))
    reasons = {r[9]: r[10] for r in read_csv(result.dropouts.codebook_path) if r[0] == "value" and r[1] == "SE.B.orsak"}
    assert reasons["3"] == "declined"  # the codebook keeps the bank's code beside its number
    assert stat.S_IMODE(os.stat(result.dropouts.path).st_mode) == 0o600


def _xlsx_cell_types(path: Path, sheet: int = 1) -> list[list[str]]:
    """Per data row, the cell kinds: "n" (number), "s" (text) or "" (empty)."""
    import zipfile
    from xml.etree import ElementTree as ET

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read(f"xl/worksheets/sheet{sheet}.xml"))
    out = []
    for row in root.iter(f"{ns}row"):
        out.append(["s" if c.get("t") == "inlineStr" else "n" if c.find(f"{ns}v") is not None else "" for c in row])
    return out[1:]


def test_xlsx_matches_the_csv(world, tmp_path):
    s = world.session(ANALYST)
    export_records(s, tmp_path / "a.csv", "csv", dropouts=True)
    result = export_records(s, tmp_path / "a.xlsx", "xlsx", dropouts=True)
    s.close()
    assert result.codebook_path is None
    assert stat.S_IMODE(os.stat(tmp_path / "a.xlsx").st_mode) == 0o600
    book = read_xlsx(tmp_path / "a.xlsx")
    assert list(book) == ["data", "codebook"]
    csv_rows = read_csv(tmp_path / "a.csv")
    width = len(csv_rows[0])
    pad = [r + [""] * (width - len(r)) for r in book["data"]]
    # keys are random per export: compare everything else
    keys = [csv_rows[0].index(k) for k in ("interview_key", "client_key", "grund_key", "linked_key")]
    strip = lambda rows: [[c for i, c in enumerate(r) if i not in keys] for r in rows]  # noqa: E731
    assert strip(pad) == strip(csv_rows)
    # numbers are numbers in the sheet, text is text
    storage = {r[1]: r[4] for r in read_csv(tmp_path / "a.codebook.csv") if r[0] == "variable"}
    for kinds, values in zip(_xlsx_cell_types(tmp_path / "a.xlsx"), csv_rows[1:]):
        for column, kind, value in zip(csv_rows[0], kinds, values):
            assert kind == ("" if value == "" else "n" if storage[column] == "numeric" else "s"), column
    codebook = read_csv(tmp_path / "a.codebook.csv")
    without_run = lambda rows: [r for r in rows if r[:2] not in (["file", "export_id"], ["file", "data_file"],  # noqa: E731
                                                                   ["file", "data_format"])]
    assert without_run([r + [""] * (len(codebook[0]) - len(r)) for r in book["codebook"]]) == without_run(codebook)
    drops = read_xlsx(tmp_path / "a.dropouts.xlsx")
    assert len(drops["data"]) - 1 == len(world.completed("dropout"))


def test_bad_requests_are_typed_errors(world, tmp_path):
    s = world.session(ANALYST)
    with pytest.raises(StoreError) as exc:
        export_records(s, tmp_path / "missing-dir" / "a.csv", "csv")
    assert exc.value.key == "reports.error.write"
    with pytest.raises(StoreError) as exc:
        export_records(s, tmp_path / "a.csv", "ods")
    assert exc.value.key == "reports.export.error.format"
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
    s = new_data_dir(root, resolver)
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
    result = export_records(admin_of(s), tmp_path / "v.csv", "csv")
    header = read_csv(tmp_path / "v.csv")[0]
    data = read_dicts(tmp_path / "v.csv")
    items = header[len(META):]
    newest = [i.id for i in v110.items if i.type not in ("text", "comment") and i.id != "G16"]
    assert items == [*newest, "E18"]  # the newest order, then the item only 1.0.0 has
    assert sorted(result.banks) == [f"asi-grund {V1}", "asi-grund 1.1.0"]
    assert sorted(r["bank_version"] for r in data) == [V1, V1, "1.1.0", "1.1.0"]
    by_version: dict[str, list] = {}
    for r in data:
        by_version.setdefault(r["bank_version"], []).append((r["E18"], r["SE.E.skulder"]))
    assert sorted(by_version[V1]) == [("2", ""), ("3", "")]
    assert sorted(by_version["1.1.0"]) == [("", "0"), ("", "15000")]
    # every other column holds the same answers in both versions
    for version_, _e18, _sk, answers in made:
        row = next(r for r in data if r["bank_version"] == version_ and r["E18"] == (str(_e18) if _e18 is not None else "")
                   and r["SE.E.skulder"] == (str(_sk) if _sk is not None else ""))
        for name in items:
            if name in ITEM_TYPES:  # (SE.E.skulder is 1.1.0's own)
                assert row[name] == cell(answers, name), name
    book = read_csv(result.codebook_path)
    variables = {r[1]: r for r in book if r[0] == "variable"}
    assert variables["E18"][8] == f"asi-grund {V1}" and variables["SE.E.skulder"][8] == "asi-grund 1.1.0"
    assert variables["SE.E.skulder"][11] == "Hur stora skulder har du?"
    assert variables["G10"][8] == f"asi-grund {V1} 1.1.0"  # same item in both: one variable
    assert ["value", "G10", "G10", "", "", "", "", "", f"asi-grund {V1} 1.1.0", "1", "1", "Kvinna", "Woman", ""] in book
    # XLSX: the same columns
    export_records(admin_of(s), tmp_path / "v.xlsx", "xlsx")
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

    result = export_records(admin_of(s), tmp_path / "m.csv", "csv", migrate=migrate)
    s.close()
    data = read_dicts(tmp_path / "m.csv")
    assert sorted(calls) == [("asi-grund", V1), ("asi-grund", V1)]  # the newest version is not migrated
    assert sorted((r["bank_version"], r["E18"], r["SE.E.skulder"]) for r in data) == [
        (V1, "", "2000"), (V1, "", "3000"), ("1.1.0", "", "0"), ("1.1.0", "", "15000")]
    info = {r[1]: r[9] for r in read_csv(result.codebook_path) if r[0] == "file"}
    assert info[f"bank asi-grund {V1}"].endswith(" 1.1.0")  # its answers are in 1.1.0's ids now
