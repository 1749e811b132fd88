"""Interviewer-level breakdowns for quality work (admins only, see
`reports.access`): interviews and dropouts per interviewer, the share of
answers coded X, and interviews with a missing severity rating. Suppressed
like every other table (an interviewer with 1-4 interviews shows "..").

The share of X answers is over all answers of the interviewer's interviews
(not over clients); it needs the dataset loaded with `quality=True`.
"""

from __future__ import annotations

from collections import Counter

from ..engine.values import MissingCode
from ..i18n import Translator
from .common import MAIN_INSTRUMENTS, MISSING, Filters
from .data import Dataset, Row
from .dims import pop_key, tag
from .groups import select
from .tables import COUNT, N_REF, RATE, SHARE, Column, Table, finalize, share


def rating_missing(r: Row) -> bool:
    """Any of the seven interviewer severity ratings left out or coded X."""
    return any(v is None or isinstance(v, MissingCode) for v in r.ratings.values()) or not r.ratings


def interviewer_table(ds: Dataset, f: Filters, t: Translator) -> Table:
    columns = [
        Column("grund", t("reports.col.grund"), COUNT),
        Column("uppfoljning", t("reports.col.uppfoljning"), COUNT),
        Column("interviews", t("reports.col.interviews"), COUNT),
        Column("dropouts", t("reports.col.dropouts"), COUNT),
        Column("x_rate", t("reports.col.x_rate"), RATE, ref=2),
        Column("missing_ratings", t("reports.col.missing_ratings"), COUNT),
        Column("missing_share", t("reports.col.share"), SHARE, ref=5, base_col=2),
    ]
    table = Table("quality.interviewers", t("reports.table.quality_interviewers"), columns,
                  notes=[t("reports.note.quality")])
    per = {i: select(ds, f, (i,)) for i in MAIN_INSTRUMENTS}
    drops = select(ds, f, MAIN_INSTRUMENTS, kind="dropout")
    interviews = per["grund"] + per["uppfoljning"]
    who = sorted({r.interviewer or MISSING for r in [*interviews, *drops]})
    counts = {i: Counter(r.interviewer or MISSING for r in rows) for i, rows in per.items()}
    dcount = Counter(r.interviewer or MISSING for r in drops)
    missing = Counter(r.interviewer or MISSING for r in interviews if rating_missing(r))
    x_answers, answered = Counter(), Counter()
    for r in interviews:
        x_answers[r.interviewer or MISSING] += r.x_answers
        answered[r.interviewer or MISSING] += r.answered
    both = pop_key("interview", MAIN_INSTRUMENTS)
    dpop = pop_key("dropout", MAIN_INSTRUMENTS)
    for w in [*who, "total"]:
        if w == "total":
            g, u, d, m = len(per["grund"]), len(per["uppfoljning"]), len(drops), sum(missing.values())
            xa, an = sum(x_answers.values()), sum(answered.values())
            dims: dict[str, str] = {}
        else:
            g, u, d, m = counts["grund"][w], counts["uppfoljning"][w], dcount[w], missing[w]
            xa, an = x_answers[w], answered[w]
            dims = {"interviewer": w}
        label = t("reports.row.total") if w == "total" else (t("reports.row.no_interviewer") if w == MISSING else w)
        table.add(w, label, [g, u, g + u, d, share(xa, an), m, share(m, g + u)], total=w == "total",
                  tags=[tag(pop_key("interview", ("grund",)), **dims), tag(pop_key("interview", ("uppfoljning",)), **dims),
                        tag(both, **dims), tag(dpop, **dims), None, tag(both, ratings=MISSING, **dims), None])
    table.sum_cols("interviews", ["grund", "uppfoljning"])
    table.sum_rows("total", ["grund", "uppfoljning", "interviews", "dropouts", "missing_ratings"], who)
    table.same(N_REF, ("total", "interviews"))
    return finalize(table, len(interviews), t, n_tag=both)


def quality_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    return [interviewer_table(ds, f, t)]


__all__ = ["interviewer_table", "quality_tables", "rating_missing"]
