"""Home: my open interviews, follow-ups due, recently completed; start a new one."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...reports.home import home_lists
from ...store.errors import RecordLocked, StoreError
from ..dialogs.reason import open_asking_reason
from ..lang import esc, t, tk, tm
from ..navigation import (
    open_admin,
    open_change,
    open_exercises,
    open_feedback,
    open_interview,
    open_new_interview,
    open_statistics,
    open_trainer,
)
from ..widgets.key_footer import KeyFooter

class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding("n", "new", tk("ui.key.new"), id="home.new"),
        Binding("enter", "open", tk("ui.key.open"), id="home.open", show=True),
        Binding("r", "open_readonly", tk("ui.key.readonly"), id="home.readonly"),
        Binding("b", "dropout", tk("ui.key.dropout"), id="home.dropout"),
        Binding("f5", "refresh", tk("ui.key.refresh"), id="home.refresh"),
        Binding("a", "admin", tk("ui.key.admin"), id="home.admin"),
        Binding("s", "statistics", tk("ui.key.statistics"), id="home.statistics"),
        Binding("t", "training", tk("train.ui.key.training"), id="home.training"),
        Binding("g", "trainer", tk("train.ui.key.trainer"), id="home.trainer"),
        Binding("k", "change", tk("ui.key.change"), id="home.change"),
    ]

    def action_change(self) -> None:
        """The selected client's change view (two or more interviews in the chain)."""
        from ...reports.casefile import chain_for_record

        rid = self._selected()
        if rid is None:
            return
        try:
            entries, client = chain_for_record(self.app.session, rid.removeprefix("followup:"))  # type: ignore[attr-defined]
        except StoreError as exc:
            self.notify(tm(exc.key, **exc.params), severity="warning")
            return
        open_change(self, entries, client)

    def action_training(self) -> None:
        open_exercises(self)

    def action_trainer(self) -> None:
        open_trainer(self)

    def action_statistics(self) -> None:
        open_statistics(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Admin-only keys are hidden from everyone else (the store refuses them anyway)."""
        session = self.app.session  # type: ignore[attr-defined]
        if action == "admin":
            return session is not None and session.user.is_admin
        if action == "trainer":
            return session is not None and session.user.role in ("trainer", "admin")
        return True

    def action_admin(self) -> None:
        open_admin(self)
    AUTO_FOCUS = "#records"

    def compose(self) -> ComposeResult:
        yield Static("", id="topbar")
        yield OptionList(id="records")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.refresh_list()

    def on_screen_resume(self) -> None:
        self.refresh_list()

    def refresh_list(self) -> None:
        session = self.app.session  # type: ignore[attr-defined]
        me = session.user
        today = self.app.services.today()  # type: ignore[attr-defined]
        self.query_one("#topbar", Static).update(tm("ui.home.title", user=me.name, role=t(f"role.{me.role}")))
        # the timing rules live in reports, who may see whom in the store
        lists = home_lists(session, today)
        mine, due, overdue, done = lists.open, lists.due, lists.overdue, lists.done
        options: list[Option | None] = []

        def header(key: str, n: int) -> None:
            options.append(Option(f"── {t(key)} ({n})", disabled=True))

        header("ui.home.open", len(mine))
        options += [Option(self._line(d), id=d["rid"]) for d in mine]
        header("ui.home.due", len(due) + lists.more_due)
        options += [Option(self._line(d), id=f"followup:{d['rid']}") for d in due]
        if lists.more_due:
            options.append(Option(t("ui.home.more", n=lists.more_due), disabled=True))
        if overdue:
            header("ui.home.overdue", len(overdue) + lists.more_overdue)
            options += [Option(self._line(d), id=f"followup:{d['rid']}") for d in overdue]
            if lists.more_overdue:
                options.append(Option(t("ui.home.more", n=lists.more_overdue), disabled=True))
        header("ui.home.done", len(done))
        options += [Option(self._line(d), id=d["rid"]) for d in done]
        olist = self.query_one("#records", OptionList)
        olist.clear_options()
        olist.add_options([o for o in options if o is not None])
        first = next((i for i, o in enumerate(options) if o is not None and not o.disabled), None)
        if first is not None:
            olist.highlighted = first

    @staticmethod
    def _line(d: dict[str, Any]) -> str:
        instrument = t(f"ui.instrument.{d.get('bank_id')}") + (" (Å)" if d.get("reactualisation") else "")
        return f"{d.get('interview_date', ''):<10}  {esc(d.get('client_ref', '')).ljust(24)} {instrument:<22} {t('status.' + str(d.get('status')))}"

    def _selected(self) -> str | None:
        olist = self.query_one("#records", OptionList)
        if olist.highlighted is None:
            return None
        return olist.get_option_at_index(olist.highlighted).id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def action_refresh(self) -> None:
        self.refresh_list()

    def action_new(self, followup_of: str | None = None) -> None:
        open_new_interview(self, self._started, followup_of=followup_of)

    def _started(self, handle: Any) -> None:
        if handle is not None:
            self.open_handle(handle)

    def action_open(self, readonly: bool = False) -> None:
        rid = self._selected()
        if rid is None:
            return
        if rid.startswith("followup:"):
            self.action_new(followup_of=rid.split(":", 1)[1])
            return
        session = self.app.session  # type: ignore[attr-defined]
        try:
            open_asking_reason(self, session, rid, readonly, self.open_handle)  # an admin states a reason
        except RecordLocked as exc:
            self.notify(tm(exc.key, **exc.params), severity="warning", timeout=8)
            open_asking_reason(self, session, rid, True, self.open_handle)
        except StoreError as exc:
            self.notify(tm(exc.key, **exc.params), severity="error", timeout=10)

    def action_open_readonly(self) -> None:
        self.action_open(readonly=True)

    def open_handle(self, handle: Any) -> None:
        for notice in handle.notices:
            self.notify(tm(notice, **getattr(notice, "params", {})), severity="warning", timeout=10)
        if handle.status == "completed" and handle.body.get("kind") == "interview" and not handle.readonly:
            open_feedback(self, handle)  # a completed interview opens on its Återkoppling
            return
        open_interview(self, handle)

    def action_dropout(self) -> None:
        rid = self._selected() or ""  # on a follow-up that is due: the dropout closes that occasion
        open_new_interview(self, self._started, dropout=True,
                           followup_of=rid.removeprefix("followup:") if rid.startswith("followup:") else None)
