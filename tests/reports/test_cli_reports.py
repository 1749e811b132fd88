"""`asi-tui stats`, `followups` and `export` through click's test runner."""

from __future__ import annotations

import csv
import io
import json
import os
import stat

from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.reports.tables import CSV_HEADER

from .conftest import ADMIN, ANALYST, ANNA


def run(world, *args: str, lang: str = "sv", user: str = ANNA):
    result = CliRunner().invoke(main, ["--lang", lang, "--data", str(world.root), "--user", user, *args,
                                       "--passphrase-file", str(world.pwfile_for(user))])
    assert "Traceback" not in result.output
    return result


def test_stats_text(world):
    r = run(world, "stats", "--instrument", "all")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "ASI-statistik (avidentifierad)" in out and "Gruppsammanställning" in out and "Bortfall" in out
    assert "Ålder och kön  (n = 43)" in out
    assert " .. " in out or out.count("..") > 3  # suppressed counts
    assert "K-0" not in out and "B-0" not in out


def test_stats_json_with_filters(world):
    r = run(world, "stats", "--format", "json", "--group", "18-24,25–34", "--gender", "Kvinna", "--from", "2024-01-01",
            "--to", "2026-12-31", "--unit", "enhet A", lang="en")  # a unit's name, case and spaces ignored
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["filters"] == {"from": "2024-01-01", "to": "2026-12-31", "unit": "enhet-a", "age_groups": ["18-24", "25-34"],
                               "gender": 1, "instrument": "grund"}
    tables = {t["key"]: t for s in data["sections"] for t in s["tables"]}
    n = sum(1 for k in world.completed("interview", "grund")
            if k.get("G10") == 1 and 18 <= k.get("G16") <= 34 and k.unit == "enhet-a")
    assert 5 <= n < 10
    assert tables["groups.age_gender"]["n"] in (n, None)
    assert tables["groups.age_gender"]["n_suppressed"] == (tables["groups.age_gender"]["n"] is None)
    assert tables["groups.age_gender"]["note"] == "Fewer than 10 clients: no conclusions"


def test_stats_csv_and_sections(world):
    r = run(world, "stats", "--format", "csv", "--section", "dropout")
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[0] == CSV_HEADER
    assert {row[0] for row in rows[1:]} == {"dropout"}
    assert {"dropout.reasons", "dropout.rate", "dropout.gender"} <= {row[1] for row in rows[1:]}


def test_bad_filters_are_one_line(world):
    for args, text in ((("--group", "unga"), "Ogiltig åldersgrupp unga"), (("--gender", "x"), "Okänt kön x"),
                       # arbitrary bounds could be subtracted (18-33 from 18-34): only the fixed bands are allowed
                       (("--group", "18-33"), "fasta åldersbanden 18-24, 25-34, 35-44, 45-54, 55-64, 65+"),
                       (("--from", "2026-01-01", "--to", "2025-01-01"), "Perioden börjar")):
        r = run(world, "stats", *args)
        lines = [ln for ln in r.output.splitlines() if ln.strip()]
        assert r.exit_code != 0 and len(lines) == 1 and text in lines[0], r.output


def test_followups(world):
    r = run(world, "followups", "--as-of", "2026-11-23")
    assert r.exit_code == 0, r.output
    assert "Dags för uppföljning (6–12 mån)" in r.stdout and "Ny ASI Grund behövs" in r.stdout
    assert "K-0" in r.stdout  # a working list names the clients
    r = run(world, "followups", "--as-of", "2026-11-23", "--json", "--all")
    listed = json.loads(r.stdout)
    assert {f["status"] for f in listed} == {"due", "overdue", "new_grund", "upcoming"}


def test_export_command(world, tmp_path):
    out = tmp_path / "asi.xlsx"
    r = run(world, "export", "--format", "xlsx", "--out", str(out), "--dropouts", lang="en", user=ANALYST)
    assert r.exit_code == 0, r.output
    assert "44 interviews exported" in r.stdout and "10 dropouts exported" in r.stdout
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    r = run(world, "export", "--format", "csv", "--out", str(tmp_path / "nodir" / "a.csv"), lang="en", user=ANALYST)
    assert r.exit_code != 0 and "Could not write" in r.output
