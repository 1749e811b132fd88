"""SPSS (.sav) and Stata (.dta) exports, read back with pyreadstat and
compared with the CSV export: values, variable and value labels, declared
missing values."""

from __future__ import annotations

import csv
import math
import os
import stat
import sys

import pytest

from asi_tui.reports import export_records
from asi_tui.store import crypto
from asi_tui.store.errors import StoreError

pyreadstat = pytest.importorskip("pyreadstat")

KEYS = ("interview_key", "client_key", "grund_key", "linked_key")  # random per export run


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def codebook(path):
    rows = read_csv(path)
    variables = {r[1]: r for r in rows if r[0] == "variable"}
    values: dict[str, dict[str, str]] = {}
    for r in rows:
        if r[0] == "value":
            values.setdefault(r[1], {}).setdefault(r[9], r[11])  # value -> first (newest) Swedish label
    return variables, values


@pytest.fixture(scope="module")
def exports(world, tmp_path_factory):
    crypto.allow_test_kdf()  # (module-scoped: runs before the per-test fast-KDF fixture)
    out = tmp_path_factory.mktemp("statsfiles")
    s = world.session("fou")  # an analyst: interviewers do not export
    try:
        files = {fmt: export_records(s, out / f"asi.{fmt}", fmt, dropouts=True) for fmt in ("csv", "sav", "dta")}
    finally:
        s.close()
    return files


@pytest.mark.parametrize("fmt", ["sav", "dta"])
@pytest.mark.parametrize("part", ["interviews", "dropouts"])
def test_file_reads_back_as_the_csv_with_labels_and_missing_values(exports, fmt, part):
    csv_result, result = exports["csv"], exports[fmt]
    if part == "dropouts":
        csv_result, result = csv_result.dropouts, result.dropouts
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o600
    rows = read_csv(csv_result.path)
    header, data = rows[0], rows[1:]
    variables, values = codebook(result.codebook_path)
    assert list(variables) == header  # the same columns, in the same order
    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = reader(str(result.path), user_missing=True)
    plain, _ = reader(str(result.path))  # a default read: declared missing values become missing
    names = [variables[c][2] for c in header]
    assert list(frame.columns) == names and len(frame) == len(data) == result.rows > 0
    checked_missing = 0
    for j, column in enumerate(header):
        name, storage = names[j], variables[column][4]
        # the variable label is the codebook's (Stata allows 80 characters)
        label = variables[column][11]
        assert meta.column_names_to_labels[name] == (label if fmt == "sav" or len(label) <= 80 else label[:79] + "…")
        if column in KEYS:
            assert all(len(v) in (0, 16) for v in frame[name])
            continue
        for i, row in enumerate(data):
            want, got, default = row[j], frame[name].iat[i], plain[name].iat[i]
            if storage == "string":
                assert got == want, (column, i)
            elif want == "":
                assert got is None or (isinstance(got, float) and math.isnan(got)), (column, i)
            elif want in ("-9", "-8"):
                assert got == (float(want) if fmt == "sav" else {"-9": "x", "-8": "n"}[want]), (column, i)
                assert default is None or math.isnan(default), (column, i)
                checked_missing += 1
            else:
                assert float(got) == float(want), (column, i)
        if storage != "numeric":
            continue
        # value labels as in the codebook, X and N labelled too
        labels = meta.variable_value_labels.get(name, {})
        expected = {float(v) if fmt == "sav" else int(v): text for v, text in values.get(column, {}).items()}
        if variables[column][13]:
            if fmt == "sav":
                assert meta.missing_ranges[name] == [{"lo": -9.0, "hi": -9.0}, {"lo": -8.0, "hi": -8.0}]
                expected.update({-9.0: "X = uppgift saknas (vet inte / vill inte svara)", -8.0: "N = ej tillämplig"})
            else:
                expected.update({"x": "X = uppgift saknas (vet inte / vill inte svara)", "n": "N = ej tillämplig"})
        assert {k: v for k, v in labels.items()} == expected, column
    assert checked_missing > 0


def test_gender_labels_and_a_renamed_column(exports):
    frame, meta = pyreadstat.read_sav(str(exports["sav"].path), user_missing=True)
    assert meta.variable_value_labels["G10"][1.0] == "Kvinna"
    assert "SE_G_boende" in frame.columns and "SE.G.boende" not in frame.columns
    assert meta.variable_measure["G10"] == "nominal" and meta.variable_measure["E11"] == "scale"
    frame, meta = pyreadstat.read_dta(str(exports["dta"].path), user_missing=True)
    assert meta.variable_value_labels["G10"][1] == "Kvinna"


def test_without_the_stats_extra_spss_is_refused_in_one_line_and_stata_still_works(world, tmp_path, monkeypatch):
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "pyreadstat", None)  # as if not installed
        m.setitem(sys.modules, "pandas", None)
        s = world.session("fou")  # an analyst: interviewers do not export
        try:
            with pytest.raises(StoreError) as exc:
                export_records(s, tmp_path / "a.sav", "sav")
            assert exc.value.key == "reports.export.error.stats_extra"
            assert not list(tmp_path.iterdir())
            result = export_records(s, tmp_path / "a.dta", "dta")  # written without the extra
        finally:
            s.close()
    frame, _meta = pyreadstat.read_dta(str(result.path))
    assert len(frame) == result.rows == 44
