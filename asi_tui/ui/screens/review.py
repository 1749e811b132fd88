"""Before completing: unanswered items, open and deferred checks, missing ratings,
each one key from its item. Complete only when the engine allows it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...engine.interview import CompletionRefused
from ...scoring.simulate import message_text
from ...store.errors import StoreError
from ...store import RecordHandle
from ..lang import current, esc, t, tk, tm
from ..position import clock_items
from ..widgets.key_footer import KeyFooter


class ReviewScreen(Screen[str | None]):
    BINDINGS = [
        Binding("enter", "go", tk("ui.key.goto_item"), id="review.go"),  # the list's own Enter does it; named here for the footer
        Binding("c", "complete", tk("ui.key.complete"), id="review.complete"),
        Binding("escape", "back", tk("ui.key.back"), id="review.back"),
    ]
    AUTO_FOCUS = "#review-list"
    FOOTER_OMIT = frozenset({"quit"})  # "c Avsluta intervjun" beside "Ctrl+Q Avsluta" would read as one thing

    def __init__(self, handle: RecordHandle) -> None:
        super().__init__(id="review")
        self.handle = handle
        self.iv = handle.interview
        self.lang = current().lang
        self.clock_end = clock_items(handle.bank)[1]  # G7: asked when the interview is completed

    def compose(self) -> ComposeResult:
        yield Static(t("ui.review.title"), id="topbar")
        yield OptionList(id="review-list")
        yield Static("", id="review-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        iv, bank = self.iv, self.handle.bank
        missing_items, missing_ratings = iv.missing()
        options: list[Option] = []
        options.append(Option(f"── {t('ui.review.unanswered')} ({len(missing_items)})", disabled=True))
        for item_id in missing_items:
            label = esc(bank.by_id[item_id].label.get(self.lang))
            if item_id == self.clock_end:
                label += f" [i]({t('ui.review.at_completion')})[/i]"
            options.append(Option(f"  {item_id:<10} {label}", id=f"item:{item_id}"))
        warnings = iv.open_warnings() + iv.deferred_warnings()
        options.append(Option(f"── {t('ui.review.checks')} ({len(warnings)})", disabled=True))
        for w in warnings:
            flag = t("ui.review.deferred") if w.key in iv.deferred else t("ui.review.open")
            text = message_text(bank, current(), w.message)
            options.append(Option(f"  {w.item_id:<10} {flag}: {esc(text)}", id=f"item:{w.item_id}"))
        options.append(Option(f"── {t('ui.review.ratings')} ({len(missing_ratings)})", disabled=True))
        for item_id in missing_ratings:
            options.append(Option(f"  {item_id:<10} {bank.section_of[item_id].title.get(self.lang)}", id="ratings"))
        # option ids must be unique: number them, keep the target before "|"
        options = [o if o.disabled else Option(o.prompt, id=f"{o.id}|{n}") for n, o in enumerate(options)]
        olist = self.query_one("#review-list", OptionList)
        olist.add_options(options)
        first = next((i for i, o in enumerate(options) if not o.disabled), None)
        if first is not None:
            olist.highlighted = first
        self.query_one("#review-status", Static).update(t("ui.review.can_complete") if self._complete_but_end() else t("ui.review.cannot_complete"))

    def _end_time_due(self) -> bool:
        """The end time is still to be given (it is asked now, not during the interview)."""
        end = self.clock_end
        return end is not None and self.iv.is_visible(end) and self.iv.value(end) is None

    def _complete_but_end(self) -> bool:
        """Everything is answered, except perhaps the end time asked at completion."""
        if self.iv.can_complete():
            return True
        missing_items, missing_ratings = self.iv.missing()
        return self._end_time_due() and missing_items == [self.clock_end] and not missing_ratings

    def action_go(self) -> None:
        olist = self.query_one("#review-list", OptionList)
        if olist.highlighted is not None:
            self.dismiss((olist.get_option_at_index(olist.highlighted).id or "").split("|")[0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss((event.option.id or "").split("|")[0])

    def action_complete(self) -> None:
        if self.handle.readonly:
            return
        if self._complete_but_end() and self._end_time_due():
            from ..dialogs.end_time import EndTimeDialog

            assert self.clock_end is not None
            label = self.handle.bank.by_id[self.clock_end].label.get(self.lang)
            now = self.app.services.now().strftime("%H:%M")  # type: ignore[attr-defined]
            self.app.push_screen(EndTimeDialog(label, now), callback=self._end_time_given)
            return
        self._complete()

    def _end_time_given(self, value: str | None) -> None:
        if value is None or self.clock_end is None:
            return
        try:
            outcome = self.handle.answer(self.clock_end, value)
        except StoreError as exc:
            self.query_one("#review-status", Static).update(tm(exc.key, **exc.params))
            return
        if not outcome.ok:
            self.query_one("#review-status", Static).update(tm(outcome.message or "", **outcome.params))
            return
        self._complete()

    def _complete(self) -> None:
        try:
            self.handle.complete()
        except CompletionRefused as exc:
            n = len(exc.missing_items) + len(exc.missing_ratings)
            self.query_one("#review-status", Static).update(t("ui.review.refused", n=n))
            return
        except StoreError as exc:
            self.query_one("#review-status", Static).update(tm(exc.key, **exc.params))
            return
        self.dismiss("completed")

    def action_back(self) -> None:
        self.dismiss(None)
