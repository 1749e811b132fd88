"""The client's change view ("kvitto"): per life area, the earlier and the
latest interview of a chain side by side, better / unchanged / worse, and a
small chart over every interview of the chain.

Pure and headless: it takes the chain's interviews (anything with `rid`,
`day`, `instrument`, `bank` and `answers`, e.g. `store.chain.ChainEntry`)
and gives figures; the TUI screen and the Markdown export show the same
figures. Rows per area: the composite score, the key 30-day items (days of
alcohol and drug use, days of paid work, days in conflict, psychiatric
symptoms, ...), the client's own ratings (troubled, need for help) and the
interviewer's rating.

The verdict rule (`VERDICT_RULE`, stated on screen and in the export): the
composite score summarises an area (higher = more problems). It is *better*
when the latest score is at least 0.05 lower than the earlier one, *worse*
when at least 0.05 higher, else *unchanged*. Without a composite score on both
sides the interviewer's rating (0-9) decides, with a difference of at least 2
steps; without either, the change is *unknown*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Mapping, Protocol, Sequence

from ..bank.loader import QuestionBank
from ..engine.values import MissingCode
from ..i18n import Translator
from .composite import AREAS, DRUG_DAYS, PSYCH_SYMPTOMS_30D, composite

COMPOSITE_STEP = 0.05  # a change in composite score this large counts
RATING_STEP = 2  # the same for the interviewer rating (0-9), used without composite scores
SPARK = "▁▂▃▄▅▆▇█"

# (row key, locale key under change.row) per area, in display order; the drug days
# rows are the substances used at some interview of the chain.
KEY_ROWS: dict[str, tuple[tuple[str, str], ...]] = {
    "medical": (("M6", "days_physical"), ("M7", "troubled"), ("M8", "need")),
    "employment": (("E11", "days_work"), ("E19", "days_employment_problems"), ("E20", "troubled"), ("E21", "need")),
    "alcohol": (("D1a", "days_alcohol"), ("D2a", "days_intoxicated"), ("D28", "troubled"), ("D30", "need")),
    "drug": (("D29", "troubled"), ("D31", "need")),
    "legal": (("L27", "days_crime"), ("L28", "serious"), ("L29", "need")),
    "family": (("F30", "days_conflict_family"), ("F31", "days_conflict_others"), ("F32", "troubled_family"),
               ("F33", "troubled_others"), ("F34", "need_family"), ("F35", "need_others")),
    "psych": (("P12", "days_psych"), ("symptoms", "symptoms"), ("P13", "troubled"), ("P14", "need")),
}
DRUG_ROWS = (*DRUG_DAYS[:-1], "D12a", DRUG_DAYS[-1])  # the substances in form order, D13a (several) last


class Interviewed(Protocol):
    rid: str
    day: date
    instrument: str
    bank: QuestionBank
    answers: dict[str, object]


@dataclass(frozen=True)
class Point:
    rid: str
    day: date
    instrument: str


@dataclass
class ChangeRow:
    key: str  # an item id, "composite", "rating" or "symptoms"
    label: str
    values: list[float | int | None]  # one per interview of the chain, oldest first

    @property
    def before(self) -> float | int | None:
        return self.values[-2] if len(self.values) > 1 else None

    @property
    def after(self) -> float | int | None:
        return self.values[-1] if self.values else None


@dataclass
class AreaChange:
    area: str
    title: str
    rows: list[ChangeRow] = field(default_factory=list)
    verdict: str = "unknown"  # better | unchanged | worse | unknown
    basis: str | None = None  # "composite" | "rating": what decided the verdict
    delta: float | None = None  # after - before of the deciding measure

    @property
    def composite(self) -> ChangeRow:
        return self.rows[0]

    def chart(self) -> str:
        return spark(self.composite.values)


@dataclass
class ChangeView:
    points: list[Point]
    areas: list[AreaChange]


def _num(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, (bool, MissingCode)) else None


def symptoms(answers: Mapping[str, object]) -> int | None:
    """Psychiatric symptoms in the last 30 days (P4m-P11m answered yes); None if any is not known."""
    values = [answers.get(i) for i in PSYCH_SYMPTOMS_30D]
    if any(_num(v) is None for v in values):
        return None
    return sum(1 for v in values if v == 1)


def verdict(before: float | None, after: float | None, r_before: int | None, r_after: int | None) -> tuple[str, str | None, float | None]:
    """(better|unchanged|worse|unknown, basis, delta) by VERDICT_RULE."""
    for basis, b, a, step in (("composite", before, after, COMPOSITE_STEP), ("rating", r_before, r_after, RATING_STEP)):
        if b is not None and a is not None:
            delta = round(a - b, 4)
            if delta <= -step:
                return "better", basis, delta
            if delta >= step:
                return "worse", basis, delta
            return "unchanged", basis, delta
    return "unknown", None, None


def spark(values: Sequence[float | int | None]) -> str:
    """One block per interview on the composite's absolute 0-1 scale; · when there is no score."""
    out = []
    for v in values:
        if v is None:
            out.append("·")
        else:
            level = min(max(float(v), 0.0), 1.0)
            out.append(SPARK[min(int(level * len(SPARK)), len(SPARK) - 1)])
    return "".join(out)


