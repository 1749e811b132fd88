"""Regional compilations: `stats --from-export` over de-identified exports of
two data directories gives the same figures as the statistics over both
directories' records together, and refuses files that identify or do not
fit together."""

from __future__ import annotations

import csv
import json
import random
import shutil
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from asi_tui.bank.registry import bundled_bank
from asi_tui.cli import main
from asi_tui.reports import Filters, build_report, export_records, load_dataset
from asi_tui.reports.data import Dataset
from asi_tui.reports.from_export import UNAVAILABLE_SECTIONS, check_filters, load_exports
from asi_tui.reports.stats import SECTIONS
from asi_tui.store import Store, crypto
from asi_tui.store.bank_versions import BankVersions
from asi_tui.store.errors import StoreError

from asi_tui.store.banks import BankStore, resolver_for

from .conftest import ADMIN, ADMIN_PW, ANNA, ANNA_PW, _make_interview
from .export_helpers import new_data_dir

V1 = bundled_bank("asi-grund").version  # the bundled version new records start on


@pytest.fixture(scope="module")
def world2(tmp_path_factory):
    """A second municipality: other units (one spelled like the first's), X answers, pairs, dropouts."""
    crypto.allow_test_kdf()
    root = tmp_path_factory.mktemp("kommun2") / "data"
    def add_units(admin):
        admin.add_unit("ENHET A")  # the same id as the first municipality's "Enhet A" (enhet-a)
        admin.add_unit("Socialtjänsten Norr")
        admin.update_user(ANNA, units=["enhet-a", "socialtjansten-norr"])

    s = new_data_dir(root, admin_does=add_units)
    rng = random.Random(99)
    grund, uppf = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning")
    units = ["enhet-a", "socialtjansten-norr", "socialtjansten-norr"]
    rids = []
    for i in range(10):
        day = date(2025, 1, 3) + timedelta(days=i * 37)
        known = {"G10": (1, 2, 2, 3)[i % 4], "G16": 20 + i * 5, "D14": (1, 9, "X", 10)[i % 4],
                 "SE.G.boende": 1 + i % 9, "SE.E.huvudkalla": 1 + i % 10}
        ratings = {item: (i * 3 + k) % 10 for k, item in enumerate(("M9", "E22", "D32", "D33", "L30", "F36", "P21"))}
        rid, _answers, _ = _make_interview(s, grund, f"N-{i}", day, known, rng, ratings=ratings, unit=units[i % 3])
        rids.append((rid, day))
    for i in (0, 1, 3, 4, 6):
        g_rid, g_day = rids[i]
        known = {"G10": (1, 2, 2, 3)[i % 4], "G16": 21 + i * 5, "D14": 1,
                 "SE.G.boende": 2, "SE.E.huvudkalla": 3}
        ratings = {item: max(0, (i * 3 + k) % 10 - 3) for k, item in enumerate(("M9", "E22", "D32", "D33", "L30", "F36", "P21"))}
        _make_interview(s, uppf, f"N-{i}", g_day + timedelta(days=200 + i), known, rng,
                        linked={"rid": g_rid, "date": g_day.isoformat()}, ratings=ratings, unit=units[i % 3])
    bortfall = bundled_bank("asi-bortfall")
    for j, (instr, reason, gender, age) in enumerate(((1, "declined", 2, 33), (2, "unreachable", 1, "X"), (1, "acute", 3, 70))):
        h = s.create_record(bortfall, f"NB-{j}", date(2025, 4, 1 + j), unit=units[j])
        for item, value in (("SE.B.instrument", instr), ("SE.B.orsak", reason), ("G10", gender), ("G16", age),
                            ("SE.G.boende", 1), ("F4", 7), ("SE.E.huvudkalla", 6), ("M3", 0), ("SE.P.kontakt", 1),
                            ("D14", 9)):
            assert h.answer(item, value).ok, (item, value)
        h.complete()
        h.close()
    s.close()
    return root


