"""Score one practice interview against an exercise's key.

What counts (the scorecard shows these figures):

* **Exact agreement** over every item except comments and interviewer ratings
  that is visible under the key's answers *or* under the trainee's: the same
  value (numbers and dates within the key's tolerance, multi-choice as sets),
  X for X, N for N. Text answers agree when both gave some text, unless the
  key lists `accept` alternatives, then the text must match the key's value or
  one of them (case and spacing ignored). An item that one side's skip logic
  hid holds N there, so it agrees only if the other side coded N.
  Items hidden under both are *not* counted here: they are agreeing skip
  decisions, not coded values.
* **Per area**: the same, per section of the bank (alcohol and drugs apart).
* **Skip decisions**: over the items that have a skip rule (`relevant`), the
  share whose visibility under the trainee's answers equals their visibility
  under the key's. Disagreements are "hidden wrongly" (the key shows the item,
  the trainee's answers hid it) and "shown wrongly" (the other way round).
* **Interviewer ratings**: exact and within ±1 of the key, and the quadratic
  weighted kappa of the trainee's ratings against the key's (see agreement.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..bank.model import NUMERIC_TYPES, Item
from ..engine.interview import Interview
from ..engine.values import N, MissingCode, format_years_months
from .agreement import weighted_kappa
from .exercises import UNSCORED_TYPES, Exercise

VALUE = "value"
HIDDEN_WRONGLY = "hidden_wrongly"  # key shows the item, the trainee's answers hid it
SHOWN_WRONGLY = "shown_wrongly"  # key hides the item, the trainee's answers showed it
RATING = "rating"


@dataclass(frozen=True)
class Tally:
    agree: int = 0
    total: int = 0

    @property
    def pct(self) -> float | None:
        return 100.0 * self.agree / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {"agree": self.agree, "total": self.total, "pct": None if self.pct is None else round(self.pct, 1)}


@dataclass(frozen=True)
class ItemResult:
    item_id: str
    section_id: str
    key_value: object
    trainee_value: object
    key_visible: bool
    trainee_visible: bool
    agree: bool | None  # None: hidden under both (counted only as a skip decision)

    @property
    def skip_kind(self) -> str | None:
        if self.key_visible and not self.trainee_visible:
            return HIDDEN_WRONGLY
        if self.trainee_visible and not self.key_visible:
            return SHOWN_WRONGLY
        return None


@dataclass(frozen=True)
class RatingResult:
    item_id: str
    section_id: str
    key_value: int
    trainee_value: object

    @property
    def exact(self) -> bool:
        return self.trainee_value == self.key_value and _is_int(self.trainee_value)

    @property
    def within_one(self) -> bool:
        return _is_int(self.trainee_value) and abs(int(self.trainee_value) - self.key_value) <= 1  # type: ignore[call-overload]


@dataclass(frozen=True)
class Disagreement:
    item_id: str
    section_id: str
    kind: str  # value | hidden_wrongly | shown_wrongly | rating
    key_value: object
    trainee_value: object


@dataclass
class Scorecard:
    exercise_id: str
    exercise_version: int
    items: list[ItemResult]
    ratings: list[RatingResult]
    overall: Tally
    areas: list[tuple[str, Tally]]  # (section id, tally) in bank order
    skips: Tally
    ratings_exact: Tally
    ratings_within_one: Tally
    kappa: float | None  # quadratic weighted kappa, trainee ratings vs key
    disagreements: list[Disagreement] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "exercise": self.exercise_id,
            "exercise_version": self.exercise_version,
            "overall": self.overall.to_dict(),
            "areas": {sid: t.to_dict() for sid, t in self.areas},
            "skips": self.skips.to_dict(),
            "ratings_exact": self.ratings_exact.to_dict(),
            "ratings_within_one": self.ratings_within_one.to_dict(),
            "kappa": None if self.kappa is None else round(self.kappa, 4),
            "disagreements": [
                {"item": d.item_id, "section": d.section_id, "kind": d.kind,
                 "key": _plain(d.key_value), "trainee": _plain(d.trainee_value)}
                for d in self.disagreements
            ],
        }


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _plain(v: object) -> object:
    return v.code if isinstance(v, MissingCode) else v


def _norm_text(s: str) -> str:
    return " ".join(s.split()).casefold()


def values_agree(item: Item, exercise: Exercise, key: object, trainee: object) -> bool:
    """One item's coded values agree (see the module docstring for the rules)."""
    if key is None or trainee is None:
        return False
    if isinstance(key, MissingCode) or isinstance(trainee, MissingCode):
        return key is trainee
    tol = exercise.tolerance(item.id)
    if item.type in NUMERIC_TYPES and _is_int(key) and _is_int(trainee):
        return abs(int(key) - int(trainee)) <= tol  # type: ignore[call-overload]
    if item.type == "date":
        try:
            return abs((date.fromisoformat(str(key)) - date.fromisoformat(str(trainee))).days) <= tol
        except ValueError:
            return False
    if item.type == "text":
        entry = exercise.model.key.get(item.id)
        if entry is None or entry.accept is None:
            return bool(str(trainee).strip())
        wanted = {_norm_text(str(key)), *(_norm_text(a) for a in entry.accept)}
        return _norm_text(str(trainee)) in wanted
    if item.type == "multi" and isinstance(key, list) and isinstance(trainee, list):
        return set(key) == set(trainee)
    return key == trainee


