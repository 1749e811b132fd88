"""Coding exercises: a written case and the answer key it is scored against.

An exercise is one YAML file in `question_bank/exercises/` (file name == id):

```yaml
id: grund-01-alkohol
version: 1                      # raise when the key changes
bank: {id: asi-grund, version: 1.0.0}
title: {sv: "...", en: "..."}
summary: {sv: "...", en: "..."}
interview_date: 2026-03-12      # the case's interview date: time frames are concrete
linked_date: 2025-09-02         # follow-up banks only: date of the earlier Grund
case:
  intro: {sv: "...", en: "..."}
  sections: {G: {sv, en}, M: {sv, en}, ...}     # a narrative per section id
  transcript:                                     # optional, per-item excerpts
    - {items: [M1, M2], sv: "...", en: "..."}
key:                            # value, X or N per item (answers-file form)
  G16: 41
  M2: {value: "1:06", tolerance: 1, explain: {sv: "...", en: "..."}}
  M3s: {value: "Diabetes typ 2", accept: ["diabetes"]}
ratings:                        # the key's interviewer ratings, with explanations
  M9: {value: 3, explain: {sv: "...", en: "..."}}
```

Values are read exactly like an answers file (`bank simulate`): `1:06` stays a
duration, `N` and `X` are the missing codes. The key must be a complete,
consistent interview: validation runs it through the engine, in bank order, and
reports (file:line: item: message) every value that does not fit its item or
breaks a hard rule, every visible item without an answer, every item the key's
own answers hide but that still holds a value other than N, and every missing
interviewer rating.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Iterable

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..bank.loader import BankError, Problem, QuestionBank, iter_bank_files, validate_paths, validation_errors
from ..bank.model import NUMERIC_TYPES, Text
from ..bank.registry import bundled_banks
from ..bank.yamlsrc import YamlReadError, YamlSource, read_yaml
from ..engine.answers_file import _AnswersLoader
from ..engine.interview import EngineError, Interview
from ..engine.values import MissingCode
from ..i18n import Translator
from ..resources import bundled_dir


class _ExerciseLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml, read like an answers file: no base-60 numbers, so "1:06" and "10:15" stay text."""


_ExerciseLoader.yaml_implicit_resolvers = _AnswersLoader.yaml_implicit_resolvers

EXERCISE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TOLERANCE_TYPES = NUMERIC_TYPES | {"date"}  # tolerance: units of the item (days for dates, months for durations)
UNSCORED_TYPES = frozenset({"comment", "interviewer_rating"})  # ratings are scored on their own


class ExerciseError(BankError):
    """An exercise that cannot be used; `problems` lists every reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BankRef(_Strict):
    id: str
    version: str


class KeyEntry(_Strict):
    value: Any = Field(description="value, X or N, as in an answers file")
    tolerance: int | None = Field(default=None, ge=0, description="accepted distance for numbers and dates")
    accept: list[str] | None = Field(default=None, description="text items: other accepted answers")
    explain: Text | None = None


class RatingEntry(_Strict):
    value: int = Field(ge=0, le=9)
    explain: Text | None = None


class Excerpt(_Strict):
    items: list[str] = Field(min_length=1)
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.sv


class Case(_Strict):
    intro: Text
    sections: dict[str, Text] = Field(default_factory=dict)
    transcript: list[Excerpt] = Field(default_factory=list)


def _wrap(v: Any) -> Any:
    return v if isinstance(v, dict) and "value" in v else {"value": v}


class ExerciseModel(_Strict):
    id: str
    version: int = Field(ge=1)
    bank: BankRef
    title: Text
    summary: Text | None = None
    interview_date: date
    linked_date: date | None = None
    case: Case
    key: dict[str, KeyEntry]
    ratings: dict[str, RatingEntry]

    @field_validator("id")
    @classmethod
    def _id_form(cls, v: str) -> str:
        if not EXERCISE_ID_RE.match(v):
            raise ValueError(f"exercise id {v!r} must be lower-case letters, digits, '-' or '_'")
        return v

    @field_validator("key", mode="before")
    @classmethod
    def _wrap_values(cls, v: Any) -> Any:
        return {k: _wrap(x) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("ratings", mode="before")
    @classmethod
    def _wrap_ratings(cls, v: Any) -> Any:
        return {k: _wrap(x) for k, x in v.items()} if isinstance(v, dict) else v


@dataclass
class Exercise:
    """A validated exercise: its model, its bank and the key as the engine stores it."""

    model: ExerciseModel
    path: Path | None
    bank: QuestionBank
    key_values: dict[str, object]  # every item: normalised value, X or N (hidden items N); ratings too
    visible: frozenset[str]  # items visible under the key's own answers
    _excerpts: dict[str, list[Excerpt]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def version(self) -> int:
        return self.model.version

    @property
    def interview_date(self) -> date:
        return self.model.interview_date

    @property
    def linked_date(self) -> date | None:
        return self.model.linked_date

    def title(self, lang: str) -> str:
        return self.model.title.get(lang)

    def summary(self, lang: str) -> str:
        return self.model.summary.get(lang) if self.model.summary else ""

    def entry(self, item_id: str) -> KeyEntry | RatingEntry | None:
        return self.model.key.get(item_id) or self.model.ratings.get(item_id)

    def tolerance(self, item_id: str) -> int:
        e = self.model.key.get(item_id)
        return e.tolerance or 0 if e is not None else 0

    def explanation(self, item_id: str, lang: str) -> str:
        e = self.entry(item_id)
        return e.explain.get(lang) if e is not None and e.explain is not None else ""

    def excerpts(self, item_id: str) -> list[Excerpt]:
        return self._excerpts.get(item_id, [])

    def narrative(self, section_id: str, lang: str) -> str:
        text = self.model.case.sections.get(section_id)
        return text.get(lang) if text else ""

    def key_answers(self) -> dict[str, object]:
        return dict(self.key_values)

    def key_interview(self) -> Interview:
        """A fresh engine interview holding the key's answers (visibility as the key decides)."""
        iv = Interview(self.bank, self.interview_date, self.linked_date)
        iv.restore(self.key_values)
        return iv

    def linked(self) -> dict[str, Any] | None:
        """`linked` for `Session.create_record`: follow-up exercises link to no real record."""
        return {"rid": None, "date": self.linked_date.isoformat()} if self.linked_date else None


