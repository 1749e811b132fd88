"""Static checks of a bank, done once at load while compiling its expressions.

Reports: duplicate ids, unparsable expressions, unknown items, references to
later items (which also rules out cycles), comparisons of a coded item with a
code it does not have (or of a number with a text), unreachable items, unknown
message keys, time frames that do not fit the instrument.
"""

from __future__ import annotations

from typing import Any

from ..i18n import catalog
from . import expr as E
from .codelists import default_codes_dir
from .compiled import CompiledAlert, CompiledCheck, QuestionBank
from .model import CODED_TYPES, NUMERIC_TYPES, TEXT_TYPES, Item
from .problems import Problem
from .yamlsrc import YamlReadError, YamlSource, read_yaml


class _Ctx:
    def __init__(self, bank: QuestionBank, src: YamlSource) -> None:
        self.bank = bank
        self.src = src
        self.problems: list[Problem] = []
        self.locations: dict[str, tuple[Any, ...]] = {}

    def add(self, path: tuple[Any, ...], item: str, message: str) -> None:
        self.problems.append(Problem(str(self.src.path), self.src.line_of(path), item, message))


def lint_and_compile(bank: QuestionBank, src: YamlSource) -> list[Problem]:
    ctx = _Ctx(bank, src)
    model = bank.model
    items: list[Item] = []
    seen_sections: set[str] = set()
    for si, section in enumerate(model.sections):
        if section.id in seen_sections:
            ctx.add(("sections", si, "id"), section.id, "section id used twice")
        seen_sections.add(section.id)
        for ii, item in enumerate(section.items):
            path = ("sections", si, "items", ii)
            if item.id in bank.by_id:
                first = ctx.src.line_of(ctx.locations[item.id])
                ctx.add(path + ("id",), item.id, f"duplicate item id (first on line {first})")
                continue
            ctx.locations[item.id] = path
            bank.by_id[item.id] = item
            bank.section_of[item.id] = section
            items.append(item)
    bank.items = tuple(items)
    bank.order = {item.id: i for i, item in enumerate(items)}
    order_list = [item.id for item in items]
    known_messages = set(model.messages) | set(catalog("sv")) & set(catalog("en"))

    for item in items:
        path = ctx.locations[item.id]
        _check_item_shape(ctx, item, path)
        if item.relevant:
            expr = _compile(ctx, item.relevant, order_list, path + ("relevant",), item.id)
            if expr is not None and _refs_ok(ctx, expr, item, path + ("relevant",), allow_self=False):
                _types_ok(ctx, expr, path + ("relevant",), item.id)
                bank.relevance[item.id] = expr
        for ci, check in enumerate(item.checks):
            cpath = path + ("checks", ci)
            expr = _compile(ctx, check.expr, order_list, cpath + ("expr",), item.id)
            if check.message not in known_messages:
                ctx.add(cpath + ("message",), item.id, f"unknown message key {check.message!r}")
            if expr is not None and _refs_ok(ctx, expr, item, cpath + ("expr",), allow_self=True):
                _types_ok(ctx, expr, cpath + ("expr",), item.id)
                bank.checks.setdefault(item.id, []).append(CompiledCheck(item.id, ci, check, expr))
        for ai, alert in enumerate(item.alerts):
            apath = path + ("alerts", ai)
            expr = _compile(ctx, alert.when, order_list, apath + ("when",), item.id)
            if alert.message not in known_messages:
                ctx.add(apath + ("message",), item.id, f"unknown message key {alert.message!r}")
            if expr is not None and _refs_ok(ctx, expr, item, apath + ("when",), allow_self=True):
                _types_ok(ctx, expr, apath + ("when",), item.id)
                bank.alerts.setdefault(item.id, []).append(CompiledAlert(item.id, ai, expr, alert.message))
        if item.bound_by is not None:
            other = bank.by_id.get(item.bound_by)
            if other is None:
                ctx.add(path + ("bound_by",), item.id, f"bound_by names unknown item {item.bound_by!r}")
            elif other.id == item.id or other.type != item.type:
                ctx.add(path + ("bound_by",), item.id, f"bound_by must name another {item.type} item")
            else:
                bank.bounds_of.setdefault(other.id, []).append(item.id)

    if model.age_item is not None:
        age = bank.by_id.get(model.age_item)
        if age is None or age.type != "count":
            ctx.add(("age_item",), model.id, f"age_item {model.age_item!r} must name a count item")
    if model.partial_when:
        expr = _compile(ctx, model.partial_when, order_list, ("partial_when",), model.id)
        if expr is not None:
            for ref in expr.refs:
                if ref not in bank.by_id:
                    ctx.add(("partial_when",), model.id, f"refers to unknown item {ref!r}")
            bank.partial_when = expr

    _check_sections(ctx)
    _check_reachability(ctx)
    _build_dependents(bank)
    return ctx.problems


