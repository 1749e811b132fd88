"""Group compilations: who the clients are and how they rate.

Counts interviews (one row per completed interview of the chosen
instrument in the period, unit and group); a client interviewed twice with
the same instrument in one period counts twice.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..bank.model import CodeList
from ..engine.values import MissingCode
from ..i18n import Translator
from ..scoring.composite import AREAS
from .common import AGE_BANDS, MAIN_INSTRUMENTS, MISSING, Filters, age_band, band_key
from .data import Dataset, Row
from .tables import COUNT, MEAN, MEDIAN, N, SHARE, Column, Table, finalize, mean, median, share

RATING_BANDS = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))
CLIENT_SCALE = (0, 1, 2, 3, 4)


def codelist(ds: Dataset, name: str) -> CodeList | None:
    """A shared code list by id, from the records' banks or the bundled ones."""
    from ..bank.registry import bundled_banks

    for bank in [*(b for b in ds.banks.values() if b is not None), *reversed(bundled_banks())]:
        if name in bank.codelists:
            return bank.codelists[name]
        for item in bank.items:  # inline lists (e.g. the dropout reason) are found through their items
            if item.codes == name:
                codes = bank.codes_for(item)
                if codes is not None:
                    return codes
    return None


def code_label(codes: CodeList | None, code: object, lang: str) -> str:
    if codes is not None:
        text = codes.label_of(code)  # type: ignore[arg-type]
        if text is not None:
            return text.get(lang)
    return str(code)


def select(rows: Iterable[Row], f: Filters, instruments: tuple[str, ...], kind: str = "interview") -> list[Row]:
    """Rows of `kind` and these instruments in the period, unit and group."""
    out = []
    for r in rows:
        if r.kind != kind:
            continue
        if kind == "interview" and r.instrument not in instruments:
            continue
        if kind == "dropout" and r.dropout_for not in instruments:
            continue
        if f.in_period(r.date) and f.unit_matches(r.unit) and f.in_group(r.age, r.gender):
            out.append(r)
    return out


def instruments_of(f: Filters) -> tuple[str, ...]:
    return (f.instrument,) if f.instrument else MAIN_INSTRUMENTS


def _bands_present(rows: Iterable[Row], bands: tuple[tuple[int, int | None], ...]) -> list[str]:
    keys = [band_key(lo, hi) for lo, hi in bands]
    extra = sorted({age_band(r.age, bands) for r in rows} - set(keys) - {MISSING})
    return [*extra, *keys, MISSING]


def band_label(key: str, t: Translator) -> str:
    if key == MISSING:
        return t("reports.row.missing")
    if key.endswith("+"):
        return t("reports.row.age_from", age=key[:-1])
    if key.startswith("<"):
        return t("reports.row.age_under", age=key[1:])
    return t("reports.row.age_band", band=key.replace("-", "–"))


def age_gender_table(rows: list[Row], ds: Dataset, t: Translator, bands: tuple[tuple[int, int | None], ...] = AGE_BANDS,
                     key: str = "groups.age_gender") -> Table:
    lang = t.lang
    genders = codelist(ds, "gender")
    gender_codes = list(genders.values) if genders else sorted({r.gender for r in rows if r.gender is not None}, key=str)
    columns = [Column(f"g{c}", code_label(genders, c, lang), COUNT) for c in gender_codes]
    columns.append(Column("g_missing", t("reports.col.missing"), COUNT))
    columns.append(Column("total", t("reports.col.total"), COUNT))
    columns.append(Column("share", t("reports.col.share"), SHARE, ref=len(columns) - 1))
    table = Table(key, t("reports.table.age_gender"), columns)
    counts = Counter((age_band(r.age, bands), r.gender if r.gender in gender_codes else MISSING) for r in rows)
    n = len(rows)
    for band in _bands_present(rows, bands):
        per = [counts[(band, c)] for c in gender_codes] + [counts[(band, MISSING)]]
        total = sum(per)
        table.add(band, band_label(band, t), [*per, total, share(total, n)])
    per = [sum(1 for r in rows if r.gender == c) for c in gender_codes]
    per.append(n - sum(per))
    table.add("total", t("reports.row.total"), [*per, n, share(n, n) if n else None], total=True)
    return finalize(table, n, t)


def category_table(rows: list[Row], attr: str, codes: CodeList | None, key: str, title: str, t: Translator) -> Table:
    """Counts and shares of one coded background item (the code list's order, then missing)."""
    columns = [Column("count", t("reports.col.count"), COUNT), Column("share", t("reports.col.share"), SHARE, ref=0)]
    table = Table(key, title, columns)
    values = Counter(getattr(r, attr) for r in rows)
    n = len(rows)
    known = list(codes.values) if codes else sorted((v for v in values if v is not None), key=str)
    for code in known:
        table.add(str(code), code_label(codes, code, t.lang), [values[code], share(values[code], n)])
    missing = n - sum(values[c] for c in known)
    table.add(MISSING, t("reports.row.missing"), [missing, share(missing, n)])
    table.add("total", t("reports.row.total"), [n, share(n, n) if n else None], total=True)
    return finalize(table, n, t)


