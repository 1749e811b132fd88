"""The scorecard after a coding exercise: agreement with the key overall and per
area, skip decisions, interviewer ratings, and every disagreement with the
key's value and explanation. Enter on a disagreement opens the item read-only,
with the key beside it."""

from __future__ import annotations

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ...store import RecordHandle
from ...training.exercises import Exercise
from ...training.scoring import Disagreement, Scorecard, Tally, display_value, score_attempt
from ..lang import current, t, tk, tm
from ..navigation import open_exercise
from ..widgets.key_footer import KeyFooter


def _tally(label: str, tally: Tally, width: int = 17) -> str:
    """One figure in at most 31 columns: label, agree/total, per cent."""
    pct = "–" if tally.pct is None else f"{tally.pct:.0f} %"
    return f"{label[:width]:<{width}} {tally.agree:>3}/{tally.total:<3} {pct:>5}"


class ScorecardScreen(Screen[None]):
    BINDINGS = [
        Binding("enter", "open_item", tk("train.ui.key.show_item"), id="score.open"),
        Binding("escape", "leave", tk("ui.key.back"), id="score.back"),
    ]
    AUTO_FOCUS = "#score-list"

    def __init__(self, handle: RecordHandle, exercise: Exercise) -> None:
        super().__init__(id="scorecard")
        self.handle = handle
        self.exercise = exercise
        self.lang = current().lang
        self.card: Scorecard | None = None

    def compose(self) -> ComposeResult:
        yield Static(t("train.ui.score_title", title=self.exercise.title(self.lang)), id="topbar")
        with Horizontal(id="body"):
            yield Static("", id="score-summary")
            with Vertical(id="score-right"):
                yield OptionList(id="score-list")
                yield Static("", id="score-explain")
        yield KeyFooter()

    def on_mount(self) -> None:
        if not self.handle.readonly:  # completed: nothing more to write; keep a read-only view
            session, rid = self.handle.session, self.handle.rid
            self.handle.close()
            try:
                self.handle = session.open_record(rid, readonly=True)
            except StoreError as exc:
                self.notify(tm(exc.key, **exc.params), severity="error")
        self.card = score_attempt(self.exercise, dict(self.handle.interview.answers))
        self.query_one("#score-summary", Static).update(self._summary(self.card))
        olist = self.query_one("#score-list", OptionList)
        if self.card.disagreements:
            olist.add_options([Option(self._line(d), id=f"{d.item_id}|{n}") for n, d in enumerate(self.card.disagreements)])
            olist.highlighted = 0
        else:
            olist.add_option(Option(t("train.ui.no_disagreements"), disabled=True))
        self._explain()

    def _summary(self, card: Scorecard) -> str:
        bank = self.exercise.bank
        sections = {s.id: s for s in bank.sections}
        lines = [f"[b]{t('train.ui.exact')}[/b]", _tally(t("train.ui.overall"), card.overall), ""]
        lines.append(f"[b]{t('train.ui.per_area')}[/b]")
        for sid, tally in card.areas:
            lines.append(_tally(sections[sid].title.get(self.lang), tally))
        lines.append("")
        lines.append(_tally(t("train.ui.skips"), card.skips))
        lines.append("")
        lines.append(f"[b]{t('train.ui.ratings')}[/b]")
        lines.append(_tally(t("train.ui.ratings_exact"), card.ratings_exact))
        lines.append(_tally(t("train.ui.ratings_within"), card.ratings_within_one))
        kappa = "–" if card.kappa is None else f"{card.kappa:.2f}"
        lines.append(f"{t('train.ui.kappa')[:25]:<25} {kappa:>5}")
        lines += ["", t("train.ui.score_hint")]
        return "\n".join(escape(ln) if not ln.startswith("[b]") else ln for ln in lines)

    def _line(self, d: Disagreement) -> str:
        """At most 41 columns; a long item id gets a line of its own."""
        item = self.exercise.bank.by_id[d.item_id]
        key = display_value(item, d.key_value)[:7]
        mine = display_value(item, d.trainee_value)[:7]
        values = f"{key:>7} ≠ {mine:<7} {t('train.kind_short.' + d.kind)[:7]}"
        if len(d.item_id) > 15:
            return f"{d.item_id}\n{'':<15}{values}"
        return f"{d.item_id:<15}{values}"

    def _selected(self) -> Disagreement | None:
        olist = self.query_one("#score-list", OptionList)
        if self.card is None or olist.highlighted is None or not self.card.disagreements:
            return None
        return self.card.disagreements[olist.highlighted]

    def on_option_list_option_highlighted(self, _event: OptionList.OptionHighlighted) -> None:
        self._explain()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open_item()

    def _explain(self) -> None:
        d = self._selected()
        if d is None:
            self.query_one("#score-explain", Static).update("")
            return
        item = self.exercise.bank.by_id[d.item_id]
        text = self.exercise.explanation(d.item_id, self.lang) or t("train.ui.no_explanation")
        self.query_one("#score-explain", Static).update(
            f"[b]{d.item_id}[/b] {escape(item.label.get(self.lang))}\n"
            f"{t('train.ui.key_value')}: {escape(display_value(item, d.key_value))} · "
            f"{t('train.ui.your_value')}: {escape(display_value(item, d.trainee_value))} ({t('train.kind.' + d.kind)})\n{escape(text)}"
        )

    def action_open_item(self) -> None:
        d = self._selected()
        if d is None:
            return
        open_exercise(self, self.handle, self.exercise, review_item=d.item_id, owns_handle=False)

    def action_leave(self) -> None:
        self.close_record()
        self.app.pop_screen()

    def close_record(self) -> None:
        self.handle.close()
