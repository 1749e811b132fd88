"""Agreement statistics for coding exercises.

Two measures, chosen for the ASI's ordinal 0–9 interviewer ratings:

* **Weighted kappa** (Cohen 1968) between one trainee and the key. The reported
  figure uses **quadratic** weights: a rating two steps off counts four times
  as much as one step off, which suits a ten-step severity scale whose anchors
  come in pairs (0–1, 2–3 ... 8–9). Linear weights are available as well.
  With disagreement weights w_ij, observed proportions O_ij and the proportions
  expected from the two raters' marginals E_ij = p_i. * p_.j:

      kappa_w = 1 - sum(w_ij * O_ij) / sum(w_ij * E_ij)

  w_ij = |i - j| / (k - 1) (linear) or ((i - j) / (k - 1))^2 (quadratic), over
  the k categories of the scale (0..9); the (k - 1) cancels, so the figure does
  not depend on the scale length. When both raters use one and the same
  category for everything the expected disagreement is 0 and kappa is
  undefined: `None`.

* **ICC(2,1)**: two-way random effects, absolute agreement, single rater
  (Shrout & Fleiss 1979, case 2; McGraw & Wong 1996, ICC(A,1)). Rows are the
  targets (the rated areas of one exercise), columns the raters (trainees):

      ICC = (MSR - MSE) / (MSR + (k - 1) * MSE + k * (MSC - MSE) / n)

  with n targets, k raters, MSR the mean square between targets, MSC between
  raters and MSE the residual mean square. Absolute agreement, because a
  trainee who rates every area two steps too high does not agree with the
  others even if the order of the areas is the same. Raters are a sample of
  all interviewers, hence random. Undefined (`None`) with fewer than two
  targets or raters or when the denominator is 0.
"""

from __future__ import annotations

from typing import Literal, Sequence

Weights = Literal["linear", "quadratic"]
RATING_SCALE = tuple(range(10))  # interviewer ratings 0..9


def weighted_kappa(
    a: Sequence[int],
    b: Sequence[int],
    categories: Sequence[int] = RATING_SCALE,
    weights: Weights = "quadratic",
) -> float | None:
    """Cohen's weighted kappa of two raters' paired ratings (None when undefined)."""
    if len(a) != len(b):
        raise ValueError("both raters need the same number of ratings")
    if not a:
        return None
    index = {c: i for i, c in enumerate(categories)}
    k = len(categories)
    if k < 2:
        return None
    n = len(a)
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b):
        try:
            observed[index[x]][index[y]] += 1 / n
        except KeyError:
            raise ValueError(f"rating outside the scale: {x if x not in index else y}") from None
    rows = [sum(r) for r in observed]
    cols = [sum(observed[i][j] for i in range(k)) for j in range(k)]

    def w(i: int, j: int) -> float:
        d = abs(i - j) / (k - 1)
        return d * d if weights == "quadratic" else d

    num = sum(w(i, j) * observed[i][j] for i in range(k) for j in range(k))
    den = sum(w(i, j) * rows[i] * cols[j] for i in range(k) for j in range(k))
    if den == 0:
        return None
    return 1 - num / den


def icc_2_1(matrix: Sequence[Sequence[float]]) -> float | None:
    """ICC(2,1) of an n targets x k raters matrix without gaps (None when undefined)."""
    n = len(matrix)
    if n < 2:
        return None
    k = len(matrix[0])
    if k < 2 or any(len(row) != k for row in matrix):
        return None if k < 2 else _ragged()
    grand = sum(sum(row) for row in matrix) / (n * k)
    row_means = [sum(row) / k for row in matrix]
    col_means = [sum(matrix[i][j] for i in range(n)) / n for j in range(k)]
    ss_rows = k * sum((m - grand) ** 2 for m in row_means)
    ss_cols = n * sum((m - grand) ** 2 for m in col_means)
    ss_total = sum((x - grand) ** 2 for row in matrix for x in row)
    ss_error = ss_total - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    den = msr + (k - 1) * mse + k * (msc - mse) / n
    if den == 0:
        return None
    return (msr - mse) / den


def _ragged() -> None:
    raise ValueError("every row needs one value per rater")
