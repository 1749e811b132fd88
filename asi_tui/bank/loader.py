"""Load a bank from YAML, lint it, and compile it for the engine.

`load_bank` either returns a fully compiled `QuestionBank` or raises
`BankError` listing every problem found (file, line, item, message): a broken
bank never loads halfway.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from pydantic import ValidationError

from .codelists import cached_codelist, default_codes_dir, load_codelist
from .compiled import CompiledAlert, CompiledCheck, QuestionBank
from .lint import lint_and_compile
from .model import DEFAULT_CODELISTS, Bank, CodeList
from .problems import BankError, Problem, pydantic_problems, read_mapping, validation_errors
from .yamlsrc import YamlSource

# Callers import these from the loader, the bank package's front door.
__all__ = [
    "BankError",
    "CompiledAlert",
    "CompiledCheck",
    "Problem",
    "QuestionBank",
    "default_codes_dir",
    "iter_bank_files",
    "load_bank",
    "load_codelist",
    "validate_paths",
    "validation_errors",
]


def load_bank(path: Path | str, codes_dir: Path | None = None) -> QuestionBank:
    path = Path(path)
    src = read_mapping(path, "a bank")
    try:
        model = Bank.model_validate(src.data)
    except ValidationError as exc:
        raise BankError(pydantic_problems(src, exc)) from None

    codes_dir = codes_dir or default_codes_dir(path)
    codelists, used_files, cl_problems = _resolve_codelists(src, model, codes_dir)
    digest = hashlib.sha256(src.raw)
    for name in sorted(used_files):
        digest.update(b"\0codes/" + name.encode() + b"\0")
        digest.update(used_files[name])
    bank = QuestionBank(model=model, path=path, sha256=digest.hexdigest(), codelists=codelists)

    problems = cl_problems + lint_and_compile(bank, src)
    if problems:
        raise BankError(sorted(problems, key=lambda p: (p.file, p.line)))
    return bank


def _resolve_codelists(
    src: YamlSource, model: Bank, codes_dir: Path
) -> tuple[dict[str, CodeList], dict[str, bytes], list[Problem]]:
    codelists: dict[str, CodeList] = {}
    problems: list[Problem] = []
    for i, cl in enumerate(model.codelists):
        if cl.id in codelists:
            problems.append(Problem(str(src.path), src.line_of(("codelists", i)), cl.id, "code list defined twice"))
        codelists[cl.id] = cl
    needed: dict[str, tuple[int, int, str, str]] = {}
    for si, section in enumerate(model.sections):
        for ii, item in enumerate(section.items):
            name = item.codes if isinstance(item.codes, str) else None
            if name is None and item.codes is None:
                name = DEFAULT_CODELISTS.get(item.type)
            for n, field in ((name, "codes"), (item.valid_codes, "valid_codes")):
                if n and n not in codelists:
                    needed.setdefault(n, (si, ii, item.id, field))
    used_files: dict[str, bytes] = {}
    for name, (si, ii, item_id, field) in needed.items():
        file = codes_dir / f"{name}.yaml"
        if not file.is_file():
            problems.append(
                Problem(
                    str(src.path),
                    src.line_of(("sections", si, "items", ii, field)),
                    item_id,
                    f"unknown code list {name!r} (no {file})",
                )
            )
            continue
        try:
            codelists[name], used_files[name] = cached_codelist(file)
        except BankError as exc:
            problems.extend(exc.problems)
    return codelists, used_files, problems


def iter_bank_files(paths: Iterable[Path]) -> Iterable[tuple[str, Path]]:
    """Yield ("bank" | "codes", file) for every YAML file under the given paths."""
    for p in paths:
        p = Path(p)
        files = sorted(p.rglob("*.yaml")) + sorted(p.rglob("*.yml")) if p.is_dir() else [p]
        for f in files:
            kind = "codes" if f.parent.name == "codes" else "exercise" if "exercises" in f.parts else "bank"
            yield kind, f


def validate_paths(paths: Iterable[Path]) -> tuple[list[QuestionBank], list[Problem]]:
    """Validate every bank and code list under `paths`; collect all problems.

    Exercise files (under an `exercises/` folder) are left to the training
    package, which checks them against these banks
    (`training.exercises.validate_banks_and_exercises`).
    """
    banks: list[QuestionBank] = []
    problems: list[Problem] = []
    for kind, f in iter_bank_files(paths):
        if not f.exists():
            problems.append(Problem(str(f), 1, "-", "no such file or directory"))
            continue
        try:
            if kind == "codes":
                load_codelist(f)
            elif kind == "bank":
                banks.append(load_bank(f))
        except BankError as exc:
            problems.extend(exc.problems)
    return banks, problems