def _session(root):
    return Store.open(root).unlock(ADMIN, ADMIN_PW)  # exports: analysts and admins (issue 13)


def _export(root, out_dir, name, **kw):
    s = _session(root)
    try:
        result = export_records(s, out_dir / f"{name}.csv", "csv", dropouts=True, **kw)
    finally:
        s.close()
    return [result.path, result.dropouts.path]


def _records(*roots) -> Dataset:
    rows, banks = [], {}
    for root in roots:
        s = _session(root)
        try:
            ds = load_dataset(s)
        finally:
            s.close()
        rows += ds.rows
        banks.update(ds.banks)
    return Dataset(rows, banks)


@pytest.fixture(scope="module")
def exported(world, world2, tmp_path_factory):
    crypto.allow_test_kdf()  # (module-scoped: runs before the per-test fast-KDF fixture)
    out = tmp_path_factory.mktemp("exports")
    return [*_export(world.root, out, "kommun1"), *_export(world2, out, "kommun2")]


FILTERS = [
    Filters(),
    Filters(instrument=None),
    Filters(instrument="uppfoljning"),
    Filters(unit="enhet-a", instrument=None),
    Filters(gender=1),
    Filters(age_groups=("25-34",), instrument=None),
    Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31), instrument=None),
]


@pytest.mark.parametrize("f", FILTERS, ids=range(len(FILTERS)))
def test_compiling_exports_gives_the_figures_of_the_records_together(world, world2, exported, f):
    sections = tuple(s for s in SECTIONS if s not in UNAVAILABLE_SECTIONS)  # coverage needs exact dates
    from_records = build_report(_records(world.root, world2), f, "sv", sections).to_dict()
    from_exports = build_report(load_exports(exported), f, "sv", sections).to_dict()
    assert from_exports == from_records
    tables = {t["key"]: t for s in from_records["sections"] for t in s["tables"]}
    assert tables["groups.age_gender"]["n"] != 0  # (the filters leave something to compare)
    if f.instrument is None and f.unit is None:
        assert tables["change.ratings"]["n"] != 0 and tables["dropout.reasons"]["n"] != 0


def test_the_command_compiles_without_a_login(world, world2, exported, tmp_path):
    r = CliRunner().invoke(main, ["--lang", "en", "--data", str(tmp_path / "none"), "stats", "--instrument", "all",
                                  "--format", "json", "--from-export", *map(str, exported)])
    assert r.exit_code == 0, r.output
    sections = tuple(s for s in SECTIONS if s not in UNAVAILABLE_SECTIONS)
    want = build_report(_records(world.root, world2), Filters(instrument=None), "en", sections).to_json()
    assert json.loads(r.stdout) == json.loads(want)
    assert "Compiled from 4 export files" in r.stderr
    r = CliRunner().invoke(main, ["--lang", "en", "--data", str(tmp_path / "none"), "stats", "--section", "followup",
                                  "--from-export", *map(str, exported)])
    assert r.exit_code == 1
    assert r.output.strip() == ("Error: Follow-up coverage (followup) needs exact dates and cannot be compiled "
                                "from exports.")


def _refused(paths, key, **kw):
    with pytest.raises(StoreError) as exc:
        load_exports(paths, **kw)
    assert exc.value.key == f"reports.from_export.error.{key}", exc.value.params
    return exc.value


@pytest.mark.parametrize("option", ["full_dates", "exact_age", "with_interviewer"])
def test_files_made_with_an_identifying_option_are_refused(world, tmp_path, option):
    paths = _export(world.root, tmp_path, "id", **{option: True})
    err = _refused(paths[:1], "identifying")
    assert err.params["what"] == option


