"""Exercise files: the bundled cases are complete keys; broken files give file:line problems."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.training.exercises import ExerciseError, bundled_exercises, exercise_files, load_exercise, validate_exercise_files

from .conftest import FIXTURES


def test_bundled_exercises_cover_grund_profiles_and_a_followup():
    exercises = bundled_exercises()
    banks = [e.bank.id for e in exercises]
    assert banks.count("asi-grund") >= 3 and banks.count("asi-uppfoljning") >= 1
    for e in exercises:
        # a narrative for every section, in both languages, and an explanation for every rating
        assert {s.id for s in e.bank.sections} <= set(e.model.case.sections), e.id
        assert all(r.explain is not None for r in e.model.ratings.values()), e.id


@pytest.mark.parametrize("path", exercise_files(), ids=lambda p: p.stem)
def test_every_key_is_a_complete_interview_through_bank_simulate(path, tmp_path):
    ex = load_exercise(path)
    answers = {k: e.value for k, e in ex.model.key.items()} | {k: e.value for k, e in ex.model.ratings.items()}
    answers_file = tmp_path / "key.yaml"
    answers_file.write_text(yaml.safe_dump(answers, allow_unicode=True, sort_keys=False), encoding="utf-8")
    args = ["bank", "simulate", str(ex.bank.path), "--answers", str(answers_file), "--date", ex.interview_date.isoformat(), "--json"]
    if ex.linked_date:
        args += ["--linked-date", ex.linked_date.isoformat()]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["complete"] is True and report["rejected"] == [] and report["ignored"] == []
    assert report["warnings"] == []  # a consistent case: no soft check fires on the key


BROKEN = """\
id: broken
version: 1
bank: {id: trainbank, version: 1.0.0}
title: {sv: "Trasig", en: "Broken"}
interview_date: 2026-03-10
case:
  intro: {sv: "x", en: "x"}
  sections: {Q: {sv: "okänd sektion", en: "unknown section"}}
key:
  AGE: 40
  ENV: 1
  ENVD: 4
  M1: 0
  M2x: 1
  M6: 45
  D1a: 2
  D2a: 3
  P9m: 1
  NOPE: 1
  M9: 4
ratings:
  D32: 3
  P12: 2
"""


def test_broken_exercise_lists_every_problem_with_its_line(tmp_path, train_bank):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ExerciseError) as info:
        load_exercise(path, [train_bank])
    got = {(p.line, p.item) for p in info.value.problems}
    text = "\n".join(str(p) for p in info.value.problems)
    assert all(str(p).startswith(f"{path}:") for p in info.value.problems)
    assert (8, "Q") in got and "unknown section" in text  # case.sections
    assert (12, "ENVD") in got and "hidden by a skip rule" in text  # ENV 1 hides ENVD
    assert (14, "M2x") in got  # M1 0 hides M2 and M2x
    assert (15, "M6") in got and "does not fit" in text  # 45 days > 30
    assert (17, "D2a") in got  # hard rule D2a <= D1a
    assert (19, "NOPE") in got and "unknown item" in text
    assert (20, "M9") in got and "belong under `ratings:`" in text
    assert (23, "P12") in got and "not an interviewer rating" in text
    assert any(p.item == "P9s" and "no answer in the key" in p.message for p in info.value.problems)
    assert any(p.item == "M9" and "rating missing" in p.message for p in info.value.problems)


def test_wrong_bank_and_bad_yaml(tmp_path, train_bank):
    bad = tmp_path / "nobank.yaml"
    bad.write_text(BROKEN.replace("id: broken", "id: nobank").replace("trainbank", "nosuchbank"), encoding="utf-8")
    dup = tmp_path / "dup.yaml"
    dup.write_text("id: dup\nid: dup\n", encoding="utf-8")
    problems = validate_exercise_files([bad, dup], [train_bank])
    assert any("no bank nosuchbank 1.0.0" in p.message for p in problems)
    assert any(p.file == str(dup) and p.line == 2 and "appears twice" in p.message for p in problems)


def test_years_months_and_times_are_read_as_in_an_answers_file(exercise):
    # "2:00" is a duration (24 months), not the base-60 number 120
    assert exercise.key_values["M2"] == 24
    assert exercise.explanation("ENVD", "en") == "Ten days in jail."
    assert [e.get("sv") for e in exercise.excerpts("ENVD")] == ["– Jag satt inne tio dagar."]
    assert exercise.narrative("G", "en").startswith("The client is 40")


def test_fixture_exercise_validates(train_bank):
    assert validate_exercise_files([FIXTURES / "ovning-a.yaml"], [train_bank]) == []
