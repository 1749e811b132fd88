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
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ...training.exercises import Exercise, ExerciseError, bundled_exercises
from ...training.results import add_member, create_group, exercise_results, is_trainer, list_groups, load_attempts, remove_member, result_lines
from ..dialogs.prompt import PromptDialog
from ..formatting import shorten
from ..lang import current, t


RESULTS_WIDTH = 53  # columns of the results pane at 80x24


class TrainerScreen(Screen[None]):
    DEFAULT_CSS = """
    TrainerScreen #trainer-exercises { width: 24; height: 1fr; border: none; border-right: solid $primary; }
    TrainerScreen #trainer-scroll { width: 1fr; height: 1fr; padding: 0 1; }
    TrainerScreen #trainer-status { height: auto; padding: 0 1; color: $warning; }
    """
    BINDINGS = [
        Binding("c", "create_group", t("train.ui.key.create_group"), id="trainer.create"),
        Binding("m", "add_member", t("train.ui.key.add_member"), id="trainer.add"),
        Binding("x", "remove_member", t("train.ui.key.remove_member"), id="trainer.remove"),
        Binding("f", "next_group", t("train.ui.key.filter"), id="trainer.filter"),
        Binding("f5", "refresh", t("ui.key.refresh"), id="trainer.refresh"),
        Binding("ctrl+down", "scroll_results(1)", t("train.ui.key.case_down"), id="trainer.down", show=False),
        Binding("ctrl+up", "scroll_results(-1)", t("train.ui.key.case_up"), id="trainer.up", show=False),
        Binding("escape", "back", t("ui.key.back"), id="trainer.back"),
    ]
    AUTO_FOCUS = "#trainer-exercises"

    def __init__(self) -> None:
        super().__init__()
        self.exercises: list[Exercise] = []
        self.group: str | None = None  # None: every group I may see
        self.lang = current().lang

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("create_group", "add_member", "remove_member", "next_group"):
            session = self.app.session  # type: ignore[attr-defined]
            return session is not None and is_trainer(session)
        return True

    def compose(self) -> ComposeResult:
        yield Static(t("train.ui.trainer_title"), id="topbar")
        with Horizontal(id="body"):
            yield OptionList(id="trainer-exercises")
            with VerticalScroll(id="trainer-scroll", can_focus=False):
                yield Static("", id="trainer-groups")
                yield Static("", id="trainer-results")
        yield Static("", id="trainer-status")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        try:
            self.exercises = list(bundled_exercises())
        except ExerciseError:
            self._status(t("train.error.broken_exercises"))
        olist = self.query_one("#trainer-exercises", OptionList)
        olist.add_options([Option(shorten(e.title(self.lang), 21), id=e.id) for e in self.exercises])
        if self.exercises:
            olist.highlighted = 0
        self.refresh_view()

    def _status(self, text: str) -> None:
        self.query_one("#trainer-status", Static).update(text)

    def _exercise(self) -> Exercise | None:
        olist = self.query_one("#trainer-exercises", OptionList)
        if olist.highlighted is None or not self.exercises:
            return None
        return self.exercises[olist.highlighted]

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self.refresh_view()

    def refresh_view(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        groups = list_groups(session)
        lines = [t("train.ui.groups") + ": " + (", ".join(f"{g.name} ({', '.join(g.members) or '–'})" for g in groups) or "–")]
        if is_trainer(session):
            lines.append(t("train.ui.filter", group=self.group or t("train.ui.all_groups")))
        self.query_one("#trainer-groups", Static).update(escape("\n".join(lines)) + "\n")
        ex = self._exercise()
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
            text = t(exc.key, **exc.params)
        self.app.call_from_thread(self._show_results, exercise.id, text)

    def _show_results(self, exercise_id: str, text: str) -> None:
        ex = self._exercise()
        if ex is not None and ex.id == exercise_id:
            self.query_one("#trainer-results", Static).update(text)

    # ------------------------------------------------------------------ groups

    def _change(self, fn, done_key: str, **params: str) -> None:  # noqa: ANN001
        session = self.app.session  # type: ignore[attr-defined]
        try:
            fn(session, *params.values())
        except StoreError as exc:
            self._status(t(exc.key, **exc.params))
            return
        self._status(t(done_key, **params))
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
                    self._status(t("train.ui.prompt_member_form"))
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

    def action_back(self) -> None:
        self.app.pop_screen()
