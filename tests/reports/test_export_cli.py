"""`asi-tui export` and `asi-tui stats --from-export` through click's test runner."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from asi_tui.cli import main

from .conftest import ADMIN, ANALYST, ANNA


def run(world, *args: str, lang: str = "en", user: str = ANALYST):
    result = CliRunner().invoke(main, ["--lang", lang, "--data", str(world.root), "--user", user, *args,
                                       "--passphrase-file", str(world.pwfile_for(user))])
    assert "Traceback" not in result.output
    return result


def test_export_to_spss_names_the_codebook(world, tmp_path):
    pytest.importorskip("pyreadstat")
    out = tmp_path / "asi.sav"
    r = run(world, "export", "--format", "sav", "--out", str(out))
    assert r.exit_code == 0, r.output
    assert "44 interviews exported" in r.stdout and f"Codebook: {tmp_path / 'asi.codebook.csv'}" in r.stdout
    assert out.stat().st_size > 0 and r.stderr == ""


def test_identifying_options_are_named_on_stderr(world, tmp_path):
    out = tmp_path / "asi.csv"
    r = run(world, "export", "--format", "csv", "--out", str(out), "--exact-age", "--full-dates", "--from", "2026-01-01",
            "--include-linked", user=ADMIN)
    assert r.exit_code == 0, r.output
    assert "full dates, exact age: it is pseudonymised, not anonymous" in r.stderr
    assert "were added because a follow-up in it links to them" in r.stdout
    with out.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert "G16" in header and "interview_date" in header and "linked_only" in header


def test_from_export_refusals_are_one_line(world, tmp_path):
    out = tmp_path / "asi.csv"
    assert run(world, "export", "--format", "csv", "--out", str(out), "--exact-age", user=ADMIN).exit_code == 0
    for args, text in ((("--from-export", str(out)), "holds exact_age"),
                       (("--from-export",), "Name the export files"),
                       ((str(out),), "only with --from-export"),
                       (("--from-export", "--from", "2025-01-15", str(out)), "whole months")):
        r = CliRunner().invoke(main, ["--lang", "en", "--data", str(tmp_path / "none"), "stats", *args])
        lines = [ln for ln in r.output.splitlines() if ln.strip()]
        assert r.exit_code != 0 and len(lines) == 1 and text in lines[0], r.output
