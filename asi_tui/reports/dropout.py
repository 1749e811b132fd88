"""Dropout (bortfall): counts by instrument and reason, the dropout rate, and
the background of those not interviewed beside those interviewed.

The dropout rate of an instrument is dropouts / (interviews done + dropouts)
in the period: the share of the target group that was not interviewed.
A dropout registration belongs to a unit like an interview (the record's
unit, `common.unit_of`), so the rate of a unit counts its own dropouts. Only
registrations made before units existed and never migrated have none; when
a unit is chosen they are left out and a note says how many.
"""

from __future__ import annotations

from collections import Counter

from ..i18n import Translator
from .common import MAIN_INSTRUMENTS, MISSING, SMALL_N, Filters, unit_of
from .data import Dataset, Row
from .dims import Dim, age_dim, code_label, codelist, coded_dim, pop_key, tag
from .groups import instruments_of, select
from .tables import COUNT, N_REF, SHARE, Column, Table, finalize, share

COMPARED = (
    ("gender", "reports.table.dropout_gender"),
    ("substance", "reports.table.dropout_substance"),
    ("housing", "reports.table.dropout_housing"),
    ("income", "reports.table.dropout_income"),
)


def _no_unit_note(ds: Dataset, f: Filters, t: Translator) -> list[str]:
    if f.unit is None:
        return []
    n = sum(1 for r in ds.rows if r.kind == "dropout" and unit_of(r) is None and f.in_period(r.date))
    return [t("reports.note.dropout_no_unit", n=n)] if n else []


def reasons_table(drops: list[Row], ds: Dataset, t: Translator, notes: list[str]) -> Table:
    codes = codelist(ds, "dropout_reason")
    columns = [Column(i, t(f"reports.col.{i}"), COUNT) for i in MAIN_INSTRUMENTS]
    columns += [Column("total", t("reports.col.total"), COUNT), Column("share", t("reports.col.share"), SHARE, ref=len(MAIN_INSTRUMENTS))]
    table = Table("dropout.reasons", t("reports.table.dropout_reasons"), columns, notes=list(notes))
    counts = Counter((r.reason, r.dropout_for) for r in drops)
    n = len(drops)
    both = pop_key("dropout", MAIN_INSTRUMENTS)
    pops = [pop_key("dropout", (i,)) for i in MAIN_INSTRUMENTS]
    known = list(codes.values) if codes else sorted({r.reason for r in drops if r.reason is not None}, key=str)
    for code in known:
        per = [counts[(code, i)] for i in MAIN_INSTRUMENTS]
        tags = [tag(p, reason=str(code)) for p in pops] + [tag(both, reason=str(code)), None]
        table.add(str(code), code_label(codes, code, t.lang), [*per, sum(per), share(sum(per), n)], tags=tags)
    per = [sum(1 for r in drops if r.dropout_for == i and r.reason not in known) for i in MAIN_INSTRUMENTS]
    tags = [tag(p, reason=MISSING) for p in pops] + [tag(both, reason=MISSING), None]
    table.add(MISSING, t("reports.row.missing"), [*per, sum(per), share(sum(per), n)], tags=tags)
    per = [sum(1 for r in drops if r.dropout_for == i) for i in MAIN_INSTRUMENTS]
    table.add("total", t("reports.row.total"), [*per, n, share(n, n) if n else None], total=True, tags=[*pops, both, None])
    table.sum_cols("total", MAIN_INSTRUMENTS)
    table.sum_rows("total", [*MAIN_INSTRUMENTS, "total"])
    table.same(N_REF, ("total", "total"))
    return finalize(table, n, t, n_tag=both)


