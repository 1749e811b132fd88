"""Load a bank from YAML, lint it, and compile it for the engine.

`load_bank` either returns a fully compiled `QuestionBank` or raises
`BankError` listing every problem found (file, line, item, message): a broken
bank never loads halfway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import ValidationError

from ..resources import bundled_codes_dir
from .expr import Expr
from .model import DEFAULT_CODELISTS, Bank, Check, CodeList, Item, Section
from .yamlsrc import YamlReadError, YamlSource, read_yaml


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    item: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.item}: {self.message}"


class BankError(Exception):
    """A bank or code list that cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class CompiledCheck:
    item_id: str
    index: int
    check: Check
    expr: Expr

    @property
    def key(self) -> str:
        return f"{self.item_id}#{self.index}"

    @property
    def severity(self) -> str:
        return self.check.severity

    @property
    def message(self) -> str:
        return self.check.message


@dataclass(frozen=True)
class CompiledAlert:
    item_id: str
    index: int
    expr: Expr
    message: str

    @property
    def key(self) -> str:
        return f"{self.item_id}!{self.index}"


@dataclass
class QuestionBank:
    """A validated bank with compiled expressions and dependency maps."""

    model: Bank
    path: Path | None
    sha256: str
    codelists: dict[str, CodeList]
    items: tuple[Item, ...] = ()
    order: dict[str, int] = field(default_factory=dict)
    by_id: dict[str, Item] = field(default_factory=dict)
    section_of: dict[str, Section] = field(default_factory=dict)
    relevance: dict[str, Expr] = field(default_factory=dict)
    checks: dict[str, list[CompiledCheck]] = field(default_factory=dict)
    alerts: dict[str, list[CompiledAlert]] = field(default_factory=dict)
    partial_when: Expr | None = None
    # item id -> items whose `relevant` names it
    relevance_dependents: dict[str, list[str]] = field(default_factory=dict)
    # item id -> checks/alerts of *other* items that name it
    check_dependents: dict[str, list[CompiledCheck]] = field(default_factory=dict)
    alert_dependents: dict[str, list[CompiledAlert]] = field(default_factory=dict)
    # item id -> items that name it in `bound_by`
    bounds_of: dict[str, list[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def instrument(self) -> str:
        return self.model.instrument

    @property
    def is_followup(self) -> bool:
        return self.model.is_followup

    @property
    def sections(self) -> list[Section]:
        return self.model.sections

    def codes_for(self, item: Item) -> CodeList | None:
        if isinstance(item.codes, list):
            return CodeList(id=f"{item.id}.codes", label=item.label, codes=item.codes)
        name = item.codes or DEFAULT_CODELISTS.get(item.type)
        return self.codelists.get(name) if name else None

    def message_text(self, key: str, lang: str) -> str | None:
        text = self.model.messages.get(key)
        return text.get(lang) if text else None


# ----------------------------------------------------------------------------- helpers


def validation_errors(exc: ValidationError) -> Iterator[tuple[tuple[Any, ...], str, bool]]:
    """(location, message, about_a_field_name) for each pydantic error, in our wording.

    Unknown and missing fields are said plainly (the flag is True); other
    messages lose pydantic's "Value error, " prefix and are left for the caller
    to prefix with where they apply.
    """
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(err.get("loc", ()))
        if err.get("type") == "extra_forbidden":
            yield loc, f"unknown field {loc[-1]!r}", True
        elif err.get("type") == "missing":
            yield loc, f"missing field {loc[-1]!r}", True
        else:
            msg = err.get("msg", "invalid value")
            yield loc, msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg, False


def _pydantic_problems(src: YamlSource, exc: ValidationError) -> list[Problem]:
    problems = []
    data = src.data if isinstance(src.data, dict) else {}
    for loc, msg, plain in validation_errors(exc):
        if not plain:
            field_name = next((str(p) for p in reversed(loc) if isinstance(p, str) and p in _FIELD_NAMES), None)
            if field_name:
                msg = f"{field_name}: {msg}"
        problems.append(Problem(str(src.path), src.line_of(loc), _item_at(data, loc), msg))
    return problems


_FIELD_NAMES = set(Item.model_fields) | set(Bank.model_fields) | set(Section.model_fields) | set(
    CodeList.model_fields
)


def _item_at(data: Any, loc: tuple[Any, ...]) -> str:
    """The item (or section/bank) id that a validation location points into."""
    try:
        if len(loc) >= 4 and loc[0] == "sections" and loc[2] == "items":
            item = data["sections"][loc[1]]["items"][loc[3]]
            return str(item.get("id", f"items[{loc[3]}]"))
        if len(loc) >= 2 and loc[0] == "sections":
            return str(data["sections"][loc[1]].get("id", f"sections[{loc[1]}]"))
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return str(data.get("id", "-")) if isinstance(data, dict) else "-"


def _read(path: Path) -> tuple[YamlSource | None, list[Problem]]:
    try:
        return read_yaml(path), []
    except YamlReadError as exc:
        return None, [Problem(str(path), p.line, "-", p.message) for p in exc.problems]


_CODELIST_CACHE: dict[tuple[str, int, int], tuple[CodeList, bytes]] = {}


def _cached_codelist(path: Path) -> tuple[CodeList, bytes]:
    """A code list and its bytes, re-read only when the file changes."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    hit = _CODELIST_CACHE.get(key)
    if hit is None:
        raw = path.read_bytes()
        hit = (load_codelist(path), raw)
        _CODELIST_CACHE[key] = hit
    return hit


def load_codelist(path: Path) -> CodeList:
    src, problems = _read(path)
    if src is None:
        raise BankError(problems)
    if not isinstance(src.data, dict):
        raise BankError([Problem(str(path), 1, "-", "a code list must be a YAML mapping")])
    try:
        codelist = CodeList.model_validate(src.data)
    except ValidationError as exc:
        raise BankError(_pydantic_problems(src, exc)) from None
    if codelist.id != path.stem:
        raise BankError(
            [Problem(str(path), src.line_of(("id",)), codelist.id, f"code list id must equal the file name {path.stem!r}")]
        )
    return codelist


def default_codes_dir(bank_path: Path) -> Path:
    """`codes/` beside the bank's instrument folder, else the bundled one."""
    sibling = bank_path.resolve().parent.parent / "codes"
    return sibling if sibling.is_dir() else bundled_codes_dir()


# ----------------------------------------------------------------------------- loading


def load_bank(path: Path | str, codes_dir: Path | None = None) -> QuestionBank:
    path = Path(path)
    src, problems = _read(path)
    if src is None:
        raise BankError(problems)
    if not isinstance(src.data, dict):
        raise BankError([Problem(str(path), 1, "-", "a bank must be a YAML mapping")])
    try:
        model = Bank.model_validate(src.data)
    except ValidationError as exc:
        raise BankError(_pydantic_problems(src, exc)) from None

    codes_dir = codes_dir or default_codes_dir(path)
    codelists, used_files, cl_problems = _resolve_codelists(src, model, codes_dir)
    digest = hashlib.sha256(src.raw)
    for name in sorted(used_files):
        digest.update(b"\0codes/" + name.encode() + b"\0")
        digest.update(used_files[name])
    bank = QuestionBank(model=model, path=path, sha256=digest.hexdigest(), codelists=codelists)

    from .lint import lint_and_compile  # local import: lint needs QuestionBank

    problems = cl_problems + lint_and_compile(bank, src)
    if problems:
        raise BankError(sorted(problems, key=lambda p: (p.file, p.line)))
    return bank


def _resolve_codelists(
    src: YamlSource, model: Bank, codes_dir: Path
) -> tuple[dict[str, CodeList], dict[str, bytes], list[Problem]]:
    codelists: dict[str, CodeList] = {}
    problems: list[Problem] = []
    for i, cl in enumerate(model.codelists):
        if cl.id in codelists:
            problems.append(Problem(str(src.path), src.line_of(("codelists", i)), cl.id, "code list defined twice"))
        codelists[cl.id] = cl
    needed: dict[str, tuple[int, int, str]] = {}
    for si, section in enumerate(model.sections):
        for ii, item in enumerate(section.items):
            name = item.codes if isinstance(item.codes, str) else None
            if name is None and item.codes is None:
                name = DEFAULT_CODELISTS.get(item.type)
            if name and name not in codelists:
                needed.setdefault(name, (si, ii, item.id))
    used_files: dict[str, bytes] = {}
    for name, (si, ii, item_id) in needed.items():
        file = codes_dir / f"{name}.yaml"
        if not file.is_file():
            problems.append(
                Problem(
                    str(src.path),
                    src.line_of(("sections", si, "items", ii, "codes")),
                    item_id,
                    f"unknown code list {name!r} (no {file})",
                )
            )
            continue
        try:
            codelists[name], used_files[name] = _cached_codelist(file)
        except BankError as exc:
            problems.extend(exc.problems)
    return codelists, used_files, problems


def iter_bank_files(paths: Iterable[Path]) -> Iterable[tuple[str, Path]]:
    """Yield ("bank" | "codes", file) for every YAML file under the given paths."""
    for p in paths:
        p = Path(p)
        files = sorted(p.rglob("*.yaml")) + sorted(p.rglob("*.yml")) if p.is_dir() else [p]
        for f in files:
            kind = "codes" if f.parent.name == "codes" else "exercise" if "exercises" in f.parts else "bank"
            yield kind, f


def validate_paths(paths: Iterable[Path]) -> tuple[list[QuestionBank], list[Problem]]:
    """Validate every bank and code list under `paths`; collect all problems.

    Exercise files (under an `exercises/` folder) are left to the training
    package, which checks them against these banks
    (`training.exercises.validate_banks_and_exercises`).
    """
    banks: list[QuestionBank] = []
    problems: list[Problem] = []
    for kind, f in iter_bank_files(paths):
        if not f.exists():
            problems.append(Problem(str(f), 1, "-", "no such file or directory"))
            continue
        try:
            if kind == "codes":
                load_codelist(f)
            elif kind == "bank":
                banks.append(load_bank(f))
        except BankError as exc:
            problems.extend(exc.problems)
    return banks, problems