# ----------------------------------------------------------------------------- loading


def _problems_from_pydantic(src: YamlSource, exc: ValidationError) -> list[Problem]:
    out = []
    for loc, msg, plain in validation_errors(exc):
        if not plain:
            msg = f"{'.'.join(str(p) for p in loc)}: {msg}"
        item = str(loc[1]) if len(loc) >= 2 and loc[0] in ("key", "ratings") else "-"
        out.append(Problem(str(src.path), src.line_of(loc), item, msg))
    return out


def find_bank(ref: BankRef, banks: Iterable[QuestionBank] = ()) -> QuestionBank | None:
    """The bank an exercise names: among `banks` first, then the bundled ones."""
    for b in banks:
        if b.id == ref.id and b.version == ref.version:
            return b
    for b in bundled_banks():
        if b.id == ref.id and b.version == ref.version:
            return b
    return None


def _engine_text(bank: QuestionBank, key: str, params: dict[str, Any]) -> str:
    return bank.message_text(key, "en") or Translator("en")(key, **params)


def _fmt(v: object) -> str:
    return v.code if isinstance(v, MissingCode) else repr(v)


def _check_against_bank(src: YamlSource, model: ExerciseModel, bank: QuestionBank) -> tuple[dict[str, object], set[str], list[Problem]]:
    f = str(src.path)
    problems: list[Problem] = []

    def add(path: tuple[Any, ...], item: str, msg: str) -> None:
        problems.append(Problem(f, src.line_of(path), item, msg))

    try:
        iv = Interview(bank, model.interview_date, model.linked_date)
    except EngineError as exc:
        add(("interview_date",), "-", _engine_text(bank, exc.key, exc.params))
        return {}, set(), problems

    for item_id, entry in model.key.items():
        item = bank.by_id.get(item_id)
        if item is None:
            add(("key", item_id), item_id, f"unknown item (not in {bank.id} {bank.version})")
            continue
        if item.type == "interviewer_rating":
            add(("key", item_id), item_id, "interviewer ratings belong under `ratings:`")
        if entry.tolerance is not None and item.type not in TOLERANCE_TYPES:
            add(("key", item_id, "tolerance"), item_id, f"a tolerance is only allowed on numbers and dates, not {item.type}")
        if entry.accept is not None and item.type != "text":
            add(("key", item_id, "accept"), item_id, f"`accept` is only allowed on text items, not {item.type}")
    for item_id in model.ratings:
        item = bank.by_id.get(item_id)
        if item is None:
            add(("ratings", item_id), item_id, f"unknown item (not in {bank.id} {bank.version})")
        elif item.type != "interviewer_rating":
            add(("ratings", item_id), item_id, "not an interviewer rating: put it under `key:`")
    for section_id in model.case.sections:
        if not any(s.id == section_id for s in bank.sections):
            add(("case", "sections", section_id), section_id, f"unknown section (sections are {', '.join(s.id for s in bank.sections)})")
    for ti, ex in enumerate(model.case.transcript):
        for item_id in ex.items:
            if item_id not in bank.by_id:
                add(("case", "transcript", ti, "items"), item_id, "transcript names an unknown item")

    # the key as an interview, in bank order, as an interviewer meets the items
    for item in bank.items:
        if item.type == "interviewer_rating":
            continue
        entry = model.key.get(item.id)
        if entry is None:
            continue
        path = ("key", item.id, "value")
        if not iv.is_visible(item.id):
            if not (isinstance(entry.value, str) and entry.value.strip().upper() == "N"):
                add(path, item.id, f"hidden by a skip rule under the key's own answers ({item.relevant}): leave it out or code N")
            continue
        outcome = iv.answer(item.id, entry.value)
        if not outcome.ok:
            add(path, item.id, f"value {_fmt(entry.value)} does not fit the item: {_engine_text(bank, outcome.message or '', outcome.params)}")
    for item in iv.interviewer_rating_items():
        rating = model.ratings.get(item.id)
        if rating is None:
            add(("ratings",), item.id, "interviewer rating missing from the key")
            continue
        outcome = iv.answer(item.id, rating.value)
        if not outcome.ok:
            add(("ratings", item.id, "value"), item.id, f"value {rating.value} does not fit: {_engine_text(bank, outcome.message or '', outcome.params)}")
    for item in iv.visible_items():
        if item.type in UNSCORED_TYPES or item.id in model.key:
            continue
        add(("key",), item.id, "visible under the key's answers but has no answer in the key (give a value, X or N)")
    visible = {i.id for i in iv.visible_items()}
    return dict(iv.answers), visible, problems


