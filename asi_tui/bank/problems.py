"""What is wrong with a bank-like YAML file: problems with file, line and item.

Shared by the bank loader, the linter, migration maps and exercises, so each
reads its file and words pydantic's errors the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pydantic import ValidationError

from .model import Bank, CodeList, Item, Section
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


def pydantic_problems(src: YamlSource, exc: ValidationError) -> list[Problem]:
    """Pydantic errors of a bank-like file, each with its line and the item it is in."""
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


def read_source(path: Path) -> tuple[YamlSource | None, list[Problem]]:
    """`read_yaml`, with what stops it as problems (then no source)."""
    try:
        return read_yaml(path), []
    except YamlReadError as exc:
        return None, [Problem(str(path), p.line, "-", p.message) for p in exc.problems]


def read_mapping(path: Path, what: str) -> YamlSource:
    """A YAML file whose top level must be a mapping (`what`: "a bank", ...); raises BankError."""
    src, problems = read_source(path)
    if src is None:
        raise BankError(problems)
    if not isinstance(src.data, dict):
        raise BankError([Problem(str(path), 1, "-", f"{what} must be a YAML mapping")])
    return src
