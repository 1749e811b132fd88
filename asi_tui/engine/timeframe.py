"""Concrete calendar windows for ASI time frames, anchored on the interview date."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from ..i18n import Translator

FOLLOWUP_MAX_AGE_DAYS = 730  # a Grund older than about two years: a new Grund is due


def add_months(d: date, months: int) -> date:
    """`d` moved by whole calendar months, clamped to the month's last day."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


@dataclass(frozen=True)
class Window:
    """Dates covered by a time frame; `start` None means open (lifetime)."""

    kind: str
    start: date | None
    end: date

    @property
    def days(self) -> int | None:
        if self.start is None:
            return None
        return (self.end - self.start).days + 1


def window_for(kind: str, interview_date: date, linked_date: date | None = None) -> Window:
    d = interview_date
    if kind == "30d":
        return Window(kind, d - timedelta(days=30), d - timedelta(days=1))
    if kind == "6m":
        return Window(kind, add_months(d, -6), d - timedelta(days=1))
    if kind == "3y":
        return Window(kind, add_months(d, -36), d - timedelta(days=1))
    if kind == "since_last":
        if linked_date is None:
            raise ValueError("'since_last' needs the date of the linked interview")
        return Window(kind, linked_date + timedelta(days=1), d)
    if kind == "current":
        return Window(kind, d, d)
    if kind == "lifetime":
        return Window(kind, None, d)
    raise ValueError(f"unknown time frame {kind!r}")


def months_up(start: date, end: date) -> int:
    """Calendar months from `start` to `end`, a begun month counting as a whole one
    (10 Jan -> 25 Jul is 7): the banks round two weeks or more up to a month, so a
    bound in whole months must never be stricter than that."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months + (1 if add_months(start, months) < end else 0)


def since_last_limit(item_type: str, unit: str | None, window: Window) -> tuple[int, str] | None:
    """The largest value a `since_last` number can take in `window`, in the item's
    own unit, with that unit's name; None for numbers the window does not bound.

    * durations (years:months, or counts of days, months or years) cannot be
      longer than the time since the last interview;
    * counts of events (`times`): one a week on average is the plausible most
      (a bank marks these `window_bound: soft`).
    """
    if window.kind != "since_last" or window.start is None:
        return None
    days = window.days or 0
    months = months_up(window.start - timedelta(days=1), window.end)
    if item_type == "years_months" or (item_type == "count" and unit == "months"):
        return months, "months"
    if item_type == "days" or (item_type == "count" and unit == "days"):
        return days, "days"
    if item_type == "count" and unit == "years":
        return -(-months // 12), "years"
    if item_type == "count" and unit == "times":
        return -(-days // 7), "times"
    return None


def format_day(d: date, t: Translator, with_year: bool = True) -> str:
    month = t(f"month.{d.month}")
    return f"{d.day} {month} {d.year}" if with_year else f"{d.day} {month}"


def format_window(w: Window, t: Translator) -> str:
    """E.g. "senaste 30 dagarna: 24 okt – 22 nov 2026"."""
    name = t(f"timeframe.{w.kind}")
    if w.start is None:
        return f"{name} ({t('timeframe.until')} {format_day(w.end, t)})"
    if w.start == w.end:
        return f"{name}: {format_day(w.end, t)}"
    same_year = w.start.year == w.end.year
    return f"{name}: {format_day(w.start, t, with_year=not same_year)} – {format_day(w.end, t)}"
