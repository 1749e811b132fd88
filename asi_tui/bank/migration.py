"""Migration maps: how answers of one bank version line up with the next.

A map is a small YAML file written by an admin (or suggested by
`asi-tui bank suggest-map`) and published beside the banks it joins:

```yaml
from: {bank: asi-grund, version: 1.0.0}
to:   {bank: asi-grund, version: 2.0.0}
rename: {M4: M4x}          # old id -> new id (same question, new id)
remove: [M11]              # gone in the new version: its answers stay as an old-only column
recode:
  D14:                     # an old coded item (its new id follows `rename`)
    map: {6: 7}            # old code -> new code (merge: many -> one); X/N allowed
    split:                 # one old code -> several new ones: a rule per case
      5:
        - {when: "D5a > 0", code: 5}
        - {code: 13}       # otherwise (no rule matched and no fallback: X)
```

Nothing is ever dropped: an item the new version removed keeps its answers
under its old id, so exports show it as a column that only old rows fill.
Old codes not named in `map`/`split` keep their value and must exist in the
new code list (the validator says so, with file:line).
"""

from __future__ import annotations

import difflib
import hashlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import expr as E
from .diff import BankDiff, diff_banks
from .compiled import QuestionBank
from .model import CODED_TYPES, CodeValue, Item, version_key
from .problems import BankError, Problem, pydantic_problems, read_source
from .yamlsrc import YamlSource

MISSING_CODES = ("X", "N")
Target = Union[int, str]  # a new code, or "X" / "N"
Migrate = Callable[[str, str, dict[str, Any]], dict[str, Any]]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BankRef(_Strict):
    bank: str = Field(min_length=1)
    version: str = Field(min_length=1)

    def __str__(self) -> str:
        return f"{self.bank} {self.version}"


class SplitRule(_Strict):
    when: str | None = Field(default=None, description="expression over the OLD answers; omitted = otherwise")
    code: Target


class Recode(_Strict):
    map: dict[CodeValue, Target] = Field(default_factory=dict)
    split: dict[CodeValue, list[SplitRule]] = Field(default_factory=dict)


class MigrationMap(_Strict):
    from_: BankRef = Field(alias="from")
    to: BankRef
    note: str | None = None
    rename: dict[str, str] = Field(default_factory=dict)
    remove: list[str] = Field(default_factory=list)
    recode: dict[str, Recode] = Field(default_factory=dict)


