"""A coding exercise: the written case coded in the same interview screen as a
real interview, with the case text beside the item (the list of exercises is
`exercises.ExercisePickerScreen`).

Practice records are created by `training.results.start_attempt` (practice=True,
client "övning:<id>"): the store lets uncertified interviewers create them, the
home screen and every report of client data leave them out.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from ...bank.model import Item
from ...store import RecordHandle
from ...training.exercises import Exercise
from ...training.scoring import display_value
from ..lang import t, tk
from ..navigation import open_scorecard
from .interview import InterviewScreen


class TrainingInterviewScreen(InterviewScreen):
    """The interview screen of a real interview, with the case text in a panel.

    F4 switches the left panel between the case text (the transcript excerpt
    for the item, then the narrative of the item's section) and the usual
    section list. Ctrl+Up / Ctrl+Down scroll the case text while the answer
    field keeps the focus. With `review_item` (from the scorecard) the record
    is read-only and the panel starts with the key's value and explanation.
    """

    BINDINGS = [
        Binding("f4", "toggle_case", tk("train.ui.key.case"), id="exercise.case", show=False),  # named in the top bar: the footer is full at 80 columns
        Binding("ctrl+down", "case_scroll(1)", tk("train.ui.key.case_down"), id="exercise.case_down", show=False),
        Binding("ctrl+up", "case_scroll(-1)", tk("train.ui.key.case_up"), id="exercise.case_up", show=False),
    ]

    def __init__(self, handle: RecordHandle, exercise: Exercise, review_item: str | None = None, owns_handle: bool = True) -> None:
        super().__init__(handle)
        self.exercise = exercise
        self.review_item = review_item
        self.owns_handle = owns_handle
        self.case_shown = True

    async def _on_mount(self, _event: object) -> None:
        """Runs before InterviewScreen.on_mount (Textual calls the handlers of every
        class in the MRO, subclass first): the case panel exists when the first item is shown."""
        await self.query_one("#body", Horizontal).mount(
            VerticalScroll(Static("", id="case-text"), id="case-panel", can_focus=False), before="#item-pane"
        )
        self.query_one("#sections").display = False
        if self.review_item and self.review_item in self.bank.by_id:
            self.call_after_refresh(self._show_review_item)

    def _show_review_item(self) -> None:
        """From the scorecard: the item even if the trainee's answers hid it."""
        self.show(self.bank.by_id[self.review_item or ""], t("ui.iv.readonly"))

    # ------------------------------------------------------------------ the case panel

    def _set(self, widget_id: str, text: str, plain: str | None = None) -> None:
        if widget_id == "topbar":  # the exercise instead of the practice client ref, and the F4 key
            head = f"{t('train.ui.practice')} (F4 {t('train.ui.key.case')}) · "
            text = head + text.replace(self.handle.client_ref, self.exercise.id, 1)
            plain = None if plain is None else head + plain.replace(self.handle.client_ref, self.exercise.id, 1)
        super()._set(widget_id, text, plain)

    def show(self, item: Item, message: str = "") -> None:
        super().show(item, message)
        self._render_case(item)

    def _render_case(self, item: Item) -> None:
        panel = self.query("#case-text")
        if not panel:
            return
        lang = self.lang
        ex = self.exercise
        section = self.bank.section_of[item.id]
        lines: list[str] = []
        if self.review_item is not None:
            key = display_value(item, ex.key_values.get(item.id))
            mine = display_value(item, self.interview.value(item.id))
            hidden = "" if self.interview.is_visible(item.id) else f" ({t('train.ui.hidden')})"
            key_hidden = "" if item.id in ex.visible else f" ({t('train.ui.hidden')})"
            lines.append(f"[b]{t('train.ui.key_value')}:[/b] {escape(key)}{key_hidden}")
            lines.append(f"[b]{t('train.ui.your_value')}:[/b] {escape(mine)}{hidden}")
            explanation = ex.explanation(item.id, lang)
            if explanation:
                lines.append(escape(explanation))
            lines.append("")
        excerpts = ex.excerpts(item.id)
        if excerpts:
            lines.append(f"[b]{t('train.ui.excerpt')}[/b]")
            lines += [escape(e.get(lang)) for e in excerpts]
            lines.append("")
        lines.append(f"[b]{t('train.ui.case')}: {escape(section.title.get(lang))}[/b]")
        if section.id == self.bank.sections[0].id:
            lines.append(escape(ex.model.case.intro.get(lang).strip()))
        lines.append(escape(ex.narrative(section.id, lang).strip() or t("train.ui.no_narrative")))
        panel.first(Static).update("\n".join(lines))
        self.query_one("#case-panel", VerticalScroll).scroll_home(animate=False)

    @property
    def LEFT_PANEL_WIDTH(self) -> int:  # type: ignore[override]  # noqa: N802 - the base class's name
        """The case panel (34 columns, app.tcss) or the section list beside the item."""
        return 34 if self.case_shown else InterviewScreen.LEFT_PANEL_WIDTH

    def action_toggle_case(self) -> None:
        self.case_shown = not self.case_shown
        self.query_one("#case-panel").display = self.case_shown
        self.query_one("#sections").display = not self.case_shown
        self._shown.pop("codes", None)
        if self.item is not None:
            self.show(self.item, str(self._shown.get("message", "")))

    def action_case_scroll(self, step: int) -> None:
        panel = self.query_one("#case-panel", VerticalScroll)
        if step > 0:
            panel.scroll_down(animate=False)
        else:
            panel.scroll_up(animate=False)

    # ------------------------------------------------------------------ completion and closing

    def _review_done(self, result: Any) -> None:
        if result == "completed":
            open_scorecard(self, self.handle, self.exercise, replace=True)
            return
        super()._review_done(result)

    def close_record(self) -> None:
        if self.owns_handle:
            super().close_record()
