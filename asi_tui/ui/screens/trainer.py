"""The trainer's view: per exercise, the attempts of the trainees in their groups
(items most often miscoded, weighted kappa per trainee, ICC across trainees,
progress over repeated attempts), and the training groups.

The figures are the same lines `asi-tui train results` prints. Roles are
enforced in `training.results`: a trainee who opens this screen sees only
their own attempts and cannot change groups.
"""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ...store.errors import StoreError
from ...training.exercises import Exercise
from ...training.results import add_member, create_group, exercise_results, is_trainer, list_groups, load_attempts, remove_member, result_lines
from ..dialogs.prompt import PromptDialog
from ..lang import current, t, tk, tm
from .exercise_list import ExerciseListScreen


RESULTS_WIDTH = 53  # columns of the results pane at 80x24


class TrainerScreen(ExerciseListScreen):
    LIST_ID, DETAIL_ID, STATUS_ID = "trainer-exercises", "trainer-scroll", "trainer-status"
    TITLE_WIDTH = 21
    BINDINGS = [
        Binding("c", "create_group", tk("train.ui.key.create_group"), id="trainer.create"),
        Binding("m", "add_member", tk("train.ui.key.add_member"), id="trainer.add"),
        Binding("x", "remove_member", tk("train.ui.key.remove_member"), id="trainer.remove"),
        Binding("f", "next_group", tk("train.ui.key.filter"), id="trainer.filter"),
        Binding("f5", "refresh", tk("ui.key.refresh"), id="trainer.refresh"),
        Binding("ctrl+down", "scroll_results(1)", tk("train.ui.key.case_down"), id="trainer.down", show=False),
        Binding("ctrl+up", "scroll_results(-1)", tk("train.ui.key.case_up"), id="trainer.up", show=False),
        Binding("escape", "back", tk("ui.key.back"), id="trainer.back"),
    ]
    AUTO_FOCUS = "#trainer-exercises"

    def __init__(self) -> None:
        super().__init__()
        self.group: str | None = None  # None: every group I may see

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("create_group", "add_member", "remove_member", "next_group"):
            session = self.app.session  # type: ignore[attr-defined]
            return session is not None and is_trainer(session)
        return True

    def topbar_text(self) -> str:
        return t("train.ui.trainer_title")

    def detail_pane(self) -> Widget:
        return VerticalScroll(Static("", id="trainer-groups"), Static("", id="trainer-results"), id=self.DETAIL_ID, can_focus=False)

    def on_mount(self) -> None:
        self.load_exercises()
        self.refresh_view()

    def show_detail(self) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        groups = list_groups(session)
        lines = [t("train.ui.groups") + ": " + (", ".join(f"{g.name} ({', '.join(g.members) or '–'})" for g in groups) or "–")]
        if is_trainer(session):
            lines.append(t("train.ui.filter", group=self.group or t("train.ui.all_groups")))
        self.query_one("#trainer-groups", Static).update(escape("\n".join(lines)) + "\n")
        ex = self.selected_exercise()
        if ex is None:
            return
        self.query_one("#trainer-results", Static).update(t("train.ui.loading"))
        self._load(ex, self.group)

    @work(thread=True, exclusive=True, group="trainer-results")
    def _load(self, exercise: Exercise, group: str | None) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        try:
            results = exercise_results(exercise, load_attempts(session, exercise, group))
            session.log("train-results", detail={"exercise": exercise.id, "group": group, "attempts": len(results.attempts)})
            text = escape("\n".join(result_lines(results, current(), width=RESULTS_WIDTH)))
        except StoreError as exc:
            text = tm(exc.key, **exc.params)
        self.app.call_from_thread(self._show_results, exercise.id, text)

    def _show_results(self, exercise_id: str, text: str) -> None:
        ex = self.selected_exercise()
        if ex is not None and ex.id == exercise_id:
            self.query_one("#trainer-results", Static).update(text)

    # ------------------------------------------------------------------ groups

    def _change(self, fn, done_key: str, **params: str) -> None:  # noqa: ANN001
        session = self.app.session  # type: ignore[attr-defined]
        try:
            fn(session, *params.values())
        except StoreError as exc:
            self.set_status(tm(exc.key, **exc.params))
            return
        self.set_status(tm(done_key, **params))
        self.refresh_view()

    def action_create_group(self) -> None:
        def done(name: str | None) -> None:
            if name:
                self._change(create_group, "train.group.created", group=name)

        self.app.push_screen(PromptDialog(t("train.ui.prompt_group"), "kurs-1"), callback=done)

    def _member_change(self, fn, done_key: str, title_key: str) -> None:  # noqa: ANN001
        def done(value: str | None) -> None:
            parts = (value or "").split()
            if len(parts) != 2:
                if value:
                    self.set_status(t("train.ui.prompt_member_form"))
                return
            self._change(fn, done_key, group=parts[0], user=parts[1])

        self.app.push_screen(PromptDialog(t(title_key), t("train.ui.prompt_member_hint")), callback=done)

    def action_add_member(self) -> None:
        self._member_change(add_member, "train.group.added", "train.ui.prompt_add")

    def action_remove_member(self) -> None:
        self._member_change(remove_member, "train.group.removed", "train.ui.prompt_remove")

    def action_next_group(self) -> None:
        names = [None, *(g.name for g in list_groups(self.app.session))]  # type: ignore[attr-defined]
        self.group = names[(names.index(self.group) + 1) % len(names)] if self.group in names else None
        self.refresh_view()

    def action_refresh(self) -> None:
        self.refresh_view()

    def action_scroll_results(self, step: int) -> None:
        scroll = self.query_one("#trainer-scroll", VerticalScroll)
        scroll.scroll_down(animate=False) if step > 0 else scroll.scroll_up(animate=False)
