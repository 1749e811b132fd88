"""The migration map file format (pydantic) and the report of validating one."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Union

from pydantic import BaseModel, ConfigDict, Field

from .. import expr as E
from ..model import CodeValue
from ..problems import Problem

MISSING_CODES = ("X", "N")
Target = Union[int, str]  # a new code, or "X" / "N"
Migrate = Callable[[str, str, dict[str, Any]], dict[str, Any]]
# (old item id, old code) -> its split rules, compiled: (condition or None for "otherwise", new code)
SplitRules = dict[tuple[str, Any], list[tuple[Union[E.Expr, None], Target]]]


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
