"""Change between ASI Grund and ASI Uppföljning for clients who have both.

A pair is a completed Uppföljning dated in the period and the completed
Grund of its chain (it links to the Grund, or to an earlier Uppföljning that
does). Unit and group (age, gender) are taken from the Grund, the client's
baseline. A Grund followed up more than once in the period counts once, with
its latest Uppföljning. Per area only pairs where both values exist count
(the n of that row).

Beside the mean change: its 95 % confidence interval, t-based, from the
paired differences (mean ± t(0.975, n-1) · sd / √n). Per client, each area
is improved, unchanged or worse by a stated rule (`RATING_STEP`,
`COMPOSITE_STEP`): lower scores mean fewer problems.
"""

from __future__ import annotations

import math
import statistics
from datetime import date

from ..engine.values import MissingCode
from ..i18n import Translator
from ..scoring.composite import AREAS
from .common import Filters
from .coverage import chain_roots
from .data import Dataset, Row
from .dims import tag, unit_of
from .tables import CI, COUNT, DIFF, MEAN, MEDIAN, N, SHARE, Column, Table, finalize, mean, median, share

RATING_STEP = 2  # interviewer ratings 0-9: two points (one anchor band) lower = improved, higher = worse
COMPOSITE_STEP = 0.1  # composite scores 0-1: 0.10 lower = improved, higher = worse
PAIRS = "pairs"  # the population of (Grund, Uppföljning) pairs of the report


def pairs_pop(f: Filters) -> str:
    """Without a period every followed-up Grund of the group is one pair: the same
    clients as the follow-up coverage counts (one tag, so they are linked)."""
    from .coverage import FOLLOWED

    return FOLLOWED if f.date_from is None and f.date_to is None else PAIRS