def rate_table(ds: Dataset, f: Filters, t: Translator, notes: list[str]) -> Table:
    columns = [
        Column("interviews", t("reports.col.interviews"), COUNT),
        Column("dropouts", t("reports.col.dropouts"), COUNT),
        Column("target", t("reports.col.target"), COUNT),
        Column("rate", t("reports.col.dropout_rate"), SHARE, ref=1, base_col=2),
    ]
    table = Table("dropout.rate", t("reports.table.dropout_rate"), columns, notes=list(notes))
    tot_i = tot_d = 0
    for instr in MAIN_INSTRUMENTS:
        i = len(select(ds, f, (instr,)))
        d = len(select(ds, f, (instr,), kind="dropout"))
        tot_i, tot_d = tot_i + i, tot_d + d
        table.add(instr, t(f"reports.instrument.{instr}"), [i, d, i + d, share(d, i + d)],
                  tags=[pop_key("interview", (instr,)), pop_key("dropout", (instr,)), pop_key("target", (instr,)), None])
    table.add("total", t("reports.row.total"), [tot_i, tot_d, tot_i + tot_d, share(tot_d, tot_i + tot_d)], total=True,
              tags=[pop_key("interview", MAIN_INSTRUMENTS), pop_key("dropout", MAIN_INSTRUMENTS),
                    pop_key("target", MAIN_INSTRUMENTS), None])
    table.sum_cols("target", ["interviews", "dropouts"])
    table.sum_rows("total", ["interviews", "dropouts", "target"])
    table.same(N_REF, ("total", "target"))
    return finalize(table, tot_i + tot_d, t, n_tag=pop_key("target", MAIN_INSTRUMENTS))


def compare_table(key: str, title: str, interviewed: list[Row], drops: list[Row], dim: Dim, pops: tuple[str, str, str],
                  t: Translator, notes: list[str]) -> Table:
    """Interviewed beside dropouts for one background dimension (counts and column shares)."""
    columns = [
        Column("interviewed", t("reports.col.interviewed"), COUNT),
        Column("interviewed_share", t("reports.col.share"), SHARE, ref=0, base_row="total"),
        Column("dropouts", t("reports.col.dropouts"), COUNT),
        Column("dropouts_share", t("reports.col.share"), SHARE, ref=2, base_row="total"),
    ]
    table = Table(key, title, columns, notes=list(notes))
    ci, cd = Counter(map(dim.of, interviewed)), Counter(map(dim.of, drops))
    ni, nd = len(interviewed), len(drops)
    for cat, label in dim.cats:
        table.add(cat, label, [ci[cat], share(ci[cat], ni), cd[cat], share(cd[cat], nd)],
                  tags=[tag(pops[0], **{dim.key: cat}), None, tag(pops[1], **{dim.key: cat}), None])
    table.add("total", t("reports.row.total"), [ni, share(ni, ni) if ni else None, nd, share(nd, nd) if nd else None],
              total=True, tags=[pops[0], None, pops[1], None])
    table.sum_rows("total", ["interviewed", "dropouts"])
    table.sums.append((N_REF, (("total", "interviewed"), ("total", "dropouts"))))
    return finalize(table, ni + nd, t, small=min(ni, nd) < SMALL_N, n_tag=pops[2])


def dropout_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    notes = _no_unit_note(ds, f, t)
    all_drops = select(ds, f, MAIN_INSTRUMENTS, kind="dropout")
    out = [reasons_table(all_drops, ds, t, notes), rate_table(ds, f, t, notes)]
    instruments = instruments_of(f)
    interviewed = select(ds, f, instruments)
    drops = select(ds, f, instruments, kind="dropout")
    both = interviewed + drops
    pops = (pop_key("interview", instruments), pop_key("dropout", instruments), pop_key("target", instruments))
    out.append(compare_table("dropout.age", t("reports.table.dropout_age"), interviewed, drops, age_dim(both, f, t), pops,
                             t, notes))
    for dim, title in COMPARED:
        out.append(compare_table(f"dropout.{dim}", t(title), interviewed, drops, coded_dim(ds, dim, t, both), pops, t,
                                 notes))
    return out
