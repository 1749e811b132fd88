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
from typing import Callable

from ..bank.model import CodeList
from ..i18n import Translator
from .common import MAIN_INSTRUMENTS, MISSING, SMALL_N, Filters, age_band, unit_of
from .data import Dataset, Row
from .groups import _bands_present, band_label, code_label, codelist, instruments_of, select
from .tables import COUNT, SHARE, Column, Table, finalize, share


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
    known = list(codes.values) if codes else sorted({r.reason for r in drops if r.reason is not None}, key=str)
    for code in known:
        per = [counts[(code, i)] for i in MAIN_INSTRUMENTS]
        table.add(str(code), code_label(codes, code, t.lang), [*per, sum(per), share(sum(per), n)])
    per = [sum(1 for r in drops if r.dropout_for == i and r.reason not in known) for i in MAIN_INSTRUMENTS]
    table.add(MISSING, t("reports.row.missing"), [*per, sum(per), share(sum(per), n)])
    per = [sum(1 for r in drops if r.dropout_for == i) for i in MAIN_INSTRUMENTS]
    table.add("total", t("reports.row.total"), [*per, n, share(n, n) if n else None], total=True)
    return finalize(table, n, t)


def rate_table(ds: Dataset, f: Filters, t: Translator, notes: list[str]) -> Table:
    columns = [
        Column("interviews", t("reports.col.interviews"), COUNT),
        Column("dropouts", t("reports.col.dropouts"), COUNT),
        Column("target", t("reports.col.target"), COUNT),
        Column("rate", t("reports.col.dropout_rate"), SHARE, ref=1),
    ]
    table = Table("dropout.rate", t("reports.table.dropout_rate"), columns, notes=list(notes))
    tot_i = tot_d = 0
    for instr in MAIN_INSTRUMENTS:
        i = len(select(ds.rows, f, (instr,)))
        d = len(select(ds.rows, f, (instr,), kind="dropout"))
        tot_i, tot_d = tot_i + i, tot_d + d
        table.add(instr, t(f"reports.instrument.{instr}"), [i, d, i + d, share(d, i + d)])
    table.add("total", t("reports.row.total"), [tot_i, tot_d, tot_i + tot_d, share(tot_d, tot_i + tot_d)], total=True)
    return finalize(table, tot_i + tot_d, t)


def compare_table(key: str, title: str, interviewed: list[Row], drops: list[Row], categories: list[tuple[str, str]],
                  of: Callable[[Row], str], t: Translator, notes: list[str]) -> Table:
    """Interviewed beside dropouts for one background dimension (counts and column shares)."""
    columns = [
        Column("interviewed", t("reports.col.interviewed"), COUNT),
        Column("interviewed_share", t("reports.col.share"), SHARE, ref=0),
        Column("dropouts", t("reports.col.dropouts"), COUNT),
        Column("dropouts_share", t("reports.col.share"), SHARE, ref=2),
    ]
    table = Table(key, title, columns, notes=list(notes))
    ci, cd = Counter(map(of, interviewed)), Counter(map(of, drops))
    ni, nd = len(interviewed), len(drops)
    for cat, label in categories:
        table.add(cat, label, [ci[cat], share(ci[cat], ni), cd[cat], share(cd[cat], nd)])
    table.add("total", t("reports.row.total"), [ni, share(ni, ni) if ni else None, nd, share(nd, nd) if nd else None], total=True)
    return finalize(table, ni + nd, t, small=min(ni, nd) < SMALL_N)


def _coded(codes: CodeList | None, rows: list[Row], attr: str, t: Translator) -> tuple[list[tuple[str, str]], Callable[[Row], str]]:
    known = list(codes.values) if codes else sorted({getattr(r, attr) for r in rows if getattr(r, attr) is not None}, key=str)
    keys = {c: str(c) for c in known}
    cats = [(str(c), code_label(codes, c, t.lang)) for c in known] + [(MISSING, t("reports.row.missing"))]
    return cats, lambda r: keys.get(getattr(r, attr), MISSING)


def dropout_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    notes = _no_unit_note(ds, f, t)
    all_drops = select(ds.rows, f, MAIN_INSTRUMENTS, kind="dropout")
    out = [reasons_table(all_drops, ds, t, notes), rate_table(ds, f, t, notes)]
    instruments = instruments_of(f)
    interviewed = select(ds.rows, f, instruments)
    drops = select(ds.rows, f, instruments, kind="dropout")
    both = interviewed + drops
    bands = [(b, band_label(b, t)) for b in _bands_present(both, f.age_bands)]
    out.append(compare_table("dropout.age", t("reports.table.dropout_age"), interviewed, drops, bands,
                             lambda r: age_band(r.age, f.age_bands), t, notes))
    for attr, list_id, title in (
        ("gender", "gender", "reports.table.dropout_gender"),
        ("substance", "substance", "reports.table.dropout_substance"),
        ("housing", "housing", "reports.table.dropout_housing"),
        ("income", "income_source", "reports.table.dropout_income"),
    ):
        cats, of = _coded(codelist(ds, list_id), both, attr, t)
        out.append(compare_table(f"dropout.{attr}", t(title), interviewed, drops, cats, of, t, notes))
    return out
