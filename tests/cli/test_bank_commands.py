"""`asi-tui bank list|diff|simulate` as a bank author uses them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from asi_tui.cli import main
from tests.conftest import BANKS, FIXTURES

GRUND = BANKS / "grund" / "asi-grund-1.0.0.yaml"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_list_shows_every_bundled_bank():
    result = run("bank", "list", "--json")
    assert result.exit_code == 0
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert {"asi-grund", "asi-spel-grund", "asi-spel-uppfoljning"} <= set(rows)
    assert rows["asi-grund"]["items"] >= 150 and rows["asi-grund"]["sections"] == 8
    text = run("--lang", "en", "bank", "list").output
    assert "asi-grund" in text and "ASI Baseline" in text


def test_grund_shape():
    from asi_tui.bank.registry import bundled_bank

    bank = bundled_bank("asi-grund")
    areas = [s.area for s in bank.sections]
    assert areas == ["background", "medical", "employment", "alcohol", "drug", "legal", "family", "psych"]
    assert len(bank.items) >= 150
    assert all(i.label.sv and i.label.en for i in bank.items)
    # one comment per section, one interviewer rating per life area
    for s in bank.sections:
        assert sum(i.type == "comment" for i in s.items) == 1
        assert sum(i.type == "interviewer_rating" for i in s.items) == (0 if s.area == "background" else 1)


def _variant(tmp_path: Path) -> Path:
    """A v1.1.0 of Grund: M4 renamed to M4x, M11 removed, route codes cut, D1a time frame changed."""
    text = GRUND.read_text(encoding="utf-8")
    text = text.replace("version: 1.0.0", "version: 1.1.0", 1)
    text = text.replace("- id: M4\n", "- id: M4x\n", 1)
    start = text.index("- id: M11\n")
    end = text.index("- id:", start + 5)
    text = text[:start] + text[end:]
    text = text.replace("range: [18, 110]", "range: [18, 100]", 1)
    bank_dir = tmp_path / "question_bank" / "grund"
    bank_dir.mkdir(parents=True)
    (tmp_path / "question_bank" / "codes").symlink_to(BANKS / "codes")
    out = bank_dir / "asi-grund-1.1.0.yaml"
    out.write_text(text, encoding="utf-8")
    return out


def test_diff_reports_added_removed_and_breaking_changes(tmp_path):
    new = _variant(tmp_path)
    result = run("bank", "diff", str(GRUND), str(new), "--json")
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["added"] == ["M4x"]
    assert set(d["removed"]) == {"M4", "M11"}
    ranges = [c for c in d["changed"] if c["field"] == "range"]
    assert ranges and all(c["breaks_comparability"] for c in ranges)
    assert d["breaks_comparability"] is True
    text = run("--lang", "en", "bank", "diff", str(GRUND), str(new)).output
    assert "+ M4x" in text and "- M11  [breaks comparability]" in text


def test_diff_of_a_bank_with_itself_is_empty():
    result = run("--lang", "en", "bank", "diff", str(GRUND), str(GRUND))
    assert result.exit_code == 0 and "No differences." in result.output


def test_wording_change_does_not_break_comparability(tmp_path):
    new = _variant(tmp_path)
    text = GRUND.read_text(encoding="utf-8").replace("version: 1.0.0", "version: 1.0.1", 1)
    label_line = next(ln for ln in text.splitlines() if ln.strip().startswith("label:"))
    new.write_text(text.replace(label_line, label_line.replace("en: ", "en: Reworded ", 1), 1), encoding="utf-8")
    d = json.loads(run("bank", "diff", str(GRUND), str(new), "--json").output)
    assert d["changed"] and not d["breaks_comparability"]


def test_simulate_text_output_lists_hidden_warnings_and_composites(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("G16: 34\nM1: 0\nE11: 0\nE12: 5000\nM6: 0\nM7: 0\nM8: 0\n", encoding="utf-8")
    result = run("--lang", "en", "bank", "simulate", "asi-grund", "--answers", str(answers), "--date", "2026-11-20")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Hidden: M2" in out or "M2" in out.split("Hidden:")[2]
    assert "WARNING E12:" in out
    assert "Physical health" in out and "0.000" in out
    assert "Interviewer rating missing: M9 E22 D32 D33 L30 F36 P21" in out


def test_simulate_bad_answers_file_is_one_line_error(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("G16: [1,\n", encoding="utf-8")
    result = run("--lang", "en", "bank", "simulate", "asi-grund", "--answers", str(answers))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.output.strip().startswith("Error: The answers file") and result.output.count("\n") == 1


def test_simulate_unknown_bank_and_bad_date(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("{}\n", encoding="utf-8")
    assert "No question bank nosuch" in run("--lang", "en", "bank", "simulate", "nosuch", "--answers", str(answers)).output
    out = run("--lang", "en", "bank", "simulate", "asi-grund", "--answers", str(answers), "--date", "2026-13-01").output
    assert "Invalid date 2026-13-01" in out


def test_simulate_followup_needs_linked_date(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("{}\n", encoding="utf-8")
    bank = BANKS / "spelmodul" / "asi-spel-uppfoljning-1.0.0.yaml"
    out = run("--lang", "en", "bank", "simulate", str(bank), "--answers", str(answers), "--date", "2026-11-20")
    assert out.exit_code == 1 and "must be linked" in out.output
    ok = run("bank", "simulate", str(bank), "--answers", str(answers), "--date", "2026-11-20", "--linked-date", "2026-05-01", "--json")
    assert ok.exit_code == 0 and json.loads(ok.output)["linked_date"] == "2026-05-01"


def test_console_script_runs_validate_without_traceback(tmp_path):
    broken = tmp_path / "question_bank" / "grund"
    broken.mkdir(parents=True)
    (broken / "b.yaml").write_text((FIXTURES / "mini-bank.yaml").read_text().replace("ENV in [2]", "ENV in ["), encoding="utf-8")
    (broken / "c.yaml").write_text("id: [\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "asi_tui.cli", "bank", "validate", str(tmp_path)], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f"{broken / 'c.yaml'}:2: -: bad YAML" in proc.stdout


def test_uppfoljning_has_no_lifetime_items_and_keeps_ratings():
    from asi_tui.bank.registry import bundled_bank

    grund, uppf = bundled_bank("asi-grund"), bundled_bank("asi-uppfoljning")
    assert uppf.is_followup and all(i.timeframe != "lifetime" for i in uppf.items)
    assert any(i.timeframe == "since_last" for i in uppf.items)
    rating_ids = lambda b: [i.id for i in b.items if i.type == "interviewer_rating"]  # noqa: E731
    assert rating_ids(uppf) == rating_ids(grund)
    # 30-day items keep their ids and time frames (Decision 4)
    for item in grund.items:
        if item.timeframe == "30d" and item.id in uppf.by_id:
            assert uppf.by_id[item.id].timeframe == "30d"
    assert "M6" in uppf.by_id and "D1a" in uppf.by_id and len(uppf.items) < len(grund.items)
