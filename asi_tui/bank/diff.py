"""Differences between two bank versions, flagging changes that break comparability."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..i18n import Translator
from .compiled import QuestionBank
from .model import Item

# Changing any of these means old and new answers no longer measure the same thing.
BREAKING_FIELDS = ("type", "codes", "range", "timeframe", "unit")
OTHER_FIELDS = ("label", "help", "missing", "critical", "relevant", "checks", "alerts", "bound_by", "pattern", "valid_codes", "window_bound", "sv_code")


@dataclass
class ItemChange:
    item_id: str
    field: str
    old: Any
    new: Any
    breaking: bool


@dataclass
class BankDiff:
    old: str
    new: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    moved: list[tuple[str, str, str]] = field(default_factory=list)  # item, old section, new section
    changes: list[ItemChange] = field(default_factory=list)

    @property
    def breaking(self) -> bool:
        return bool(self.removed) or any(c.breaking for c in self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "added": self.added,
            "removed": self.removed,
            "moved": [{"item": i, "from": a, "to": b} for i, a, b in self.moved],
            "changed": [
                {"item": c.item_id, "field": c.field, "old": c.old, "new": c.new, "breaks_comparability": c.breaking}
                for c in self.changes
            ],
            "breaks_comparability": self.breaking,
        }

    def lines(self, t: Translator) -> list[str]:
        out = [f"--- {self.old}", f"+++ {self.new}"]
        out += [f"+ {i}" for i in self.added]
        out += [f"- {i}  [{t('cli.diff.breaking')}]" for i in self.removed]
        out += [f"> {i}: {a} -> {b}" for i, a, b in self.moved]
        for c in self.changes:
            flag = f"  [{t('cli.diff.breaking')}]" if c.breaking else ""
            out.append(f"~ {c.item_id}.{c.field}: {_short(c.old)} -> {_short(c.new)}{flag}")
        if len(out) == 2:
            out.append(t("cli.diff.same"))
        return out


def _short(v: Any, limit: int = 60) -> str:
    text = repr(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _codes_of(bank: QuestionBank, item: Item) -> list[tuple[Any, str]] | None:
    codes = bank.codes_for(item)
    if codes is None:
        return None
    return [(c.code, c.label.sv) for c in codes.codes]


def _field_value(bank: QuestionBank, item: Item, name: str) -> Any:
    if name == "codes":
        codes = _codes_of(bank, item)
        return [c for c, _ in codes] if codes is not None else None
    if name == "range":
        return list(item.value_range) if item.value_range else None
    value = getattr(item, name)
    if hasattr(value, "model_dump"):
        return value.model_dump()
    if isinstance(value, list):
        return [v.model_dump() if hasattr(v, "model_dump") else v for v in value]
    return value


def diff_banks(old: QuestionBank, new: QuestionBank) -> BankDiff:
    result = BankDiff(f"{old.id} {old.version}", f"{new.id} {new.version}")
    old_ids, new_ids = set(old.by_id), set(new.by_id)
    result.added = [i.id for i in new.items if i.id not in old_ids]
    result.removed = [i.id for i in old.items if i.id not in new_ids]
    for item in new.items:
        if item.id not in old_ids:
            continue
        before = old.by_id[item.id]
        s_old, s_new = old.section_of[item.id].id, new.section_of[item.id].id
        if s_old != s_new:
            result.moved.append((item.id, s_old, s_new))
        for name in BREAKING_FIELDS + OTHER_FIELDS:
            a, b = _field_value(old, before, name), _field_value(new, item, name)
            if a != b:
                result.changes.append(ItemChange(item.id, name, a, b, name in BREAKING_FIELDS))
        # relabelled codes keep their values but may change meaning: report, not breaking
        ca, cb = _codes_of(old, before), _codes_of(new, item)
        if ca is not None and cb is not None and [c for c, _ in ca] == [c for c, _ in cb] and ca != cb:
            result.changes.append(ItemChange(item.id, "code_labels", dict(ca), dict(cb), False))
    return result