def load_exercise(path: Path | str, banks: Iterable[QuestionBank] = ()) -> Exercise:
    """Read, validate and compile one exercise; raises ExerciseError listing every problem."""
    path = Path(path)
    try:
        src = read_yaml(path)
    except YamlReadError as exc:
        raise ExerciseError([Problem(str(path), p.line, "-", p.message) for p in exc.problems]) from None
    try:  # read_yaml has parsed it already (lines, duplicate keys); this reads the values
        data = yaml.load(src.raw.decode("utf-8"), Loader=_ExerciseLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError:
        raise ExerciseError([Problem(str(path), 1, "-", "bad YAML")]) from None
    if not isinstance(data, dict):
        raise ExerciseError([Problem(str(path), 1, "-", "an exercise must be a YAML mapping")])
    try:
        model = ExerciseModel.model_validate(data)
    except ValidationError as exc:
        raise ExerciseError(_problems_from_pydantic(src, exc)) from None
    problems: list[Problem] = []
    if model.id != path.stem:
        problems.append(Problem(str(path), src.line_of(("id",)), model.id, f"exercise id must equal the file name {path.stem!r}"))
    bank = find_bank(model.bank, banks)
    if bank is None:
        problems.append(Problem(str(path), src.line_of(("bank",)), "-", f"no bank {model.bank.id} {model.bank.version}"))
        raise ExerciseError(problems)
    if bank.is_followup != (model.linked_date is not None):
        what = "needs `linked_date` (a follow-up bank)" if bank.is_followup else "has `linked_date` but the bank is no follow-up"
        problems.append(Problem(str(path), src.line_of(("linked_date",)), "-", f"the exercise {what}"))
        raise ExerciseError(problems)
    key_values, visible, more = _check_against_bank(src, model, bank)
    problems += more
    if problems:
        raise ExerciseError(sorted(problems, key=lambda p: (p.file, p.line)))
    excerpts: dict[str, list[Excerpt]] = {}
    for ex in model.case.transcript:
        for item_id in ex.items:
            excerpts.setdefault(item_id, []).append(ex)
    return Exercise(model=model, path=path, bank=bank, key_values=key_values, visible=frozenset(visible), _excerpts=excerpts)


def validate_exercise_files(paths: Iterable[Path], banks: Iterable[QuestionBank] = ()) -> list[Problem]:
    """Every problem in the given exercise files (for `asi-tui bank validate`)."""
    banks = list(banks)
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for p in paths:
        try:
            ex = load_exercise(p, banks)
        except ExerciseError as exc:
            problems.extend(exc.problems)
            continue
        if ex.id in seen:
            problems.append(Problem(str(p), 1, ex.id, f"exercise id already used by {seen[ex.id]}"))
        seen[ex.id] = str(p)
    return problems


def validate_banks_and_exercises(paths: Iterable[Path]) -> tuple[list[QuestionBank], list[Problem]]:
    """Every bank, code list and exercise under `paths` (`asi-tui bank validate`).

    Exercises are checked against the banks found there (then the bundled
    ones); their problems follow those of the banks and code lists.
    """
    paths = list(paths)
    banks, problems = validate_paths(paths)
    exercises = [f for kind, f in iter_bank_files(paths) if kind == "exercise" and f.exists()]
    if exercises:
        problems = problems + validate_exercise_files(exercises, banks)
    return banks, problems


def exercises_dir() -> Path:
    return bundled_dir("question_bank") / "exercises"


def exercise_files(directory: Path | None = None) -> list[Path]:
    d = directory or exercises_dir()
    return sorted(d.glob("*.yaml")) if d.is_dir() else []


@cache
def bundled_exercises() -> tuple[Exercise, ...]:
    """Every bundled exercise, by id. A broken one raises ExerciseError (CI validates them)."""
    return tuple(sorted((load_exercise(f) for f in exercise_files()), key=lambda e: e.id))


def bundled_exercise(exercise_id: str) -> Exercise:
    from .errors import TrainingError

    for ex in bundled_exercises():
        if ex.id == exercise_id:
            return ex
    raise TrainingError("train.error.no_exercise", exercise=exercise_id)
