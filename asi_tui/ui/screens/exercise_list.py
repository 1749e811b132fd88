"""What the trainee's exercise list and the trainer view share: the bundled
exercises down the left, by title."""

from __future__ import annotations

from typing import ClassVar

from textual.widgets.option_list import Option

from ...training.exercises import Exercise, ExerciseError, bundled_exercises
from ..formatting import shorten
from ..lang import t
from .list_detail import ListDetailScreen


class ExerciseListScreen(ListDetailScreen[None]):
    TITLE_WIDTH: ClassVar[int]  # columns of a title in the list

    def __init__(self) -> None:
        super().__init__()
        self.exercises: list[Exercise] = []

    def load_exercises(self) -> None:
        """Fill the list; a broken exercise file is named in the status line, never a traceback."""
        try:
            self.exercises = list(bundled_exercises())
        except ExerciseError:
            self.set_status(t("train.error.broken_exercises"))
            self.exercises = []
        self.set_options(Option(shorten(e.title(self.lang), self.TITLE_WIDTH), id=e.id) for e in self.exercises)

    def selected_exercise(self) -> Exercise | None:
        index = self.highlighted_index()
        return None if index is None or not self.exercises else self.exercises[index]
