"""PSPP (the free SPSS) reads the .sav export with its labels and missing
values. Skipped where PSPP is not installed (`.ci/run` installs it when it can)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest

from asi_tui.bank.missing import MissingCode
from asi_tui.bank.registry import bundled_bank
from asi_tui.reports import export_records

pytest.importorskip("pyreadstat")
PSPP = shutil.which("pspp")
pytestmark = pytest.mark.skipif(PSPP is None, reason="PSPP is not installed")


def _tables(text: str) -> dict[str, list[list[str]]]:
    """PSPP's CSV output: "Table: <title>" then rows, tables apart by blank lines."""
    out: dict[str, list[list[str]]] = {}
    title = None
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("Table: "):
            title = row[0][len("Table: "):]
            out[title] = []
        elif row and title is not None:
            out[title].append(row)
        else:
            title = None
    return out


def test_pspp_reads_labels_missing_values_and_counts(world, tmp_path):
    s = world.session("fou")  # an analyst: interviewers do not export
    try:
        export_records(s, tmp_path / "asi.sav", "sav")
    finally:
        s.close()
    syntax = tmp_path / "read.sps"
    syntax.write_text(f"GET FILE='{tmp_path / 'asi.sav'}'.\n"
                      "DISPLAY DICTIONARY /VARIABLES=G10 SE_G_boende.\n"
                      "FREQUENCIES VARIABLES=G10 L30.\n", encoding="utf-8")
    run = subprocess.run([PSPP, "-O", "format=csv", "-o", str(tmp_path / "out.csv"), str(syntax)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    tables = _tables((tmp_path / "out.csv").read_text(encoding="utf-8"))
    variables = {r[0]: r for r in tables["Variables"][1:]}
    assert variables["G10"][2] == "Kön" and variables["G10"][-1] == "-9; -8"
    assert variables["SE_G_boende"][3] == "Nominal"
    labels = [r[1:] for r in tables["Value Labels"][1:]]
    assert ["1", "Kvinna"] in labels and ["-9[a]", "X = uppgift saknas (vet inte / vill inte svara)"] in labels
    interviews = [*world.completed("interview", "grund"), *world.completed("interview", "uppfoljning")]
    women = sum(1 for k in interviews if k.get("G10") == 1)
    assert ["Valid", "Kvinna", str(women)] == tables["Kön"][1][:3]
    x = sum(1 for k in interviews if isinstance(k.get("L30"), MissingCode) and k.get("L30").code == "X")
    assert x >= 1
    l30 = tables[bundled_bank("asi-grund").by_id["L30"].label.sv]
    assert [r[2] for r in l30 if r[1] == "X = uppgift saknas (vet inte / vill inte svara)"] == [str(x)]
