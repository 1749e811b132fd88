"""Exact linear algebra for the disclosure tests, written apart from
asi_tui.reports (its own arithmetic: ranks modulo a prime, an exact simplex on
Fractions), so the tests do not check the program with the program's code.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

P = 2_147_483_647  # a prime: ranks of small integer matrices modulo P equal their rational ranks


def _eliminate(rows: Sequence[Sequence[int]], width: int) -> tuple[list[list[int]], list[int]]:
    """Gauss-Jordan modulo P, columns left to right: (reduced rows, pivot columns)."""
    m = [[x % P for x in r] for r in rows]
    pivots: list[int] = []
    rank = 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(m)) if m[i][col]), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        inv = pow(m[rank][col], P - 2, P)
        m[rank] = [x * inv % P for x in m[rank]]
        for i in range(len(m)):
            if i != rank and m[i][col]:
                f = m[i][col]
                m[i] = [(a - f * b) % P for a, b in zip(m[i], m[rank])]
        pivots.append(col)
        rank += 1
    return m, pivots


def rank_mod(rows: Sequence[Sequence[int]]) -> int:
    return len(_eliminate(rows, len(rows[0]) if rows else 0)[1])


def rref_mod(rows: Sequence[Sequence[int]]) -> list[tuple[int, list[int]]]:
    """Reduced row echelon form modulo P: (pivot column, row) pairs."""
    m, pivots = _eliminate(rows, len(rows[0]) if rows else 0)
    return list(zip(pivots, m))


def null_space_int(rows: Sequence[Sequence[int]], width: int) -> list[list[int]]:
    """A basis (modulo P, entries shown as small signed integers) of the
    relations c with rows . c = 0."""
    m, pivots = _eliminate(rows, width)
    out = []
    for free in (c for c in range(width) if c not in pivots):
        vec = [0] * width
        vec[free] = 1
        for r, pc in enumerate(pivots):
            v = (-m[r][free]) % P
            vec[pc] = v - P if v > P // 2 else v
        out.append(vec)
    return out


class RowSpace:
    """The row space of an integer matrix modulo P: is a vector in it?"""

    def __init__(self, rows: Sequence[Sequence[int]]) -> None:
        self.rows: list[tuple[int, list[int]]] = []  # (pivot column, row with 1 at its pivot), reduced
        for r in rows:
            self.add(r)

    def reduce(self, vec: Sequence[int]) -> list[int]:
        v = [x % P for x in vec]
        for col, row in self.rows:
            if v[col]:
                f = v[col]
                v = [(a - f * b) % P for a, b in zip(v, row)]
        return v

    def add(self, vec: Sequence[int]) -> None:
        v = self.reduce(vec)
        col = next((i for i, x in enumerate(v) if x), None)
        if col is not None:
            inv = pow(v[col], P - 2, P)
            self.rows.append((col, [x * inv % P for x in v]))

    def contains(self, vec: Sequence[int]) -> bool:
        return not any(self.reduce(vec))


def simplex_max(c: list[Fraction], a: list[list[Fraction]], b: list[Fraction],
                solution: list[Fraction] | None = None) -> Fraction | None:
    """max c.y subject to a y = b, y >= 0; None when unbounded; raises when infeasible.
    With `solution` (a list), an optimal y is put in it.

    Two phases with artificial variables, Bland's rule, exact Fractions; the
    objective is a row of the tableau."""
    m, n = len(a), len(c)
    t: list[list[Fraction]] = []
    for i in range(m):
        sign = -1 if b[i] < 0 else 1
        t.append([Fraction(sign * x) for x in a[i]] + [Fraction(int(i == j)) for j in range(m)] + [Fraction(sign * b[i])])
    basis = [n + i for i in range(m)]

    def pivot(r: int, col: int, obj: list[Fraction]) -> None:
        pv = t[r][col]
        t[r] = [x / pv for x in t[r]]
        nz = [j for j, x in enumerate(t[r]) if x]
        for row in (*(t[i] for i in range(m) if i != r), obj):
            f = row[col]
            if f:
                for j in nz:
                    row[j] -= f * t[r][j]
        basis[r] = col

    def run(obj: list[Fraction], allowed: int) -> bool:
        """obj holds the reduced costs (minimisation form: enter while one is negative)."""
        while True:
            enter = next((j for j in range(allowed) if obj[j] < 0), None)
            if enter is None:
                return True
            rows = [(t[i][-1] / t[i][enter], basis[i], i) for i in range(m) if t[i][enter] > 0]
            if not rows:
                return False
            pivot(min(rows)[2], enter, obj)

    # phase 1: minimise the sum of the artificials = maximise their negative
    obj1 = [Fraction(0)] * (n + m + 1)
    for i in range(m):
        for j in range(n):
            obj1[j] -= t[i][j]
        obj1[-1] -= t[i][-1]
    run(obj1, n + m)
    if obj1[-1] != 0:
        raise ValueError("infeasible")
    obj2 = [Fraction(-x) for x in c] + [Fraction(0)] * (m + 1)
    for i in range(m):
        if basis[i] >= n:  # an artificial left at 0: pivot it out if the row allows
            col = next((j for j in range(n) if t[i][j] != 0), None)
            if col is not None:
                pivot(i, col, obj1)
    for i in range(m):  # express the objective in the current basis
        f = obj2[basis[i]]
        if f:
            obj2 = [x - f * y for x, y in zip(obj2, t[i])]
    if not run(obj2, n):  # artificials (columns >= n) never re-enter
        return None
    if solution is not None:
        y = [Fraction(0)] * n
        for i, var in enumerate(basis):
            if var < n:
                y[var] = t[i][-1]
        solution[:] = y
    return obj2[-1]
