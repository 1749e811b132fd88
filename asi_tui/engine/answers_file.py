"""The answers file: a YAML mapping of item id -> value, X or N.

Shared by `bank simulate` and `record import`.  YAML 1.1 reads an unquoted
`3:06` as the base-60 number 186; an answer like that is a years:months
duration or a clock time here, so base-60 numbers are switched off and such
values stay text for the engine to parse.

The file is hostile input (it may come from anywhere), so reading it is
bounded before anything is stored (limits in `limits.py`): only a regular
file of at most 1 MiB is read (never a FIFO or `/dev/zero`), anchors and
aliases are refused (an alias bomb expands to gigabytes), as are nesting
deeper than an answer needs, integers longer than any answer, dates that do
not exist (`2026-02-30`), timestamps and item ids given twice. Every refusal
is an `AnswersFileError` with a locale key and its line.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from .limits import ANSWERS_FILE_MAX_BYTES, ANSWERS_MAX_DEPTH, NUMBER_MAX_DIGITS

ITEM_ID_MAX = 100


class AnswersFileError(Exception):
    """Why an answers file cannot be used: a locale key (`error.answers.*`) and its params."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


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


def _line(node_or_event: Any) -> int:
    mark = getattr(node_or_event, "start_mark", None)
    return mark.line + 1 if mark is not None else 1


class _BoundedLoader(_AnswersLoader):
    """`_AnswersLoader` that refuses what an answers file never needs."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise AnswersFileError("error.answers.alias", line=_line(event))
        self._depth += 1
        try:
            if self._depth > ANSWERS_MAX_DEPTH:
                raise AnswersFileError("error.answers.too_deep", line=_line(event), max=ANSWERS_MAX_DEPTH)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[str] = set()
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if len(key_node.value) > ITEM_ID_MAX:
                    raise AnswersFileError("error.answers.key_too_long", line=_line(key_node), max=ITEM_ID_MAX)
                if key_node.value in seen:
                    raise AnswersFileError("error.answers.duplicate", line=_line(key_node), item=key_node.value)
                seen.add(key_node.value)
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: Any) -> int:
        digits = node.value.replace("_", "").lstrip("+-")
        if len(digits) > NUMBER_MAX_DIGITS:
            raise AnswersFileError("error.answers.big_number", line=_line(node), max=NUMBER_MAX_DIGITS)
        if digits.isdigit():  # "010" is ten days on a paper form, not YAML 1.1's octal eight
            return int(node.value.replace("_", ""))
        return super().construct_yaml_int(node)

    def construct_yaml_timestamp(self, node: Any) -> Any:
        match = self.timestamp_regexp.match(node.value)
        if match is None or match.group("hour"):
            raise AnswersFileError("error.answers.timestamp", line=_line(node), value=node.value)
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise AnswersFileError("error.answers.bad_date", line=_line(node), value=node.value) from None


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)
_BoundedLoader.add_constructor("tag:yaml.org,2002:timestamp", _BoundedLoader.construct_yaml_timestamp)


def parse_answers(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        raise AnswersFileError("error.answers.yaml", line=line, problem=exc.problem or exc.context or "") from None
    except yaml.reader.ReaderError as exc:  # e.g. a control character
        line = text.count("\n", 0, exc.position) + 1
        raise AnswersFileError("error.answers.character", line=line) from None
    except (yaml.YAMLError, RecursionError, ValueError):
        raise AnswersFileError("error.answers.bad_yaml") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise AnswersFileError("error.answers.not_mapping")
    return {str(k): v for k, v in data.items()}


def read_bounded(path: Path, max_bytes: int = ANSWERS_FILE_MAX_BYTES, nofollow: bool = False) -> bytes:
    """The bytes of the regular file at `path`, at most `max_bytes`, checked
    before a byte is read (a FIFO would block, `/dev/zero` never ends);
    `nofollow`: a symlink is refused, not followed."""
    try:
        st = os.lstat(path) if nofollow else os.stat(path)
        if stat.S_ISLNK(st.st_mode):
            raise AnswersFileError("error.answers.symlink")
        if not stat.S_ISREG(st.st_mode):
            raise AnswersFileError("error.answers.not_a_file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | (os.O_NOFOLLOW if nofollow else 0))
    except OSError as exc:
        raise AnswersFileError("error.answers.unreadable", reason=exc.strerror or "") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for something else since the check
            raise AnswersFileError("error.answers.not_a_file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise AnswersFileError("error.answers.unreadable", reason=exc.strerror or "") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise AnswersFileError("error.answers.too_big", max=max_bytes // 1024)
    return raw


def read_answers(path: Path, nofollow: bool = False, strip_bom: bool = False) -> dict[str, Any]:
    """Parse the answers file at `path`: a regular file of at most
    ANSWERS_FILE_MAX_BYTES (`read_bounded`). A batch import also skips a
    UTF-8 byte-order mark (`strip_bom`) and refuses symlinks (`nofollow`)."""
    raw = read_bounded(path, ANSWERS_FILE_MAX_BYTES, nofollow)
    if strip_bom and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersFileError("error.answers.not_utf8") from None
    return parse_answers(text)
