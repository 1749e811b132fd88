"""The trainee's coding exercises: the list, their own attempts and latest score;
start or continue an attempt, or look at the latest scorecard."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.binding import Binding
from textual.widgets import OptionList, Static

from ...store.errors import RecordLocked, StoreError
from ...training.results import practice_bodies, start_attempt, unfinished_attempts
from ...training.scoring import score_attempt
from ..lang import t, tk, tm
from ..navigation import open_exercise, open_scorecard
from .exercise_list import ExerciseListScreen


class ExercisePickerScreen(ExerciseListScreen):
    """The trainee's list of exercises, with their own attempts and latest score."""

    LIST_ID, DETAIL_ID, STATUS_ID = "exercise-list", "exercise-detail", "train-status"
    TITLE_WIDTH = 33
    BINDINGS = [
        Binding("enter", "start", tk("train.ui.key.start"), id="exercise.start"),
        Binding("n", "new", tk("train.ui.key.new"), id="exercise.new"),
        Binding("s", "scorecard", tk("train.ui.key.scorecard"), id="exercise.scorecard"),
        Binding("escape", "back", tk("ui.key.back"), id="exercise.back"),
    ]
    AUTO_FOCUS = "#exercise-list"

    def __init__(self) -> None:
        super().__init__()
        self.mine: dict[str, list[dict[str, Any]]] = {}  # exercise id -> my completed practice bodies, oldest first

    def topbar_text(self) -> str:
        return t("train.ui.picker_title")

    def on_mount(self) -> None:
        self.load_exercises()
        self.refresh_attempts()

    def on_screen_resume(self) -> None:
        self.refresh_attempts()

    def refresh_attempts(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        self.mine = {}
        for body in practice_bodies(session):
            if body.get("interviewer") == session.user.id:
                ex_id = (body.get("meta") or {}).get("exercise")
                if ex_id:
                    self.mine.setdefault(ex_id, []).append(body)
        for bodies in self.mine.values():
            bodies.sort(key=lambda b: b.get("updated") or "")
        self.show_detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_start()

    def show_detail(self) -> None:
        ex = self.selected_exercise()
        if ex is None:
            return
        bodies = self.mine.get(ex.id, [])
        lines = [f"[b]{escape(ex.title(self.lang))}[/b]", t(f"ui.instrument.{ex.bank.id}") + f" {ex.bank.version} · {ex.interview_date.isoformat()}", ""]
        if ex.summary(self.lang):
            lines += [escape(ex.summary(self.lang)), ""]
        if bodies:
            from ...engine.values import decode

            latest = bodies[-1]
            card = score_attempt(ex, {k: decode(v["v"]) for k, v in (latest.get("answers") or {}).items()})
            pct = card.overall.pct or 0.0
            lines.append(t("train.ui.my_attempts", n=len(bodies), pct=f"{pct:.0f}"))
        else:
            lines.append(t("train.ui.no_attempts"))
        session = self.app.session  # type: ignore[attr-defined]
        if unfinished_attempts(session, ex.id):
            lines.append(t("train.ui.unfinished"))
        lines += ["", t("train.ui.picker_hint")]
        self.query_one("#exercise-detail", Static).update("\n".join(lines))

    def action_start(self, new: bool = False) -> None:
        ex = self.selected_exercise()
        if ex is None:
            return
        session = self.app.session  # type: ignore[attr-defined]
        try:
            unfinished = [] if new else unfinished_attempts(session, ex.id)
            handle = session.open_record(unfinished[0]["rid"]) if unfinished else start_attempt(session, ex)
        except RecordLocked as exc:
            self.set_status(tm(exc.key, **exc.params))
            return
        except StoreError as exc:
            self.set_status(tm(exc.key, **exc.params))
            return
        self.set_status("")
        open_exercise(self, handle, ex)

    def action_new(self) -> None:
        self.action_start(new=True)

    def action_scorecard(self) -> None:
        ex = self.selected_exercise()
        bodies = self.mine.get(ex.id, []) if ex else []
        if ex is None or not bodies:
            self.set_status(t("train.ui.no_attempts"))
            return
        session = self.app.session  # type: ignore[attr-defined]
        try:
            handle = session.open_record(bodies[-1]["rid"], readonly=True)
        except StoreError as exc:
            self.set_status(tm(exc.key, **exc.params))
            return
        open_scorecard(self, handle, ex)
