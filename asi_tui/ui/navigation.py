"""How one screen opens another without importing it.

A screen calls e.g. `open_feedback(self, handle)`; the app builds the screen
(`AsiApp.open_screen`, with the classes named in `routes.py`, which imports
each screen's module when it is first opened). So screens import neither each other nor the app,
and there are no import cycles among them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Protocol, cast

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from ..store import RecordHandle
    from ..store.chain import ChainEntry
    from ..training.exercises import Exercise

Callback = Callable[[Any], None]


class Navigator(Protocol):
    """What the app offers screens: open a route by name (`routes.ROUTES`)."""

    def open_screen(self, route: str, /, *, replace: bool = False, callback: Callback | None = None, **params: Any) -> None: ...


def _open(node: DOMNode, route: str, /, *, replace: bool = False, callback: Callback | None = None, **params: Any) -> None:
    cast(Navigator, node.app).open_screen(route, replace=replace, callback=callback, **params)


# ---------------------------------------------------------------------- interviews


def open_interview(node: DOMNode, handle: RecordHandle, *, owns_record: bool = True) -> None:
    """The interview screen; `owns_record=False` when the screen below keeps the record open."""
    _open(node, "interview", handle=handle, owns_record=owns_record)


def open_feedback(node: DOMNode, handle: RecordHandle, *, replace: bool = False) -> None:
    """The Återkoppling of a completed interview (`replace`: instead of the current screen)."""
    _open(node, "feedback", replace=replace, handle=handle)


def open_change(node: DOMNode, entries: list[ChainEntry], client_ref: str) -> None:
    """The client's change view over a chain of two or more interviews."""
    _open(node, "change", entries=entries, client_ref=client_ref)


def open_ratings(node: DOMNode, handle: RecordHandle, callback: Callback | None = None) -> None:
    _open(node, "ratings", callback=callback, handle=handle)


def open_review(node: DOMNode, handle: RecordHandle, callback: Callback | None = None) -> None:
    """The review before completing; `callback` gets "item:<id>", "ratings", "completed" or None."""
    _open(node, "review", callback=callback, handle=handle)


def open_new_interview(node: DOMNode, callback: Callback, *, followup_of: str | None = None, dropout: bool = False) -> None:
    """The start form; `callback` gets the new record's handle, or None when cancelled."""
    _open(node, "new_interview", callback=callback, followup_of=followup_of, dropout=dropout)


# ---------------------------------------------------------------------- training


def open_exercises(node: DOMNode) -> None:
    _open(node, "exercises")


def open_exercise(
    node: DOMNode, handle: RecordHandle, exercise: Exercise, *, review_item: str | None = None, owns_handle: bool = True
) -> None:
    """Code a case; with `review_item`, look at one item of a finished attempt beside the key."""
    _open(node, "exercise", handle=handle, exercise=exercise, review_item=review_item, owns_handle=owns_handle)


def open_scorecard(node: DOMNode, handle: RecordHandle, exercise: Exercise, *, replace: bool = False) -> None:
    _open(node, "scorecard", replace=replace, handle=handle, exercise=exercise)


def open_trainer(node: DOMNode) -> None:
    _open(node, "trainer")


# ---------------------------------------------------------------------- managers and admins


def open_statistics(node: DOMNode) -> None:
    _open(node, "statistics")


def open_admin(node: DOMNode) -> None:
    _open(node, "admin")


def open_audit(node: DOMNode) -> None:
    _open(node, "audit")


def open_bank_versions(node: DOMNode) -> None:
    _open(node, "bank_versions")


def open_units(node: DOMNode) -> None:
    _open(node, "units")
