"""The state of one interview over one bank: answers, visibility, navigation.

Headless: the TUI, the CLI (`bank simulate`) and the store all drive this same
object.  Every rule comes from the bank; nothing here knows an item by name
except through the bank's declarations (`age_item`, `partial_when`, types).

Re-evaluation after an answer touches only what depends on the answered item:
the items whose relevance names it (transitively, when their visibility
changes), the checks and alerts that name it, and its `bound_by` partners.
The rules that judge the state (checks, alerts, completion) are in checks.py,
the results and errors in outcome.py; callers import all of it from here.
"""

from __future__ import annotations

import heapq
import re
from datetime import date
from typing import Any, Iterable

from ..bank import expr as E
from ..bank.compiled import QuestionBank
from ..bank.model import Item
from ..i18n import Translator
from .checks import InterviewChecks
from .outcome import (  # noqa: F401 - re-exported: callers import the engine's results from here
    ACCEPTED,
    COMPLETED,
    IN_PROGRESS,
    INVALID,
    WARNING,
    CompletionRefused,
    EngineError,
    Finding,
    Outcome,
)
from .timeframe import FOLLOWUP_MAX_AGE_DAYS, Window, format_window, since_last_limit, window_for
from .values import (
    N,
    X,
    Invalid,
    MissingCode,
    check_length,
    parse_code,
    parse_date,
    parse_missing,
    parse_multi,
    parse_years_months,
    to_int,
)

_EMPTY = object()  # "no entry" marker in lookups


def code_or_group(value: str, codes: Iterable[object]) -> bool:
    """`value` is one of `codes`, or their first digits: the group above a code in a
    hierarchical classification ("53" and "5" for SSYK 5321). A bank that wants whole
    codes only says so with its `pattern` (kommun: exactly four digits)."""
    texts = [str(c) for c in codes]
    return value in texts or any(c.startswith(value) for c in texts)


