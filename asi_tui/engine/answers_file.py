"""The answers file: a YAML mapping of item id -> value, X or N.

Shared by `bank simulate` and `record import`.  YAML 1.1 reads an unquoted
`3:06` as the base-60 number 186; an answer like that is a years:months
duration or a clock time here, so base-60 numbers are switched off and such
values stay text for the engine to parse.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml


class AnswersFileError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _AnswersLoader(yaml.SafeLoader):
    pass


_AnswersLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_AnswersLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
_AnswersLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?)$"),
    list("-+0123456789."),
)


def parse_answers(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_AnswersLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise AnswersFileError(f"line {line}: {exc.problem}") from None
    except yaml.YAMLError:
        raise AnswersFileError("bad YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnswersFileError("expected a mapping of item id -> answer")
    return {str(k): v for k, v in data.items()}


def read_answers(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnswersFileError(exc.strerror or "cannot read") from None
    except UnicodeDecodeError:
        raise AnswersFileError("not UTF-8") from None
    return parse_answers(text)
