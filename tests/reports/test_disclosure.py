"""Disclosure control, checked from the outside on every table the program
can produce for a synthetic data set built for it (tests/reports/synthetic.py:
small groups, one-person cells, overlapping filters and subgroups).

For each report: the true tables (`build_tables`) and the published ones
(`build_report`). The published cells and every sum a reader can use form a
linear system; each suppressed count must keep a range wider than a single
value (exact rank tests, and an exact LP where a count sits at its bound 0).
The sums a reader can use are the tables' declared sums, and the tests check
that they are all there is: every linear relation found empirically among a
table's counts over 100+ random subsamples follows from the declared ones,
and any two cells that are equal in every subsample carry the same tag
(the link that makes them one unknown across tables).
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from datetime import date
from fractions import Fraction

import pytest

from asi_tui.reports import Filters
from asi_tui.reports.stats import ALL_SECTIONS, build_report, build_tables
from asi_tui.reports.tables import COUNT_KINDS, N_REF, SHARE, STAT_KINDS, TAG_REF

from .helpers import age_band
from .linalg import RowSpace, null_space_int, rank_mod, rref_mod, simplex_max
from .synthetic import subsample, synthetic_dataset

AS_OF = date(2028, 1, 31)
CONFIGS = {
    "all-grund": (Filters(), (), None),
    "both-young-women-men": (Filters(instrument=None), ("young_women", "young_men"), None),
    "uppf-homeless": (Filters(instrument="uppfoljning"), ("homeless",), None),
    "unit-of-three": (Filters(unit="liten"), (), None),
    "unit-of-one": (Filters(unit="ensam"), ("women",), None),
    "men-young": (Filters(gender=2), ("young",), None),
    "young-women-only": (Filters(gender=1, age_groups=("18-24",)), (), None),
    "half-year-overlapping": (Filters(date_from=date(2025, 1, 1), date_to=date(2025, 6, 30)), ("young", "homeless"), None),
    "unit-bands": (Filters(unit="syd", age_groups=("25-34", "35-44")), ("men",), None),
    "women-rounded": (Filters(instrument=None), ("women",), 5),
    "overlap-young-homeless": (Filters(instrument=None), ("young", "homeless"), None),
}


@pytest.fixture(scope="module")
def ds():
    return synthetic_dataset()


def reports(ds, name):
    f, compare, round_to = CONFIGS[name]
    raw = build_tables(ds, f, "en", ALL_SECTIONS, compare, AS_OF)
    published = build_report(ds, f, "en", ALL_SECTIONS, round_to, compare, AS_OF)
    return raw, published


def count_cells(table):
    """(ref, value) of every count of a table, and its n."""
    out = {}
    for r in table.rows:
        for c, cell in zip(table.columns, r.cells):
            if c.kind in COUNT_KINDS and isinstance(cell.value, int):
                out[(r.key, c.key)] = cell.value
    if isinstance(table.n, int):
        out[N_REF] = table.n
    return out


# ----------------------------------------------------------------------------- the system


class System:
    """The published report as a reader sees it: unknowns, known values, sums."""

    def __init__(self, raw_tables, published_tables):
        self.values = {}  # var -> true value
        self.hidden = set()
        self.implicit = set()
        self.var_of = []  # per table: ref -> var
        self.rows = []  # list of {var: coef}
        for ti, (raw, pub) in enumerate(zip(raw_tables, published_tables)):
            refs = {}
            for ref, value in count_cells(raw).items():
                tag = raw.n_tag if ref == N_REF else raw.cell(*ref).tag
                var = ("tag", tag) if tag else ("cell", ti, ref)
                assert self.values.setdefault(var, value) == value, (raw.key, ref, tag)  # one tag, one value
                hidden = pub.n_suppressed if ref == N_REF else pub.cell(*ref).suppressed
                if hidden:
                    self.hidden.add(var)
                refs[ref] = var
            for ref, value in raw.implicit.items():
                var = ("cell", ti, ref)
                self.values[var] = value
                self.implicit.add(var)
                refs[ref] = var
            self.var_of.append(refs)
        for refs, raw in zip(self.var_of, raw_tables):
            for whole, parts in raw.sums:
                resolve = {r: ("tag", r[1]) if r[0] == TAG_REF else refs.get(r) for r in (whole, *parts)}
                if any(v is None or v not in self.values for v in resolve.values()):
                    continue
                row = defaultdict(int)
                for p in parts:
                    row[resolve[p]] += 1
                row[resolve[whole]] -= 1
                row = {k: v for k, v in row.items() if v}
                assert sum(v * self.values[k] for k, v in row.items()) == 0, (raw.key, whole, parts)  # the sum holds
                if row:
                    self.rows.append(row)

    def undetermined(self, targets):
        """For each target: whether its range, given the published values, the sums
        and x >= 0, is wider than one value."""
        unknown = self.hidden | self.implicit
        reduced = []
        for row in self.rows:
            rhs = -sum(c * self.values[k] for k, c in row.items() if k not in unknown)
            part = {k: c for k, c in row.items() if k in unknown}
            if part:
                reduced.append((part, rhs))
            else:
                assert rhs == 0
        parent = {}

        def root(v):
            while parent.setdefault(v, v) != v:
                v = parent[v]
            return v

        for part, _ in reduced:
            first, *rest = part
            for k in rest:
                parent[root(k)] = root(first)
        comps = defaultdict(list)
        for part, rhs in reduced:
            comps[root(next(iter(part)))].append((part, rhs))
        spaces = {}
        out = {}
        for s in targets:
            if s not in parent:
                out[s] = True  # in no sum: nothing pins it
                continue
            key = root(s)
            if key not in spaces:
                spaces[key] = self._space(comps[key])
            space, variables = spaces[key]
            out[s] = not space.contains([int(v == s) for v in variables])
        return out

    def _space(self, rows):
        """The equations a reader has about one part of the unknowns, with the
        counts that sit at 0 and can only stay there (an LP finds them) fixed."""
        variables = sorted({k for part, _ in rows for k in part}, key=str)
        a = [[part.get(v, 0) for v in variables] for part, _ in rows]
        zeros = [i for i, v in enumerate(variables) if self.values[v] == 0]
        fixed = self._stuck(a, zeros, len(variables)) if zeros else []
        return RowSpace(a + [[int(j == i) for j in range(len(variables))] for i in fixed]), variables

    @staticmethod
    def _stuck(a, zeros, k):
        """Indices in `zeros` no feasible change can raise: over directions d with
        a d = 0 and d >= 0 at the zeros, maximise the sum of t_z <= min(d_z, 1)."""
        nz = len(zeros)
        width = 2 * k + 3 * nz  # d+, d-, t, s (d_z - t_z - s_z = 0), u (t_z + u_z = 1)
        rows, rhs = [], []
        for r in a:
            rows.append([Fraction(x) for x in r] + [Fraction(-x) for x in r] + [Fraction(0)] * (3 * nz))
            rhs.append(Fraction(0))
        for j, i in enumerate(zeros):
            line = [Fraction(0)] * width
            line[i], line[k + i], line[2 * k + j], line[2 * k + nz + j] = Fraction(1), Fraction(-1), Fraction(-1), Fraction(-1)
            rows.append(line)
            rhs.append(Fraction(0))
            cap = [Fraction(0)] * width
            cap[2 * k + j], cap[2 * k + 2 * nz + j] = Fraction(1), Fraction(1)
            rows.append(cap)
            rhs.append(Fraction(1))
        c = [Fraction(0)] * (2 * k) + [Fraction(1)] * nz + [Fraction(0)] * (2 * nz)
        y: list[Fraction] = []
        simplex_max(c, rows, rhs, y)
        return [i for j, i in enumerate(zeros) if y[2 * k + j] == 0]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_every_suppressed_count_stays_undetermined(ds, name):
    raw, published = reports(ds, name)
    system = System(raw.tables, published.tables)
    targets = sorted(system.hidden, key=str) + sorted((v for v in system.implicit if 1 <= system.values[v] <= 4), key=str)
    assert system.hidden, "the data set is made to need suppression"
    free = system.undetermined(targets)
    pinned = [v for v in targets if not free[v]]
    assert pinned == [], f"{len(pinned)} of {len(targets)} hidden counts can be worked out: {pinned[:5]}"


@pytest.mark.parametrize("name", list(CONFIGS))
def test_primary_suppression_and_what_is_shown(ds, name):
    raw, published = reports(ds, name)
    round_to = CONFIGS[name][2]
    complementary = 0
    for rt, pt in zip(raw.tables, published.tables):
        assert pt.protected and [r.key for r in rt.rows] == [r.key for r in pt.rows]
        for ref, value in count_cells(rt).items():
            hidden = pt.n_suppressed if ref == N_REF else pt.cell(*ref).suppressed
            shown = pt.n if ref == N_REF else pt.cell(*ref).value
            if 1 <= value <= 4:
                assert hidden and shown is None, (rt.key, ref, value)
            elif value == 0:
                assert not hidden and shown == 0, (rt.key, ref)  # zero names nobody
            elif hidden:
                complementary += 1
                assert shown is None
            elif round_to:
                assert shown % round_to == 0 and abs(shown - value) <= round_to // 2, (rt.key, ref, value, shown)
            else:
                assert shown == value, (rt.key, ref, value, shown)
        # shares rest on a shown count and a shown denominator; statistics on 5+ clients
        for rr, pr in zip(rt.rows, pt.rows):
            for i, (col, cell) in enumerate(zip(pt.columns, pr.cells)):
                if col.kind == SHARE and cell.value is not None:
                    assert not pr.cells[col.ref].suppressed, (rt.key, rr.key, col.key)
                    if col.base_col is not None:
                        assert not pr.cells[col.base_col].suppressed
                    elif col.base_row is not None:
                        assert not pt.cell(col.base_row, pt.columns[col.ref].key).suppressed
                    else:
                        assert not pt.n_suppressed
                if col.kind in STAT_KINDS and cell.value is not None:
                    assert rr.cells[col.ref].value >= 5, (rt.key, rr.key, col.key)
                if col.kind == SHARE and pr.cells[col.ref].suppressed:
                    assert cell.suppressed and cell.value is None
    if name == "all-grund":
        assert complementary > 0  # the data set needs complementary suppression, and gets it


# ----------------------------------------------------------------------------- the sums are complete

# the structure of the tables does not depend on the filter: discover it where the data vary most
DISCOVERY = ("both-young-women-men", "women-rounded", "overlap-young-homeless")


@pytest.fixture(scope="module")
def samples():
    """Per configuration: the true tables over 70 synthetic data sets made with
    different seeds (so that a coincidence of one set, e.g. the one client of a
    unit having every score, is no relation) and a random subsample of each."""
    sets = [synthetic_dataset(seed) for seed in range(100, 170)]
    out = {}
    for name in DISCOVERY:
        f, compare, _ = CONFIGS[name]
        rng = random.Random(name)
        runs = []
        for one in sets:
            runs.append(build_tables(one, f, "en", ALL_SECTIONS, compare, AS_OF))
            runs.append(build_tables(subsample(one, rng), f, "en", ALL_SECTIONS, compare, AS_OF))
        out[name] = runs
    return out


def _declared_rows(table, refs):
    """The table's own sums over its visible counts (unpublished parts eliminated)."""
    implicit = sorted(table.implicit)
    refs = list(refs)
    cols = implicit + refs
    index = {r: i for i, r in enumerate(cols)}
    rows = []
    for whole, parts in table.sums:
        if any(r[0] == TAG_REF for r in (whole, *parts)) or any(r not in index for r in (whole, *parts)):
            continue
        row = [0] * (len(cols) + 1)
        for p in parts:
            row[index[p]] += 1
        row[index[whole]] -= 1
        rows.append(row)
    if not implicit:
        return [r[: len(cols)] for r in rows]
    # eliminate the implicit columns (they come first): the echelon rows whose pivot is a
    # visible count span exactly the relations among visible counts the sums imply
    return [row[len(implicit): len(cols)] for col, row in rref_mod([r[: len(cols)] for r in rows]) if col >= len(implicit)]


