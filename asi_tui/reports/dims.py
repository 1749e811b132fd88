"""The dimensions tables are cut by (age band, gender, substance, housing, ...),
the unit accessor, and the tags that link the same count across tables.

A `Dim` has its categories (key, label) in display order, missing last, and
`of(row)`, the category key of a row. Coded items take their codes and labels
from the newest version of the bank present (older records were migrated to
it by `load_dataset`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from ..bank.model import CodeList
from ..i18n import Translator
from .common import unit_of
from .common import (
    BIRTH_REGION_ITEM,
    GENDER_ITEM,
    HOUSING_ITEM,
    INCOME_ITEM,
    MISSING,
    PARENTS_BORN_ITEM,
    SUBSTANCE_ITEM,
    Filters,
    age_band,
    band_key,
)
from .data import Dataset, Row


@dataclass
class Dim:
    key: str  # gender | age | substance | housing | income | birth_region | parents_born | unit | period ...
    title: str  # translated name of the dimension
    cats: list[tuple[str, str]]  # (category key, label), missing last
    of: Callable[[Row], str]


def tag(pop: str, **dims: str) -> str:
    """The identity of a count: its population and categories, in a fixed order."""
    return pop + "".join(f"|{k}={v}" for k, v in sorted(dims.items()))


def pop_key(kind: str, instruments: Iterable[str], sub: str | None = None) -> str:
    """Which rows a count is over: "interview:grund", "dropout:grund+uppfoljning", "interview:grund/women"."""
    return f"{kind}:{'+'.join(instruments)}" + (f"/{sub}" if sub else "")


# ----------------------------------------------------------------------------- units


def unit_label(key: str, names: Mapping[str, str] | None = None) -> str:
    """How a unit is shown: its name from the vault, else its id."""
    return (names or {}).get(key, key)


# ----------------------------------------------------------------------------- code lists

CODED_ITEMS = {
    "gender": (GENDER_ITEM, "gender", "reports.dim.gender"),
    "substance": (SUBSTANCE_ITEM, "substance", "reports.dim.substance"),
    "housing": (HOUSING_ITEM, "housing", "reports.dim.housing"),
    "income": (INCOME_ITEM, "income", "reports.dim.income"),
    "birth_region": (BIRTH_REGION_ITEM, "birth_region", "reports.dim.birth_region"),
    "parents_born": (PARENTS_BORN_ITEM, "parents_born", "reports.dim.parents_born"),
}


def item_codes(ds: Dataset, item_id: str) -> CodeList | None:
    """The codes of an item in the newest bank present that asks it (else the bundled banks)."""
    from ..bank.registry import bundled_banks

    banks = [ds.newest_bank(i) for i in ("grund", "uppfoljning", "bortfall")]
    for bank in [*(b for b in banks if b is not None), *reversed(bundled_banks())]:
        item = bank.by_id.get(item_id)
        if item is not None:
            codes = bank.codes_for(item)
            if codes is not None:
                return codes
    return None


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


def coded_dim(ds: Dataset, key: str, t: Translator, rows: Iterable[Row] = (), attr: str | None = None,
              codes: CodeList | None = None) -> Dim:
    """A dimension over a coded item: its codes in list order, then missing (X, N, none, unknown)."""
    item, default_attr, title = CODED_ITEMS.get(key, (None, key, f"reports.dim.{key}"))
    attr = attr or default_attr
    codes = codes if codes is not None else item_codes(ds, item) if item else None
    known = list(codes.values) if codes else sorted({getattr(r, attr) for r in rows if getattr(r, attr) is not None}, key=str)
    keys = {c: str(c) for c in known}
    cats = [(str(c), code_label(codes, c, t.lang)) for c in known] + [(MISSING, t("reports.row.missing"))]
    return Dim(key, t(title), cats, lambda r: keys.get(getattr(r, attr), MISSING))


def band_label(key: str, t: Translator) -> str:
    if key == MISSING:
        return t("reports.row.missing")
    if key.endswith("+"):
        return t("reports.row.age_from", age=key[:-1])
    if key.startswith("<"):
        return t("reports.row.age_under", age=key[1:])
    return t("reports.row.age_band", band=key.replace("-", "–"))


def bands_present(rows: Iterable[Row], bands: tuple[tuple[int, int | None], ...]) -> list[str]:
    keys = [band_key(lo, hi) for lo, hi in bands]
    extra = sorted({age_band(r.age, bands) for r in rows} - set(keys) - {MISSING})
    return [*extra, *keys, MISSING]


def age_dim(rows: Iterable[Row], f: Filters, t: Translator) -> Dim:
    bands = f.age_bands
    cats = [(b, band_label(b, t)) for b in bands_present(rows, bands)]
    return Dim("age", t("reports.dim.age"), cats, lambda r: age_band(r.age, bands))


def unit_dim(rows: Iterable[Row], t: Translator, names: Mapping[str, str] | None = None) -> Dim:
    rows = list(rows)
    units = sorted({u for r in rows if (u := unit_of(r)) is not None})
    cats = [(u, unit_label(u, names)) for u in units]
    if any(unit_of(r) is None for r in rows):
        cats.append((MISSING, t("reports.row.no_unit")))
    return Dim("unit", t("reports.dim.unit"), cats, lambda r: unit_of(r) or MISSING)


def dim_by_key(key: str, ds: Dataset, rows: list[Row], f: Filters, t: Translator) -> Dim:
    if key == "age":
        return age_dim(rows, f, t)
    if key == "unit":
        return unit_dim(rows, t, ds.unit_names)
    return coded_dim(ds, key, t, rows)


__all__ = ["Dim", "age_dim", "band_label", "bands_present", "code_label", "coded_dim", "codelist", "dim_by_key",
           "item_codes", "pop_key", "tag", "unit_dim", "unit_label", "unit_of"]
