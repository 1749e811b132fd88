"""The texts of the interview screen, as plain functions of what the engine says:
the code table, the hint under the answer, the echo of a typed value, the
section list. Nothing here is cut off: long labels wrap at the width given.
"""

from __future__ import annotations

import textwrap
from functools import lru_cache
from typing import Any, Sequence

from rich.cells import cell_len

from ..bank.compiled import QuestionBank
from ..bank.model import Code, Item
from ..engine.interview import Interview
from ..engine.values import YM_BARE_REFUSED, Invalid, MissingCode, is_time_item, parse_time, parse_years_months
from .lang import esc, t


def numbered(codes: Sequence[Code]) -> bool:
    """Text codes (like `declined`) are chosen by their position, 1-9."""
    return bool(codes) and all(isinstance(c.code, str) for c in codes) and len(codes) <= 9


@lru_cache(maxsize=4096)
def _wrap(text: str, width: int) -> tuple[str, ...]:
    return tuple(textwrap.wrap(text, max(width, 8), break_on_hyphens=False)) or ("",)


@lru_cache(maxsize=256)
def code_table(codes: tuple[Code, ...], lang: str, width: int) -> str:
    """Every code with its whole label, never cut ("…"): two columns when the list
    is long and every label fits in one; else one column whose long labels wrap
    under themselves. A list longer than the pane scrolls (Ctrl+↓/↑)."""
    if numbered(codes):
        rows = [(str(n), c.label.get(lang)) for n, c in enumerate(codes, 1)]
    else:
        rows = [(str(c.code), c.label.get(lang)) for c in codes]
    key_w = max(cell_len(code) for code, _ in rows)
    col_w = (width - 2) // 2
    if len(rows) > 6 and all(key_w + 1 + cell_len(label) <= col_w for _, label in rows):
        half = (len(rows) + 1) // 2
        lines = []
        for i in range(half):
            code, label = rows[i]
            line = f"[b]{code:>{key_w}}[/b] {esc(label)}" + " " * (col_w - key_w - 1 - cell_len(label) + 2)
            if i + half < len(rows):
                code, label = rows[i + half]
                line += f"[b]{code:>{key_w}}[/b] {esc(label)}"
            lines.append(line.rstrip())
        return "\n".join(lines)
    lines = []
    for code, label in rows:
        parts = _wrap(label, width - key_w - 1)
        lines.append(f"[b]{code:>{key_w}}[/b] {esc(parts[0])}")
        lines.extend(" " * (key_w + 1) + esc(p) for p in parts[1:])
    return "\n".join(lines)


def hint(item: Item, interview: Interview, allowed: set[str]) -> str:
    """What may be typed, in the UI language: the range and unit, or the form of the answer."""
    parts = []
    rng = item.value_range
    if item.type == "years_months":
        parts.append(t("ui.hint.years_months"))
    elif rng is not None:
        hi = rng[1]
        w = interview.window(item)
        if item.type == "days" and w is not None and w.days is not None:
            hi = min(hi, w.days)
        parts.append(f"{rng[0]}–{hi}" + (f" {t('ui.unit.' + item.unit)}" if item.unit else ""))
    elif item.type == "date":
        parts.append(t("ui.hint.date"))
    elif item.type == "multi":
        parts.append(t("ui.hint.multi"))
    elif is_time_item(item):
        parts.append(t("ui.hint.time"))
    elif item.type == "text":
        parts.append(t("ui.hint.pattern") if item.pattern else t("ui.hint.text"))
    if "X" in allowed:
        parts.append(t("ui.hint.x"))
    if "N" in allowed:
        parts.append(t("ui.hint.n"))
    if item.critical:
        parts.append(t("ui.hint.critical"))
    return " · ".join(parts)


# ---------------------------------------------------------------------- values in words


def duration_words(months: int) -> str:
    """`42` -> "3 år 6 mån" / "3 years 6 months"."""
    years, rest = divmod(months, 12)
    y = t("ui.echo.year_one" if years == 1 else "ui.echo.years", n=years)
    m = t("ui.echo.month_one" if rest == 1 else "ui.echo.months", n=rest)
    if years and rest:
        return f"{y} {m}"
    return y if years else m


def number_words(value: int, unit: str | None) -> str:
    """`250100`, sek -> "250 100 kr": digits grouped as the UI language groups them."""
    grouped = f"{value:,}".replace(",", t("ui.echo.thousands"))
    return f"{grouped} {t('ui.unit.' + unit)}" if unit else grouped


def shown_value(item: Item, value: object, codes: Sequence[Code] | None, lang: str) -> str:
    """A stored value as the interviewer reads it back, in the UI language."""
    if value is None:
        return ""
    if isinstance(value, MissingCode):
        return t(f"ui.echo.missing_{value.code}")
    if item.type == "years_months" and isinstance(value, int):
        return duration_words(value)
    if item.type in ("count", "days", "money") and isinstance(value, int):
        return number_words(value, item.unit or ("sek" if item.type == "money" else "days" if item.type == "days" else None))
    if codes is not None and not isinstance(value, list):
        label = next((c.label.get(lang) for c in codes if c.code == value), None)
        return f"{value} {label}" if label else str(value)
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def echo(item: Item, raw: str, codes: Sequence[Code] | None, lang: str) -> str:
    """The value being typed, read back in words ("= 3 år 6 mån") before Enter stores it;
    empty while the input is incomplete or is a plain number or text that reads as itself."""
    text = raw.strip()
    if not text:
        return ""
    if text.upper() in ("X", "N") and item.type not in ("text", "comment"):
        return "= " + t(f"ui.echo.missing_{text.upper()}")
    try:
        if item.type == "years_months":
            return "= " + duration_words(parse_years_months(text, bare=YM_BARE_REFUSED))
        if is_time_item(item):
            return "= " + t("ui.echo.time", time=parse_time(text))
    except Invalid:
        return ""
    if item.type in ("count", "days", "money") and text.isdigit() and len(text) > 3:
        return "= " + shown_value(item, int(text), None, lang)
    if codes is not None and item.type != "multi":
        chosen: Any = int(text) if text.isdigit() else text
        if numbered(codes) and text.isdigit() and 1 <= int(text) <= len(codes):
            chosen = codes[int(text) - 1].code
        label = next((c.label.get(lang) for c in codes if c.code == chosen), None)
        return "= " + label if label else ""
    return ""


# ---------------------------------------------------------------------- the section list


@lru_cache(maxsize=64)
def _title_lines(title: str, width: int) -> tuple[str, ...]:
    """A section title wrapped for the panel (the bank's text: no markup to escape)."""
    return _wrap(title, width - 1)


def progress_lines(bank: QuestionBank, interview: Interview, current: str, width: int, lang: str) -> tuple[list[str], int, int]:
    """The sections with answered/asked counts; a title too long for the panel wraps,
    its count goes to the right of the last line or under it. Returns (lines, answered, total)."""
    lines: list[str] = []
    answered = total = 0
    visible, value = interview.is_visible, interview.value
    for s in bank.sections:
        items = [i for i in s.items if visible(i.id) and i.type not in ("comment", "interviewer_rating")]
        done = sum(1 for i in items if value(i.id) is not None)
        answered += done
        total += len(items)
        count = f"{done}/{len(items)}"
        parts = _title_lines(s.title.get(lang), width)
        lines.append(("▸" if s.id == current else " ") + parts[0])
        lines.extend(" " + p for p in parts[1:])
        room = width - len(parts[-1]) - 2
        if len(count) <= room:
            lines[-1] += " " * (room - len(count) + 1) + count
        else:
            lines.append(count.rjust(width))
    return lines, answered, total
