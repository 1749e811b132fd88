"""A loaded bank: its model with every expression compiled and the maps the engine uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .expr import Expr
from .model import DEFAULT_CODELISTS, Bank, Check, CodeList, Item, Section


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

    def valid_codes_for(self, item: Item) -> CodeList | None:
        """The shared list a text answer must come from (`valid_codes`), if any."""
        return self.codelists.get(item.valid_codes) if item.valid_codes else None

    def message_text(self, key: str, lang: str) -> str | None:
        text = self.model.messages.get(key)
        return text.get(lang) if text else None
