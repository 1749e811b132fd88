"""Follow-up coverage: were the Grund interviews followed up, and when?

Chains: an Uppföljning links to the interview it follows (`linked_rid`): a
Grund, or (with chained follow-ups) an earlier Uppföljning. Every
Uppföljning of a chain follows up the chain's Grund; the chain's first
Uppföljning is the one that counts for timing.

The base is the completed Grund interviews in the period, unit and group
(by the Grund's date). Each falls in one category, decided on `as_of` (the
report's date):

* followed up 6-12 months after the Grund (the recommended window, both
  ends included: Grund + 6 months <= follow-up <= Grund + 12 months),
  earlier, or later;
* no follow-up, but a follow-up dropout was registered for the client (a
  dropout linked to the chain, or the client's follow-up dropout dated on or
  after the Grund);
* neither a follow-up nor a registered dropout, 12 months or more after the
  Grund: the follow-up is missing;
* neither, but the window is still open (under 12 months on `as_of`).

Shares are of the Grund interviews whose window has closed (all but the
last group).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from ..i18n import Translator
from .common import MISSING, Filters, add_months, months_between
from .data import Dataset, Row
from .dims import pop_key, tag
from .groups import select
from .tables import COUNT, MEAN, MEDIAN, N, N_REF, SHARE, TAG_REF, Column, Table, finalize, mean, median, share

WINDOW = (6, 12)
CATEGORIES = ("within", "early", "late", "dropout", "missing")
MONTH_BINS = ((0, 5), (6, 8), (9, 12), (13, 18), (19, 24), (25, None))
FOLLOWED = "followup:grund"  # the population of Grund interviews that were followed up


def chain_roots(ds: Dataset) -> dict[str, str]:
    """Uppföljning rid -> the rid of its chain's Grund (follow-ups whose chain
    reaches no completed Grund are left out)."""
    interviews = {r.rid: r for r in ds.rows if r.kind == "interview" and r.instrument in ("grund", "uppfoljning")}
    roots: dict[str, str] = {}
    for r in interviews.values():
        if r.instrument != "uppfoljning":
            continue
        seen, cur = {r.rid}, r
        while cur.instrument == "uppfoljning":
            nxt = interviews.get(cur.linked_rid or "")
            if nxt is None or nxt.rid in seen:
                break
            seen.add(nxt.rid)
            cur = nxt
        if cur.instrument == "grund":
            roots[r.rid] = cur.rid
    return roots


def first_followups(ds: Dataset) -> dict[str, Row]:
    """Grund rid -> the first Uppföljning of its chain (by date, then rid)."""
    roots = chain_roots(ds)
    first: dict[str, Row] = {}
    for r in ds.rows:
        g = roots.get(r.rid)
        if g is None:
            continue
        prev = first.get(g)
        if prev is None or (r.date or date.max, r.rid) < (prev.date or date.max, prev.rid):
            first[g] = r
    return first


def _dropped(ds: Dataset, grunds: list[Row], roots: dict[str, str]) -> set[str]:
    """Grund rids with a registered follow-up dropout."""
    chain_of = {**roots, **{g.rid: g.rid for g in grunds}}
    by_client: dict[str, list[Row]] = {}
    for g in grunds:
        if g.client_key:
            by_client.setdefault(g.client_key, []).append(g)
    out: set[str] = set()
    for d in ds.rows:
        if d.kind != "dropout" or d.dropout_for != "uppfoljning":
            continue
        if d.linked_rid and d.linked_rid in chain_of:
            out.add(chain_of[d.linked_rid])
            continue
        for g in by_client.get(d.client_key or "", ()):
            if g.date is not None and d.date is not None and d.date >= g.date:
                out.add(g.rid)
    return out


NO_DATE = "no_date"


def category_of(grund: Row, follow: Row | None, dropped: bool, as_of: date) -> str:
    if grund.date is None:
        return NO_DATE
    if follow is not None and follow.date is not None:
        if follow.date < add_months(grund.date, WINDOW[0]):
            return "early"
        return "within" if follow.date <= add_months(grund.date, WINDOW[1]) else "late"
    if dropped:
        return "dropout"
    return "missing" if as_of >= add_months(grund.date, WINDOW[1]) else "open"


def _bin(months: int) -> str:
    for lo, hi in MONTH_BINS:
        if months >= lo and (hi is None or months <= hi):
            return f"{lo}-{hi}" if hi is not None else f"{lo}+"
    return MISSING


def coverage_tables(ds: Dataset, f: Filters, t: Translator, as_of: date) -> list[Table]:
    grunds = select(ds, f, ("grund",))
    roots = chain_roots(ds)
    first = first_followups(ds)
    dropped = _dropped(ds, grunds, roots)
    gpop = pop_key("interview", ("grund",))
    cats = Counter(category_of(g, first.get(g.rid), g.rid in dropped, as_of) for g in grunds)
    due = sum(cats[c] for c in CATEGORIES)
    n = len(grunds)

    columns = [Column("count", t("reports.col.count"), COUNT),
               Column("share", t("reports.col.share_due"), SHARE, ref=0, base_row="due")]
    cov = Table("followup.coverage", t("reports.table.followup_coverage"), columns,
                notes=[t("reports.note.followup_rule", as_of=as_of.isoformat())])
    for c in CATEGORIES:
        label = t(f"reports.row.followup_{c}")
        cell_tag = tag(FOLLOWED, months="0-5") if c == "early" else tag(gpop, followup=c)
        cov.add(c, label, [cats[c], share(cats[c], due)], tags=[cell_tag, None])
    cov.add("due", t("reports.row.followup_due"), [due, share(due, due) if due else None], total=True,
            tags=[tag(gpop, followup="due"), None])
    cov.add("open", t("reports.row.followup_open"), [cats["open"], None], tags=[tag(gpop, followup="open"), None])
    if cats[NO_DATE]:
        cov.add(NO_DATE, t("reports.row.no_date"), [cats[NO_DATE], None], tags=[tag(gpop, followup=NO_DATE), None])
    cov.add("total", t("reports.row.total"), [n, None], total=True, tags=[gpop, None])
    cov.sum_rows("due", ["count"], CATEGORIES)
    cov.sum_rows("total", ["count"], ["due", "open"] + ([NO_DATE] if cats[NO_DATE] else []))
    cov.same(N_REF, ("total", "count"))
    cov.sums.append(((TAG_REF, FOLLOWED), tuple((c, "count") for c in ("within", "early", "late"))))
    finalize(cov, n, t, n_tag=gpop)

    # months from the Grund to the chain's first follow-up
    months = [months_between(g.date, first[g.rid].date) for g in grunds
              if g.rid in first and g.date is not None and first[g.rid].date is not None]
    bins = Counter(map(_bin, months))
    columns = [Column("count", t("reports.col.count"), COUNT), Column("share", t("reports.col.share"), SHARE, ref=0)]
    dist = Table("followup.months", t("reports.table.followup_months"), columns)
    keys = [_bin(lo) for lo, _ in MONTH_BINS]
    for k in keys:
        dist.add(k, t("reports.row.months", months=k.replace("-", "–")), [bins[k], share(bins[k], len(months))],
                 tags=[tag(FOLLOWED, months=k), None])
    dist.add("total", t("reports.row.total"), [len(months), share(len(months), len(months)) if months else None],
             total=True, tags=[FOLLOWED, None])
    dist.sum_rows("total", ["count"], keys)
    dist.same(N_REF, ("total", "count"))
    finalize(dist, len(months), t, n_tag=FOLLOWED)

    stat_cols = [Column("n", "n", N), Column("mean", t("reports.col.mean"), MEAN, ref=0, decimals=1),
                 Column("median", t("reports.col.median"), MEDIAN, ref=0, decimals=1)]
    stats = Table("followup.months_stats", t("reports.table.followup_months_stats"), stat_cols)
    values = [float(m) for m in months]
    stats.add("months", t("reports.row.months_between"), [len(months), mean(values), median(values)], tags=[FOLLOWED, None, None])
    stats.same(N_REF, ("months", "n"))
    finalize(stats, len(months), t, n_tag=FOLLOWED)
    return [cov, dist, stats]


__all__ = ["CATEGORIES", "category_of", "chain_roots", "coverage_tables", "first_followups"]