def trainee_interview(exercise: Exercise, answers: dict[str, object]) -> Interview:
    iv = Interview(exercise.bank, exercise.interview_date, exercise.linked_date)
    iv.restore(dict(answers))
    return iv


def score_attempt(exercise: Exercise, answers: dict[str, object]) -> Scorecard:
    """Compare a trainee's answers (item id -> value, X or N; decoded) with the key."""
    bank = exercise.bank
    trainee = trainee_interview(exercise, answers)
    key = exercise.key_values
    items: list[ItemResult] = []
    ratings: list[RatingResult] = []
    per_section: dict[str, list[int]] = {s.id: [0, 0] for s in bank.sections}
    overall = [0, 0]
    skips = [0, 0]
    disagreements: list[Disagreement] = []
    for item in bank.items:
        section_id = bank.section_of[item.id].id
        if item.type == "interviewer_rating":
            r = RatingResult(item.id, section_id, int(key[item.id]), trainee.value(item.id))  # type: ignore[call-overload]
            ratings.append(r)
            if not r.exact:
                disagreements.append(Disagreement(item.id, section_id, RATING, r.key_value, r.trainee_value))
            continue
        if item.type in UNSCORED_TYPES:
            continue
        kv, tv = item.id in exercise.visible, trainee.is_visible(item.id)
        kval = key.get(item.id, N if not kv else None)
        tval = trainee.value(item.id)
        if item.id in bank.relevance:
            skips[1] += 1
            skips[0] += kv == tv
        if not kv and not tv:
            items.append(ItemResult(item.id, section_id, kval, tval, kv, tv, None))
            continue
        agree = values_agree(item, exercise, kval, tval)
        result = ItemResult(item.id, section_id, kval, tval, kv, tv, agree)
        items.append(result)
        overall[1] += 1
        overall[0] += agree
        per_section[section_id][1] += 1
        per_section[section_id][0] += agree
        if result.skip_kind is not None:
            disagreements.append(Disagreement(item.id, section_id, result.skip_kind, kval, tval))
        elif not agree:
            disagreements.append(Disagreement(item.id, section_id, VALUE, kval, tval))
    pairs = [(r.key_value, r.trainee_value) for r in ratings if _is_int(r.trainee_value)]
    kappa = weighted_kappa([p[0] for p in pairs], [int(p[1]) for p in pairs]) if pairs else None  # type: ignore[call-overload]
    return Scorecard(
        exercise_id=exercise.id,
        exercise_version=exercise.version,
        items=items,
        ratings=ratings,
        overall=Tally(*overall),
        areas=[(sid, Tally(*v)) for sid, v in per_section.items() if v[1]],
        skips=Tally(*skips),
        ratings_exact=Tally(sum(r.exact for r in ratings), len(ratings)),
        ratings_within_one=Tally(sum(r.within_one for r in ratings), len(ratings)),
        kappa=kappa,
        disagreements=disagreements,
    )


def display_value(item: Item, value: object) -> str:
    """A stored value as the interviewer typed it (for scorecards and reports)."""
    if value is None:
        return "–"
    if isinstance(value, MissingCode):
        return value.code
    if item.type == "years_months" and _is_int(value):
        return format_years_months(int(value))  # type: ignore[call-overload]
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)
