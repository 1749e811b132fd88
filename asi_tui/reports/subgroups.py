"""A subgroup beside the whole group (`--compare women`), or two subgroups
beside each other and the whole group (`--compare young_women,young_men`).

The subgroups are fixed, so that no query can be shifted by a few clients:

* `women`, `men`: gender 1 (kvinna), 2 (man);
* `homeless`: housing 7 (shelter, emergency housing) or 8 (sleeping rough),
  the acute homelessness of Socialstyrelsen's definition;
* `young`: the two youngest fixed age bands, 18-24 and 25-34 (an 18-30
  group would cut a band, and the difference to the bands would describe
  the few clients between);
* `young_women`, `young_men`: both.

Differencing inside the table: "the whole group minus the subgroup" (and
with two subgroups each part of their overlap) is a count a reader can work
out, so disclosure control treats it as a cell (`Table.implicit`): one of
1-4 clients must stay undetermined. Means and medians of a subgroup are
hidden in a row where such a part holds 1-4 clients (its mean could be
worked out from the two published ones).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import product
from typing import Callable

from ..i18n import Translator
from ..scoring.composite import AREAS
from .common import Filters, ReportError, age_band
from .data import Dataset, Row
from .dims import Dim, age_dim, coded_dim, pop_key, tag
from .disclosure import is_small
from .groups import instruments_of, select
from .tables import COUNT, MEAN, N, N_REF, SHARE, TAG_REF, Column, Table, finalize, mean, share

YOUNG = ("18-24", "25-34")
HOMELESS = ("7", "8")


@dataclass(frozen=True)
class Subgroup:
    key: str
    dims: dict[str, tuple[str, ...]]  # dimension -> category keys (a union within, all dimensions must hold)

    def test(self, f: Filters) -> Callable[[Row], bool]:
        def member(r: Row) -> bool:
            for dim, values in self.dims.items():
                if dim == "age":
                    v = age_band(r.age, f.age_bands)
                else:
                    v = str(getattr(r, dim))
                if v not in values:
                    return False
            return True

        return member

    def tag_dims(self) -> dict[str, str]:
        return {d: "+".join(v) for d, v in self.dims.items()}


SUBGROUPS = {
    "women": Subgroup("women", {"gender": ("1",)}),
    "men": Subgroup("men", {"gender": ("2",)}),
    "homeless": Subgroup("homeless", {"housing": HOMELESS}),
    "young": Subgroup("young", {"age": YOUNG}),
    "young_women": Subgroup("young_women", {"age": YOUNG, "gender": ("1",)}),
    "young_men": Subgroup("young_men", {"age": YOUNG, "gender": ("2",)}),
}
DIMS = ("age", "gender", "substance", "housing", "income", "birth_region")
GRUND_ONLY = ("birth_region",)


def parse_compare(text: str) -> tuple[str, ...]:
    """"women" or "young_women,young_men" (one or two of SUBGROUPS)."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in (text or "").split(",") if p.strip()))
    if not 1 <= len(names) <= 2 or any(n not in SUBGROUPS for n in names):
        raise ReportError("reports.error.compare", value=(text or "")[:40], names=", ".join(SUBGROUPS))
    return names


def disjoint(a: Subgroup, b: Subgroup) -> bool:
    """Two subgroups no client can be in at once (e.g. young women, young men)."""
    return any(d in b.dims and not set(v) & set(b.dims[d]) for d, v in a.dims.items())


def _atoms(subs: list[Subgroup], members: list[Callable[[Row], bool]]) -> list[tuple[str, Callable[[Row], bool]]]:
    """The parts the subgroups cut the whole group into: the unpublished counts
    a reader can work out (no overlap part for disjoint subgroups: it is 0)."""
    if len(members) == 1:
        a = members[0]
        return [("~rest", lambda r: not a(r))]
    a, b = members
    both = [] if disjoint(*subs) else [("~both", lambda r: a(r) and b(r))]
    return [("~a_only", lambda r: a(r) and not b(r)), *both, ("~b_only", lambda r: b(r) and not a(r)),
            ("~rest", lambda r: not a(r) and not b(r))]


def _atom_sums(table: Table, row: str, groups: list[str], atoms: list[str], suffix: str = "") -> None:
    """The subgroup and whole-group counts of a row as sums of the parts."""
    if len(groups) == 1:
        table.sums.append(((row, f"whole{suffix}"), ((row, f"{groups[0]}{suffix}"), (row, "~rest"))))
        return
    both = [(row, "~both")] if "~both" in atoms else []
    table.sums.append(((row, f"{groups[0]}{suffix}"), ((row, "~a_only"), *both)))
    table.sums.append(((row, f"{groups[1]}{suffix}"), ((row, "~b_only"), *both)))
    table.sums.append(((row, f"whole{suffix}"), tuple((row, a) for a in atoms)))


