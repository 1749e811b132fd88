"""A migration map read from its file: where each part is, checks against two banks, applying.

Old codes not named in `map`/`split` keep their value and must exist in the
new code list; `validate` says so, with file:line, and compiles the split
rules that `apply` needs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from pydantic import ValidationError

from .. import expr as E
from ..compiled import QuestionBank
from ..diff import diff_banks
from ..model import CODED_TYPES, Item
from ..problems import BankError, Problem, pydantic_problems, read_mapping
from ..yamlsrc import YamlSource
from .apply import apply_map
from .schema import MISSING_CODES, MapReport, MigrationMap, Recode, SplitRules, Target


def _key(v: Any) -> str:
    # yamlsrc records mapping keys by their scalar text
    return v if isinstance(v, str) else str(v)


@dataclass
class LoadedMap:
    """A parsed map with the source lines of its parts."""

    model: MigrationMap
    path: Path | None
    src: YamlSource | None
    sha256: str
    _rules: SplitRules = field(default_factory=dict, repr=False)

    @property
    def source(self) -> tuple[str, str]:
        return (self.model.from_.bank, self.model.from_.version)

    @property
    def target(self) -> tuple[str, str]:
        return (self.model.to.bank, self.model.to.version)

    def line(self, *path: Any) -> int:
        if self.src is None:
            return 1
        return self.src.line_of(tuple(_key(p) if _is_map_key(path, i) else p for i, p in enumerate(path)))

    def _problem(self, item: str, message: str, *path: Any) -> Problem:
        return Problem(str(self.path or "-"), self.line(*path), item, message)

    # ------------------------------------------------------------------ validation

    def validate(self, old: QuestionBank, new: QuestionBank) -> MapReport:
        """Check every id and code the map names against both banks, and that
        the map covers what the diff removed or recoded."""
        m = self.model
        rep = MapReport()
        err = lambda item, msg, *p: rep.errors.append(self._problem(item, msg, *p))  # noqa: E731
        warn = lambda item, msg, *p: rep.warnings.append(self._problem(item, msg, *p))  # noqa: E731
        if (m.from_.bank, m.from_.version) != (old.id, old.version):
            err("-", f"`from` names {m.from_}, but the old bank is {old.id} {old.version}", "from")
        if (m.to.bank, m.to.version) != (new.id, new.version):
            err("-", f"`to` names {m.to}, but the new bank is {new.id} {new.version}", "to")
        if (m.from_.bank, m.from_.version) == (m.to.bank, m.to.version):
            err("-", "a map joins two different versions", "to")

        targets: dict[str, str] = {}
        for old_id, new_id in m.rename.items():
            if old_id not in old.by_id:
                err(old_id, f"renamed item {old_id!r} does not exist in {old.id} {old.version}", "rename", old_id)
                continue
            if new_id not in new.by_id:
                err(old_id, f"rename target {new_id!r} does not exist in {new.id} {new.version}", "rename", old_id)
                continue
            if new_id in targets:
                err(old_id, f"{targets[new_id]} and {old_id} are both renamed to {new_id}", "rename", old_id)
                continue
            targets[new_id] = old_id
            if new_id in old.by_id and new_id not in m.rename:
                err(old_id, f"{new_id} also exists in the old version: both old columns would land on {new_id} "
                            f"(rename the old {new_id} too)", "rename", old_id)
            if old_id in new.by_id and old_id not in m.rename.values():
                warn(old_id, f"{old_id} still exists in the new version; its new answers and the renamed old "
                             f"ones will be in different columns", "rename", old_id)
            a, b = old.by_id[old_id], new.by_id[new_id]
            if a.type != b.type:
                warn(old_id, f"type changes from {a.type} to {b.type}: old values are carried as they are",
                     "rename", old_id)
            elif a.timeframe != b.timeframe:
                warn(old_id, f"time frame changes from {a.timeframe} to {b.timeframe}", "rename", old_id)

        for i, item_id in enumerate(m.remove):
            if item_id not in old.by_id:
                err(item_id, f"removed item {item_id!r} does not exist in {old.id} {old.version}", "remove", i)
            elif item_id in new.by_id:
                err(item_id, f"{item_id} still exists in {new.id} {new.version}; list only items the new version dropped",
                    "remove", i)
            if item_id in m.rename:
                err(item_id, f"{item_id} is both renamed and removed", "remove", i)

        self._rules = {}
        for old_id, rc in m.recode.items():
            self._validate_recode(old, new, old_id, rc, err, warn)

        # coverage: what the diff says changed must be accounted for
        diff = diff_banks(old, new)
        for item_id in diff.removed:
            if item_id not in m.rename and item_id not in m.remove:
                warn(item_id, f"{item_id} is not in {new.id} {new.version} and the map does not mention it: "
                              "its answers stay as an old-version-only column (add it to `remove` or `rename`)", "from")
        for old_id, a in old.by_id.items():
            new_id = m.rename.get(old_id, old_id)
            b = new.by_id.get(new_id)
            if b is None or a.type not in CODED_TYPES or b.type not in CODED_TYPES or old_id in m.recode:
                continue
            lost = _lost_codes(old, a, new, b, {})
            if lost:
                err(old_id, f"codes {codes_text(lost)} of {old_id} are not in the new code list of {new_id}: "
                            "add a `recode` entry for them", "recode" if m.recode else "from")
        for change in diff.changes:
            if change.field == "code_labels" and change.item_id not in m.recode:
                warn(change.item_id, f"the texts of some codes of {change.item_id} changed: check that each code "
                                     "still means the same (else add a `recode`)", "from")
            elif change.breaking and change.field != "codes" and change.item_id not in m.recode:
                warn(change.item_id, f"{change.field} changed ({change.old!r} -> {change.new!r}): "
                                     "answers before and after may not be comparable", "from")
        return rep

    def _validate_recode(self, old: QuestionBank, new: QuestionBank, old_id: str, rc: Recode, err, warn) -> None:  # noqa: ANN001
        a = old.by_id.get(old_id)
        if a is None:
            err(old_id, f"recoded item {old_id!r} does not exist in {old.id} {old.version}", "recode", old_id)
            return
        new_id = self.model.rename.get(old_id, old_id)
        b = new.by_id.get(new_id)
        if b is None:
            err(old_id, f"{old_id} has no counterpart in {new.id} {new.version} to recode into", "recode", old_id)
            return
        if a.type not in CODED_TYPES or b.type not in CODED_TYPES:
            err(old_id, f"only coded items can be recoded ({old_id} is {a.type}, {new_id} is {b.type})", "recode", old_id)
            return
        old_codes = old.codes_for(a).values if old.codes_for(a) else ()
        new_codes = new.codes_for(b).values if new.codes_for(b) else ()
        for code, target in rc.map.items():
            if code not in old_codes:
                err(old_id, f"{code!r} is not a code of {old_id} in {old.version} (codes: {codes_text(old_codes)})",
                    "recode", old_id, "map", code)
            if target not in new_codes and target not in MISSING_CODES:
                err(old_id, f"{target!r} is not a code of {new_id} in {new.version} (codes: {codes_text(new_codes)}, or X/N)",
                    "recode", old_id, "map", code)
            if target in MISSING_CODES and target not in b.missing and b.type != "multi":
                warn(old_id, f"{new_id} does not let interviewers code {target}; migrated rows will still hold it",
                     "recode", old_id, "map", code)
        order = [i.id for i in old.items]
        for code, rules in rc.split.items():
            if code not in old_codes:
                err(old_id, f"{code!r} is not a code of {old_id} in {old.version} (codes: {codes_text(old_codes)})",
                    "recode", old_id, "split", code)
            if code in rc.map:
                err(old_id, f"code {code!r} is both in `map` and in `split`", "recode", old_id, "split", code)
            if not rules:
                err(old_id, f"split of code {code!r} needs at least one rule", "recode", old_id, "split", code)
            compiled: list[tuple[E.Expr | None, Target]] = []
            for ri, rule in enumerate(rules):
                if rule.code not in new_codes and rule.code not in MISSING_CODES:
                    err(old_id, f"{rule.code!r} is not a code of {new_id} in {new.version} (codes: {codes_text(new_codes)}, "
                                "or X/N)", "recode", old_id, "split", code, ri)
                expr = None
                if rule.when is not None:
                    try:
                        expr = E.Expr.compile(rule.when, order)
                    except E.ExprError as exc:
                        err(old_id, f"{exc.message} (at column {exc.pos + 1} of {rule.when!r})",
                            "recode", old_id, "split", code, ri, "when")
                        continue
                    unknown = [r for r in expr.refs if r not in old.by_id]
                    if unknown:
                        err(old_id, f"rule refers to {', '.join(unknown)}, not items of {old.id} {old.version}",
                            "recode", old_id, "split", code, ri, "when")
                        continue
                elif ri != len(rules) - 1:
                    err(old_id, "a rule without `when` must come last (it matches everything)",
                        "recode", old_id, "split", code, ri)
                compiled.append((expr, rule.code))
            if rules and rules[-1].when is not None:
                warn(old_id, f"no fallback rule for code {code!r}: rows no rule matches become X",
                     "recode", old_id, "split", code)
            self._rules[(old_id, code)] = compiled
        lost = _lost_codes(old, a, new, b, {**rc.map, **{c: "X" for c in rc.split}})
        if lost:
            err(old_id, f"codes {codes_text(lost)} of {old_id} are not in the new code list of {new_id}: "
                        "map them to a new code or to X", "recode", old_id)

    # ------------------------------------------------------------------ applying

    def apply(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Answers of the old version, keyed and coded as in the new one.

        Accepts the engine's values (MissingCode for X/N), the encoded form
        ({"code": "X"}) or a record body's answers ({id: {"v": ..., "by", "at"}});
        the output uses the same form. Removed items keep their old id."""
        return apply_map(self.model, self._rules, answers)


def _is_map_key(path: tuple[Any, ...], i: int) -> bool:
    """Whether path[i] is a mapping key (recode codes are mapping keys, even ints)."""
    return i >= 1 and path[0] == "recode" and (i == 1 or (i == 3 and path[2] in ("map", "split")))


def codes_text(codes: Iterable[Any]) -> str:
    return ", ".join(map(str, codes))


def _lost_codes(old: QuestionBank, a: Item, new: QuestionBank, b: Item, mapped: dict[Any, Any]) -> list[Any]:
    ca, cb = old.codes_for(a), new.codes_for(b)
    if ca is None or cb is None:
        return []
    return [c for c in ca.values if c not in mapped and c not in cb.values]


def load_map(path: Path | str) -> LoadedMap:
    """Parse a map file; raises BankError with file:line problems."""
    path = Path(path)
    src = read_mapping(path, "a migration map")
    try:
        model = MigrationMap.model_validate(src.data)
    except ValidationError as exc:
        # the bank loader's messages and lines; a map has no items to name
        raise BankError([Problem(p.file, p.line, "-", p.message) for p in pydantic_problems(src, exc)]) from None
    return LoadedMap(model, path, src, hashlib.sha256(src.raw).hexdigest())
