"""The rules of an interview: hard and soft checks, alerts, deferred warnings, completion.

`InterviewChecks` is the part of `Interview` that judges its state; the state
itself (answers, visibility, cursor) and how it changes are in interview.py.
Only what depends on a changed item is re-evaluated: the checks and alerts
that name it, its own, and its `bound_by` partners.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..bank import expr as E
from ..bank.compiled import CompiledAlert, CompiledCheck, QuestionBank
from ..bank.model import Item
from .outcome import ACCEPTED, COMPLETED, CompletionRefused, EngineError, Finding, Outcome

WINDOW_KEY = "#window"  # key suffix of the soft warning `window_bound: soft` raises


class InterviewChecks:
    """Checks and completion over an interview's state; `Interview` supplies the state
    (the attributes below) and the lookups `_value_of`, `_answered`, `visible_items`
    and `interviewer_rating_items`."""

    bank: QuestionBank
    answers: dict[str, object]
    status: str
    warnings: dict[str, Finding]
    deferred: set[str]
    alerts: dict[str, Finding]
    _hidden: set[str]
    _env_check: E.Env

    def since_last_limit(self, item: Item) -> tuple[int, str] | None: ...  # supplied by Interview

    # ------------------------------------------------------------------ hard rules

    def _hard_violation(self, item: Item) -> tuple[str, dict[str, Any]] | None:
        """The first hard rule the current state breaks, involving `item`."""
        value = self._value_of(item.id)
        if _is_number(value):
            for other_id in [item.bound_by] if item.bound_by else []:
                other = self._value_of(other_id)
                if _is_number(other) and value > other:  # type: ignore[operator]
                    return "engine.invalid.bound_by", {"other": other_id, "value": other}
            for narrower in self.bank.bounds_of.get(item.id, ()):
                v = self._value_of(narrower)
                if _is_number(v) and v > value:  # type: ignore[operator]
                    return "engine.invalid.bound_of", {"other": narrower, "value": v}
        checks: Iterable[CompiledCheck] = [
            *self.bank.checks.get(item.id, ()),
            *self.bank.check_dependents.get(item.id, ()),
        ]
        for check in checks:
            if check.severity == "hard" and self._fires(check):
                return check.message, {"item": check.item_id}
        return None

    def _fires(self, check: CompiledCheck) -> bool:
        owner = check.item_id
        if owner in self._hidden or not self._answered(owner):
            return False
        return E.truth(check.expr.evaluate(self._env_check), E.CHECK) is False

    # ------------------------------------------------------------------ soft checks and alerts

    def _refresh_findings_for(self, changed: str, outcome: Outcome) -> None:
        """Re-evaluate checks and alerts of other items that name `changed`."""
        for check in self.bank.check_dependents.get(changed, ()):
            self._update_check(check, outcome)
        for alert in self.bank.alert_dependents.get(changed, ()):
            self._update_alert(alert, outcome)

    def _refresh_findings_of_item(self, item_id: str, outcome: Outcome) -> None:
        for check in self.bank.checks.get(item_id, ()):
            self._update_check(check, outcome)
        for alert in self.bank.alerts.get(item_id, ()):
            self._update_alert(alert, outcome)
        self._update_window(self.bank.by_id[item_id], outcome)
        for other in outcome.hidden:  # a hidden item's own findings no longer apply
            for check in self.bank.checks.get(other, ()):
                self._update_check(check, outcome)
            for alert in self.bank.alerts.get(other, ()):
                self._update_alert(alert, outcome)
            self._update_window(self.bank.by_id[other], outcome)

    def _update_window(self, item: Item, outcome: Outcome) -> None:
        """`window_bound: soft`: warn when a since-last number exceeds what the time
        since the last interview makes plausible (a soft warning like a bank check)."""
        if item.window_bound != "soft":
            return
        key = f"{item.id}{WINDOW_KEY}"
        value = self._value_of(item.id)
        limit = self.since_last_limit(item) if _is_number(value) and item.id not in self._hidden else None
        if limit is not None and value > limit[0]:  # type: ignore[operator]
            finding = Finding(key, item.id, f"engine.warn.over_since_last.{limit[1]}", "soft")
            self.warnings[key] = finding
            outcome.warnings.append(finding)
        else:
            self.warnings.pop(key, None)
            self.deferred.discard(key)

    def _update_check(self, check: CompiledCheck, outcome: Outcome) -> None:
        if check.severity != "soft":
            return
        if self._fires(check):
            finding = Finding(check.key, check.item_id, check.message, "soft")
            self.warnings[check.key] = finding
            outcome.warnings.append(finding)
        else:
            self.warnings.pop(check.key, None)
            self.deferred.discard(check.key)

    def _update_alert(self, alert: CompiledAlert, outcome: Outcome) -> None:
        raised = alert.item_id not in self._hidden and E.truth(alert.expr.evaluate(self._env_check), E.CHECK) is True
        if raised:
            if alert.key not in self.alerts:
                finding = Finding(alert.key, alert.item_id, alert.message, "alert")
                self.alerts[alert.key] = finding
                outcome.alerts.append(finding)
        else:
            self.alerts.pop(alert.key, None)

    def _recompute_findings(self) -> None:
        """Every soft warning and alert from scratch (after a restore)."""
        self.warnings, self.alerts = {}, {}
        scratch = Outcome(ACCEPTED, "")
        for checks in self.bank.checks.values():
            for check in checks:
                self._update_check(check, scratch)
        for alerts in self.bank.alerts.values():
            for alert in alerts:
                self._update_alert(alert, scratch)
        for item in self.bank.items:
            self._update_window(item, scratch)

    def defer(self, key: str) -> None:
        """Keep a soft warning for the review screen instead of correcting now."""
        if key not in self.warnings:
            raise EngineError("engine.invalid.unknown_item", item=key)
        self.deferred.add(key)

    def open_warnings(self) -> list[Finding]:
        return [f for k, f in sorted(self.warnings.items()) if k not in self.deferred]

    def deferred_warnings(self) -> list[Finding]:
        return [f for k, f in sorted(self.warnings.items()) if k in self.deferred]

    # ------------------------------------------------------------------ completion

    def is_partial(self) -> bool:
        expr = self.bank.partial_when
        return expr is not None and E.truth(expr.evaluate(self._env_check), E.CHECK) is True

    def missing(self) -> tuple[list[str], list[str]]:
        """(visible items without value/X/N, interviewer ratings not set).

        A broken-off interview (`partial_when`) may leave items unanswered, but
        every interviewer rating must still be set, to a value or to X.
        """
        ratings = [i.id for i in self.interviewer_rating_items() if i.id not in self.answers]
        if self.is_partial():
            return [], ratings
        items = [
            i.id
            for i in self.visible_items()
            if i.type not in ("comment", "interviewer_rating") and i.id not in self.answers
        ]
        return items, ratings

    def can_complete(self) -> bool:
        items, ratings = self.missing()
        return not items and not ratings

    def complete(self) -> None:
        items, ratings = self.missing()
        if items or ratings:
            raise CompletionRefused(items, ratings)
        self.status = COMPLETED


def _is_number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)
