"""The interview screen: one item at a time, the time frame with its dates, keys for everything.

Every answer goes engine -> store (journal + fsync) -> screen; the screen
moves on only after the store has acknowledged it.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Input, Static

from ...bank.model import Item
from ...engine.interview import EngineError, Outcome
from ...engine.values import YM_BARE_REFUSED, Invalid, is_time_item, parse_time, parse_years_months
from ...scoring.simulate import message_text
from ...store.errors import StoreError
from ...store import RecordHandle
from ..commands import ItemJumpProvider
from ..formatting import format_value
from ..item_text import code_table, echo, hint, numbered, progress_lines
from ..lang import current, esc, t, tk, tm
from ..navigation import open_feedback, open_ratings, open_review
from ..position import clock_items, resume_item
from ..widgets.item_input import ItemInput
from ..widgets.key_footer import KeyFooter


class InterviewScreen(Screen[None]):
    COMMANDS = App.COMMANDS | {ItemJumpProvider}
    AUTO_FOCUS = "#item-input"
    FOOTER_OMIT = frozenset({"quit"})  # one footer line at 80 columns; Ctrl+S pauses and leads home, Ctrl+Q is on the key screen
    BINDINGS = [
        Binding("f1", "help", tk("ui.key.help"), id="iv.help"),
        Binding("f2", "comment", tk("ui.key.comment"), id="iv.comment"),
        Binding("ctrl+g", "jump", tk("ui.key.jump"), id="iv.jump"),
        Binding("f9", "ratings", tk("ui.key.ratings"), id="iv.ratings"),
        Binding("f10", "review", tk("ui.key.review"), id="iv.review"),
        Binding("pagedown", "next_section", tk("ui.key.next_section"), id="iv.next_section", show=False),
        Binding("pageup", "prev_section", tk("ui.key.prev_section"), id="iv.prev_section", show=False),
        Binding("down", "skip_forward", tk("ui.key.forward"), id="iv.forward", show=False),
        Binding("ctrl+down", "codes_scroll(1)", tk("ui.key.codes_down"), id="iv.codes_down", show=False),
        Binding("ctrl+up", "codes_scroll(-1)", tk("ui.key.codes_up"), id="iv.codes_up", show=False),
        Binding("ctrl+s", "pause", tk("ui.key.pause"), id="iv.pause", priority=True),
        Binding("escape", "pause", tk("ui.key.pause"), id="iv.escape", show=False),
    ]

    def __init__(self, handle: RecordHandle, owns_record: bool = True) -> None:
        super().__init__(id="interview")
        self.handle = handle
        self.owns_record = owns_record  # False when a screen below keeps the record open
        self.interview = handle.interview
        self.bank = handle.bank
        self.lang = current().lang
        self.item: Item | None = None
        self._shown: dict[str, str] = {}
        self._widgets: dict[str, Static] = {}
        self._heights: dict[str, int] = {}  # lines each auto-height Static takes now
        self.clock_start, self.clock_end = clock_items(self.bank)  # G6, G7: see position.py

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("", id="topbar")
        with Horizontal(id="body"):
            yield Static("", id="sections")
            with Vertical(id="item-pane"):
                yield Static("", id="item-head")
                yield Static("", id="timeframe")
                with Horizontal(id="answer-row"):
                    yield ItemInput(id="item-input")
                    yield Static("", id="echo")
                yield Static("", id="item-hint")
                with VerticalScroll(id="codes-scroll", can_focus=False):
                    yield Static("", id="codes")
                yield Static("", id="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        item = resume_item(self.handle)
        if item is not None:
            self.show(item)
        if self.locked_for_edit:
            self._set("message", t("ui.iv.readonly"))

    @property
    def locked_for_edit(self) -> bool:
        """Open elsewhere (read-only) or completed: answers can be looked at, not changed."""
        return self.handle.readonly or self.handle.status == "completed"

    # ------------------------------------------------------------------ rendering

    # widgets whose size never depends on their text (fixed in app.tcss): no layout pass
    _FIXED_SIZE = frozenset({"sections", "timeframe", "echo"})
    _HIDDEN_WHEN_EMPTY = frozenset({"message"})  # its line goes to the code list
    LEFT_PANEL_WIDTH = 24  # #sections in app.tcss, its padding and rule included

    def _set(self, widget_id: str, text: str, plain: str | None = None) -> None:
        """Update a Static only when its text changes, and lay the screen out again
        only when its height changes: most items keep the height of the one before,
        and a layout pass is most of the time a keystroke costs. `plain`: the text
        without markup, which is quicker to measure."""
        old = self._shown.get(widget_id)
        if old == text:
            return
        self._shown[widget_id] = text
        widget = self._widgets.get(widget_id)
        if widget is None:
            widget = self._widgets[widget_id] = self.query_one(f"#{widget_id}", Static)
        if widget_id in self._HIDDEN_WHEN_EMPTY and bool(text) != bool(old):
            widget.display = bool(text)  # a layout pass of its own
        layout = False
        if widget_id not in self._FIXED_SIZE:
            lines = self._lines(widget, text, plain)
            layout = lines < 0 or lines != self._heights.get(widget_id)
            self._heights[widget_id] = lines
        widget.update(text, layout=layout)
        if widget_id == "codes":
            self.call_after_refresh(self._mark_more_codes)

    @staticmethod
    def _lines(widget: Static, text: str, plain: str | None) -> int:
        """The lines `text` takes in `widget` as Textual wraps it (-1: not known yet)."""
        width = widget.content_region.width
        if width <= 0:
            return -1
        if not text:
            return 0
        if widget.id == "codes":  # laid out line by line by code_table
            return text.count("\n") + 1
        return len((Content(plain) if plain is not None else Content.from_markup(text)).wrap(width))

    def _mark_more_codes(self) -> None:
        """Say so under the pane when the code list goes on below it."""
        scroll = self.query_one("#codes-scroll", VerticalScroll)
        more = scroll.max_scroll_y > scroll.scroll_y
        if more != scroll.has_class("-more"):
            scroll.border_subtitle = t("ui.iv.more_codes") if more else ""
            scroll.set_class(more, "-more")

    def _codes_width(self) -> int:
        """Columns for the code table: the item pane less its padding and a scrollbar."""
        return max(20, self.app.size.width - self.LEFT_PANEL_WIDTH - 3)

    def show(self, item: Item, message: str = "") -> None:
        self.item = item
        iv = self.interview
        if iv.is_visible(item.id):
            iv.cursor = item.id
        codes = self.bank.codes_for(item)
        section = self.bank.section_of[item.id]
        label = item.label.get(self.lang)
        self._set("item-head", f"[b]{item.id}[/b]  {esc(label)}", f"{item.id}  {label}")
        self._set("timeframe", iv.timeframe_label(item, self.lang) or "")
        allowed = set(item.missing)
        if item.type == "interviewer_rating" and iv.is_partial():
            allowed = {"X"}
        value = format_value(item, iv.value(item.id))
        if not value and item.id == self.clock_start and not self.locked_for_edit:
            value = self.app.services.now().strftime("%H:%M")  # type: ignore[attr-defined]  # a suggestion: Enter keeps it
        field = self.query_one("#item-input", ItemInput)
        field.configure(item, codes.values if codes else None, allowed, value, self.locked_for_edit, self.max_text_length())
        self._set("echo", echo(item, value, codes.codes if codes else None, self.lang))
        text = hint(item, iv, allowed)
        self._set("item-hint", text, text)
        self._set("codes", code_table(tuple(codes.codes), self.lang, self._codes_width()) if codes is not None else "")
        self._set("message", message)
        self._render_progress(section.id)
        scroll = self.query_one("#codes-scroll", VerticalScroll)
        if scroll.scroll_y:
            scroll.scroll_home(animate=False)
        if not field.has_focus:
            field.focus()

    def max_text_length(self) -> int:
        from ..limits import TEXT_MAX_LENGTH

        return TEXT_MAX_LENGTH

    def on_input_changed(self, event: Input.Changed) -> None:
        """Read the value back in words while it is typed (3 år 6 mån, 250 100 kr, the code's label)."""
        if event.input.id == "item-input" and self.item is not None:
            codes = self.bank.codes_for(self.item)
            self._set("echo", echo(self.item, event.value, codes.codes if codes else None, self.lang))

    def _render_progress(self, current_section: str) -> None:
        iv = self.interview
        lines, answered, total = progress_lines(self.bank, iv, current_section, self.LEFT_PANEL_WIDTH - 3, self.lang)
        if iv.deferred or iv.warnings:
            n = len(iv.warnings)
            lines += ["", t("ui.iv.open_checks_one" if n == 1 else "ui.iv.open_checks", n=n)]
        self._set("sections", "\n".join(lines))
        instrument = t(f"ui.instrument.{self.bank.id}")
        pct = round(100 * answered / total) if total else 100
        ro = f" · {t('ui.iv.ro')}" if self.locked_for_edit else ""
        tail = f" · {self.handle.body['interview_date']}{ro}   {answered}/{total} ({pct} %)"
        self._set("topbar", f"{instrument} · {esc(self.handle.client_ref)}{tail}", f"{instrument} · {self.handle.client_ref}{tail}")

    def on_resize(self) -> None:
        """The code table is laid out for the width: lay it out again."""
        self._shown.pop("codes", None)
        if self.item is not None and self.is_mounted:
            codes = self.bank.codes_for(self.item)
            self._set("codes", code_table(tuple(codes.codes), self.lang, self._codes_width()) if codes is not None else "")

    # ------------------------------------------------------------------ answering

    def on_item_input_answer(self, message: ItemInput.Answer) -> None:
        message.stop()
        if self.item is None or self.locked_for_edit:
            return
        item = self.item
        codes = self.bank.codes_for(item)
        raw: object = message.raw
        try:
            raw = self.typed_value(item, message.raw)
        except Invalid as exc:
            self._refuse(t(exc.key, **exc.params))
            return
        if codes is not None and numbered(codes.codes) and isinstance(raw, str) and raw.strip().isdigit():
            position = int(raw.strip())
            if 1 <= position <= len(codes.codes):
                raw = str(codes.codes[position - 1].code)
        try:
            outcome = self.handle.answer(item.id, raw)
        except StoreError as exc:  # not saved: say so and stay on the item
            from ..dialogs.error import ErrorDialog

            self.app.push_screen(ErrorDialog(tm(exc.key, **exc.params)))
            return
        if not outcome.ok:
            text = message_text(self.bank, current(), outcome.message or "", outcome.params)
            if outcome.message == "engine.invalid.pattern":
                text += " " + t("ui.iv.see_help")
            self._refuse(text)
            return
        self.query_one("#item-input", ItemInput).remove_class("-invalid")
        self._after_answer(item, outcome)

    @staticmethod
    def typed_value(item: Item, raw: str) -> object:
        """What the interviewer typed, read the way typing is meant (engine.values):
        a duration needs its units or a colon, a clock time is HH:MM. Raises Invalid."""
        if raw.strip().upper() in ("X", "N"):
            return raw
        if item.type == "years_months":
            return parse_years_months(raw, bare=YM_BARE_REFUSED)
        if is_time_item(item):
            return parse_time(raw)
        return raw

    def _refuse(self, text: str) -> None:
        """The answer was not taken: say why under the item, which stays."""
        self._set("message", f"[b]✗[/b] {text}", f"✗ {text}")
        self.query_one("#item-input", ItemInput).add_class("-invalid")

    def _after_answer(self, item: Item, outcome: Outcome) -> None:
        if outcome.alerts:
            from ..dialogs.alert import SafetyAlertDialog

            texts = [message_text(self.bank, current(), a.message) for a in outcome.alerts]
            self.handle.set_meta(f"alert_shown.{outcome.alerts[0].key}", True)
            self.app.push_screen(SafetyAlertDialog(texts), callback=lambda _r: self._checks_then_advance(item, outcome))
            return
        self._checks_then_advance(item, outcome)

    def _checks_then_advance(self, item: Item, outcome: Outcome) -> None:
        if outcome.warnings:
            from ..dialogs.soft_check import SoftCheckDialog

            texts = [(w.item_id, message_text(self.bank, current(), w.message)) for w in outcome.warnings]
            keys = [w.key for w in outcome.warnings]

            def decided(choice: str | None) -> None:
                if choice == "defer":
                    for key in keys:
                        if key in self.interview.warnings:
                            self.handle.defer(key)
                    self.advance(item)
                else:  # correct: go to the item the check belongs to
                    target = self.bank.by_id[outcome.warnings[0].item_id]
                    self.show(target, t("ui.iv.correct_hint"))

            self.app.push_screen(SoftCheckDialog(texts), callback=decided)
            return
        self.advance(item)

    def advance(self, item: Item) -> None:
        iv = self.interview
        if item.type in ("interviewer_rating", "comment"):
            self.show(item, t("ui.iv.saved"))
            return
        iv.cursor = item.id
        nxt = self._next_in_flow()
        if nxt is None:
            self.show(item, t("ui.iv.end_of_flow"))
            self.action_review()
            return
        self.show(nxt)

    def _next_in_flow(self) -> Item | None:
        """The next item after the cursor; the end time (G7) is asked at completion, not on the way."""
        nxt = self.interview.advance()
        while nxt is not None and nxt.id == self.clock_end and self.interview.value(nxt.id) is None:
            nxt = self.interview.advance()
        return nxt

    def on_item_input_back(self, message: ItemInput.Back) -> None:
        message.stop()
        if self.item is not None and self.item.id in self.bank.by_id and self.interview.is_visible(self.item.id):
            self.interview.cursor = self.item.id
        prev = self.interview.go_back()
        if prev is not None:
            self.show(prev)

    # ------------------------------------------------------------------ actions

    def action_skip_forward(self) -> None:
        if self.item is None:
            return
        self.interview.cursor = self.item.id
        nxt = self._next_in_flow()
        if nxt is not None:
            self.show(nxt)

    def _section_jump(self, step: int) -> None:
        if self.item is None:
            return
        sections = self.bank.sections
        idx = next(i for i, s in enumerate(sections) if s.id == self.bank.section_of[self.item.id].id)
        for s in sections[idx + step :: step] if step > 0 else reversed(sections[: idx]):
            first = next((i for i in self.interview.flow_items() if self.bank.section_of[i.id].id == s.id), None)
            if first is not None:
                self.show(first)
                return

    def action_codes_scroll(self, step: int) -> None:
        scroll = self.query_one("#codes-scroll", VerticalScroll)
        scroll.scroll_relative(y=step * max(1, scroll.size.height - 1), animate=False)
        self.call_after_refresh(self._mark_more_codes)

    def action_next_section(self) -> None:
        self._section_jump(1)

    def action_prev_section(self) -> None:
        self._section_jump(-1)

    def action_help(self) -> None:
        if self.item is None:
            return
        from ..dialogs.help import HelpDialog
        from ..dialogs.keys import key_lines
        from ..widgets.key_footer import screen_keys

        keys = key_lines(screen_keys(self, shown_only=False)) + "\n" + t("ui.keys.item")
        self.app.push_screen(HelpDialog(self.bank, self.interview, self.item, self.lang, keys))

    def action_comment(self) -> None:
        if self.item is None:
            return
        section = self.bank.section_of[self.item.id]
        comment = next((i for i in section.items if i.type == "comment"), None)
        if comment is None:
            return
        from ..dialogs.comment import CommentDialog

        current_text = self.interview.value(comment.id) or ""

        def saved(text: str | None) -> None:
            if text is not None and not self.handle.readonly:
                try:
                    self.handle.answer(comment.id, text)
                    self.notify(t("ui.iv.comment_saved"))
                except StoreError as exc:
                    self.notify(tm(exc.key, **exc.params), severity="error")
            if self.item is not None:
                self.show(self.item)

        self.app.push_screen(CommentDialog(section.title.get(self.lang), str(current_text), self.handle.readonly), callback=saved)

    def action_jump(self) -> None:
        from ..dialogs.jump import JumpDialog

        self.app.push_screen(JumpDialog(), callback=self.jump_to)

    def jump_to(self, item_id: str | None) -> None:
        if not item_id:
            return
        match = next((i for i in self.bank.items if i.id.lower() == item_id.strip().lower()), None)
        if match is None:
            self.notify(tm("engine.invalid.unknown_item", item=item_id), severity="warning")
            return
        try:
            item = self.interview.jump(match.id)
        except EngineError as exc:
            self.notify(tm(exc.key, **exc.params), severity="warning")
            return
        self.show(item)

    def action_ratings(self) -> None:
        open_ratings(self, self.handle, callback=lambda _r: self.item and self.show(self.item))

    def action_review(self) -> None:
        open_review(self, self.handle, callback=self._review_done)

    def _review_done(self, result: Any) -> None:
        if isinstance(result, str) and result.startswith("item:"):
            self.jump_to(result[5:])
        elif result == "ratings":
            self.action_ratings()
        elif result == "completed":
            open_feedback(self, self.handle, replace=True)
        elif self.item is not None:
            self.show(self.item)

    def action_pause(self) -> None:
        if not self.handle.readonly and self.handle.status != "completed":
            try:
                self.handle.pause()
            except StoreError as exc:
                from ..dialogs.error import ErrorDialog

                self.app.push_screen(ErrorDialog(tm(exc.key, **exc.params)))
                return
            self.notify(t("ui.iv.paused"))
        self.close_record()
        self.app.pop_screen()

    def close_record(self) -> None:
        if self.owns_record:
            self.handle.close()
