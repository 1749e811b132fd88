"""The skip-logic and check expression language.

Parsed once at load into an AST and compiled into a tree of small closures;
nothing is ever handed to Python's ``eval`` or ``exec``.  See
``docs/bank-format.md`` for the language and its three-valued semantics.
The syntax (tokens, AST, parser, analysis) is in ``expr_parse.py``; this
module evaluates, and is the one callers import.

Evaluation uses two sentinels besides ordinary values:

* ``UNKNOWN``: an item that is unanswered or coded X; also the result of a
  comparison that cannot be decided.
* ``NA``: an item coded N (not applicable), including items hidden by skip
  logic.  In ``relevance`` mode a comparison with NA is false (so follow-ups of
  a hidden item are hidden too); in ``check`` mode it is UNKNOWN (a check never
  fires on data that does not apply).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from .expr_parse import (  # the syntax; re-exported: callers use `expr` for the whole language
    MAX_DEPTH, MAX_SOURCE_LENGTH, FUNCTIONS, KEYWORDS, ExprError, Token, tokenize, parse, walk, references,
    expand_ranges, Node, And, Arith, Bool, Call, Compare, In, ListLit, Neg, Not, Num, Or, Range, Ref, Str,
)

__all__ = [
    "MAX_DEPTH", "MAX_SOURCE_LENGTH", "FUNCTIONS", "KEYWORDS", "ExprError", "Token", "tokenize", "parse", "walk",
    "references", "expand_ranges", "Node", "And", "Arith", "Bool", "Call", "Compare", "In", "ListLit", "Neg", "Not",
    "Num", "Or", "Range", "Ref", "Str", "UNKNOWN", "NA", "RELEVANCE", "CHECK", "Env", "truth", "Expr",
]


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:  # pragma: no cover - guard against accidental truthiness
        raise TypeError(f"{self.name} has no truth value; use truth()")


UNKNOWN = _Sentinel("UNKNOWN")
NA = _Sentinel("NA")

RELEVANCE = "relevance"
CHECK = "check"


# --------------------------------------------------------------------------- evaluation

Lookup = Callable[[str], object]  # item id -> value, UNKNOWN or NA
RawLookup = Callable[[str], object]  # item id -> stored value incl. missing codes, or None
Fn = Callable[["Env"], object]


@dataclass
class Env:
    """What an expression sees: values by item id and the evaluation mode."""

    value: Lookup
    code: Callable[[str], str | None]  # 'X', 'N' or None
    answered: Callable[[str], bool]
    mode: str = CHECK


def _is_missing(v: object) -> bool:
    return v is UNKNOWN or v is NA


def truth(v: object, mode: str) -> object:
    """Truth value of an operand: True, False or UNKNOWN."""
    if v is UNKNOWN:
        return UNKNOWN
    if v is NA:
        return False if mode == RELEVANCE else UNKNOWN
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    if isinstance(v, (str, list, tuple)):
        return len(v) > 0
    return UNKNOWN


def _missing_result(a: object, b: object, mode: str) -> object:
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    return False if mode == RELEVANCE else UNKNOWN


_CMP = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _is_num(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _compile(node: Node) -> Fn:
    if isinstance(node, (Num, Str)):
        value = node.value
        return lambda env: value
    if isinstance(node, Bool):
        b = node.value
        return lambda env: b
    if isinstance(node, ListLit):
        values = tuple(n.value for n in node.items)  # type: ignore[attr-defined]
        return lambda env: values
    if isinstance(node, Ref):
        item_id = node.id
        return lambda env: env.value(item_id)
    if isinstance(node, Neg):
        f = _compile(node.operand)

        def neg(env: Env) -> object:
            v = f(env)
            if _is_missing(v):
                return v
            return -v if _is_num(v) else UNKNOWN  # type: ignore[operator]

        return neg
    if isinstance(node, Arith):
        fl, fr = _compile(node.left), _compile(node.right)
        op = node.op

        def arith(env: Env) -> object:
            a, b = fl(env), fr(env)
            if a is UNKNOWN or b is UNKNOWN:
                return UNKNOWN
            if a is NA or b is NA:
                return NA
            if not (_is_num(a) and _is_num(b)):
                return UNKNOWN
            if op == "+":
                return a + b  # type: ignore[operator]
            if op == "-":
                return a - b  # type: ignore[operator]
            if op == "*":
                return a * b  # type: ignore[operator]
            if b == 0:
                return UNKNOWN
            return a / b  # type: ignore[operator]

        return arith
    if isinstance(node, Compare):
        fl, fr = _compile(node.left), _compile(node.right)
        cmp = _CMP[node.op]
        ordering = node.op not in ("==", "!=")

        def compare(env: Env) -> object:
            a, b = fl(env), fr(env)
            if _is_missing(a) or _is_missing(b):
                return _missing_result(a, b, env.mode)
            if _is_num(a) != _is_num(b):
                if ordering:
                    return UNKNOWN
                return cmp(0, 1)  # different kinds are never equal
            try:
                return cmp(a, b)
            except TypeError:
                return UNKNOWN

        return compare
    if isinstance(node, In):
        fl, fr = _compile(node.left), _compile(node.right)
        negate = node.negate

        def member(env: Env) -> object:
            a, b = fl(env), fr(env)
            if _is_missing(a) or _is_missing(b):
                return _missing_result(a, b, env.mode)
            if not isinstance(b, (list, tuple)):
                return UNKNOWN
            return (a not in b) if negate else (a in b)

        return member
    if isinstance(node, And):
        parts = [_compile(p) for p in node.parts]

        def and_(env: Env) -> object:
            result: object = True
            for p in parts:
                t = truth(p(env), env.mode)
                if t is False:
                    return False
                if t is UNKNOWN:
                    result = UNKNOWN
            return result

        return and_
    if isinstance(node, Or):
        parts = [_compile(p) for p in node.parts]

        def or_(env: Env) -> object:
            result: object = False
            for p in parts:
                t = truth(p(env), env.mode)
                if t is True:
                    return True
                if t is UNKNOWN:
                    result = UNKNOWN
            return result

        return or_
    if isinstance(node, Not):
        f = _compile(node.operand)

        def not_(env: Env) -> object:
            t = truth(f(env), env.mode)
            return UNKNOWN if t is UNKNOWN else not t

        return not_
    if isinstance(node, Call):
        return _compile_call(node)
    if isinstance(node, Range):  # pragma: no cover - expand_ranges removes these
        raise ExprError("unexpanded item range", node.pos)
    raise ExprError(f"cannot compile {type(node).__name__}", node.pos)  # pragma: no cover


def _compile_call(node: Call) -> Fn:
    name = node.name
    if name == "answered":
        item_id = node.args[0].id  # type: ignore[attr-defined]
        return lambda env: env.answered(item_id)
    if name == "is_code":
        item_id = node.args[0].id  # type: ignore[attr-defined]
        code = node.args[1].value  # type: ignore[attr-defined]
        return lambda env: env.code(item_id) == code
    fns = [_compile(a) for a in node.args]

    if name == "sum":

        def sum_(env: Env) -> object:
            total: int | float = 0
            for f in fns:
                v = f(env)
                if v is UNKNOWN:
                    return UNKNOWN
                if v is NA:
                    continue
                if not _is_num(v):
                    return UNKNOWN
                total += v  # type: ignore[operator]
            return total

        return sum_

    pick = min if name == "min" else max

    def extreme(env: Env) -> object:
        seen: list[int | float] = []
        for f in fns:
            v = f(env)
            if v is UNKNOWN:
                return UNKNOWN
            if v is NA:
                continue
            if not _is_num(v):
                return UNKNOWN
            seen.append(v)  # type: ignore[arg-type]
        return pick(seen) if seen else NA

    return extreme


@dataclass
class Expr:
    """A parsed and compiled expression, ready to evaluate many times."""

    source: str
    ast: Node
    refs: tuple[str, ...] = field(default=())
    _fn: Fn | None = field(default=None, repr=False)

    @classmethod
    def compile(cls, source: str, order: Sequence[str] | None = None) -> "Expr":
        ast = parse(source)
        if order is not None:
            ast = expand_ranges(ast, order)
        refs = tuple(dict.fromkeys(r for r, _ in references(ast)))
        return cls(source, ast, refs, _compile(ast))

    def evaluate(self, env: Env) -> object:
        assert self._fn is not None
        return self._fn(env)
