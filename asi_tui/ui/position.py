"""Where an interview opens: on the first unanswered item after the last one answered.

Every answer is journalled with the time it was given (`RecordHandle.answer_meta`,
to the second), whatever way the session then ended: Ctrl+S, Ctrl+Q, an idle
lock followed by quitting, a dropped SSH connection or kill -9. So the place
needs no record of its own: it is recomputed from the answers when the record
opens. Of answers given within the same second the one first answered last
counts (`answer_meta` keeps the journal's order of first answers): an item
answered again after going back keeps its old place in that order, so it is
not mistaken for the end of the way. Answers the start form filled in
(`meta.prefilled`, e.g. the contact mode G9) are not the interviewer's place.

The interview clock's end time (`clock_items`) is asked when the interview is
completed, so it is never where an interview resumes.
"""

from __future__ import annotations

from typing import Any

from ..bank.model import Item
from ..engine.values import is_time_item


def clock_items(bank: Any) -> tuple[str | None, str | None]:
    """The items that record when the interview began and ended (ASI's G6 and G7):
    the bank's first two 24-hour clock-time items, in bank order."""
    times = [i.id for i in bank.items if is_time_item(i)]
    return (times[0] if times else None, times[1] if len(times) > 1 else None)


def last_answered(handle: Any) -> Item | None:
    """The flow item answered last, by the journal's timestamps."""
    iv = handle.interview
    prefilled = set((handle.body.get("meta") or {}).get("prefilled", ()))
    journal_order = {item_id: n for n, item_id in enumerate(handle.answer_meta)}
    best: tuple[str, int, str] | None = None
    for item in iv.flow_items():
        at = handle.answer_meta.get(item.id, {}).get("at", "")
        if at and item.id not in prefilled and iv.value(item.id) is not None:
            key = (at, journal_order[item.id], item.id)
            if best is None or key > best:
                best = key
    return iv.bank.by_id[best[2]] if best else None


def resume_item(handle: Any) -> Item | None:
    """The first unanswered flow item after the one answered last; else the first
    unanswered at all; else (all answered) the last item of the flow."""
    iv = handle.interview
    flow = iv.flow_items()
    if not flow:
        return None
    _start, end = clock_items(iv.bank)
    open_items = [i for i in flow if iv.value(i.id) is None and i.id != end]
    last = last_answered(handle)
    if last is not None:
        pos = iv.bank.order[last.id]
        after = [i for i in open_items if iv.bank.order[i.id] > pos]
        if after:
            return after[0]
    return open_items[0] if open_items else flow[-1]