def _check_item_shape(ctx: _Ctx, item: Item, path: tuple[Any, ...]) -> None:
    bank = ctx.bank
    followup = bank.is_followup
    if followup and item.timeframe == "lifetime":
        ctx.add(path + ("timeframe",), item.id, "a follow-up bank has no lifetime items")
    if not followup and item.timeframe == "since_last":
        ctx.add(path + ("timeframe",), item.id, "'since_last' is only for follow-up banks")
    if item.type == "interviewer_rating" and item.missing:
        ctx.add(
            path + ("missing",),
            item.id,
            "an interviewer rating takes no missing codes (X is allowed only when the interview was broken off)",
        )
    if item.type in CODED_TYPES and bank.codes_for(item) is None and not isinstance(item.codes, str):
        ctx.add(path + ("codes",), item.id, "no code list for this item")


def _compile(ctx: _Ctx, source: str, order: list[str], path: tuple[Any, ...], item_id: str) -> E.Expr | None:
    try:
        return E.Expr.compile(source, order)
    except E.ExprError as exc:
        ctx.add(path, item_id, f"{exc.message} (at column {exc.pos + 1} of {source!r})")
        return None


def _refs_ok(ctx: _Ctx, expr: E.Expr, item: Item, path: tuple[Any, ...], allow_self: bool) -> bool:
    bank = ctx.bank
    ok = True
    own = bank.order[item.id]
    for ref in expr.refs:
        pos = bank.order.get(ref)
        if pos is None:
            ctx.add(path, item.id, f"refers to unknown item {ref!r}")
            ok = False
        elif ref == item.id and not allow_self:
            ctx.add(path, item.id, "an item's relevance cannot depend on itself (cycle)")
            ok = False
        elif pos > own:
            ctx.add(path, item.id, f"refers to {ref!r}, which comes later in the bank")
            ok = False
    return ok


def _literal_values(node: E.Node) -> list[tuple[Any, int]]:
    if isinstance(node, (E.Num, E.Str)):
        return [(node.value, node.pos)]
    if isinstance(node, E.Neg) and isinstance(node.operand, E.Num):
        return [(-node.operand.value, node.pos)]
    if isinstance(node, E.ListLit):
        return [(n.value, n.pos) for n in node.items]  # type: ignore[attr-defined]
    return []


def _types_ok(ctx: _Ctx, expr: E.Expr, path: tuple[Any, ...], owner: str) -> None:
    bank = ctx.bank
    for node in E.walk(expr.ast):
        pairs: list[tuple[E.Node, E.Node]] = []
        if isinstance(node, E.Compare):
            pairs = [(node.left, node.right), (node.right, node.left)]
        elif isinstance(node, E.In):
            pairs = [(node.left, node.right)]
            if isinstance(node.right, E.Ref):
                target = bank.by_id.get(node.right.id)
                if target is not None and target.type != "multi":
                    ctx.add(path, owner, f"'in {target.id}' needs a multi-choice item, {target.id} is {target.type}")
                elif target is not None:
                    _check_literals(ctx, target, _literal_values(node.left), path, owner)
                continue
        for ref_node, other in pairs:
            if not isinstance(ref_node, E.Ref):
                continue
            target = bank.by_id.get(ref_node.id)
            if target is None:
                continue
            _check_literals(ctx, target, _literal_values(other), path, owner)


