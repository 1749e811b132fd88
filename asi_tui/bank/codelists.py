"""Shared code lists: where a bank finds them, and reading one (cached by file state)."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..resources import bundled_codes_dir
from .model import CodeList
from .problems import BankError, Problem, pydantic_problems, read_mapping


_CODELIST_CACHE: dict[tuple[str, int, int], tuple[CodeList, bytes]] = {}


def cached_codelist(path: Path) -> tuple[CodeList, bytes]:
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
    src = read_mapping(path, "a code list")
    try:
        codelist = CodeList.model_validate(src.data)
    except ValidationError as exc:
        raise BankError(pydantic_problems(src, exc)) from None
    if codelist.id != path.stem:
        raise BankError(
            [Problem(str(path), src.line_of(("id",)), codelist.id, f"code list id must equal the file name {path.stem!r}")]
        )
    return codelist


def default_codes_dir(bank_path: Path) -> Path:
    """`codes/` beside the bank's instrument folder, else the bundled one."""
    sibling = bank_path.resolve().parent.parent / "codes"
    return sibling if sibling.is_dir() else bundled_codes_dir()
