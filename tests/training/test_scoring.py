"""A known attempt scored against a key gives the agreement figures worked out by hand."""

from __future__ import annotations

import pytest

from asi_tui.engine.values import N, X
from asi_tui.training.exercises import load_exercise
from asi_tui.training.scoring import HIDDEN_WRONGLY, RATING, SHOWN_WRONGLY, VALUE, score_attempt, values_agree



def key_answers(exercise, **changes):
    answers = dict(exercise.key_values)
    answers.update(changes)
    return answers


def test_perfect_attempt_agrees_everywhere(exercise):
    card = score_attempt(exercise, exercise.key_answers())
    assert (card.overall.agree, card.overall.total) == (12, 12)
    assert card.skips.pct == 100.0 and card.ratings_exact.agree == 3 and card.kappa == pytest.approx(1.0)
    assert card.disagreements == []


def test_known_attempt_gives_the_hand_counted_figures(exercise):
    # the trainee: ENV 1 (hides ENVD), M2 1:00 (hides M2x), D2a 2, P9s in other words, P12 6;
    # ratings M9 5, D32 3, P21 8 against the key's 6, 3, 5
    answers = {
        "AGE": 40, "ENV": 1, "M1": 2, "M2": 12, "M6": 5, "D1a": 5, "D2a": 2,
        "P9m": 1, "P9s": "  HOPPA ", "P12": 6, "M9": 5, "D32": 3, "P21": 8,
    }
    card = score_attempt(exercise, answers)
    # 12 items visible under the key; the same 6 agree: AGE M1 M6 D1a P9m P9s
    assert (card.overall.agree, card.overall.total) == (6, 12)
    assert card.overall.pct == pytest.approx(50.0)
    assert {sid: (t.agree, t.total) for sid, t in card.areas} == {"G": (1, 3), "M": (2, 4), "A": (1, 2), "P": (2, 3)}
    # skip decisions on the four items with a skip rule: ENVD and M2x hidden wrongly, M2 and P9s right
    assert (card.skips.agree, card.skips.total) == (2, 4)
    # ratings: exact only D32; within one M9 and D32; quadratic kappa 13/28 (see test_agreement)
    assert (card.ratings_exact.agree, card.ratings_exact.total) == (1, 3)
    assert (card.ratings_within_one.agree, card.ratings_within_one.total) == (2, 3)
    assert card.kappa == pytest.approx(13 / 28)
    assert [(d.item_id, d.kind) for d in card.disagreements] == [
        ("ENV", VALUE), ("ENVD", HIDDEN_WRONGLY), ("M2", VALUE), ("M2x", HIDDEN_WRONGLY),
        ("M9", RATING), ("D2a", VALUE), ("P12", VALUE), ("P21", RATING),
    ]
    envd = next(d for d in card.disagreements if d.item_id == "ENVD")
    assert envd.key_value == 10 and envd.trainee_value is N
    assert card.to_dict()["overall"] == {"agree": 6, "total": 12, "pct": 50.0}


def test_tolerance_on_numbers(exercise):
    assert score_attempt(exercise, key_answers(exercise, ENVD=9)).overall.agree == 12  # within 1
    card = score_attempt(exercise, key_answers(exercise, ENVD=8))
    assert card.overall.agree == 11 and card.disagreements[0].item_id == "ENVD"
    assert card.skips.pct == 100.0  # a wrong value is no skip error


OVNING_B = """\
id: ovning-b
version: 1
bank: {id: trainbank, version: 1.0.0}
title: {sv: "Övning B", en: "Exercise B"}
interview_date: 2026-03-10
case:
  intro: {sv: "Inga inläggningar, ingen kontrollerad miljö.", en: "No admissions, no controlled environment."}
key: {AGE: 40, ENV: 1, M1: 0, M6: 5, D1a: 5, D2a: 3, P9m: 1, P9s: "Tankar", P12: 4}
ratings: {M9: 6, D32: 3, P21: 5}
"""


def test_item_shown_wrongly_and_hidden_in_both(tmp_path, train_bank):
    path = tmp_path / "ovning-b.yaml"
    path.write_text(OVNING_B, encoding="utf-8")
    ex = load_exercise(path, [train_bank])
    assert "ENVD" not in ex.visible and "M2" not in ex.visible and "M2x" not in ex.visible
    # the trainee codes jail for 4 days: ENVD shown wrongly (and its value disagrees with the key's N)
    card = score_attempt(ex, key_answers(ex, ENV=2, ENVD=4))
    # M2 and M2x hidden in both: agreeing skip decisions, not counted as values
    assert (card.overall.agree, card.overall.total) == (8, 10)
    assert (card.skips.agree, card.skips.total) == (3, 4)
    assert [(d.item_id, d.kind) for d in card.disagreements] == [("ENV", VALUE), ("ENVD", SHOWN_WRONGLY)]


def test_value_rules(exercise):
    bank = exercise.bank
    age, p9s, m2 = bank.by_id["AGE"], bank.by_id["P9s"], bank.by_id["M2"]
    assert values_agree(age, exercise, X, X) and values_agree(age, exercise, N, N)
    assert not values_agree(age, exercise, X, N) and not values_agree(age, exercise, 40, X)
    assert not values_agree(age, exercise, 40, None)
    assert values_agree(p9s, exercise, "Tankar på att hoppa", "tankar  på att HOPPA")
    assert not values_agree(p9s, exercise, "Tankar på att hoppa", "tabletter")
    assert values_agree(m2, exercise, 24, 24) and not values_agree(m2, exercise, 24, 25)


def test_bundled_exercise_scores_its_own_key_perfectly():
    from asi_tui.training.exercises import bundled_exercise

    ex = bundled_exercise("grund-03-jonas")
    card = score_attempt(ex, ex.key_answers())
    assert card.overall.pct == 100.0 and card.skips.pct == 100.0 and not card.disagreements
    # one mistake where the key explains itself: D9c is shown although D9a is 0
    wrong = score_attempt(ex, {**ex.key_answers(), "D9b": 0, "D9c": N})
    kinds = {(d.item_id, d.kind) for d in wrong.disagreements}
    assert kinds == {("D9b", VALUE), ("D9c", HIDDEN_WRONGLY)}
    assert "tidigare i livet" in ex.explanation("D9c", "sv")
