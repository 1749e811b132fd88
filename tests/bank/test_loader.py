"""Loading and linting banks: every broken bank is rejected with file, line and item."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asi_tui.bank.loader import BankError, load_bank
from asi_tui.cli import main
from tests.conftest import BANKS, FIXTURES

BASE = """\
id: t
version: 1.0.0
instrument: grund
title: {sv: "T", en: "T"}
messages:
  check.x: {sv: "x", en: "x"}
sections:
  - id: M
    area: medical
    title: {sv: "M", en: "M"}
    items:
      - id: M1
        label: {sv: "a", en: "a"}
        type: count
        timeframe: lifetime
      - id: M2
        label: {sv: "b", en: "b"}
        type: years_months
        relevant: "M1 > 0"
      - id: M3
        label: {sv: "c", en: "c"}
        type: yes_no
      - id: M9
        label: {sv: "r", en: "r"}
        type: interviewer_rating
"""


def write(tmp_path: Path, text: str) -> Path:
    bank_dir = tmp_path / "question_bank" / "grund"
    bank_dir.mkdir(parents=True, exist_ok=True)
    codes = tmp_path / "question_bank" / "codes"
    if not codes.exists():
        shutil.copytree(BANKS / "codes", codes)
    path = bank_dir / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def validate(path: Path):
    return CliRunner().invoke(main, ["bank", "validate", str(path)])


def test_base_bank_is_clean(tmp_path):
    result = validate(write(tmp_path, BASE))
    assert result.exit_code == 0, result.output


BROKEN = [
    # (name, transform of BASE, expected line, expected item, message fragment)
    ("duplicate id", lambda s: s.replace("- id: M3", "- id: M1"), 20, "M1", "duplicate item id (first on line 12)"),
    ("unknown reference", lambda s: s.replace('"M1 > 0"', '"Q7 > 0"'), 19, "M2", "unknown item 'Q7'"),
    ("forward reference", lambda s: s.replace('"M1 > 0"', '"M3 == 1"'), 19, "M2", "comes later"),
    ("self reference", lambda s: s.replace('"M1 > 0"', '"M2 > 1"'), 19, "M2", "cycle"),
    ("type mismatch code", lambda s: s.replace(
        "      - id: M9", '      - id: M4\n        label: {sv: "d", en: "d"}\n        type: count\n        relevant: "M3 == 2"\n      - id: M9'),
        26, "M4", "compares M3 with 2, which is not one of its codes (0, 1)"),
    ("type mismatch text", lambda s: s.replace('"M1 > 0"', "\"M1 == 'ja'\""), 19, "M2", "with the text"),
    ("bad yaml", lambda s: s.replace("        type: yes_no", "        type: [yes_no"), 23, "-", "bad YAML"),
    ("unknown field", lambda s: s.replace("        type: yes_no", "        type: yes_no\n        colour: red"), 23, "M3", "unknown field 'colour'"),
    ("range min > max", lambda s: s.replace("        timeframe: lifetime", "        timeframe: lifetime\n        range: [10, 2]"), 12, "M1", "greater than max"),
    ("unknown code list", lambda s: s.replace("        type: yes_no", "        type: single\n        codes: nosuch"), 23, "M3", "unknown code list"),
    ("unknown message", lambda s: s.replace("        type: yes_no", "        type: yes_no\n        checks: [{expr: \"M3 == 1\", severity: soft, message: check.nope}]"), 23, "M3", "unknown message key"),
    ("unparsable expression", lambda s: s.replace('"M1 > 0"', '"M1 >"'), 19, "M2", "expected a value"),
    ("unreachable", lambda s: s.replace('"M1 > 0"', '"M1 > 0 and 1 > 2"'), 19, "M2", "unreachable"),
    ("duplicate yaml key", lambda s: s.replace("        type: yes_no", "        type: yes_no\n        type: count"), 23, "-", "appears twice"),
    ("bad version", lambda s: s.replace("version: 1.0.0", "version: one"), 2, "t", "semantic version"),
    ("lifetime in follow-up", lambda s: s.replace("instrument: grund", "instrument: uppfoljning"), 15, "M1", "no lifetime items"),
    ("missing rating", lambda s: s.replace("type: interviewer_rating", "type: client_rating"), 8, "M", "exactly one interviewer rating"),
]


@pytest.mark.parametrize("name, transform, line, item, fragment", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_bank_is_rejected_with_location(tmp_path, name, transform, line, item, fragment):
    path = write(tmp_path, transform(BASE))
    result = validate(path)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [ln for ln in result.output.splitlines() if ln.startswith(str(path))]
    assert lines, result.output
    expected = f"{path}:{line}: {item}: "
    matching = [ln for ln in lines if ln.startswith(expected) and fragment in ln]
    assert matching, f"wanted {expected}...{fragment!r} in:\n{result.output}"


def test_broken_bank_never_loads_halfway(tmp_path):
    path = write(tmp_path, BASE.replace('"M1 > 0"', '"Q7 > 0"').replace("- id: M3", "- id: M1"))
    with pytest.raises(BankError) as info:
        load_bank(path)
    # every problem is reported, not just the first
    assert len(info.value.problems) >= 2


def test_every_problem_line_has_the_documented_form(tmp_path):
    path = write(tmp_path, BASE.replace('"M1 > 0"', '"Q7 > 0"'))
    result = validate(path)
    for ln in result.output.splitlines()[:-1]:
        assert re.match(r"^.+:\d+: \S+: .+$", ln), ln


def test_missing_path_is_reported_not_raised(tmp_path):
    result = validate(tmp_path / "nope.yaml")
    assert result.exit_code == 1 and "nope.yaml:1" in result.output


def test_bundled_banks_validate_clean():
    result = CliRunner().invoke(main, ["bank", "validate", str(BANKS)])
    assert result.exit_code == 0, result.output


def test_sha256_pins_bank_and_code_lists(tmp_path):
    path = write(tmp_path, BASE)
    first = load_bank(path).sha256
    assert load_bank(path).sha256 == first
    codes = tmp_path / "question_bank" / "codes" / "yes_no.yaml"
    codes.write_text(codes.read_text().replace("Ja", "Japp"), encoding="utf-8")
    assert load_bank(path).sha256 != first


def test_fixture_bank_loads(mini_bank):
    assert mini_bank.id == "mini" and len(mini_bank.items) == 11
    assert FIXTURES.is_dir()


EXERCISE = """\
id: ovning-t
version: 1
bank: {id: t, version: 1.0.0}
title: {sv: "Övning", en: "Exercise"}
interview_date: 2026-03-10
case:
  intro: {sv: "Inledning", en: "Introduction"}
key:
  M1: 0
  M3: 7
ratings:
  M9: 2
"""


def test_validate_checks_exercises_against_the_banks_beside_them(tmp_path):
    write(tmp_path, BASE)
    exercises = tmp_path / "question_bank" / "exercises"
    exercises.mkdir()
    (exercises / "ovning-t.yaml").write_text(EXERCISE, encoding="utf-8")
    result = validate(tmp_path / "question_bank")
    assert result.exit_code == 1
    # M3 is a yes/no item of bank t (found in the same folder, not bundled): 7 is no code of it
    assert re.search(r"ovning-t\.yaml:10: M3: value 7 does not fit", result.output), result.output
    (exercises / "ovning-t.yaml").write_text(EXERCISE.replace("M3: 7", "M3: 1"), encoding="utf-8")
    assert validate(tmp_path / "question_bank").exit_code == 0