def _expanded(pop: str, sub: Subgroup, extra: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """A subgroup count as the sum of the counts of its single categories (for unions)."""
    dims = list(sub.dims.items())
    parts = []
    for combo in product(*(values for _, values in dims)):
        parts.append((TAG_REF, tag(pop, **{d: v for (d, _), v in zip(dims, combo)}, **extra)))
    return tuple(parts)


Member = Callable[[Row], bool]


def compare_dim_table(rows: list[Row], dim: Dim, names: tuple[str, ...], members: list[Member], pop: str,
                      t: Translator) -> Table:
    subs = [SUBGROUPS[n] for n in names]
    groups = [*names, "whole"]
    columns: list[Column] = []
    for g in groups:
        columns.append(Column(g, t(f"reports.subgroup.{g}"), COUNT))
        columns.append(Column(f"{g}_share", t("reports.col.share"), SHARE, ref=len(columns) - 1, base_row="total"))
    table = Table(f"compare.{dim.key}", t("reports.table.compare", dim=dim.title), columns)
    in_group = [[r for r in rows if m(r)] for m in members] + [rows]
    counts = [Counter(map(dim.of, g)) for g in in_group]
    atoms = _atoms(subs, members)
    atom_counts = {k: Counter(dim.of(r) for r in rows if test(r)) for k, test in atoms}
    for cat, label in [*dim.cats, ("total", t("reports.row.total"))]:
        values: list[int | float | None] = []
        tags: list[str | None] = []
        for g, c, s in zip(groups, counts, [*subs, None]):
            n_g = sum(c.values())
            value = n_g if cat == "total" else c[cat]
            values += [value, share(value, n_g)]
            extra = {} if cat == "total" else {dim.key: cat}
            tags += [tag(pop, **(s.tag_dims() if s else {}), **extra), None]
            if s is not None and any(len(v) > 1 for v in s.dims.values()):
                table.sums.append(((cat, g), _expanded(pop, s, extra)))
        table.add(cat, label, values, total=cat == "total", tags=tags)
        for k, ac in atom_counts.items():
            table.implicit[(cat, k)] = sum(ac.values()) if cat == "total" else ac[cat]
        _atom_sums(table, cat, list(names), [k for k, _ in atoms])
    cats = [c for c, _ in dim.cats]
    table.sum_rows("total", [*groups, *(k for k, _ in atoms)], cats)
    table.same(N_REF, ("total", "whole"))
    return finalize(table, len(rows), t, n_tag=pop)


def compare_means_table(rows: list[Row], names: tuple[str, ...], members: list[Member], pop: str, t: Translator) -> Table:
    """Composite scores: n and mean of each subgroup beside the whole group."""
    subs = [SUBGROUPS[n] for n in names]
    groups = [*names, "whole"]
    columns: list[Column] = []
    for g in groups:
        columns.append(Column(f"{g}_n", f"n {t(f'reports.subgroup.{g}')}", N))
        columns.append(Column(f"{g}_mean", t("reports.col.mean"), MEAN, ref=len(columns) - 1, decimals=2))
    table = Table("compare.composites", t("reports.table.compare_composites"), columns, notes=[t("composite.currency_note")])
    in_group = [[r for r in rows if m(r)] for m in members] + [rows]
    atoms = _atoms(subs, members)
    for area in AREAS:
        values: list[int | float | None] = []
        tags: list[str | None] = []
        for g, s in zip(in_group, [*subs, None]):
            scores = [x for x in (r.comps.get(area) for r in g) if x is not None]
            values += [len(scores), mean(scores)]
            tags += [tag(pop, composite=area, **(s.tag_dims() if s else {})), None]
        table.add(area, t(f"composite.{area}"), values, tags=tags)
        parts = {k: sum(1 for r in rows if test(r) and r.comps.get(area) is not None) for k, test in atoms}
        for k, v in parts.items():
            table.implicit[(area, k)] = v
        _atom_sums(table, area, list(names), [k for k, _ in atoms], suffix="_n")
        if any(is_small(v) for v in parts.values()):  # a part of 1-4 clients: its mean must not be derivable
            table.hide_stats |= {(area, f"{g}_mean") for g in names}
    return finalize(table, len(rows), t, n_tag=pop)


def compare_tables(ds: Dataset, f: Filters, names: tuple[str, ...], t: Translator) -> list[Table]:
    instruments = instruments_of(f)
    rows = select(ds, f, instruments)
    pop = pop_key("interview", instruments)
    used = {d for n in names for d in SUBGROUPS[n].dims}
    inside = [{id(r) for r in rows if SUBGROUPS[n].test(f)(r)} for n in names]  # each row tested once
    members: list[Member] = [lambda r, ids=ids: id(r) in ids for ids in inside]  # type: ignore[misc]
    out = []
    for key in DIMS:
        if key in used:
            continue  # the subgroup is defined by it
        these, this_pop = rows, pop
        if key in GRUND_ONLY:  # asked in the Grund only: over the Grund interviews, as in the group tables
            if "grund" not in instruments:
                continue
            these, this_pop = [r for r in rows if r.instrument == "grund"], pop_key("interview", ("grund",))
        dim = age_dim(these, f, t) if key == "age" else coded_dim(ds, key, t, these)
        out.append(compare_dim_table(these, dim, names, members, this_pop, t))
    out.append(compare_means_table(rows, names, members, pop, t))
    return out


__all__ = ["SUBGROUPS", "Subgroup", "compare_tables", "parse_compare"]