def _rewrite(path, fn):
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows = fn(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def _copy(exported, tmp_path):
    out = []
    for p in exported[:2]:
        for src in (p, p.with_name(p.stem + ".codebook.csv")):
            shutil.copy(src, tmp_path / src.name)
        out.append(tmp_path / p.name)
    return out


def test_identifying_columns_are_refused_even_when_the_codebook_hides_the_option(exported, tmp_path):
    data, _drops = _copy(exported, tmp_path)
    cb = data.with_name("kommun1.codebook.csv")

    def add_column(name, type_, value):
        def fn(rows):
            return [r + ([name] if i == 0 else [value]) for i, r in enumerate(rows)]

        def fn_cb(rows):
            return rows + [["variable", name, name, "item" if type_ == "text" else "meta", "string", type_, name, "", "",
                            "", "", "x", "x", ""]]

        _rewrite(data, fn)
        _rewrite(cb, fn_cb)

    add_column("G3", "text", "Enhet A")  # a free-text item
    assert _refused([data], "identifying").params["what"] == "G3"
    shutil.copy(exported[0], data)
    shutil.copy(exported[0].with_name("kommun1.codebook.csv"), cb)
    add_column("interview_date", "date", "2025-03-04")
    assert _refused([data], "identifying").params["what"] == "interview_date"


def test_broken_or_repeated_files_are_refused(exported, tmp_path):
    data, drops = _copy(exported, tmp_path)
    _refused([data, exported[0]], "twice")
    _refused([tmp_path / "nothing.csv"], "unreadable")
    _refused([data.with_suffix(".xlsx")], "csv_only")
    _rewrite(data, lambda rows: [rows[0], *rows[1:3], [*rows[3][:20], "tre", *rows[3][21:]], *rows[4:]])
    err = _refused([data], "value")
    assert err.params["row"] == 4
    _rewrite(data, lambda rows: [[*rows[0][:-1], "annan"], *rows[1:]])
    _refused([data], "header")
    cb = drops.with_name("kommun1.dropouts.codebook.csv")
    _rewrite(cb, lambda rows: [[*r[:9], "\x1b[2J9", *r[10:]] if r[:2] == ["file", "format"] else r for r in rows])
    assert _refused([drops], "format").params["value"] == "?[2J9"  # no terminal escapes from a file
    cb.unlink()
    _refused([drops], "no_codebook")
    with pytest.raises(StoreError):
        load_exports([])


def test_months_only_for_a_compiled_period():
    check_filters(Filters(date_from=date(2025, 1, 1), date_to=date(2025, 2, 28)))
    for f in (Filters(date_from=date(2025, 1, 2)), Filters(date_to=date(2025, 2, 27))):
        with pytest.raises(StoreError) as exc:
            check_filters(f)
        assert exc.value.key == "reports.from_export.error.period"


# ----------------------------------------------------------------------------- bank versions


@pytest.fixture
def v1_and_v2(tmp_path):
    """Two municipalities: one still on Grund 1.0.0, one that published 2.0.0 with its map
    (barbiturates, code 6, merged into sedatives, code 7)."""
    from tests.banks.helpers import MAP_V1_V2, make_grund_v2, write

    made = {}
    for name, publish in (("old", False), ("new", True)):
        root = tmp_path / name
        def publish_v2(admin):
            v2 = make_grund_v2(tmp_path / "v2")
            mp = write(tmp_path / "maps" / "grund-1-2.yaml", MAP_V1_V2)
            BankStore(root).publish(admin, v2, maps=[mp])

        new_data_dir(root, admin_does=publish_v2 if publish else None).close()
        s = Store.open(root, resolver=resolver_for(root)).unlock(ANNA, ANNA_PW)
        bank = BankVersions(root).active_bank("grund")
        for i in range(6):
            h = s.create_record(bank, f"{name}-{i}", date(2025, 3, 1 + i))
            assert h.answer("D14", 6 if not publish else 7).ok
            random_fill(h, i)
            h.complete()
            h.close()
        s.close()
        made[name] = root
    return made


def random_fill(h, seed):
    from asi_tui.demo import fill

    fill(h, random.Random(seed), heavy=True)


def test_bank_versions_combine_only_through_published_maps(v1_and_v2, tmp_path):
    files = []
    for name, root in v1_and_v2.items():
        s = Store.open(root, resolver=resolver_for(root)).unlock(ADMIN, ADMIN_PW)
        try:
            files.append(export_records(s, tmp_path / f"{name}.csv", "csv").path)
        finally:
            s.close()
    err = _refused(files, "versions")  # no maps known here: 1.0.0 and 2.0.0 do not combine
    assert err.params["bank"] == f"asi-grund {V1}" and err.params["target"] == "asi-grund 2.0.0"
    versions = BankVersions(v1_and_v2["new"])  # the county's own data directory, with the published map
    ds = load_exports(files, resolver=versions.load, migrator=versions.migrator())
    report = build_report(ds, Filters(), "en")
    substance = {r.key: r.cells[0].value for r in report.table("groups.substance").rows}
    assert substance["7"] == 12 and substance.get("6", 0) == 0  # the old municipality's 6s counted as 7
    # the same version number with other content does not combine
    other = tmp_path / "other"
    other.mkdir()
    for p in (files[1], files[1].with_name("new.codebook.csv")):
        shutil.copy(p, other / p.name)
    _rewrite(other / "new.codebook.csv", lambda rows: [
        [*r[:9], "0" * 64 + " 2.0.0", *r[10:]] if r[:2] == ["file", "bank asi-grund 2.0.0"] else
        [*r[:9], "0123456789abcdef", *r[10:]] if r[:2] == ["file", "export_id"] else r for r in rows])
    _refused([files[1], other / "new.csv"], "bank_content")


def test_codes_moved_by_a_map_are_labelled_as_the_newer_version(tmp_path):
    """An export over 1.0.0 and 2.0.0 rows, with the map applied, holds no code 6 and
    labels none; without the map the 1.0.0 rows keep 6 and its label."""
    from tests.banks.helpers import MAP_V1_V2, make_grund_v2, write

    root = tmp_path / "both"
    s = new_data_dir(root)
    h = s.create_record(bundled_bank("asi-grund"), "A-1", date(2025, 3, 1))
    assert h.answer("D14", 6).ok
    random_fill(h, 1)
    h.complete()
    h.close()
    s.close()
    admin = Store.open(root).unlock(ADMIN, ADMIN_PW)
    BankStore(root).publish(admin, make_grund_v2(tmp_path / "v2"), maps=[write(tmp_path / "m.yaml", MAP_V1_V2)])
    admin.close()
    s = Store.open(root, resolver=resolver_for(root)).unlock(ANNA, ANNA_PW)
    h = s.create_record(BankVersions(root).active_bank("grund"), "A-2", date(2025, 4, 1))
    assert h.answer("D14", 7).ok
    random_fill(h, 2)
    h.complete()
    h.close()
    s.close()
    s = Store.open(root, resolver=resolver_for(root)).unlock(ADMIN, ADMIN_PW)
    try:
        moved = export_records(s, tmp_path / "moved.csv", "csv", migrate=BankVersions(root).migrator())
        kept = export_records(s, tmp_path / "kept.csv", "csv")
    finally:
        s.close()

    def d14(result):
        with result.path.open(encoding="utf-8", newline="") as fh:
            cells = sorted(r["D14"] for r in csv.DictReader(fh))
        with result.codebook_path.open(encoding="utf-8", newline="") as fh:
            codes = {r[9]: r[8] for r in csv.reader(fh) if r[0] == "value" and r[1] == "D14"}
        return cells, codes

    cells, codes = d14(moved)
    assert cells == ["7", "7"] and "6" not in codes and codes["13"] == "asi-grund 2.0.0"
    cells, codes = d14(kept)
    assert cells == ["6", "7"] and codes["6"] == f"asi-grund {V1}"
