"""Change between ASI Grund and ASI Uppföljning for clients who have both.

A pair is a completed Uppföljning dated in the period and the completed
Grund it links to (`linked.rid`). Unit and group (age, gender) are taken from
the Grund, the client's baseline. A Grund followed up more than once in the
period counts once, with its latest Uppföljning. Per area only pairs where
both values exist count (the n of that row).
"""

from __future__ import annotations

from datetime import date

from ..engine.values import MissingCode
from ..i18n import Translator
from ..scoring.composite import AREAS
from .common import Filters
from .data import Dataset, Row
from .tables import DIFF, MEAN, MEDIAN, N, Column, Table, finalize, mean, median


def pairs(ds: Dataset, f: Filters) -> list[tuple[Row, Row]]:
    """(Grund, Uppföljning) pairs in the period, unit and group; one per Grund."""
    by_rid = {r.rid: r for r in ds.rows if r.kind == "interview" and r.instrument == "grund"}
    latest: dict[str, Row] = {}
    for r in ds.rows:
        if r.kind != "interview" or r.instrument != "uppfoljning" or not f.in_period(r.date):
            continue
        grund = by_rid.get(r.linked_rid or "")
        if grund is None or not f.unit_matches(grund.unit) or not f.in_group(grund.age, grund.gender):
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
        Column("before_median", t("reports.col.before_median"), MEDIAN, ref=0, decimals=decimals),
        Column("after_median", t("reports.col.after_median"), MEDIAN, ref=0, decimals=decimals),
    ]


def _add(table: Table, area: str, t: Translator, before: list[float], after: list[float]) -> None:
    b, a = mean(before), mean(after)
    diff = a - b if a is not None and b is not None else None
    table.add(area, t(f"composite.{area}"), [len(before), b, a, diff, median(before), median(after)])


def _rating(v: object) -> int | None:
    if isinstance(v, MissingCode) or isinstance(v, bool) or not isinstance(v, int):
        return None
    return v


def change_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    found = pairs(ds, f)
    comp = Table("change.composites", t("reports.table.change_composites"), _columns(t, 2), notes=[t("composite.currency_note")])
    rate = Table("change.ratings", t("reports.table.change_ratings"), _columns(t, 1))
    for area in AREAS:
        before, after = [], []
        for g, u in found:
            x, y = g.comps.get(area), u.comps.get(area)
            if x is not None and y is not None:
                before.append(x)
                after.append(y)
        _add(comp, area, t, before, after)
        before, after = [], []
        for g, u in found:
            x, y = _rating(g.ratings.get(area)), _rating(u.ratings.get(area))
            if x is not None and y is not None:
                before.append(float(x))
                after.append(float(y))
        _add(rate, area, t, before, after)
    return [finalize(comp, len(found), t), finalize(rate, len(found), t)]