@dataclass
class MapReport:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


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
    _rules: dict[tuple[str, Any], list[tuple[E.Expr | None, Target]]] = field(default_factory=dict, repr=False)

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
                err(old_id, f"codes {_codes_text(lost)} of {old_id} are not in the new code list of {new_id}: "
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
                err(old_id, f"{code!r} is not a code of {old_id} in {old.version} (codes: {_codes_text(old_codes)})",
                    "recode", old_id, "map", code)
            if target not in new_codes and target not in MISSING_CODES:
                err(old_id, f"{target!r} is not a code of {new_id} in {new.version} (codes: {_codes_text(new_codes)}, or X/N)",
                    "recode", old_id, "map", code)
            if target in MISSING_CODES and target not in b.missing and b.type != "multi":
                warn(old_id, f"{new_id} does not let interviewers code {target}; migrated rows will still hold it",
                     "recode", old_id, "map", code)
        order = [i.id for i in old.items]
        for code, rules in rc.split.items():
            if code not in old_codes:
                err(old_id, f"{code!r} is not a code of {old_id} in {old.version} (codes: {_codes_text(old_codes)})",
                    "recode", old_id, "split", code)
            if code in rc.map:
                err(old_id, f"code {code!r} is both in `map` and in `split`", "recode", old_id, "split", code)
            if not rules:
                err(old_id, f"split of code {code!r} needs at least one rule", "recode", old_id, "split", code)
            compiled: list[tuple[E.Expr | None, Target]] = []
            for ri, rule in enumerate(rules):
                if rule.code not in new_codes and rule.code not in MISSING_CODES:
                    err(old_id, f"{rule.code!r} is not a code of {new_id} in {new.version} (codes: {_codes_text(new_codes)}, "
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
            err(old_id, f"codes {_codes_text(lost)} of {old_id} are not in the new code list of {new_id}: "
                        "map them to a new code or to X", "recode", old_id)

    # ------------------------------------------------------------------ applying

    def apply(self, answers: dict[str, Any]) -> dict[str, Any]:
        """Answers of the old version, keyed and coded as in the new one.

        Accepts the engine's values (MissingCode for X/N), the encoded form
        ({"code": "X"}) or a record body's answers ({id: {"v": ..., "by", "at"}});
        the output uses the same form. Removed items keep their old id."""
        m = self.model
        if any(rc.split for rc in m.recode.values()) and not self._rules:
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
                value = style.rewrap(wrapped, self._recode(old_id, rc, raw, env, style))
            out[m.rename.get(old_id, old_id)] = value
        return out

    def _recode(self, old_id: str, rc: Recode, raw: Any, env: E.Env, style: "_Style") -> Any:
        if style.missing_of(raw) is not None or raw is None:
            return raw
        if isinstance(raw, list):
            mapped = [self._one(old_id, rc, c, env) for c in raw]
            if any(t in MISSING_CODES for t in mapped):
                return style.missing(next(t for t in mapped if t in MISSING_CODES))
            return list(dict.fromkeys(mapped))
        target = self._one(old_id, rc, raw, env)
        return style.missing(target) if target in MISSING_CODES else target

    def _one(self, old_id: str, rc: Recode, code: Any, env: E.Env) -> Any:
        if code in rc.map:
            return rc.map[code]
        if code in rc.split:
            for expr, target in self._rules.get((old_id, code), []):
                if expr is None or E.truth(expr.evaluate(env), E.CHECK) is True:
                    return target
            return "X"
        return code


def _is_map_key(path: tuple[Any, ...], i: int) -> bool:
    """Whether path[i] is a mapping key (recode codes are mapping keys, even ints)."""
    return i >= 1 and path[0] == "recode" and (i == 1 or (i == 3 and path[2] in ("map", "split")))


def _codes_text(codes: Iterable[Any]) -> str:
    return ", ".join(map(str, codes))


def _lost_codes(old: QuestionBank, a: Item, new: QuestionBank, b: Item, mapped: dict[Any, Any]) -> list[Any]:
    ca, cb = old.codes_for(a), new.codes_for(b)
    if ca is None or cb is None:
        return []
    return [c for c in ca.values if c not in mapped and c not in cb.values]


class _Style:
    """The form answers come in: decoded (MissingCode), encoded ({"code"}) and/or wrapped ({"v"})."""

    def __init__(self, encoded: bool, wrapped: bool) -> None:
        self.encoded = encoded
        self.wrapped = wrapped

    @classmethod
    def detect(cls, answers: dict[str, Any]) -> "_Style":
        from ..engine.values import MissingCode

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
        from ..engine.values import MissingCode

        if isinstance(v, MissingCode):
            return v.code
        if isinstance(v, dict) and set(v) == {"code"} and v["code"] in MISSING_CODES:
            return str(v["code"])
        return None

    def missing(self, code: str) -> Any:
        from ..engine.values import MissingCode

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


# ----------------------------------------------------------------------------- loading


def load_map(path: Path | str) -> LoadedMap:
    """Parse a map file; raises BankError with file:line problems."""
    path = Path(path)
    src, problems = read_source(path)
    if src is None:
        raise BankError(problems)
    if not isinstance(src.data, dict):
        raise BankError([Problem(str(path), 1, "-", "a migration map must be a YAML mapping")])
    try:
        model = MigrationMap.model_validate(src.data)
    except ValidationError as exc:
        # the bank loader's messages and lines; a map has no items to name
        raise BankError([Problem(p.file, p.line, "-", p.message) for p in pydantic_problems(src, exc)]) from None
    return LoadedMap(model, path, src, hashlib.sha256(src.raw).hexdigest())


# ----------------------------------------------------------------------------- chains of maps


class Migrator:
    """The `migrate` hook of exports and statistics.

    `migrator(bank_id, version, answers)` returns the answers moved along the
    published maps to the target version of that bank (by default the active
    version of its instrument). Answers of a version with no path of maps to
    the target come back unchanged; `unmapped` collects such versions so a
    report can say so.
    """

    def __init__(self, maps: Iterable[LoadedMap], targets: dict[str, tuple[str, str]],
                 key_of: Callable[[str, str], str | None]) -> None:
        self.edges: dict[tuple[str, str], list[LoadedMap]] = {}
        for m in maps:
            self.edges.setdefault(m.source, []).append(m)
        self.targets = targets
        self.key_of = key_of
        self.unmapped: set[tuple[str, str]] = set()
        self._paths: dict[tuple[str, str], list[LoadedMap] | None] = {}

    def for_versions(self, present: Iterable[tuple[str, str]]) -> "Migrator":
        """The same maps, aimed at the newest of the `present` versions of each
        instrument: an export over some versions never migrates answers to ids
        of a version that has no columns in it."""
        best: dict[str, tuple[str, str]] = {}
        for bank_id, version in present:
            key = self.key_of(bank_id, version)
            if key and (key not in best or version_key(version) > version_key(best[key][1])):
                best[key] = (bank_id, version)
        return Migrator([m for ms in self.edges.values() for m in ms], best, self.key_of)

    def target_for(self, bank_id: str, version: str) -> tuple[str, str] | None:
        key = self.key_of(bank_id, version)
        return self.targets.get(key) if key else None

    def path(self, bank_id: str, version: str) -> list[LoadedMap] | None:
        start = (bank_id, version)
        if start not in self._paths:
            target = self.target_for(bank_id, version)
            self._paths[start] = [] if target in (None, start) else _shortest(self.edges, start, target)
        return self._paths[start]

    def __call__(self, bank_id: str, version: str, answers: dict[str, Any]) -> dict[str, Any]:
        chain = self.path(bank_id, version)
        if chain is None:
            self.unmapped.add((bank_id, version))
            return dict(answers)
        for m in chain:
            answers = m.apply(answers)
        return dict(answers)


def _shortest(edges: dict[tuple[str, str], list[LoadedMap]], start: tuple[str, str],
              goal: tuple[str, str]) -> list[LoadedMap] | None:
    queue: deque[tuple[tuple[str, str], list[LoadedMap]]] = deque([(start, [])])
    seen = {start}
    while queue:
        node, chain = queue.popleft()
        for m in edges.get(node, []):
            nxt = m.target
            if nxt == goal:
                return chain + [m]
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, chain + [m]))
    return None


# ----------------------------------------------------------------------------- suggestions


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
        lines.append(f"  {_yaml_scalar(item.id)}:    # codes changed" + (f"; new codes: {_codes_text(added)}" if added else ""))
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
