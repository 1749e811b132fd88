"""An admin's stated reason for opening another person's client record (it
goes into the audit log with the opening; the store refuses without one)."""

from __future__ import annotations

from typing import Any, Callable

from textual.dom import DOMNode

from ...store.errors import NotAuthorized
from ..lang import t, tm
from .base import InputDialog

REASON_REQUIRED = "store.access.reason_required"


class ReasonDialog(InputDialog):
    INPUT_ID = "reason-input"
    MAX_LENGTH = 500
    AUTO_FOCUS = "#reason-input"


def open_asking_reason(node: DOMNode, session: Any, rid: str, readonly: bool, then: Callable[[Any], None]) -> None:
    """`session.open_record`; when the store asks for a reason, ask for one and try
    again. `then` gets the handle; a refusal or a cancelled dialog is notified."""
    try:
        then(session.open_record(rid, readonly=readonly))
        return
    except NotAuthorized as exc:
        if exc.key != REASON_REQUIRED:
            raise

    def answered(reason: str | None) -> None:
        if not reason:
            node.app.notify(t(REASON_REQUIRED), severity="warning")
            return
        try:
            then(session.open_record(rid, readonly=readonly, reason=reason))
        except NotAuthorized as exc:
            node.app.notify(tm(exc.key, **exc.params), severity="error", timeout=10)

    node.app.push_screen(ReasonDialog(t("ui.units.reason_title"), t("ui.units.reason_hint")), callback=answered)