# t(0.975, df) for df 1..30, then 40, 60, 120; beyond, interpolated in 1/df towards 1.96
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
_T975_TAIL = ((30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980), (10**9, 1.960))


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with `df` degrees of freedom."""
    if df < 1:
        raise ValueError(df)
    if df <= 30:
        return _T975[df - 1]
    for (d0, t0), (d1, t1) in zip(_T975_TAIL, _T975_TAIL[1:]):
        if df <= d1:
            w = (1 / d0 - 1 / df) / (1 / d0 - 1 / d1)
            return t0 + w * (t1 - t0)
    return 1.960


def mean_ci(diffs: list[float]) -> tuple[float | None, float | None]:
    """95 % t-based confidence interval of the mean of paired differences."""
    if len(diffs) < 2:
        return None, None
    m = statistics.fmean(diffs)
    half = t975(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs))
    return m - half, m + half


def pairs(ds: Dataset, f: Filters) -> list[tuple[Row, Row]]:
    """(Grund, Uppföljning) pairs in the period, unit and group; one per Grund."""
    by_rid = {r.rid: r for r in ds.rows if r.kind == "interview" and r.instrument == "grund"}
    roots = chain_roots(ds)
    latest: dict[str, Row] = {}
    for r in ds.rows:
        if r.kind != "interview" or r.instrument != "uppfoljning" or not f.in_period(r.date):
            continue
        grund = by_rid.get(roots.get(r.rid, ""))
        if grund is None or not f.unit_matches(unit_of(grund)) or not f.in_group(grund.age, grund.gender):
            continue
        prev = latest.get(grund.rid)
        if prev is None or (r.date or date.min, r.rid) > (prev.date or date.min, prev.rid):
            latest[grund.rid] = r
    return [(by_rid[g], u) for g, u in sorted(latest.items(), key=lambda kv: kv[0])]


def _columns(t: Translator, decimals: int) -> list[Column]:
    return [
        Column("pairs", t("reports.col.pairs"), N),
        Column("before_mean", t("reports.col.before_mean"), MEAN, ref=0, decimals=decimals),
        Column("after_mean", t("reports.col.after_mean"), MEAN, ref=0, decimals=decimals),
        Column("change", t("reports.col.change"), DIFF, ref=0, decimals=decimals),
        Column("ci_low", t("reports.col.ci_low"), CI, ref=0, decimals=decimals),
        Column("ci_high", t("reports.col.ci_high"), CI, ref=0, decimals=decimals),
        Column("before_median", t("reports.col.before_median"), MEDIAN, ref=0, decimals=decimals),
        Column("after_median", t("reports.col.after_median"), MEDIAN, ref=0, decimals=decimals),
    ]


def _add(table: Table, area: str, t: Translator, before: list[float], after: list[float], kind: str, pop: str) -> None:
    b, a = mean(before), mean(after)
    diff = a - b if a is not None and b is not None else None
    low, high = mean_ci([y - x for x, y in zip(before, after)])
    table.add(area, t(f"composite.{area}"), [len(before), b, a, diff, low, high, median(before), median(after)],
              tags=[tag(pop, area=area, measure=kind), *[None] * 7])


def _rating(v: object) -> int | None:
    if isinstance(v, MissingCode) or isinstance(v, bool) or not isinstance(v, int):
        return None
    return v


def measured(found: list[tuple[Row, Row]], area: str, kind: str) -> list[tuple[float, float]]:
    """(before, after) of one area over the pairs where both exist."""
    out = []
    for g, u in found:
        if kind == "composite":
            x, y = g.comps.get(area), u.comps.get(area)
        else:
            x, y = _rating(g.ratings.get(area)), _rating(u.ratings.get(area))
        if x is not None and y is not None:
            out.append((float(x), float(y)))
    return out


def direction(before: float, after: float, step: float) -> str:
    """improved / unchanged / worse: lower is better; a change under `step` is no change."""
    if after <= before - step + 1e-9:
        return "improved"
    if after >= before + step - 1e-9:
        return "worse"
    return "unchanged"


def per_client_table(measures: dict[tuple[str, str], list[tuple[float, float]]], n: int, kind: str, t: Translator,
                     pop: str) -> Table:
    step = COMPOSITE_STEP if kind == "composite" else RATING_STEP
    cats = ("improved", "unchanged", "worse")
    columns = [Column(c, t(f"reports.col.{c}"), COUNT) for c in cats]
    columns.append(Column("pairs", t("reports.col.pairs"), N))
    columns += [Column(f"{c}_share", f"{t(f'reports.col.{c}')} %", SHARE, ref=i, base_col=3) for i, c in enumerate(cats)]
    key = "change.per_client_composites" if kind == "composite" else "change.per_client_ratings"
    step_text = f"{step:.2f}" if kind == "composite" else str(step)
    note = t("reports.note.change_rule_composite" if kind == "composite" else "reports.note.change_rule_rating",
             step=step_text.replace(".", ",") if t.lang == "sv" else step_text)
    table = Table(key, t(f"reports.table.{key.replace('.', '_')}"), columns, notes=[note])
    for area in AREAS:
        both = measures[(area, kind)]
        counts = [sum(1 for x, y in both if direction(x, y, step) == c) for c in cats]
        table.add(area, t(f"composite.{area}"), [*counts, len(both), *(share(c, len(both)) for c in counts)],
                  tags=[tag(pop, area=area, direction=c, measure=kind) for c in cats]
                  + [tag(pop, area=area, measure=kind), None, None, None])
    table.sum_cols("pairs", cats)
    return finalize(table, n, t, n_tag=pop)


def change_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    found = pairs(ds, f)
    pop = pairs_pop(f)
    comp = Table("change.composites", t("reports.table.change_composites"), _columns(t, 2), notes=[t("composite.currency_note")])
    rate = Table("change.ratings", t("reports.table.change_ratings"), _columns(t, 1), notes=[t("reports.note.change_ci")])
    measures = {(area, kind): measured(found, area, kind) for area in AREAS for kind in ("composite", "rating")}
    for area in AREAS:
        for table, kind in ((comp, "composite"), (rate, "rating")):
            both = measures[(area, kind)]
            _add(table, area, t, [x for x, _ in both], [y for _, y in both], kind, pop)
    return [finalize(comp, len(found), t, n_tag=pop), finalize(rate, len(found), t, n_tag=pop),
            per_client_table(measures, len(found), "composite", t, pop),
            per_client_table(measures, len(found), "rating", t, pop)]