def _number(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def ratings_table(rows: list[Row], t: Translator, key: str = "groups.ratings") -> Table:
    """Interviewer ratings 0-9 per area, in the anchor pairs 0-1 ... 8-9, X, n rated, mean, median."""
    columns = [Column(f"r{lo}_{hi}", f"{lo}–{hi}", COUNT) for lo, hi in RATING_BANDS]
    columns.append(Column("X", "X", COUNT))
    n_col = len(columns)
    columns += [
        Column("n", "n", N),
        Column("mean", t("reports.col.mean"), MEAN, ref=n_col, decimals=1),
        Column("median", t("reports.col.median"), MEDIAN, ref=n_col, decimals=1),
    ]
    table = Table(key, t("reports.table.ratings"), columns)
    for area in AREAS:
        values = [r.ratings.get(area) for r in rows]
        nums = [v for v in map(_number, values) if v is not None]
        bands = [sum(1 for v in nums if lo <= v <= hi) for lo, hi in RATING_BANDS]
        x = sum(1 for v in values if isinstance(v, MissingCode) and v.code == "X")
        table.add(area, t(f"composite.{area}"), [*bands, x, len(nums), mean(nums), median(nums)])
    return finalize(table, len(rows), t)


def client_ratings_table(rows: list[Row], ds: Dataset, t: Translator, instruments: tuple[str, ...]) -> Table:
    """The client's own ratings 0-4 per item (troubled, need of help), X, n, mean."""
    columns = [Column(f"c{v}", str(v), COUNT) for v in CLIENT_SCALE]
    columns.append(Column("X", "X", COUNT))
    n_col = len(columns)
    columns += [Column("n", "n", N), Column("mean", t("reports.col.mean"), MEAN, ref=n_col, decimals=1)]
    table = Table("groups.client_ratings", t("reports.table.client_ratings"), columns)
    for item_id, bank in ds.client_rating_items():
        if bank.instrument not in instruments:
            continue
        values = [r.client.get(item_id) for r in rows]
        nums = [v for v in map(_number, values) if v is not None]
        x = sum(1 for v in values if isinstance(v, MissingCode) and v.code == "X")
        if not nums and not x and not any(item_id in r.client for r in rows):
            continue
        label = f"{item_id} {bank.by_id[item_id].label.get(t.lang)}"
        table.add(item_id, label, [*(sum(1 for v in nums if v == s) for s in CLIENT_SCALE), x, len(nums), mean(nums)])
    return finalize(table, len(rows), t)


def composites_table(rows: list[Row], t: Translator, key: str = "groups.composites") -> Table:
    columns = [
        Column("n", "n", N),
        Column("mean", t("reports.col.mean"), MEAN, ref=0, decimals=2),
        Column("median", t("reports.col.median"), MEDIAN, ref=0, decimals=2),
    ]
    table = Table(key, t("reports.table.composites"), columns, notes=[t("composite.currency_note")])
    for area in AREAS:
        scores = [s for s in (r.comps.get(area) for r in rows) if s is not None]
        table.add(area, t(f"composite.{area}"), [len(scores), mean(scores), median(scores)])
    return finalize(table, len(rows), t)


def overview_table(ds: Dataset, f: Filters, t: Translator) -> Table:
    """Interviews and dropouts in the period, per instrument."""
    columns = [Column("count", t("reports.col.count"), COUNT)]
    table = Table("groups.overview", t("reports.table.overview"), columns)
    total = 0
    for instr in MAIN_INSTRUMENTS:
        n = len(select(ds.rows, f, (instr,)))
        total += n
        table.add(instr, t(f"reports.instrument.{instr}"), [n])
    if f.unit is None and not f.has_group:  # the gambling module has no unit or background of its own
        n = sum(1 for r in ds.rows if r.kind == "interview" and r.instrument == "spel" and f.in_period(r.date))
        table.add("spel", t("reports.instrument.spel"), [n])
    for instr in MAIN_INSTRUMENTS:
        n = len(select(ds.rows, f, (instr,), kind="dropout"))
        table.add(f"dropout_{instr}", t(f"reports.instrument.dropout_{instr}"), [n])
    return finalize(table, total, t)


def group_tables(ds: Dataset, f: Filters, t: Translator) -> list[Table]:
    instruments = instruments_of(f)
    rows = select(ds.rows, f, instruments)
    out = [overview_table(ds, f, t), age_gender_table(rows, ds, t, f.age_bands)]
    for dim, attr, title in (
        ("substance", "substance", "reports.table.substance"),
        ("housing", "housing", "reports.table.housing"),
        ("income_source", "income", "reports.table.income"),
    ):
        out.append(category_table(rows, attr, codelist(ds, dim), f"groups.{attr}", t(title), t))
    out.append(ratings_table(rows, t))
    out.append(client_ratings_table(rows, ds, t, instruments))
    out.append(composites_table(rows, t))
    return out
