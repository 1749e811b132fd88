"""Small text helpers shared by screens (kept here so screens need not import one another)."""

from __future__ import annotations

from ..bank.model import Item
from ..engine.values import MissingCode, format_years_months


def format_value(item: Item, value: object) -> str:
    """An answer as the interviewer typed it: `X`/`N`, `1:05` for years and months, `1,3` for several codes."""
    if value is None:
        return ""
    if isinstance(value, MissingCode):
        return value.code
    if item.type == "years_months" and isinstance(value, int):
        return format_years_months(value)
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def shorten(text: str, width: int) -> str:
    """`text` in at most `width` columns, with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"
