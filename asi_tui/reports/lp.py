"""A small exact linear program for disclosure control (no dependency).

`maximize(c, A, b)`: max c.x subject to A x <= b, x >= 0, with b >= 0 (so the
slack basis is feasible and no first phase is needed). Exact rational
arithmetic and Bland's rule (no cycling on the many degenerate pivots these
problems have). The problems are small: a table's hidden counts.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

Number = int | Fraction


def maximize(c: Sequence[Number], a: Sequence[Sequence[Number]], b: Sequence[Number]) -> tuple[Fraction, list[Fraction]] | None:
    """(optimum, x), or None when unbounded."""
    m, n = len(a), len(c)
    if any(v < 0 for v in b):
        raise ValueError("b must be non-negative")
    # tableau rows: [A | I | b]; objective row: [-c | 0 | 0]
    # ints until a division makes a Fraction: most entries stay 0 and cost nothing
    rows: list[list[Number]] = [[*a[i], *(int(i == j) for j in range(m)), b[i]] for i in range(m)]
    obj: list[Number] = [-v for v in c] + [0] * m + [0]
    basis = list(range(n, n + m))
    width = n + m
    while True:
        entering = next((j for j in range(width) if obj[j] < 0), None)  # Bland: the lowest index
        if entering is None:
            break
        best: tuple[Fraction, int, int] | None = None
        for i, row in enumerate(rows):
            if row[entering] > 0:
                ratio = row[-1] / row[entering]
                key = (ratio, basis[i], i)
                if best is None or key < best:
                    best = key
        if best is None:
            return None
        leave = best[2]
        pivot = rows[leave][entering]
        prow = rows[leave]
        nz = [j for j, y in enumerate(prow) if y]  # the tableau is sparse: touch only these columns
        for j in nz:
            prow[j] = Fraction(prow[j]) / pivot
        for i, row in enumerate(rows):
            if i != leave and row[entering] != 0:
                f = row[entering]
                for j in nz:
                    row[j] -= f * prow[j]
        if obj[entering] != 0:
            f = obj[entering]
            for j in nz:
                obj[j] -= f * prow[j]
        basis[leave] = entering
    x = [Fraction(0)] * width
    for i, var in enumerate(basis):
        x[var] = Fraction(rows[i][-1])
    return Fraction(obj[-1]), x[:n]


__all__ = ["maximize"]
