"""The interview screen: one item at a time, the time frame with its dates, keys for everything.

Every answer goes engine -> store (journal + fsync) -> screen; the screen
moves on only after the store has acknowledged it.
"""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from ...bank.model import Item
from ...engine.interview import EngineError, Outcome
from ...scoring.simulate import message_text
from ...store.errors import StoreError
from ...store import RecordHandle
from ..commands import ItemJumpProvider
from ..formatting import format_value
from ..lang import current, esc, t, tk, tm
from ..navigation import open_feedback, open_ratings, open_review
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

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static("", id="topbar")
        with Horizontal(id="body"):
            yield Static("", id="sections")
            with Vertical(id="item-pane"):
                yield Static("", id="item-head")
                yield Static("", id="timeframe")
                yield ItemInput(id="item-input")
                yield Static("", id="item-hint")
                yield Static("", id="codes")
                yield Static("", id="message")
        yield KeyFooter()

    def on_mount(self) -> None:
        item = self.interview.current_item() or (self.interview.flow_items() or [None])[-1]
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
    _FIXED_SIZE = frozenset({"topbar", "sections", "timeframe", "item-hint", "codes"})

    def _set(self, widget_id: str, text: str) -> None:
        """Update a Static only when its text changes, and re-layout only when its size can."""
        if self._shown.get(widget_id) != text:
            self._shown[widget_id] = text
            self.query_one(f"#{widget_id}", Static).update(text, layout=widget_id not in self._FIXED_SIZE)

    def show(self, item: Item, message: str = "") -> None:
        self.item = item
        iv = self.interview
        if iv.is_visible(item.id):
            iv.cursor = item.id
        codes = self.bank.codes_for(item)
        section = self.bank.section_of[item.id]
        self._set("item-head", f"[b]{item.id}[/b]  {item.label.get(self.lang)}")
        self._set("timeframe", iv.timeframe_label(item, self.lang) or "")
        allowed = set(item.missing)
        if item.type == "interviewer_rating" and iv.is_partial():
            allowed = {"X"}
        self.query_one("#item-input", ItemInput).configure(
            item, codes.values if codes else None, allowed, format_value(item, iv.value(item.id)), self.locked_for_edit
        )
        self._set("item-hint", self._hint(item, allowed))
        self._set("codes", self._code_table(codes.codes) if codes is not None else "")
        self._set("message", message)
        self._render_progress(section.id)
        self.query_one("#item-input", ItemInput).focus()

    @staticmethod
    def _numbered(codes: list[Any]) -> bool:
        """Text codes (like `declined`) are chosen by their position, 1-9."""
        return bool(codes) and all(isinstance(c.code, str) for c in codes) and len(codes) <= 9

    def _code_table(self, codes: list[Any]) -> str:
        """Codes in one column, or two columns of shortened labels when there are many."""
        if self._numbered(codes):
            labels = [(str(n), c.label.get(self.lang)) for n, c in enumerate(codes, 1)]
        else:
            labels = [(str(c.code), c.label.get(self.lang)) for c in codes]
        if len(labels) <= 6:
            return "\n".join(f"[b]{code}[/b] {label[:52]}" for code, label in labels)
        half = (len(labels) + 1) // 2
        width = 26
        rows = []
        for i in range(half):
            left = labels[i]
            cell = f"{left[0]:>2} {left[1][: width - 4]}".ljust(width)
            row = f"[b]{cell[:2]}[/b]{cell[2:]}"
            if i + half < len(labels):
                code, label = labels[i + half]
                row += f" [b]{code:>2}[/b] {label[: width - 4]}"
            rows.append(row)
        return "\n".join(rows)

    def _hint(self, item: Item, allowed: set[str]) -> str:
        parts = []
        rng = item.value_range
        if rng is not None:
            hi = rng[1]
            w = self.interview.window(item)
            if item.type == "days" and w is not None and w.days is not None:
                hi = min(hi, w.days)
            if item.type == "years_months":
                parts.append(t("ui.hint.years_months"))
            else:
                parts.append(f"{rng[0]}–{hi}" + (f" {t('ui.unit.' + item.unit)}" if item.unit else ""))
        elif item.type == "date":
            parts.append(t("ui.hint.date"))
        elif item.type == "multi":
            parts.append(t("ui.hint.multi"))
        elif item.type == "text":
            parts.append(t("ui.hint.text"))
        if "X" in allowed:
            parts.append(t("ui.hint.x"))
        if "N" in allowed:
            parts.append(t("ui.hint.n"))
        if item.critical:
            parts.append(t("ui.hint.critical"))
        return " · ".join(parts)

    def _render_progress(self, current_section: str) -> None:
        iv = self.interview
        lines = []
        answered = total = 0
        for s in self.bank.sections:
            items = [i for i in s.items if iv.is_visible(i.id) and i.type not in ("comment", "interviewer_rating")]
            done = sum(1 for i in items if iv.value(i.id) is not None)
            answered += done
            total += len(items)
            marker = "▸" if s.id == current_section else " "
            title = s.title.get(self.lang)[:12]
            lines.append(f"{marker}{title:<12} {done:>3}/{len(items):<3}")
        if iv.deferred or iv.warnings:
            lines.append("")
            lines.append(t("ui.iv.open_checks", n=len(iv.warnings)))
        self._set("sections", "\n".join(lines))
        instrument = t(f"ui.instrument.{self.bank.id}")
        pct = round(100 * answered / total) if total else 100
        ro = f" · {t('ui.iv.ro')}" if self.locked_for_edit else ""
        self._set(
            "topbar", f"{instrument} · {esc(self.handle.client_ref)} · {self.handle.body['interview_date']}{ro}   {answered}/{total} ({pct} %)"
        )

    # ------------------------------------------------------------------ answering

    def on_item_input_answer(self, message: ItemInput.Answer) -> None:
        message.stop()
        if self.item is None or self.locked_for_edit:
            return
        item = self.item
        raw = message.raw
        codes = self.bank.codes_for(item)
        if codes is not None and self._numbered(codes.codes) and raw.strip().isdigit():
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
            self._set("message", f"[b]✗[/b] {text}")
            self.query_one("#item-input", ItemInput).add_class("-invalid")
            return
        self.query_one("#item-input", ItemInput).remove_class("-invalid")
        self._after_answer(item, outcome)

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
        nxt = iv.advance()
        if nxt is None:
            self.show(item, t("ui.iv.end_of_flow"))
            self.action_review()
            return
        self.show(nxt)

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
        nxt = self.interview.advance()
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

    def action_next_section(self) -> None:
        self._section_jump(1)

    def action_prev_section(self) -> None:
        self._section_jump(-1)

    def action_help(self) -> None:
        if self.item is None:
            return
        from ..dialogs.help import HelpDialog

        self.app.push_screen(HelpDialog(self.bank, self.interview, self.item, self.lang))

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
