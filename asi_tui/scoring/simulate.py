"""Run an interview headlessly from an answers file (`asi-tui bank simulate`).

The answers file is a YAML mapping of item id -> value, `X` or `N`; see the
README.  Answers are applied in bank order, as an interviewer would meet the
items, so an answer to an item that skip logic has hidden by then is reported
as ignored rather than silently applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..bank.loader import QuestionBank
from ..engine.answers_file import AnswersFileError, read_answers  # noqa: F401 - re-exported for the CLI
from ..engine.interview import Finding, Interview
from ..engine.values import encode
from ..i18n import Translator
from .composite import composites


def message_text(bank: QuestionBank, t: Translator, key: str, params: dict[str, Any] | None = None) -> str:
    return bank.message_text(key, t.lang) or t(key, **(params or {}))


@dataclass
class SimulationReport:
    interview: Interview
    lang: str
    rejected: list[dict[str, Any]] = field(default_factory=list)
    ignored: list[dict[str, str]] = field(default_factory=list)

    def _finding(self, f: Finding, t: Translator) -> dict[str, Any]:
        return {
            "key": f.key,
            "item": f.item_id,
            "severity": f.severity,
            "message": f.message,
            "text": message_text(self.interview.bank, t, f.message),
            "deferred": f.key in self.interview.deferred,
        }

    def to_dict(self) -> dict[str, Any]:
        iv = self.interview
        t = Translator(self.lang)
        missing_items, missing_ratings = iv.missing()
        return {
            "bank": {"id": iv.bank.id, "version": iv.bank.version, "sha256": iv.bank.sha256},
            "date": iv.date.isoformat(),
            "linked_date": iv.linked_date.isoformat() if iv.linked_date else None,
            "link_warnings": [t(k) for k in iv.link_warnings],
            "visible": [i.id for i in iv.visible_items()],
            "hidden": [i.id for i in iv.hidden_items()],
            "answers": {k: encode(v) for k, v in iv.answers.items()},
            "rejected": self.rejected,
            "ignored": self.ignored,
            "warnings": [self._finding(f, t) for f in iv.warnings.values()],
            "alerts": [self._finding(f, t) for f in iv.alerts.values()],
            "partial": iv.is_partial(),
            "complete": not missing_items and not missing_ratings,
            "missing_items": missing_items,
            "missing_ratings": missing_ratings,
            "composites": {
                area: {"score": c.score, "missing": list(c.missing)} for area, c in composites(iv.answers).items()
            },
            "currency": "SEK",
        }

    def lines(self, t: Translator) -> list[str]:
        d = self.to_dict()
        out = [f"{d['bank']['id']} {d['bank']['version']}  {d['date']}"]
        out += [f"! {w}" for w in d["link_warnings"]]
        out.append(f"{t('cli.sim.visible')}: {len(d['visible'])}   {t('cli.sim.hidden')}: {len(d['hidden'])}")
        if d["hidden"]:
            out.append(f"  {t('cli.sim.hidden')}: {' '.join(d['hidden'])}")
        for r in d["rejected"]:
            out.append(f"{t('cli.sim.rejected')} {r['item']} = {r['value']!r}: {r['text']}")
        for r in d["ignored"]:
            out.append(f"{t('cli.sim.ignored')} {r['item']}: {t('cli.sim.reason.' + r['reason'])}")
        for w in d["warnings"]:
            out.append(f"{t('cli.sim.soft')} {w['item']}: {w['text']}")
        for a in d["alerts"]:
            out.append(f"{t('cli.sim.alert')} {a['item']}: {a['text']}")
        if d["complete"]:
            out.append(t("cli.sim.complete"))
        else:
            if d["missing_items"]:
                out.append(f"{t('cli.sim.missing_items')} ({len(d['missing_items'])}): {' '.join(d['missing_items'])}")
            if d["missing_ratings"]:
                out.append(f"{t('cli.sim.missing_ratings')}: {' '.join(d['missing_ratings'])}")
        out.append(f"{t('cli.sim.composites')} ({t('composite.currency_note')})")
        for area, c in d["composites"].items():
            value = f"{c['score']:.3f}" if c["score"] is not None else f"- ({t('cli.sim.no_score')}: {' '.join(c['missing'])})"
            out.append(f"  {t('composite.' + area):<24} {value}")
        return out


def simulate(
    bank: QuestionBank, answers: dict[str, Any], interview_date: date, linked_date: date | None = None, lang: str = "sv"
) -> SimulationReport:
    iv = Interview(bank, interview_date, linked_date)
    report = SimulationReport(iv, lang)
    t = Translator(lang)
    for item_id in answers:
        if item_id not in bank.by_id:
            report.ignored.append({"item": item_id, "reason": "unknown_item"})
    for item in bank.items:
        if item.id not in answers:
            continue
        if not iv.is_visible(item.id):
            report.ignored.append({"item": item.id, "reason": "hidden"})
            continue
        outcome = iv.answer(item.id, answers[item.id])
        if not outcome.ok:
            report.rejected.append(
                {
                    "item": item.id,
                    "value": answers[item.id] if isinstance(answers[item.id], (int, float, str, list)) else str(answers[item.id]),
                    "message": outcome.message,
                    "severity": "hard",
                    "text": message_text(bank, t, outcome.message or "", outcome.params),
                }
            )
    return report
