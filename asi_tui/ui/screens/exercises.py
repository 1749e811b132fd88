"""The trainee's coding exercises: the list, their own attempts and latest score;
start or continue an attempt, or look at the latest scorecard."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...store.errors import RecordLocked, StoreError
from ...training.exercises import Exercise, ExerciseError, bundled_exercises
from ...training.results import practice_bodies, start_attempt, unfinished_attempts
from ...training.scoring import score_attempt
from ..formatting import shorten
from ..lang import current, t
from ..navigation import open_exercise, open_scorecard


class ExercisePickerScreen(Screen[None]):
    """The trainee's list of exercises, with their own attempts and latest score."""

    DEFAULT_CSS = """
    ExercisePickerScreen #exercise-list { width: 36; height: 1fr; border: none; border-right: solid $primary; }
    ExercisePickerScreen #exercise-detail { width: 1fr; padding: 0 1; }
    ExercisePickerScreen #train-status { height: auto; padding: 0 1; color: $warning; }
    """
    BINDINGS = [
        Binding("enter", "start", t("train.ui.key.start"), id="exercise.start"),
        Binding("n", "new", t("train.ui.key.new"), id="exercise.new"),
        Binding("s", "scorecard", t("train.ui.key.scorecard"), id="exercise.scorecard"),
        Binding("escape", "back", t("ui.key.back"), id="exercise.back"),
    ]
    AUTO_FOCUS = "#exercise-list"

    def __init__(self) -> None:
        super().__init__()
        self.exercises: list[Exercise] = []
        self.mine: dict[str, list[dict[str, Any]]] = {}  # exercise id -> my completed practice bodies, oldest first
        self.lang = current().lang

    def compose(self) -> ComposeResult:
        yield Static(t("train.ui.picker_title"), id="topbar")
        with Horizontal(id="body"):
            yield OptionList(id="exercise-list")
            yield Static("", id="exercise-detail")
        yield Static("", id="train-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        try:
            self.exercises = list(bundled_exercises())
        except ExerciseError:
            self._status(t("train.error.broken_exercises"))
            self.exercises = []
        olist = self.query_one("#exercise-list", OptionList)
        olist.add_options([Option(shorten(e.title(self.lang), 33), id=e.id) for e in self.exercises])
        if self.exercises:
            olist.highlighted = 0
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
        self._detail()

    def selected(self) -> Exercise | None:
        olist = self.query_one("#exercise-list", OptionList)
        if olist.highlighted is None or not self.exercises:
            return None
        return self.exercises[olist.highlighted]

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._detail()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_start()

    def _detail(self) -> None:
        ex = self.selected()
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

    def _status(self, text: str) -> None:
        self.query_one("#train-status", Static).update(text)

    def action_start(self, new: bool = False) -> None:
        ex = self.selected()
        if ex is None:
            return
        session = self.app.session  # type: ignore[attr-defined]
        try:
            unfinished = [] if new else unfinished_attempts(session, ex.id)
            handle = session.open_record(unfinished[0]["rid"]) if unfinished else start_attempt(session, ex)
        except RecordLocked as exc:
            self._status(t(exc.key, **exc.params))
            return
        except StoreError as exc:
            self._status(t(exc.key, **exc.params))
            return
        self._status("")
        open_exercise(self, handle, ex)

    def action_new(self) -> None:
        self.action_start(new=True)

    def action_scorecard(self) -> None:
        ex = self.selected()
        bodies = self.mine.get(ex.id, []) if ex else []
        if ex is None or not bodies:
            self._status(t("train.ui.no_attempts"))
            return
        session = self.app.session  # type: ignore[attr-defined]
        try:
            handle = session.open_record(bodies[-1]["rid"], readonly=True)
        except StoreError as exc:
            self._status(t(exc.key, **exc.params))
            return
        open_scorecard(self, handle, ex)

    def action_back(self) -> None:
        self.app.pop_screen()
