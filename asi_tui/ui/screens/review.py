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
from ..lang import current, t, tk, tm
from ..widgets.key_footer import KeyFooter


class ReviewScreen(Screen[str | None]):
    BINDINGS = [
        Binding("c", "complete", tk("ui.key.complete"), id="review.complete"),
        Binding("escape", "back", tk("ui.key.back"), id="review.back"),
    ]
    AUTO_FOCUS = "#review-list"

    def __init__(self, handle: RecordHandle) -> None:
        super().__init__(id="review")
        self.handle = handle
        self.iv = handle.interview
        self.lang = current().lang

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
            options.append(Option(f"  {item_id:<10} {bank.by_id[item_id].label.get(self.lang)[:58]}", id=f"item:{item_id}"))
        warnings = iv.open_warnings() + iv.deferred_warnings()
        options.append(Option(f"── {t('ui.review.checks')} ({len(warnings)})", disabled=True))
        for w in warnings:
            flag = t("ui.review.deferred") if w.key in iv.deferred else t("ui.review.open")
            text = message_text(bank, current(), w.message)
            options.append(Option(f"  {w.item_id:<10} {flag}: {text[:50]}", id=f"item:{w.item_id}"))
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
        status = t("ui.review.can_complete") if iv.can_complete() else t("ui.review.cannot_complete")
        self.query_one("#review-status", Static).update(status)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss((event.option.id or "").split("|")[0])

    def action_complete(self) -> None:
        if self.handle.readonly:
            return
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
