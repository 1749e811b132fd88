"""YAML reading that remembers where each value came from.

PyYAML's safe loader gives plain data; we also compose the node tree to map
every path (``("sections", 2, "items", 5, "range")``) to its 1-based line and
to catch duplicate mapping keys, which PyYAML silently overwrites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[Any, ...]

# libyaml's C parser when available: about ten times faster on a full bank
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceProblem:
    line: int
    message: str
    path: Path_ = ()


@dataclass
class YamlSource:
    path: Path
    data: Any
    raw: bytes
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """Line of the longest prefix of `path` that exists (1 if none)."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


class YamlReadError(Exception):
    def __init__(self, problems: list[SourceProblem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[SourceProblem]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else repr(key_node)
            line = key_node.start_mark.line + 1
            if key == "<<":
                problems.append(SourceProblem(line, "YAML merge keys (<<) are not allowed in banks", path))
                continue
            if key in seen:
                problems.append(
                    SourceProblem(line, f"key {key!r} appears twice (first on line {seen[key]})", path + (key,))
                )
                continue
            seen[key] = line
            _walk(value_node, path + (key,), lines, problems)
            lines[path + (key,)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _walk(child, path + (i,), lines, problems)


def read_yaml(path: Path) -> YamlSource:
    """Read and parse `path`; raises YamlReadError with line numbers."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise YamlReadError([SourceProblem(1, f"cannot read file: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise YamlReadError([SourceProblem(line, "file is not valid UTF-8")]) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        raise YamlReadError([SourceProblem(line, f"bad YAML: {what}")]) from None
    except yaml.YAMLError as exc:
        raise YamlReadError([SourceProblem(1, f"bad YAML: {exc}")]) from None
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {}
    problems: list[SourceProblem] = []
    if node is not None:
        _walk(node, (), lines, problems)
    if problems:
        raise YamlReadError(problems)
    return YamlSource(path=path, data=data, raw=raw, lines=lines)