@pytest.mark.parametrize("name", DISCOVERY)
def test_declared_sums_are_every_relation_among_a_tables_counts(samples, name):
    runs = samples[name]
    keys = [t.key for t in runs[0].tables]
    for key in keys:
        tables = [t for run in runs for t in run.tables if t.key == key]
        widest = max(tables, key=lambda t: len(count_cells(t)))  # the table with every row and column
        refs = sorted(count_cells(widest), key=str)
        assert all(set(count_cells(t)) <= set(refs) for t in tables), key
        matrix = [[count_cells(t).get(r, 0) for r in refs] + [1] for t in tables]
        # a count that is 0 in every sample is a shown 0 (e.g. no gambling module here): a
        # relation "it is 0" is true of these data, not of the table, and reveals nothing
        always_zero = [i for i in range(len(refs)) if all(row[i] == 0 for row in matrix)]
        for row in matrix:
            for i in always_zero:
                row[i] = 0
        found = [rel for rel in null_space_int(matrix, len(refs) + 1)
                 if any(rel[i] for i in range(len(refs) + 1) if i not in always_zero)]
        # (found modulo a prime: compared with the declared sums by ranks modulo the same prime)
        declared = [[0 if i in always_zero else x for i, x in enumerate(row)] + [0] for row in _declared_rows(widest, refs)]
        declared = [row for row in declared if any(row)]
        base = rank_mod(declared) if declared else 0
        for rel in found:
            assert rank_mod(declared + [rel]) == base, (key, {r: c for r, c in zip(refs + ["1"], rel) if c})
        assert base == len(found), (key, base, len(found))  # and every declared sum holds in the data


