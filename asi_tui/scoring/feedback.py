"""Återkoppling: per area the client's resources and problems (written by the
interviewer), the client's own ratings, the interviewer rating and the
composite score, for the feedback conversation with the client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ..bank.loader import QuestionBank
from ..engine.values import MissingCode
from ..i18n import Translator
from .composite import composite

AREA_COMPOSITE = {
    "medical": "medical",
    "employment": "employment",
    "alcohol": "alcohol",
    "drug": "drug",
    "legal": "legal",
    "family": "family",
    "psych": "psych",
}


@dataclass
class AreaFeedback:
    section_id: str
    area: str
    title: str
    resources: str
    problems: str
    client_ratings: list[tuple[str, str, int | None]] = field(default_factory=list)  # (id, label, 0-4)
    interviewer_rating: int | None = None
    composite: float | None = None


def _num(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) and not isinstance(v, MissingCode) else None


def feedback_areas(bank: QuestionBank, answers: Mapping[str, object], meta: Mapping[str, Any], lang: str) -> list[AreaFeedback]:
    out = []
    for s in bank.sections:
        if s.area == "background":
            continue
        rating = next((i for i in s.items if i.type == "interviewer_rating"), None)
        comp = AREA_COMPOSITE.get(s.area)
        score = composite(comp, answers).score if comp else None
        out.append(
            AreaFeedback(
                section_id=s.id,
                area=s.area,
                title=s.title.get(lang),
                resources=str(meta.get(f"feedback.{s.id}.resources", "")),
                problems=str(meta.get(f"feedback.{s.id}.problems", "")),
                client_ratings=[(i.id, i.label.get(lang), _num(answers.get(i.id))) for i in s.items if i.type == "client_rating"],
                interviewer_rating=_num(answers.get(rating.id)) if rating else None,
                composite=score,
            )
        )
    return out


def bar(value: int | None, top: int, width: int = 10) -> str:
    if value is None:
        return "·" * width + "  –"
    filled = round(width * value / top)
    return "█" * filled + "░" * (width - filled) + f" {value}"


def to_markdown(areas: list[AreaFeedback], header: Mapping[str, str], t: Translator) -> str:
    lines = [f"# {t('feedback.title')}", ""]
    for key, value in header.items():
        lines.append(f"- {t('feedback.' + key)}: {value}")
    lines.append("")
    for a in areas:
        lines.append(f"## {a.title}")
        lines.append("")
        lines.append(f"**{t('feedback.resources')}:** {a.resources or '–'}")
        lines.append("")
        lines.append(f"**{t('feedback.problems')}:** {a.problems or '–'}")
        lines.append("")
        for _id, label, value in a.client_ratings:
            lines.append(f"    {bar(value, 4)}  {label}")
        lines.append(f"    {bar(a.interviewer_rating, 9)}  {t('feedback.interviewer_rating')}")
        if a.composite is not None:
            lines.append(f"    {t('feedback.composite')}: {a.composite:.2f}")
        lines.append("")
    lines.append(f"_{t('composite.currency_note')}_")
    return "\n".join(lines) + "\n"
