"""A map skeleton for two bank versions (`asi-tui bank suggest-map`): guessed renames, removed items, recodes to fill in."""

from __future__ import annotations

import difflib
from typing import Any

from ..compiled import QuestionBank
from ..diff import BankDiff, diff_banks
from ..model import CODED_TYPES, Item
from .maps import codes_text


RENAME_MIN_SIMILARITY = 0.5


def _signature(bank: QuestionBank, item: Item) -> tuple[Any, ...]:
    codes = bank.codes_for(item)
    return (item.type, item.timeframe, tuple(codes.values) if codes else None, item.value_range)


def _similarity(a: Item, b: Item) -> float:
    return max(
        difflib.SequenceMatcher(None, a.label.sv.lower(), b.label.sv.lower()).ratio(),
        difflib.SequenceMatcher(None, a.label.en.lower(), b.label.en.lower()).ratio(),
    )


def suggest_renames(old: QuestionBank, new: QuestionBank, diff: BankDiff | None = None) -> list[tuple[str, str, float]]:
    """(old id, new id, label similarity) for removed/added pairs that look like one item renamed."""
    diff = diff or diff_banks(old, new)
    candidates = []
    for r in diff.removed:
        a = old.by_id[r]
        for n in diff.added:
            b = new.by_id[n]
            if a.type != b.type or a.timeframe != b.timeframe:
                continue
            sim = _similarity(a, b)
            same_shape = _signature(old, a) == _signature(new, b)
            if sim >= RENAME_MIN_SIMILARITY or (same_shape and sim >= RENAME_MIN_SIMILARITY * 0.8):
                candidates.append((sim + (0.1 if same_shape else 0.0), r, n, sim))
    used_old, used_new, out = set(), set(), []
    for _score, r, n, sim in sorted(candidates, key=lambda c: -c[0]):
        if r in used_old or n in used_new:
            continue
        used_old.add(r)
        used_new.add(n)
        out.append((r, n, sim))
    return sorted(out, key=lambda p: old.order[p[0]])


def _yaml_scalar(v: Any) -> str:
    import yaml

    text = yaml.safe_dump(v, default_flow_style=True, allow_unicode=True, width=1000).strip()
    return text[:-4].strip() if text.endswith("\n...") else text.removesuffix("...").strip()


def _comment(text: str) -> str:
    return text.replace("\n", " ").strip()


def suggest(old: QuestionBank, new: QuestionBank, diff: BankDiff | None = None) -> str:
    """A map skeleton as YAML text: guessed renames, removed items, changed
    code lists with an identity mapping to fill in. Check every line."""
    diff = diff or diff_banks(old, new)
    renames = suggest_renames(old, new, diff)
    renamed = {r for r, _, _ in renames}
    lines = [
        f"# Migration map {old.id} {old.version} -> {new.id} {new.version}",
        "# Suggested by asi-tui: check every line, then `asi-tui bank check-map` and publish it",
        "# together with the new version. Format: docs/admin.md.",
        f"from: {{bank: {_yaml_scalar(old.id)}, version: {_yaml_scalar(old.version)}}}",
        f"to: {{bank: {_yaml_scalar(new.id)}, version: {_yaml_scalar(new.version)}}}",
    ]
    lines.append("rename:" + ("" if renames else " {}"))
    for r, n, sim in renames:
        lines.append(f"  {_yaml_scalar(r)}: {_yaml_scalar(n)}    # guess: same type and time frame, labels {sim:.0%} alike")
    removed = [r for r in diff.removed if r not in renamed]
    lines.append("remove:" + ("" if removed else " []"))
    for r in removed:
        label = _comment(old.by_id[r].label.en)[:60]
        lines.append(f"  - {_yaml_scalar(r)}    # {label}")
    recodes = []
    for item in old.items:
        new_id = dict((r, n) for r, n, _ in renames).get(item.id, item.id)
        b = new.by_id.get(new_id)
        if b is None or item.type not in CODED_TYPES or b.type not in CODED_TYPES:
            continue
        ca, cb = old.codes_for(item), new.codes_for(b)
        if ca is None or cb is None or ca.values == cb.values:
            continue
        recodes.append((item, b, ca, cb))
    lines.append("recode:" + ("" if recodes else " {}"))
    for item, b, ca, cb in recodes:
        added = [c for c in cb.values if c not in ca.values]
        lines.append(f"  {_yaml_scalar(item.id)}:    # codes changed" + (f"; new codes: {codes_text(added)}" if added else ""))
        lines.append("    map:")
        for code in ca.values:
            label = ca.label_of(code)
            text = _comment(label.en)[:50] if label else ""
            if code in cb.values:
                lines.append(f"      {_yaml_scalar(code)}: {_yaml_scalar(code)}    # {text}")
            else:
                lines.append(f"      {_yaml_scalar(code)}: {_yaml_scalar(code)}    # FILL IN: '{text}' is not in "
                             f"{new.version}: a new code, or X")
    return "\n".join(lines) + "\n"
