"""Applying one validated map to answers: renamed ids, recoded codes (map and split rules)."""

from __future__ import annotations

from typing import Any

from .. import expr as E
from ..missing import MissingCode
from .schema import MISSING_CODES, MigrationMap, Recode, SplitRules


def apply_map(m: MigrationMap, rules: SplitRules, answers: dict[str, Any]) -> dict[str, Any]:
    """`LoadedMap.apply`: the answers moved by map `m`, whose split rules `rules` holds compiled."""
    if any(rc.split for rc in m.recode.values()) and not rules:
        raise RuntimeError("validate() the map before applying split rules")
    style = _Style.detect(answers)
    out: dict[str, Any] = {}
    env: E.Env | None = None
    for old_id, wrapped in answers.items():
        value = wrapped
        rc = m.recode.get(old_id)
        if rc is not None:
            raw = style.unwrap(wrapped)
            if env is None:
                env = _env(answers, style)
            value = style.rewrap(wrapped, _recode(rules, old_id, rc, raw, env, style))
        out[m.rename.get(old_id, old_id)] = value
    return out


def _recode(rules: SplitRules, old_id: str, rc: Recode, raw: Any, env: E.Env, style: _Style) -> Any:
    if style.missing_of(raw) is not None or raw is None:
        return raw
    if isinstance(raw, list):
        mapped = [_one(rules, old_id, rc, c, env) for c in raw]
        if any(t in MISSING_CODES for t in mapped):
            return style.missing(next(t for t in mapped if t in MISSING_CODES))
        return list(dict.fromkeys(mapped))
    target = _one(rules, old_id, rc, raw, env)
    return style.missing(target) if target in MISSING_CODES else target


def _one(rules: SplitRules, old_id: str, rc: Recode, code: Any, env: E.Env) -> Any:
    if code in rc.map:
        return rc.map[code]
    if code in rc.split:
        for expr, target in rules.get((old_id, code), []):
            if expr is None or E.truth(expr.evaluate(env), E.CHECK) is True:
                return target
        return "X"
    return code


class _Style:
    """The form answers come in: decoded (MissingCode), encoded ({"code"}) and/or wrapped ({"v"})."""

    def __init__(self, encoded: bool, wrapped: bool) -> None:
        self.encoded = encoded
        self.wrapped = wrapped

    @classmethod
    def detect(cls, answers: dict[str, Any]) -> "_Style":
        values = list(answers.values())
        wrapped = any(isinstance(v, dict) and "v" in v for v in values)
        inner = [v["v"] if isinstance(v, dict) and "v" in v else v for v in values]
        decoded = any(isinstance(v, MissingCode) for v in inner)
        return cls(encoded=not decoded, wrapped=wrapped)

    def unwrap(self, v: Any) -> Any:
        return v["v"] if isinstance(v, dict) and "v" in v else v

    def rewrap(self, original: Any, new: Any) -> Any:
        if isinstance(original, dict) and "v" in original:
            return {**original, "v": new}
        return new

    @staticmethod
    def missing_of(v: Any) -> str | None:
        if isinstance(v, MissingCode):
            return v.code
        if isinstance(v, dict) and set(v) == {"code"} and v["code"] in MISSING_CODES:
            return str(v["code"])
        return None

    def missing(self, code: str) -> Any:
        return {"code": code} if self.encoded else MissingCode(code)


def _env(answers: dict[str, Any], style: _Style) -> E.Env:
    plain = {k: style.unwrap(v) for k, v in answers.items()}

    def value(item_id: str) -> object:
        v = plain.get(item_id)
        code = style.missing_of(v)
        if v is None or code == "X":
            return E.UNKNOWN
        if code == "N":
            return E.NA
        return v

    def code(item_id: str) -> str | None:
        return style.missing_of(plain.get(item_id))

    def answered(item_id: str) -> bool:
        v = plain.get(item_id)
        return v is not None and style.missing_of(v) is None and v != "" and v != []

    return E.Env(value, code, answered, E.CHECK)
