"""ASI-5 composite scores (McGahan et al. 1986, as implemented by VA VistA).

Pure functions over a mapping of item id -> stored value.  Per the project's
Decision 8: ln(x) for x > 0 and 0 for x = 0; no score for an area when any
input is X or missing; N counts as 0 only in the F18-F26 sum (divisor stays 9).
Money is in SEK although the ASI-5 divisors were set for US dollars, so the
scores are not comparable with US norms (the employment score can even drop
below 0 for high SEK incomes; it is reported as computed, not clamped).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

from ..engine.values import N, X

AREAS = ("medical", "employment", "alcohol", "drug", "legal", "family", "psych")

DRUG_DAYS = ("D3a", "D4a", "D5a", "D6a", "D7a", "D8a", "D9a", "D10a", "D11a", "D13a")  # D12 (inhalants) excluded
FAMILY_CONFLICT_30D = ("F18m", "F19m", "F20m", "F21m", "F22m", "F23m", "F24m", "F25m", "F26m")
PSYCH_SYMPTOMS_30D = ("P4m", "P5m", "P6m", "P7m", "P8m", "P9m", "P10m", "P11m")

INPUTS: dict[str, tuple[str, ...]] = {
    "medical": ("M6", "M7", "M8"),
    "employment": ("E4", "E5", "E11", "E12"),
    "alcohol": ("D1a", "D2a", "D26", "D28", "D30", "D23"),
    "drug": (*DRUG_DAYS, "D27", "D29", "D31"),
    "legal": ("L24", "L27", "L28", "L29", "E17"),
    "family": ("F3", "F30", "F32", "F34", *FAMILY_CONFLICT_30D),
    "psych": (*PSYCH_SYMPTOMS_30D, "P12", "P13", "P14"),
}
_N_AS_ZERO = frozenset(FAMILY_CONFLICT_30D)


@dataclass(frozen=True)
class Composite:
    area: str
    score: float | None
    missing: tuple[str, ...] = ()


def _ln(x: float) -> float:
    return math.log(x) if x > 0 else 0.0


def _medical(v: Mapping[str, float]) -> float:
    return v["M6"] / 90 + v["M7"] / 12 + v["M8"] / 12


def _employment(v: Mapping[str, float]) -> float:
    return 1 - (v["E4"] / 4 + v["E5"] / 4 + v["E11"] / 120 + _ln(v["E12"]) / 36)


def _alcohol(v: Mapping[str, float]) -> float:
    return v["D1a"] / 180 + v["D2a"] / 180 + v["D26"] / 180 + v["D28"] / 24 + v["D30"] / 24 + _ln(v["D23"]) / 44


def _drug(v: Mapping[str, float]) -> float:
    return (sum(v[i] for i in DRUG_DAYS) + v["D27"]) / 390 + v["D29"] / 52 + v["D31"] / 52


def _legal(v: Mapping[str, float]) -> float:
    return v["L24"] / 5 + v["L27"] / 150 + v["L28"] / 20 + v["L29"] / 20 + _ln(v["E17"]) / 46


_F3_RECODE = {2: 0, 0: 2, 1: 1}  # satisfied (yes) 0, not satisfied (no) 2, indifferent 1


def _family(v: Mapping[str, float]) -> float:
    f3r = _F3_RECODE[int(v["F3"])]
    conflicts = sum(v[i] for i in FAMILY_CONFLICT_30D)
    return f3r / 10 + v["F30"] / 150 + v["F32"] / 20 + v["F34"] / 20 + conflicts / 45


def _psych(v: Mapping[str, float]) -> float:
    return sum(v[i] for i in PSYCH_SYMPTOMS_30D) / 11 + v["P12"] / 330 + v["P13"] / 44 + v["P14"] / 44


_FORMULAS: dict[str, Callable[[Mapping[str, float]], float]] = {
    "medical": _medical,
    "employment": _employment,
    "alcohol": _alcohol,
    "drug": _drug,
    "legal": _legal,
    "family": _family,
    "psych": _psych,
}


def composite(area: str, answers: Mapping[str, object]) -> Composite:
    """The composite score of one area, or the inputs that keep it from being computed."""
    numbers: dict[str, float] = {}
    missing: list[str] = []
    for item_id in INPUTS[area]:
        value = answers.get(item_id)
        if value is N and item_id in _N_AS_ZERO:
            numbers[item_id] = 0
        elif value is None or value is X or value is N or isinstance(value, bool):
            missing.append(item_id)
        elif isinstance(value, (int, float)):
            numbers[item_id] = value
        else:
            missing.append(item_id)
    if area == "family" and "F3" in numbers and int(numbers["F3"]) not in _F3_RECODE:
        missing.append("F3")
    if missing:
        return Composite(area, None, tuple(missing))
    return Composite(area, _FORMULAS[area](numbers))


def composites(answers: Mapping[str, object]) -> dict[str, Composite]:
    return {area: composite(area, answers) for area in AREAS}