def _check_literals(ctx: _Ctx, target: Item, values: list[tuple[Any, int]], path: tuple[Any, ...], owner: str) -> None:
    bank = ctx.bank
    for value, _pos in values:
        is_num = isinstance(value, (int, float))
        if target.type in CODED_TYPES:
            codes = bank.codes_for(target)
            if codes is None:
                continue
            if value not in codes.values:
                ctx.add(
                    path,
                    owner,
                    f"compares {target.id} with {value!r}, which is not one of its codes "
                    f"({', '.join(map(str, codes.values))})",
                )
        elif target.type in NUMERIC_TYPES:
            if not is_num:
                ctx.add(path, owner, f"compares number item {target.id} with the text {value!r}")
        elif target.type in TEXT_TYPES and is_num:
            ctx.add(path, owner, f"compares text item {target.id} with the number {value!r}")


def _check_sections(ctx: _Ctx) -> None:
    for si, section in enumerate(ctx.bank.sections):
        ratings = [i for i in section.items if i.type == "interviewer_rating"]
        if section.area == "background":
            if ratings:
                ctx.add(("sections", si), section.id, "the background section has no interviewer rating")
        elif len(ratings) != 1:
            ctx.add(("sections", si), section.id, f"a life area needs exactly one interviewer rating, found {len(ratings)}")


def _check_reachability(ctx: _Ctx) -> None:
    """An item is unreachable when its relevance is false whatever the answers.

    Evaluated with every answer unknown, except that items already found
    unreachable count as not applicable; since references only point back,
    one pass in bank order settles it.
    """
    bank = ctx.bank
    dead: set[str] = set()
    for item in bank.items:
        expr = bank.relevance.get(item.id)
        if expr is None:
            continue
        env = E.Env(
            value=lambda i: E.NA if i in dead else E.UNKNOWN,
            code=lambda i: "N" if i in dead else None,
            answered=lambda i: False,
            mode=E.RELEVANCE,
        )
        if E.truth(expr.evaluate(env), E.RELEVANCE) is False and not _may_be_answered(expr):
            dead.add(item.id)
            ctx.add(ctx.locations[item.id] + ("relevant",), item.id, "unreachable: its relevance can never be true")


def _may_be_answered(expr: E.Expr) -> bool:
    # answered()/is_code() read state the unknown-env cannot model; do not guess
    return any(isinstance(n, E.Call) and n.name in ("answered", "is_code") for n in E.walk(expr.ast))


def _build_dependents(bank: QuestionBank) -> None:
    for item_id, expr in bank.relevance.items():
        for ref in expr.refs:
            bank.relevance_dependents.setdefault(ref, []).append(item_id)
    for item_id, checks in bank.checks.items():
        for check in checks:
            for ref in check.expr.refs:
                if ref != item_id:
                    bank.check_dependents.setdefault(ref, []).append(check)
    for item_id, alerts in bank.alerts.items():
        for alert in alerts:
            for ref in alert.expr.refs:
                if ref != item_id:
                    bank.alert_dependents.setdefault(ref, []).append(alert)


# ----------------------------------------------------------------------------- locale coverage

_LANG_NAMES = {"sv": "Swedish", "en": "English"}
UNTRANSLATED_MIN_WORDS = 4


def _text_problems(file: str, line: int, owner: str, what: str, text: Any) -> tuple[list[Problem], list[Problem]]:
    missing: list[Problem] = []
    suspicious: list[Problem] = []
    if text is None:
        return missing, suspicious
    for lang in ("sv", "en"):
        if not str(getattr(text, lang, "") or "").strip():
            missing.append(Problem(file, line, owner, f"{what}: the {_LANG_NAMES[lang]} text is missing"))
    sv, en = str(text.sv).strip(), str(text.en).strip()
    if sv and sv == en and len(sv.split()) >= UNTRANSLATED_MIN_WORDS:
        suspicious.append(Problem(file, line, owner, f"{what}: the Swedish and English texts are identical (not translated?)"))
    return missing, suspicious