@pytest.mark.parametrize("name", DISCOVERY)
def test_counts_equal_in_every_sample_share_a_tag(samples, name):
    runs = samples[name]
    vectors = defaultdict(list)
    for ti, table in enumerate(runs[0].tables):
        for ref in count_cells(table):
            vec = []
            for run in runs:
                t = run.tables[ti]
                try:
                    v = t.n if ref == N_REF else t.cell(*ref).value
                except StopIteration:
                    v = 0
                vec.append(v or 0)
            if len(set(vec)) > 1:
                tag = table.n_tag if ref == N_REF else table.cell(*ref).tag
                vectors[tuple(vec)].append((table.key, ref, tag))
    for cells in vectors.values():
        tables = {k for k, _, _ in cells}
        if len(tables) > 1:
            tags = {g for _, _, g in cells}
            assert len(tags) == 1 and None not in tags, cells


# ----------------------------------------------------------------------------- tags mean what they say


def _independent_count(ds, f, tag):
    """Count the rows a tag names, with the tests' own filters and bands."""
    pop, *dims = tag.split("|")
    if "/" in pop or not pop.startswith(("interview:", "dropout:")):
        return None
    kind, instruments = pop.split(":")
    instruments = instruments.split("+")
    wanted = dict(d.split("=", 1) for d in dims)
    if set(wanted) - {"age", "gender", "substance", "housing", "income", "birth_region", "parents_born", "unit", "period"}:
        return None
    n = 0
    for r in ds.rows:
        if r.kind != kind:
            continue
        instr = r.instrument if kind == "interview" else r.dropout_for
        if instr not in instruments:
            continue
        if f.date_from and (r.date is None or r.date < f.date_from) or f.date_to and (r.date is None or r.date > f.date_to):
            continue
        if f.unit is not None and r.unit != " ".join(f.unit.split()).casefold():
            continue
        if f.age_groups and age_band(r.age) not in f.age_groups or f.gender is not None and r.gender != f.gender:
            continue
        ok = True
        for dim, value in wanted.items():
            if dim == "age":
                got = age_band(r.age)
            elif dim == "unit":
                got = r.unit or "missing"
            elif dim == "period":
                got = (f"{r.date.year}-H{1 if r.date.month <= 6 else 2}" if "-H" in value else str(r.date.year)) if r.date else "missing"
            else:
                v = getattr(r, dim)
                got = "missing" if v is None else str(v)
            ok = ok and got in re.split(r"\+(?=.)", value)  # "18-24+25-34", "7+8": a union; "65+" is one band
        n += ok
    return n