def _section(bank: QuestionBank, area: str) -> Any:
    return next((s for s in bank.sections if s.area == area), None)


def change_view(chain: Sequence[Interviewed], t: Translator, lang: str) -> ChangeView:
    """The change view of a chain (at least two interviews make a before and after)."""
    points = [Point(e.rid, e.day, e.instrument) for e in chain]
    newest = chain[-1].bank
    areas = []
    for area in AREAS:
        section = _section(newest, area)
        title = section.title.get(lang) if section is not None else t(f"composite.{area}")
        rows = [ChangeRow("composite", t("change.row.composite"), [composite(area, e.answers).score for e in chain])]
        keys = list(KEY_ROWS[area])
        if area == "drug":
            used = [(i, f"drug.{i}") for i in DRUG_ROWS if any((_num(e.answers.get(i)) or 0) > 0 for e in chain)]
            keys = used + keys
        for key, label in keys:
            if key == "symptoms":
                values: list[float | int | None] = [symptoms(e.answers) for e in chain]
            else:
                values = [_num(e.answers.get(key)) for e in chain]
            rows.append(ChangeRow(key, t(f"change.row.{label}"), values))
        rating = [_rating_of(e.bank, area, e.answers) for e in chain]
        rows.append(ChangeRow("rating", t("change.row.rating"), rating))
        v, basis, delta = verdict(rows[0].before, rows[0].after, _int(rating[-2]) if len(rating) > 1 else None, _int(rating[-1]))
        areas.append(AreaChange(area, title, rows, v, basis, delta))
    return ChangeView(points, areas)


def _int(v: float | int | None) -> int | None:
    return int(v) if v is not None else None


def _rating_of(bank: QuestionBank, area: str, answers: Mapping[str, object]) -> int | None:
    section = _section(bank, area)
    item = next((i for i in section.items if i.type == "interviewer_rating"), None) if section is not None else None
    return _num(answers.get(item.id)) if item is not None else None


# ----------------------------------------------------------------------------- showing the figures


def fmt(value: float | int | None, key: str) -> str:
    """A figure as both the screen and the export show it."""
    if value is None:
        return "–"
    return f"{value:.2f}" if key == "composite" else str(value)


def point_label(p: Point, t: Translator) -> str:
    return f"{t('followup.short.' + p.instrument)} {p.day.isoformat()}"


def to_markdown(view: ChangeView, header: Mapping[str, str], t: Translator) -> str:
    """The change view for the feedback talk, in the client's language (`t`)."""
    before, after = (view.points[-2], view.points[-1]) if len(view.points) > 1 else (None, view.points[-1])
    lines = [f"# {t('change.title')}", ""]
    lines += [f"- {t('change.header.' + k)}: {v}" for k, v in header.items()]
    lines += [f"- {t('change.header.interviews')}: " + ", ".join(point_label(p, t) for p in view.points), ""]
    lines += [f"_{t('change.rule', step=COMPOSITE_STEP, rating_step=RATING_STEP)}_", ""]
    b_label = point_label(before, t) if before else "–"
    for a in view.areas:
        lines += [f"## {a.title}: {t('change.verdict.' + a.verdict)}", ""]
        lines += [f"| | {b_label} | {point_label(after, t)} |", "|---|---:|---:|"]
        lines += [f"| {r.label} | {fmt(r.before, r.key)} | {fmt(r.after, r.key)} |" for r in a.rows]
        series = " · ".join(f"{point_label(p, t)}: {fmt(v, 'composite')}" for p, v in zip(view.points, a.composite.values))
        lines += ["", f"{t('change.chart')}: `{a.chart()}` ({series})", ""]
    lines.append(f"_{t('composite.currency_note')}_")
    return "\n".join(lines) + "\n"