def codelist_coverage(codelist: Any, file: str, src: YamlSource | None = None,
                      base: tuple[Any, ...] = ()) -> tuple[list[Problem], list[Problem]]:
    """Missing or untranslated texts of one code list (its label and every code's label and help)."""
    line = (lambda *p: src.line_of(base + p)) if src is not None else (lambda *p: 1)
    missing: list[Problem] = []
    suspicious: list[Problem] = []

    def add(result: tuple[list[Problem], list[Problem]]) -> None:
        missing.extend(result[0])
        suspicious.extend(result[1])

    add(_text_problems(file, line("label"), codelist.id, "label", codelist.label))
    for ci, code in enumerate(codelist.codes):
        add(_text_problems(file, line("codes", ci, "label"), codelist.id, f"code {code.code} label", code.label))
        add(_text_problems(file, line("codes", ci, "help"), codelist.id, f"code {code.code} help", code.help))
    return missing, suspicious


def locale_coverage(bank: QuestionBank, src: YamlSource | None = None) -> tuple[list[Problem], list[Problem]]:
    """Texts a bank lacks in Swedish or English, as (missing, suspicious).

    The schema already requires both languages, so "missing" means a text that
    is empty once blanks are stripped; "suspicious" is a longer text identical
    in both languages (likely left untranslated). Covers the bank's titles,
    messages, sections, items, inline codes and every code list it uses.
    """
    if src is None and bank.path is not None:
        found = _coverage(bank, None)
        if not (found[0] or found[1]):
            return found  # the usual case: no need to read the file again for line numbers
        try:
            src = read_yaml(bank.path)
        except YamlReadError:
            return found
    return _coverage(bank, src)


def _coverage(bank: QuestionBank, src: YamlSource | None) -> tuple[list[Problem], list[Problem]]:
    file = str(bank.path or "-")
    line = (lambda *p: src.line_of(p)) if src is not None else (lambda *p: 1)
    missing: list[Problem] = []
    suspicious: list[Problem] = []

    def add(result: tuple[list[Problem], list[Problem]]) -> None:
        missing.extend(result[0])
        suspicious.extend(result[1])

    model = bank.model
    add(_text_problems(file, line("title"), model.id, "title", model.title))
    add(_text_problems(file, line("description"), model.id, "description", model.description))
    for key, text in model.messages.items():
        add(_text_problems(file, line("messages", key), key, "message", text))
    for si, section in enumerate(model.sections):
        add(_text_problems(file, line("sections", si, "title"), section.id, "title", section.title))
        add(_text_problems(file, line("sections", si, "help"), section.id, "help", section.help))
        for ii, item in enumerate(section.items):
            base = ("sections", si, "items", ii)
            add(_text_problems(file, line(*base, "label"), item.id, "label", item.label))
            add(_text_problems(file, line(*base, "help"), item.id, "help", item.help))
            if isinstance(item.codes, list):
                for ci, code in enumerate(item.codes):
                    add(_text_problems(file, line(*base, "codes", ci, "label"), item.id, f"code {code.code} label", code.label))
                    add(_text_problems(file, line(*base, "codes", ci, "help"), item.id, f"code {code.code} help", code.help))
    local = {cl.id for cl in model.codelists}
    for ci, cl in enumerate(model.codelists):
        add(codelist_coverage(cl, file, src, ("codelists", ci)))
    codes_dir = default_codes_dir(bank.path) if bank.path is not None else None
    for name in sorted(set(bank.codelists) - local):
        cl_file = codes_dir / f"{name}.yaml" if codes_dir is not None else None
        cl_src = None
        if src is not None and cl_file is not None and cl_file.is_file():
            try:
                cl_src = read_yaml(cl_file)
            except YamlReadError:
                cl_src = None
        add(codelist_coverage(bank.codelists[name], str(cl_file or name), cl_src))
    return missing, suspicious
