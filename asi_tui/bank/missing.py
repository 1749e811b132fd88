"""The ASI missing codes: X (not answered) and N (not applicable).

Part of the bank format (an item's `missing` says which it allows); answers,
migrations and reports hold them as these two singletons.
"""

from __future__ import annotations

from typing import Any


class MissingCode:
    """X (not answered: does not know / will not say) or N (not applicable)."""

    __slots__ = ("code",)
    _instances: dict[str, "MissingCode"] = {}

    def __new__(cls, code: str) -> "MissingCode":
        inst = cls._instances.get(code)
        if inst is None:
            inst = super().__new__(cls)
            inst.code = code
            cls._instances[code] = inst
        return inst

    def __repr__(self) -> str:
        return self.code

    def __str__(self) -> str:
        return self.code

    def __reduce__(self) -> tuple[Any, ...]:
        return (MissingCode, (self.code,))


X = MissingCode("X")
N = MissingCode("N")
