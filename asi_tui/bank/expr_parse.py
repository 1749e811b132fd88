"""The expression language's syntax: tokens, the AST, the parser and static analysis.

`parse` turns source text into an immutable AST (or raises `ExprError` with
the character offset); `walk`, `references` and `expand_ranges` read it for
the linter and the compiler. Evaluation lives in `expr.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

MAX_SOURCE_LENGTH = 4000
MAX_DEPTH = 60


class ExprError(Exception):
    """A problem with an expression; `pos` is the character offset in the source."""

    def __init__(self, message: str, pos: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


# --------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Num(Node):
    value: int | float


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Ref(Node):
    id: str


@dataclass(frozen=True)
class Range(Node):
    start: str
    end: str


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class In(Node):
    left: Node
    right: Node
    negate: bool


@dataclass(frozen=True)
class And(Node):
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or(Node):
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


FUNCTIONS = {"answered": 1, "is_code": 2, "sum": -1, "min": -1, "max": -1}
KEYWORDS = {"and", "or", "not", "in", "true", "false"}

# --------------------------------------------------------------------------- lexer

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'[^'\n]*'|"[^"\n]*")
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
  | (?P<op>==|!=|<=|>=|\.\.|[<>+\-*/(),\[\]])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # num str ident kw op end
    text: str
    pos: int


def tokenize(src: str) -> list[Token]:
    if len(src) > MAX_SOURCE_LENGTH:
        raise ExprError(f"expression longer than {MAX_SOURCE_LENGTH} characters", 0)
    tokens: list[Token] = []
    pos = 0
    while pos < len(src):
        m = _TOKEN_RE.match(src, pos)
        if m is None:
            raise ExprError(f"unexpected character {src[pos]!r}", pos)
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "ident" and text in KEYWORDS:
            kind = "kw"
        if kind != "ws":
            tokens.append(Token(kind, text, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(src)))
    return tokens


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, src: str) -> None:
        self.tokens = tokenize(src)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _take(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def _accept(self, kind: str, text: str | None = None) -> Token | None:
        t = self.tok
        if t.kind == kind and (text is None or t.text == text):
            self.i += 1
            return t
        return None

    def _expect(self, kind: str, text: str, what: str) -> Token:
        t = self._accept(kind, text)
        if t is None:
            raise ExprError(f"expected {what}, found {self._describe(self.tok)}", self.tok.pos)
        return t

    @staticmethod
    def _describe(t: Token) -> str:
        return "end of expression" if t.kind == "end" else repr(t.text)

    def _enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError("expression nested too deeply", pos)

    def parse(self) -> Node:
        node = self.or_expr()
        if self.tok.kind != "end":
            raise ExprError(f"unexpected {self._describe(self.tok)}", self.tok.pos)
        return node

    def or_expr(self) -> Node:
        first = self.and_expr()
        parts = [first]
        while self._accept("kw", "or"):
            parts.append(self.and_expr())
        return first if len(parts) == 1 else Or(first.pos, tuple(parts))

    def and_expr(self) -> Node:
        first = self.not_expr()
        parts = [first]
        while self._accept("kw", "and"):
            parts.append(self.not_expr())
        return first if len(parts) == 1 else And(first.pos, tuple(parts))

    def not_expr(self) -> Node:
        t = self._accept("kw", "not")
        if t is not None:
            self._enter(t.pos)
            try:
                return Not(t.pos, self.not_expr())
            finally:
                self.depth -= 1
        return self.comparison()

    def comparison(self) -> Node:
        left = self.arith()
        t = self.tok
        if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">="):
            self._take()
            right = self.arith()
            node: Node = Compare(t.pos, t.text, left, right)
        elif t.kind == "kw" and t.text == "in":
            self._take()
            node = In(t.pos, left, self.arith(), False)
        elif t.kind == "kw" and t.text == "not" and self.tokens[self.i + 1].text == "in":
            self.i += 2
            node = In(t.pos, left, self.arith(), True)
        else:
            return left
        nxt = self.tok
        if nxt.kind == "op" and nxt.text in ("==", "!=", "<", "<=", ">", ">="):
            raise ExprError("chained comparisons are not allowed; join them with 'and'", nxt.pos)
        return node

    def arith(self) -> Node:
        node = self.term()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            t = self._take()
            node = Arith(t.pos, t.text, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            t = self._take()
            node = Arith(t.pos, t.text, node, self.unary())
        return node

    def unary(self) -> Node:
        t = self._accept("op", "-")
        if t is not None:
            self._enter(t.pos)
            try:
                return Neg(t.pos, self.unary())
            finally:
                self.depth -= 1
        return self.atom()

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self._take()
            return Num(t.pos, float(t.text) if "." in t.text else int(t.text))
        if t.kind == "str":
            self._take()
            return Str(t.pos, t.text[1:-1])
        if t.kind == "kw" and t.text in ("true", "false"):
            self._take()
            return Bool(t.pos, t.text == "true")
        if t.kind == "ident":
            self._take()
            if self._accept("op", "("):
                return self.call(t)
            if self.tok.kind == "op" and self.tok.text == "..":
                raise ExprError("an item range like L3..L16 is only allowed inside sum, min or max", self.tok.pos)
            return Ref(t.pos, t.text)
        if t.kind == "op" and t.text == "(":
            self._take()
            self._enter(t.pos)
            try:
                node = self.or_expr()
            finally:
                self.depth -= 1
            self._expect("op", ")", "')'")
            return node
        if t.kind == "op" and t.text == "[":
            self._take()
            items: list[Node] = []
            if not self._accept("op", "]"):
                while True:
                    items.append(self.literal())
                    if self._accept("op", "]"):
                        break
                    self._expect("op", ",", "',' or ']'")
            return ListLit(t.pos, tuple(items))
        raise ExprError(f"expected a value, found {self._describe(t)}", t.pos)

    def literal(self) -> Node:
        t = self.tok
        neg = self._accept("op", "-")
        t2 = self.tok
        if t2.kind == "num":
            self._take()
            v: int | float = float(t2.text) if "." in t2.text else int(t2.text)
            return Num(t.pos, -v if neg else v)
        if t2.kind == "str" and not neg:
            self._take()
            return Str(t2.pos, t2.text[1:-1])
        raise ExprError(f"a list holds only numbers and texts, found {self._describe(t2)}", t2.pos)

    def call(self, name_tok: Token) -> Node:
        name = name_tok.text
        if name not in FUNCTIONS:
            raise ExprError(f"unknown function {name!r}", name_tok.pos)
        self._enter(name_tok.pos)
        try:
            args: list[Node] = []
            if not self._accept("op", ")"):
                while True:
                    args.append(self.argument(name))
                    if self._accept("op", ")"):
                        break
                    self._expect("op", ",", "',' or ')'")
        finally:
            self.depth -= 1
        arity = FUNCTIONS[name]
        if arity >= 0 and len(args) != arity:
            raise ExprError(f"{name}() takes {arity} argument(s), got {len(args)}", name_tok.pos)
        if arity < 0 and not args:
            raise ExprError(f"{name}() needs at least one argument", name_tok.pos)
        if name in ("answered", "is_code") and not isinstance(args[0], Ref):
            raise ExprError(f"{name}() takes an item id as its first argument", name_tok.pos)
        if name == "is_code" and not (isinstance(args[1], Str) and args[1].value in ("X", "N")):
            raise ExprError("is_code() takes 'X' or 'N' as its second argument", name_tok.pos)
        return Call(name_tok.pos, name, tuple(args))

    def argument(self, fname: str) -> Node:
        t = self.tok
        if (
            fname in ("sum", "min", "max")
            and t.kind == "ident"
            and self.tokens[self.i + 1].text == ".."
        ):
            self.i += 2
            end = self.tok
            if end.kind != "ident":
                raise ExprError("expected an item id after '..'", end.pos)
            self._take()
            return Range(t.pos, t.text, end.text)
        return self.or_expr()


def parse(src: str) -> Node:
    """Parse `src` into an AST; raises ExprError only."""
    if not isinstance(src, str):
        raise ExprError("an expression must be a text", 0)
    return _Parser(src).parse()


# --------------------------------------------------------------------------- analysis


def walk(node: Node) -> Iterable[Node]:
    yield node
    for child in _children(node):
        yield from walk(child)


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Neg, Not)):
        return (node.operand,)
    if isinstance(node, (Arith, Compare, In)):
        return (node.left, node.right)
    if isinstance(node, (And, Or)):
        return node.parts
    if isinstance(node, Call):
        return node.args
    if isinstance(node, ListLit):
        return node.items
    return ()


def references(node: Node) -> list[tuple[str, int]]:
    """Item ids named by the expression (range ends included), with positions."""
    out: list[tuple[str, int]] = []
    for n in walk(node):
        if isinstance(n, Ref):
            out.append((n.id, n.pos))
        elif isinstance(n, Range):
            out.append((n.start, n.pos))
            out.append((n.end, n.pos))
    return out


def expand_ranges(node: Node, order: Sequence[str]) -> Node:
    """Replace every Range by the Refs it covers (bank order). Raises ExprError."""
    index = {item_id: i for i, item_id in enumerate(order)}

    def rebuild(n: Node) -> Node:
        if isinstance(n, Call):
            args: list[Node] = []
            for a in n.args:
                if isinstance(a, Range):
                    for end in (a.start, a.end):
                        if end not in index:
                            raise ExprError(f"unknown item {end!r} in range", a.pos)
                    i, j = index[a.start], index[a.end]
                    if i > j:
                        raise ExprError(f"range {a.start}..{a.end} runs backwards", a.pos)
                    args.extend(Ref(a.pos, item_id) for item_id in order[i : j + 1])
                else:
                    args.append(rebuild(a))
            return Call(n.pos, n.name, tuple(args))
        if isinstance(n, Neg):
            return Neg(n.pos, rebuild(n.operand))
        if isinstance(n, Not):
            return Not(n.pos, rebuild(n.operand))
        if isinstance(n, Arith):
            return Arith(n.pos, n.op, rebuild(n.left), rebuild(n.right))
        if isinstance(n, Compare):
            return Compare(n.pos, n.op, rebuild(n.left), rebuild(n.right))
        if isinstance(n, In):
            return In(n.pos, rebuild(n.left), rebuild(n.right), n.negate)
        if isinstance(n, And):
            return And(n.pos, tuple(rebuild(p) for p in n.parts))
        if isinstance(n, Or):
            return Or(n.pos, tuple(rebuild(p) for p in n.parts))
        return n

    return rebuild(node)
