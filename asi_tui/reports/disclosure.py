"""Disclosure control: what a published table may show. Applied to every table
of a report before any renderer sees it (`protect_report`, from `build_report`).

The rules (for analysts: docs/statistics.md):

* **Primary suppression.** A count of 1-4 clients is hidden (".."), and so is
  the share resting on it ("–"); a mean, median, difference or confidence
  interval over 1-4 clients is hidden ("–"). Zero is shown: it names nobody.
* **Complementary (secondary) suppression.** A table also publishes its
  margins: row and column totals, n, and sums such as "ratings 0-9 add up to
  the n rated". Every hidden count must stay undetermined from what is shown:
  its range, given the published cells and margins and that no count is
  negative, must be wider than a single value. Where it is not, one more
  count (an inner cell, shown in few tables, before a total) is hidden, until
  every hidden count is safe. Unpublished counts a reader could work out
  (e.g. "the whole group minus the subgroup" beside a subgroup) count as
  cells too: one of 1-4 must stay undetermined as well.
* **Linked tables.** A count shown in several tables of one report (the same
  clients: e.g. the gender totals of the age-and-gender table and of the
  dropout comparison) carries the same `tag`: it is one unknown of one
  report-wide system, hidden in every table or in none, and the sums of all
  tables are checked together.
* Shares whose count or denominator is hidden are hidden too.
* **Rounding** (optional, `round_to`): after suppression every published
  count (and n) is rounded to the nearest multiple of the base; shares are
  computed from the rounded counts; means and medians are not rounded.

How "undetermined" is checked, exactly: the published cells are substituted
into the table's sums; the hidden and implicit counts then satisfy `A x = b`,
x >= 0 (the a-priori bounds of any count). A count at its bound (an
unpublished 0) can only move up; a small LP (`implicit_equalities`) finds
those that cannot move at all, and they are fixed. A count is determined
exactly when every vector of the null space of `A` (with those fixed) is zero
at it (exact rational elimination).

Stated limit: zeros are shown, so a reader may add "every hidden count is at
least 1" and narrow a range further (seven hidden cells adding up to 7 are
all 1). Guarding against that as well would hide n in most small groups; the
protection here is the usual one, against recovery from sums and
non-negativity (docs/statistics.md says so).
"""

from __future__ import annotations

from fractions import Fraction

from .common import SMALL_CELL
from .lp import maximize
from .tables import COUNT_KINDS, N_REF, SHARE, STAT_KINDS, TAG_REF, Ref, Table

Var = tuple  # a count of the report: ("tag", tag) when tagged, else ("cell", table index, ref)
Constraint = dict[Var, int]