@pytest.mark.parametrize("name", ["all-grund", "both-young-women-men", "half-year-overlapping", "unit-bands"])
def test_tags_count_what_they_name(ds, name):
    raw, _ = reports(ds, name)
    f = CONFIGS[name][0]
    checked = 0
    for table in raw.tables:
        for ref, value in count_cells(table).items():
            tag = table.n_tag if ref == N_REF else table.cell(*ref).tag
            if tag is None:
                continue
            expected = _independent_count(ds, f, tag)
            if expected is not None:
                assert value == expected, (table.key, ref, tag, value, expected)
                checked += 1
    assert checked > 300


def test_the_check_finds_what_primary_suppression_alone_would_leak(ds):
    """The checker is not vacuous: with 1-4 hidden and nothing else (as before
    this issue), cells can be worked out, as the analysts found (238 of 2,320)."""
    from asi_tui.reports.disclosure import apply

    f, compare, _ = CONFIGS["all-grund"]
    raw = build_tables(ds, f, "en", ALL_SECTIONS, compare, AS_OF)
    naive = build_tables(ds, f, "en", ALL_SECTIONS, compare, AS_OF)
    for table in naive.tables:
        apply(table, {ref for ref, v in count_cells(table).items() if 1 <= v <= 4})
    system = System(raw.tables, naive.tables)
    free = system.undetermined(sorted(system.hidden, key=str))
    pinned = [v for v, ok in free.items() if not ok]
    assert len(pinned) >= 10, len(pinned)
    # e.g. the row of a one-person cell: its total minus the other (shown) cells gives it away
    assert any(system.values[v] == 1 for v in pinned)