class Interview(InterviewChecks):
    """One interview: `bank`, anchored on `interview_date`.

    `linked_date` is the date of the earlier interview a follow-up links to
    (required for follow-up banks); `today` bounds the interview date.
    """

    def __init__(
        self,
        bank: QuestionBank,
        interview_date: date,
        linked_date: date | None = None,
        today: date | None = None,
    ) -> None:
        self.bank = bank
        self.date = interview_date
        self.linked_date = linked_date
        self.link_warnings: list[str] = []
        if today is not None and interview_date > today:
            raise EngineError("engine.date_in_future")
        if bank.is_followup:
            if linked_date is None:
                raise EngineError("engine.link.required")
            if linked_date >= interview_date:
                raise EngineError("engine.link.not_earlier", linked=linked_date.isoformat(), date=interview_date.isoformat())
            if (interview_date - linked_date).days > FOLLOWUP_MAX_AGE_DAYS:
                self.link_warnings.append("engine.link.old")
        self.status = IN_PROGRESS
        self.answers: dict[str, object] = {}
        self._hidden: set[str] = set()
        self.warnings: dict[str, Finding] = {}
        self.deferred: set[str] = set()
        self.alerts: dict[str, Finding] = {}
        self.cursor: str | None = None
        self._env_check = E.Env(self._value_of, self._code_of, self._answered, E.CHECK)
        self._env_rel = E.Env(self._value_of, self._code_of, self._answered, E.RELEVANCE)
        for item in bank.items:  # initial visibility: references only point back
            if not self._relevant(item.id):
                self._hidden.add(item.id)
                self.answers[item.id] = N
        flow = self.flow_items()
        self.cursor = flow[0].id if flow else None

    # ------------------------------------------------------------------ lookups

    def _value_of(self, item_id: str) -> object:
        v = self.answers.get(item_id, _EMPTY)
        if v is _EMPTY or v is X:
            return E.UNKNOWN
        if v is N:
            return E.NA
        return v

    def _code_of(self, item_id: str) -> str | None:
        v = self.answers.get(item_id)
        return v.code if isinstance(v, MissingCode) else None

    def _answered(self, item_id: str) -> bool:
        v = self.answers.get(item_id, _EMPTY)
        return v is not _EMPTY and not isinstance(v, MissingCode) and v != "" and v != []

    def _relevant(self, item_id: str) -> bool:
        expr = self.bank.relevance.get(item_id)
        if expr is None:
            return True
        return E.truth(expr.evaluate(self._env_rel), E.RELEVANCE) is not False

    def item(self, item_id: str) -> Item:
        try:
            return self.bank.by_id[item_id]
        except KeyError:
            raise EngineError("engine.invalid.unknown_item", item=item_id) from None

    def is_visible(self, item_id: str) -> bool:
        return item_id not in self._hidden

    def value(self, item_id: str) -> object:
        """The stored value, X, N, or None when the item has no entry."""
        return self.answers.get(item_id)

    def visible_items(self) -> list[Item]:
        return [i for i in self.bank.items if i.id not in self._hidden]

    def hidden_items(self) -> list[Item]:
        return [i for i in self.bank.items if i.id in self._hidden]

    def flow_items(self) -> list[Item]:
        """Visible items asked in order; ratings and comments are reached separately."""
        return [i for i in self.visible_items() if i.type not in ("interviewer_rating", "comment")]

    def interviewer_rating_items(self) -> list[Item]:
        return [i for i in self.bank.items if i.type == "interviewer_rating"]

    # ------------------------------------------------------------------ time frames

    def window(self, item: Item | str) -> Window | None:
        item = self.item(item) if isinstance(item, str) else item
        if item.timeframe is None:
            return None
        return window_for(item.timeframe, self.date, self.linked_date)

    def since_last_limit(self, item: Item) -> tuple[int, str] | None:
        """(largest value, unit) a `since_last` number can take in this interview's window."""
        w = self.window(item)
        return since_last_limit(item.type, item.unit, w) if w is not None else None

    def timeframe_label(self, item: Item | str, lang: str = "sv") -> str | None:
        w = self.window(item)
        return format_window(w, Translator(lang)) if w is not None else None

    def age(self) -> int | None:
        age_item = self.bank.model.age_item
        v = self.answers.get(age_item) if age_item else None
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    # ------------------------------------------------------------------ parsing

    def parse(self, item: Item, raw: object, replay: bool = False) -> object:
        """Turn raw input into the stored value; raises Invalid.

        `replay`: an answer acknowledged earlier (journal replay) is not held to
        today's length limits, so a record written before a limit stays readable."""
        if not replay:
            check_length(item, raw)
        missing = parse_missing(raw, item, partial=item.type == "interviewer_rating" and self.is_partial())
        if missing is not None:
            return missing
        t = item.type
        if t in ("count", "days", "money"):
            value = self._bounded_int(item, to_int(raw))
        elif t == "years_months":
            value = self._bounded_int(item, parse_years_months(raw))
        elif t in ("yes_no", "single", "client_rating", "interviewer_rating"):
            codes = self.bank.codes_for(item)
            assert codes is not None
            value = parse_code(raw, codes)
        elif t == "multi":
            codes = self.bank.codes_for(item)
            assert codes is not None
            value = parse_multi(raw, codes)
        elif t == "date":
            d = parse_date(raw)
            if d > self.date:
                raise Invalid("engine.invalid.date_after_interview")
            value = d.isoformat()
        elif t == "text":
            if not isinstance(raw, (str, int)) or isinstance(raw, bool) or not str(raw).strip():
                raise Invalid("engine.invalid.empty_text")
            value = str(raw).strip()
            if item.pattern and not re.fullmatch(item.pattern, value):
                raise Invalid("engine.invalid.pattern")
            valid = self.bank.valid_codes_for(item)
            if valid is not None and not code_or_group(value, valid.values):
                raise Invalid("engine.invalid.not_in_codes", {"codes": valid.id})
        else:  # comment
            value = "" if raw is None else str(raw).strip()
        return value

    def _bounded_int(self, item: Item, v: int) -> int:
        lo, hi = item.value_range or (0, 0)
        if v < lo or v > hi:
            raise Invalid("engine.invalid.out_of_range", {"min": lo, "max": hi})
        if item.type == "days":
            w = self.window(item)
            if w is not None and w.days is not None and v > w.days:
                raise Invalid("engine.invalid.over_window", {"max": w.days, "window": item.timeframe})
        if item.window_bound == "hard":
            limit = self.since_last_limit(item)
            if limit is not None and v > limit[0]:
                assert self.linked_date is not None
                raise Invalid(f"engine.invalid.over_since_last.{limit[1]}", {"max": limit[0], "since": self.linked_date.isoformat()})
        age = self.age()
        if age is not None and item.id != self.bank.model.age_item:
            years = v / 12 if item.type == "years_months" else (v if item.unit == "years" else None)
            if years is not None and years > age:
                raise Invalid("engine.invalid.over_age", {"age": age})
        return v

    # ------------------------------------------------------------------ answering

    def answer(self, item_id: str, raw: object, replay: bool = False) -> Outcome:
        """Validate and store one answer, then re-evaluate what depends on it
        (`replay`: see `parse`)."""
        item = self.item(item_id)
        if self.status == COMPLETED:
            return Outcome(INVALID, item_id, "engine.invalid.completed")
        if item_id in self._hidden:
            return Outcome(INVALID, item_id, "engine.invalid.hidden")
        try:
            value = self.parse(item, raw, replay)
        except Invalid as exc:
            return Outcome(INVALID, item_id, exc.key, dict(exc.params))
        return self._set(item, value)

    def clear(self, item_id: str) -> Outcome:
        """Remove an answer: the item is unanswered again."""
        item = self.item(item_id)
        if self.status == COMPLETED:
            return Outcome(INVALID, item_id, "engine.invalid.completed")
        if item_id in self._hidden:
            return Outcome(INVALID, item_id, "engine.invalid.hidden")
        return self._set(item, _EMPTY)

    def _set(self, item: Item, value: object) -> Outcome:
        item_id = item.id
        old = self.answers.get(item_id, _EMPTY)
        self._put(item_id, value)
        rejected = self._hard_violation(item)
        if rejected is not None:
            self._put(item_id, old)
            key, params = rejected
            return Outcome(INVALID, item_id, key, params)
        outcome = Outcome(ACCEPTED, item_id)
        self._propagate(item_id, outcome)
        for i in [item_id, *outcome.hidden, *outcome.shown]:
            self._refresh_findings_for(i, outcome)
        self._refresh_findings_of_item(item_id, outcome)
        outcome.warnings = sorted(
            {f.key: f for f in outcome.warnings if f.key in self.warnings}.values(), key=lambda f: f.key
        )
        if outcome.warnings:
            outcome.status = WARNING
        return outcome

    def _put(self, item_id: str, value: object) -> None:
        if value is _EMPTY:
            self.answers.pop(item_id, None)
        else:
            self.answers[item_id] = value

    def _propagate(self, start: str, outcome: Outcome) -> None:
        """Recompute visibility of dependents, in bank order, cascading."""
        order = self.bank.order
        deps = self.bank.relevance_dependents
        heap = [(order[d], d) for d in deps.get(start, ())]
        heapq.heapify(heap)
        done: set[str] = set()
        while heap:
            _, item_id = heapq.heappop(heap)
            if item_id in done:
                continue
            done.add(item_id)
            visible = self._relevant(item_id)
            was_visible = item_id not in self._hidden
            if visible == was_visible:
                continue
            if visible:
                self._hidden.discard(item_id)
                if self.answers.get(item_id) is N:
                    del self.answers[item_id]
                outcome.shown.append(item_id)
            else:
                self._hidden.add(item_id)
                self.answers[item_id] = N
                outcome.hidden.append(item_id)
            for d in deps.get(item_id, ()):
                heapq.heappush(heap, (order[d], d))

    # ------------------------------------------------------------------ persistence

    def restore(self, answers: dict[str, object], deferred: Iterable[str] = (), status: str = IN_PROGRESS) -> None:
        """Load a saved state in one pass: values as stored, then visibility,
        warnings and alerts recomputed from the bank (no checks can reject)."""
        self.answers = {k: v for k, v in answers.items() if k in self.bank.by_id}
        self._hidden = set()
        for item in self.bank.items:
            if not self._relevant(item.id):
                self._hidden.add(item.id)
                self.answers[item.id] = N
            elif self.answers.get(item.id) is N and "N" not in item.missing:
                del self.answers[item.id]  # an automatic N from a skip that no longer applies
        self._recompute_findings()
        self.deferred = set(deferred) & set(self.warnings)
        self.status = status
        flow = self.flow_items()
        first = self.first_unanswered()
        self.cursor = first.id if first else (flow[-1].id if flow else None)

    def checkpoint(self) -> tuple[Any, ...]:
        """A copy of the mutable state, to undo an answer the store could not save."""
        return (dict(self.answers), set(self._hidden), dict(self.warnings), set(self.deferred), dict(self.alerts), self.cursor, self.status)

    def rollback(self, state: tuple[Any, ...]) -> None:
        (self.answers, self._hidden, self.warnings, self.deferred, self.alerts, self.cursor, self.status) = state

    # ------------------------------------------------------------------ navigation

    def current_item(self) -> Item | None:
        if self.cursor is None:
            return None
        if self.cursor in self._hidden:
            self.cursor = self._next_after(self.cursor)
        return self.bank.by_id.get(self.cursor) if self.cursor else None

    def _next_after(self, item_id: str) -> str | None:
        pos = self.bank.order[item_id]
        for item in self.bank.items[pos + 1 :]:
            if item.id not in self._hidden and item.type not in ("interviewer_rating", "comment"):
                return item.id
        return None

    def advance(self) -> Item | None:
        """Move to the next visible item in the flow (None at the end)."""
        if self.cursor is not None:
            nxt = self._next_after(self.cursor)
            if nxt is not None:
                self.cursor = nxt
                return self.bank.by_id[nxt]
        return None

    def go_back(self) -> Item | None:
        if self.cursor is None:
            return None
        pos = self.bank.order[self.cursor]
        for item in reversed(self.bank.items[:pos]):
            if item.id not in self._hidden and item.type not in ("interviewer_rating", "comment"):
                self.cursor = item.id
                return item
        return self.current_item()

    def jump(self, item_id: str) -> Item:
        item = self.item(item_id)
        if item_id in self._hidden:
            raise EngineError("engine.invalid.hidden")
        self.cursor = item_id
        return item

    def first_unanswered(self) -> Item | None:
        for item in self.flow_items():
            if item.id not in self.answers:
                return item
        return None
