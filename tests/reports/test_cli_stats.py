"""`asi-tui stats`: the formats, rounding, subgroups and the admin-only tables."""

from __future__ import annotations

import csv
import json
import os
import stat

from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.reports.tables import CSV_HEADER

from .conftest import ADMIN, ADMIN_PW, ANNA
from .xlsx_read import read_xlsx


def run(world, *args: str, user: str = ANNA, lang: str = "en"):
    pw = world.pwfile
    if user == ADMIN:
        pw = world.pwfile.with_name("pw-admin")
        pw.write_text(ADMIN_PW + "\n")
    result = CliRunner().invoke(main, ["--lang", lang, "--data", str(world.root), "--user", user, *args,
                                       "--passphrase-file", str(pw)])
    assert "Traceback" not in result.output
    return result


def one_line_error(result, text: str) -> None:
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code != 0 and len(lines) == 1 and text in lines[0], result.output


def test_xlsx_workbook_with_tables_cells_and_notes(world, tmp_path):
    out = tmp_path / "stats.xlsx"
    r = run(world, "stats", "--format", "xlsx", "--out", str(out), "--instrument", "all")
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    book = read_xlsx(out)
    assert set(book) == {"tables", "cells", "notes"}
    assert book["cells"][0] == CSV_HEADER
    titles = [row[0] for row in book["tables"] if row]
    assert "Age and gender" in titles and "Follow-up of ASI Grund" in titles
    age = titles.index("Age and gender")
    body = book["tables"][age:age + 12]
    assert any(".." in row for row in body)  # suppressed counts
    total = next(row for row in body if row and row[0] == "Total")
    assert total[-2] == "43"  # n of all interviews, a number cell
    assert any("1–4 clients" in row[0] for row in book["notes"] if row)
    one_line_error(run(world, "stats", "--format", "xlsx"), "--out")


def test_csv_to_a_file_and_rounding_is_stated(world, tmp_path):
    out = tmp_path / "stats.csv"
    r = run(world, "stats", "--format", "csv", "--out", str(out), "--round", "5", "--section", "groups")
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    rows = list(csv.reader(out.open(encoding="utf-8")))
    counts = [int(row[-1]) for row in rows[1:] if row[1] == "groups.age_gender" and row[7] == "total" and row[-1].isdigit()]
    assert counts and all(c % 5 == 0 for c in counts)
    text = run(world, "stats", "--round", "5", "--section", "groups").stdout
    assert "rounded to the nearest multiple of 5" in text
    assert run(world, "stats", "--round", "7").exit_code != 0


def test_compare_subgroups(world):
    r = run(world, "stats", "--format", "json", "--compare", "young_women,young_men", "--section", "compare")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["compare"] == ["young_women", "young_men"]
    tables = {t["key"]: t for s in data["sections"] for t in s["tables"]}
    substance = tables["compare.substance"]
    assert [c["key"] for c in substance["columns"]] == ["young_women", "young_women_share", "young_men", "young_men_share",
                                                       "whole", "whole_share"]
    whole = {row["key"]: row["cells"][4] for row in substance["rows"]}
    known = sum(1 for k in world.completed("interview", "grund") if k.get("D14") == 1)
    assert whole["1"]["value"] in (known, None)
    one_line_error(run(world, "stats", "--compare", "unga"), "Unknown subgroup unga")


def test_quality_section_is_for_admins(world):
    one_line_error(run(world, "stats", "--section", "quality"), "admins only")
    r = run(world, "stats", "--section", "quality", "--format", "json", user=ADMIN)
    assert r.exit_code == 0, r.output
    table = json.loads(r.stdout)["sections"][0]["tables"][0]
    assert table["key"] == "quality.interviewers" and [row["key"] for row in table["rows"]] == ["anna", "total"]