def is_small(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < SMALL_CELL


class Plan:
    """The counts of a report's tables, their sums, and the choice of what to hide.

    Tables are linked through tags: a tagged count is one variable however
    many tables show it, so it is hidden in all of them or in none, and the
    sums of every table constrain it together."""

    def __init__(self, tables: list[Table]) -> None:
        self.tables = tables
        self.values: dict[Var, int] = {}
        self.implicit: dict[Var, int] = {}
        self.cells: list[dict[Ref, Var]] = []  # per table: ref -> variable
        self.usage: dict[Var, int] = {}
        self.margin: set[Var] = set()
        self.n_vars: set[Var] = set()
        self.constraints: list[Constraint] = []
        for ti, table in enumerate(tables):
            self.cells.append(self._variables(ti, table))
        for table, refs in zip(tables, self.cells):
            self._constraints(table, refs)
        self.order = {v: i for i, v in enumerate([*self.values, *self.implicit])}
        self.hidden: set[Var] = set()
        self._cache: dict[frozenset[Var], list[Var]] = {}
        self.by_var: dict[Var, list[int]] = {}
        for i, c in enumerate(self.constraints):
            for v in c:
                self.by_var.setdefault(v, []).append(i)

    def _variables(self, ti: int, table: Table) -> dict[Ref, Var]:
        refs: dict[Ref, Var] = {}

        def var(ref: Ref, value: int, tag: str | None) -> None:
            v: Var = ("tag", tag) if tag else ("cell", ti, ref)
            if v in self.values and self.values[v] != value:  # a builder's tag is wrong: do not link
                v = ("cell", ti, ref)
            self.values[v] = value
            self.usage[v] = self.usage.get(v, 0) + 1
            refs[ref] = v

        for r in table.rows:
            for col, cell in zip(table.columns, r.cells):
                if col.kind in COUNT_KINDS and isinstance(cell.value, int) and not isinstance(cell.value, bool):
                    var((r.key, col.key), cell.value, cell.tag)
                    if r.total:
                        self.margin.add(refs[(r.key, col.key)])
        if isinstance(table.n, int):
            var(N_REF, table.n, table.n_tag)
            self.n_vars.add(refs[N_REF])
        for ref, value in table.implicit.items():
            v = ("cell", ti, ref)
            self.implicit[v] = value
            refs[ref] = v
        return refs

    def _constraints(self, table: Table, cells: dict[Ref, Var]) -> None:
        """The table's sums over the report's variables; a ("#", tag) ref names a
        count of any table (a sum across tables), skipped when no table shows it."""
        refs = dict(cells)
        for whole, parts in table.sums:
            for ref in (whole, *parts):
                if ref[0] == TAG_REF and ("tag", ref[1]) in self.values:
                    refs[ref] = ("tag", ref[1])
            if whole not in refs or any(p not in refs for p in parts):
                continue
            c: Constraint = {}
            for ref in parts:
                c[refs[ref]] = c.get(refs[ref], 0) + 1
            c[refs[whole]] = c.get(refs[whole], 0) - 1
            c = {k: v for k, v in c.items() if v}
            if c:
                self.constraints.append(c)
                self.margin.add(refs[whole])

    # ------------------------------------------------------------------ choice

    def choose(self) -> set[Var]:
        """Primary suppression, then one complement at a time until nothing hidden
        is determined: first every sum left with a single hidden count (the
        common case, cheap to see), then what the exact check finds."""
        hidden = {v for v, value in self.values.items() if is_small(value)}
        small_implicit = {v for v, value in self.implicit.items() if is_small(value)}
        for _ in range(len(self.values) + 1):
            unknown = hidden | set(self.implicit)
            sensitive = hidden | small_implicit
            single = next((c for c in self.constraints
                           if len(u := [k for k in c if k in unknown]) == 1 and u[0] in sensitive), None)
            if single is not None:
                extra = self._best([single], unknown)
            else:
                exposed = self.exposed(hidden)
                if not exposed:
                    break
                extra = set()
                for part in exposed:  # one complement in each part of the system per round
                    first = part[0]
                    extra |= (self._best([c for c in self.constraints if first in c], unknown)
                              or self._best(self._component(first, unknown), unknown)
                              or {v for c in self._component(first, unknown) for v in c
                                  if v in self.values and v not in unknown and self.values[v] > 0})
            if not extra:
                break  # nothing left to hide around it (cannot happen once all is hidden)
            hidden |= extra
        self.hidden = hidden
        return hidden

    def _best(self, constraints: list[Constraint], unknown: set[Var]) -> set[Var]:
        """The count to hide next in these sums: nonzero; one that leaves few sums
        with a single hidden count and is shown in few tables; an inner cell
        before a margin and a table's n; linked to other hidden counts; the
        smallest."""
        best: tuple[tuple[int, ...], Var] | None = None
        for c in constraints:
            for v in c:
                if v in unknown or self.values.get(v, 0) <= 0:
                    continue
                others = [d for i in self.by_var.get(v, ()) if (d := self.constraints[i]) is not c]
                lonely = sum(1 for d in others if not any(k in unknown for k in d))  # each needs one more
                links = len(others) - lonely
                score = (lonely + self.usage[v] - 1, self.tier(v), -links, self.values[v], self.order[v])
                if best is None or score < best[0]:
                    best = (score, v)
        return {best[1]} if best is not None else set()

    def tier(self, v: Var) -> int:
        """Inner cells first, then margins, and a table's n last."""
        return 2 if v in self.n_vars else 1 if v in self.margin else 0

    def _component(self, start: Var, unknown: set[Var]) -> list[Constraint]:
        """The sums linked to `start` through hidden or implicit counts."""
        seen, todo, used = {start}, [start], set()
        while todo:
            ref = todo.pop()
            for i in self.by_var.get(ref, ()):
                if i in used:
                    continue
                used.add(i)
                for k in self.constraints[i]:
                    if k in unknown and k not in seen:
                        seen.add(k)
                        todo.append(k)
        return [self.constraints[i] for i in sorted(used)]

    # ------------------------------------------------------------------ check

    def lower(self, ref: Var) -> int:
        return 0  # a count is never negative; see the stated limit above

    def value(self, ref: Var) -> int:
        return self.implicit[ref] if ref in self.implicit else self.values[ref]

    def exposed(self, hidden: set[Var]) -> list[list[Var]]:
        """The hidden (and small implicit) counts the published cells determine,
        per connected part of the system, in order."""
        unknown = hidden | set(self.implicit)
        sensitive = hidden | {r for r, v in self.implicit.items() if is_small(v)}
        rows = [r for r in ({k: v for k, v in c.items() if k in unknown} for c in self.constraints) if r]
        parent: dict[Var, Var] = {}

        def root(v: Var) -> Var:
            while parent.setdefault(v, v) != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v

        for r in rows:
            first, *rest = r
            for k in rest:
                parent[root(k)] = root(first)
        groups: dict[Var, list[Constraint]] = {}
        for r in rows:
            groups.setdefault(root(next(iter(r))), []).append(r)
        exposed: list[list[Var]] = []
        for comp_rows in groups.values():
            variables = sorted({k for r in comp_rows for k in r}, key=self.order.__getitem__)
            if not any(v in sensitive for v in variables):
                continue
            key = frozenset(variables)
            if key not in self._cache:
                self._cache[key] = self._fixed(comp_rows, variables)
            found = sorted((v for v in self._cache[key] if v in sensitive), key=self.order.__getitem__)
            if found:
                exposed.append(found)
        return sorted(exposed, key=lambda vs: self.order[vs[0]])

    def _fixed(self, rows: list[Constraint], variables: list[Var]) -> list[Var]:
        """The variables of one component that the published cells determine."""
        # counts at their bound last: they become the free variables, so each basis
        # vector raises one of them and the quick test below usually settles it
        variables = sorted(variables, key=lambda v: (self.value(v) <= self.lower(v), self.order[v]))
        tight = [i for i, v in enumerate(variables) if self.value(v) <= self.lower(v)]
        basis = null_space(rows, variables)
        if tight and not _all_can_rise(basis, tight):
            fixed = implicit_equalities(basis, tight)
            basis = null_space(rows + [{variables[i]: 1} for i in fixed], variables)
        return [v for i, v in enumerate(variables) if all(b[i] == 0 for b in basis)]


def _all_can_rise(basis: list[list[Fraction | int]], tight: list[int]) -> bool:
    """Quick sufficient test: every count at its bound rises along some basis
    vector (or its negative) that lowers no other such count."""
    for i in tight:
        if not any(sign * b[i] > 0 and all(sign * b[j] >= 0 for j in tight) for b in basis for sign in (1, -1)):
            return False
    return True


def implicit_equalities(basis: list[list[Fraction | int]], tight: list[int]) -> list[int]:
    """The counts at their bound (indices in `tight`) that no feasible change can
    raise: in the cone {d in null space : d_tight >= 0}, those d_i always 0.

    One LP in the coordinates of the null-space basis (d = B lambda, lambda =
    lambda+ - lambda-): maximise the sum of t_i <= min(1, d_i); the optimum
    puts t_i = 1 exactly where some direction raises d_i."""
    k, nt = len(basis), len(tight)
    a: list[list[Fraction | int]] = []
    for j, i in enumerate(tight):
        line: list[Fraction | int] = [0] * (2 * k + nt)
        for q, vec in enumerate(basis):
            line[q], line[k + q] = -vec[i], vec[i]
        line[2 * k + j] = 1
        a.append(line)  # t_j - d_i <= 0
        bound: list[Fraction | int] = [0] * (2 * k + nt)
        bound[2 * k + j] = 1
        a.append(bound)  # t_j <= 1
    result = maximize([0] * (2 * k) + [1] * nt, a, [0, 1] * nt)
    assert result is not None  # the objective is bounded by the number of tight counts
    x = result[1]
    return [i for j, i in enumerate(tight) if x[2 * k + j] == 0]


def null_space(rows: list[Constraint], variables: list[Var]) -> list[list[Fraction | int]]:
    """A basis of {x : row . x = 0 for every row}, by exact Gauss-Jordan elimination
    (Python ints while the pivots are +-1, as they nearly always are here; Fractions otherwise)."""
    index = {v: i for i, v in enumerate(variables)}
    m: list[list[Fraction | int]] = [[0] * len(variables) for _ in rows]
    for r, row in enumerate(rows):
        for k, v in row.items():
            m[r][index[k]] = v
    pivots: list[int] = []
    rank = 0
    for col in range(len(variables)):
        pivot = next((r for r in range(rank, len(m)) if m[r][col] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        p = m[rank][col]
        prow = m[rank]
        nz = [j for j, x in enumerate(prow) if x]
        if p == -1:
            for j in nz:
                prow[j] = -prow[j]
        elif p != 1:
            for j in nz:
                prow[j] = Fraction(prow[j]) / p
        for r in range(len(m)):
            if r != rank and m[r][col] != 0:
                f, row = m[r][col], m[r]
                for j in nz:
                    row[j] -= f * prow[j]
        pivots.append(col)
        rank += 1
    free = [c for c in range(len(variables)) if c not in set(pivots)]
    basis = []
    for fcol in free:
        vec: list[Fraction | int] = [0] * len(variables)
        vec[fcol] = 1
        for r, pcol in enumerate(pivots):
            vec[pcol] = -m[r][fcol]
        basis.append(vec)
    return basis


# ----------------------------------------------------------------------------- applying


def apply(table: Table, hidden: set[Ref]) -> None:
    """Remove the hidden counts and everything resting on them (in place)."""
    raw_n = {(r.key, c.key): cell.value for r in table.rows for c, cell in zip(table.columns, r.cells)}
    if N_REF in hidden:
        table.n, table.n_suppressed = None, True
    for r in table.rows:
        for c, cell in zip(table.columns, r.cells):
            if (r.key, c.key) in hidden:
                cell.value, cell.suppressed = None, True
    for r in table.rows:
        for c, cell in zip(table.columns, r.cells):
            if c.kind == SHARE and c.ref is not None:
                count = r.cells[c.ref]
                if count.suppressed or _denominator_hidden(table, r.key, c):
                    cell.value, cell.suppressed = None, True
            elif c.kind in STAT_KINDS and c.ref is not None:
                base = raw_n[(r.key, table.columns[c.ref].key)]
                if is_small(base) or (r.key, c.key) in table.hide_stats:
                    cell.value, cell.suppressed = None, True
                elif base == 0:
                    cell.value = None
    table.protected = True


def _denominator_hidden(table: Table, row_key: str, col) -> bool:  # noqa: ANN001
    if col.base_col is not None:
        return table.row(row_key).cells[col.base_col].suppressed
    if col.base_row is not None:
        return table.row(col.base_row).cells[col.ref].suppressed
    return table.n_suppressed


def round_table(table: Table, base: int) -> None:
    """Round every published count (and n) to a multiple of `base`; shares from rounded counts."""
    def rounded(v: int) -> int:
        return (v + base // 2) // base * base

    if isinstance(table.n, int):
        table.n = rounded(table.n)
    for r in table.rows:
        for c, cell in zip(table.columns, r.cells):
            if c.kind in COUNT_KINDS and isinstance(cell.value, int) and not cell.suppressed:
                cell.value = rounded(cell.value)
    for r in table.rows:
        for c, cell in zip(table.columns, r.cells):
            if c.kind != SHARE or c.ref is None or cell.suppressed or cell.value is None:
                continue
            count = r.cells[c.ref].value
            if c.base_col is not None:
                denom = r.cells[c.base_col].value
            elif c.base_row is not None:
                denom = table.row(c.base_row).cells[c.ref].value
            else:
                denom = table.n
            cell.value = count / denom if isinstance(count, int) and isinstance(denom, int) and denom else None
    table.rounded = base


def protect_report(tables: list[Table], round_to: int | None = None) -> None:
    """Suppress (and optionally round) every table; linked counts are hidden alike."""
    plan = Plan(tables)
    hidden = plan.choose()
    for table, refs in zip(tables, plan.cells):
        apply(table, {ref for ref, v in refs.items() if v in hidden})
        if round_to and round_to > 1:
            round_table(table, round_to)


def protect(table: Table, round_to: int | None = None) -> Table:
    """One table on its own (tests, single tables)."""
    protect_report([table], round_to)
    return table


__all__ = ["Plan", "apply", "is_small", "null_space", "protect", "protect_report", "round_table"]
