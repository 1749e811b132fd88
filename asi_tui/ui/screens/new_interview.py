"""Start an interview: client, instrument, date, contact mode, and the Grund a follow-up links to.

The form shows its choices without focus (the chosen option is marked ●), says
at once what the user may not do (an uncertified interviewer: practice only),
and warns before creating when the client already has a record of the same
instrument on that day or one still open, by anyone (`Session.similar_records`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...engine.interview import EngineError
from ...engine.timeframe import FOLLOWUP_MAX_AGE_DAYS
from ...store import access, chain
from ...store.errors import StoreError
from ..lang import t, tk, tm
from ..limits import CLIENT_REF_MAX_LENGTH
from ..widgets.choice_list import ChoiceList
from ..widgets.key_footer import KeyFooter
from ..widgets.unit_choice import UnitChoice

IN_PERSON, PHONE = 1, 2


class NewInterviewScreen(ModalScreen[Any]):
    BINDINGS = [
        Binding("ctrl+s", "start", tk("ui.key.start"), id="new.start"),
        Binding("escape", "cancel", tk("ui.key.cancel"), id="new.cancel"),
    ]
    AUTO_FOCUS = "#client"

    def __init__(self, followup_of: str | None = None, practice: bool = False, dropout: bool = False) -> None:
        super().__init__()
        self.followup_of = followup_of
        self.practice = practice
        self.dropout = dropout
        self.banks: dict[str, Any] = {}
        self.grund_records: list[dict[str, Any]] = []
        self.refused: str | None = None  # what this user may not start, said before they type
        self._confirmed: tuple[str, str, str] | None = None  # the doubtful start the user has seen the warning for

    def _load_banks(self) -> None:
        """The active version of each instrument (published in the data dir, else bundled);
        dropout registrations use only the bortfall bank."""
        from ...store.banks import BankStore

        active = BankStore.for_store(self.app.store).active_banks()  # type: ignore[attr-defined]
        order = ["grund", "uppfoljning", "spel/grund", "spel/uppfoljning", "bortfall"]
        keys = sorted(active, key=lambda k: order.index(k) if k in order else len(order))
        self.banks = {active[k].id: active[k] for k in keys if (k == "bortfall") == self.dropout}

    def compose(self) -> ComposeResult:
        self._load_banks()
        today = self.app.services.today()  # type: ignore[attr-defined]
        with VerticalScroll(id="new-box"):
            yield Static(t("ui.new.dropout_title" if self.dropout else "ui.new.title"), id="new-title")
            yield Static("", id="form-refusal")
            with Horizontal(classes="form-row"):
                yield Label(t("ui.new.client"), classes="form-label")
                yield Input(id="client", placeholder=t("ui.new.client_hint"), max_length=CLIENT_REF_MAX_LENGTH)
            with Horizontal(classes="form-row"):
                yield Label(t("ui.new.date"), classes="form-label")
                yield Input(today.isoformat(), id="date", max_length=10, restrict=r"[0-9-]*")
            if not self.practice:
                yield UnitChoice(self.app.session.my_units())  # type: ignore[attr-defined]
            yield Label(t("ui.new.instrument"))
            yield ChoiceList(*[Option(t(f"ui.instrument.{bid}"), id=bid) for bid in self.banks], id="instrument")
            yield Label(t("ui.new.mode"), id="mode-label")
            yield ChoiceList(Option(t("ui.new.in_person"), id="1"), Option(t("ui.new.phone"), id="2"), id="mode")
            yield Label(t("ui.new.linked_any"), id="linked-label")
            yield ChoiceList(id="linked")
            yield Static("", id="link-note")
            yield Checkbox(t("ui.new.reactualisation"), id="reactualisation")
            yield Static("", id="form-warning")
            yield Static("", id="form-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#instrument", OptionList).highlighted = 0
        self.query_one("#mode", OptionList).highlighted = 0
        try:  # the store's rule, asked before anything is typed
            access.require_may_create_record(self.app.session.user, self.practice, self.dropout)  # type: ignore[attr-defined]
        except StoreError as exc:
            self.refused = tm(exc.key, **exc.params)
            self.query_one("#form-refusal", Static).update(f"[b]✗[/b] {self.refused}")
            for widget in self.query("Input, OptionList"):
                widget.disabled = True
            self.refresh_bindings()
        self.query_one("#form-refusal").display = self.refused is not None
        if self.followup_of and self.refused is None:
            session = self.app.session  # type: ignore[attr-defined]
            doc = session.record_doc(self.followup_of)
            if doc is not None:
                self.query_one("#client", Input).value = doc.get("client_ref", "")
                if self.dropout:  # a dropout for a follow-up that is due: it closes that occasion
                    self.query_one("#date", Input).focus()
                    self._sync()
                    return
                followup = next((i for i, b in enumerate(self.banks.values()) if b.instrument == "uppfoljning"), None)
                if followup is not None:
                    self.query_one("#instrument", OptionList).highlighted = followup
                self._load_grund(doc.get("client_ref", ""), select=self.followup_of)
                self.query_one("#date", Input).focus()
        self._sync()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start" and self.refused is not None:
            return None  # shown greyed out: nothing can be started here
        return True

    # ------------------------------------------------------------------ the fields

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "client":
            self._load_grund(event.input.value.strip())
        self.focus_next()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "client":
            self._load_grund(event.input.value.strip())
        elif event.input.id == "date":
            self._sync()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "instrument":  # a Spel follow-up links to the gambling module
            chosen = self._chosen_link()
            self._load_grund(self.query_one("#client", Input).value.strip(), select=chosen["rid"] if chosen else None)
        elif event.option_list.id == "linked":
            self._sync()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option_list.id == "linked":
            self.action_start()
        else:
            self.focus_next()

    def _bank(self) -> Any:
        olist = self.query_one("#instrument", OptionList)
        return self.banks.get(str(olist.get_option_at_index(olist.highlighted or 0).id)) if olist.option_count else None

    def _load_grund(self, client: str, select: str | None = None) -> None:
        """The client's earlier interviews a follow-up may link to (store/chain.py), latest first:
        the default is the latest, Grund or Uppföljning."""
        session = self.app.session  # type: ignore[attr-defined]
        try:
            self.docs = session.client_records(client) if client else []
        except StoreError:
            self.docs = []  # a role without client records: the store refuses the record itself
        bank = self._bank()
        instruments = chain.linkable_for(bank.instrument) if bank is not None else chain.LINKABLE
        self.grund_records = chain.link_candidates(self.docs, client, date.max, instruments) if client else []
        olist = self.query_one("#linked", ChoiceList)
        olist.clear_options()
        olist.add_options([Option(f"{d['interview_date']}  {t('followup.short.' + d['instrument']) if d['instrument'] != 'spel' else 'Spel'}"
                                  f"  {d['rid'][:8]}", id=d["rid"]) for d in self.grund_records])
        if self.grund_records:
            ids = [d["rid"] for d in self.grund_records]
            olist.highlighted = ids.index(select) if select in ids else 0
            olist.mark()
        self._sync()

    def _sync(self) -> None:
        bank = self._bank()
        followup = bank is not None and bank.is_followup
        self.query_one("#linked", OptionList).display = followup
        self.query_one("#linked-label", Label).display = followup
        mode = self.query_one("#mode", OptionList)
        mode.display = not self.dropout
        self.query_one("#mode-label", Label).display = not self.dropout
        if bank is not None and not bank.is_followup:
            mode.highlighted = 0  # ASI Grund is always in person
        self._sync_link(bank if followup else None)
        self._warn()

    def _sync_link(self, bank: Any) -> None:
        """The > 2 years warning for the chosen link, and the återaktualisering mark when it is offered."""
        note, box = self.query_one("#link-note", Static), self.query_one("#reactualisation", Checkbox)
        target = self._chosen_link() if bank is not None else None
        day = self._day()
        old = target is not None and day is not None and (day - (chain.doc_date(target) or day)).days > FOLLOWUP_MAX_AGE_DAYS
        note.update(t("chain.warn.link_old") if old else "")
        offered = (bank is not None and bank.instrument == "uppfoljning" and day is not None
                   and chain.reactualisation_offered(getattr(self, "docs", []), self.query_one("#client", Input).value, day))
        box.display = offered
        box.tooltip = t("ui.new.reactualisation_hint") if offered else None
        if not offered:
            box.value = False

    def _chosen_link(self) -> dict[str, Any] | None:
        olist = self.query_one("#linked", OptionList)
        records = getattr(self, "grund_records", [])
        return records[olist.highlighted] if records and olist.highlighted is not None else None
    def _day(self) -> date | None:
        try:
            return date.fromisoformat(self.query_one("#date", Input).value.strip())
        except ValueError:
            return None

    def _similar(self) -> list[dict[str, Any]]:
        client, bank, day = self.query_one("#client", Input).value.strip(), self._bank(), self._day()
        if not client or bank is None or day is None or self.practice:
            return []
        return self.app.session.similar_records(client, bank, day)  # type: ignore[attr-defined,no-any-return]

    def _warn(self) -> None:
        """The client's records of this instrument on the same day or still open, before anything is created."""
        similar = self._similar()
        lines = [
            tm("ui.new.similar", date=d.get("interview_date", ""), status=t(f"status.{d.get('status')}"), user=d.get("interviewer", ""))
            for d in similar[:3]
        ]
        if lines:
            lines.insert(0, "[b]⚠[/b] " + t("ui.new.similar_title"))
            lines.append(t("ui.new.similar_confirm"))
        self.query_one("#form-warning", Static).update("\n".join(lines))
        self.query_one("#form-warning").display = bool(lines)

    # ------------------------------------------------------------------ starting

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(message)

    def action_start(self) -> None:
        if self.refused is not None:
            self._error(self.refused)
            return
        session = self.app.session  # type: ignore[attr-defined]
        client = self.query_one("#client", Input).value.strip()
        if not client:
            self._error(t("store.error.client_ref"))
            self.query_one("#client", Input).focus()
            return
        day = self._day()
        if day is None:
            self._error(tm("error.date", value=self.query_one("#date", Input).value))
            return
        bank = self._bank()
        mode_list = self.query_one("#mode", OptionList)
        mode = int(mode_list.get_option_at_index(mode_list.highlighted or 0).id or IN_PERSON)
        if not bank.is_followup and not self.dropout and mode != IN_PERSON:
            self._error(t("ui.new.grund_in_person"))
            return
        linked = None
        if bank.is_followup:
            doc = self._chosen_link()
            if doc is None:
                self._error(t("engine.link.required"))
                return
            linked = {"rid": doc["rid"], "date": doc["interview_date"]}
        elif self.dropout and self.followup_of:
            linked = {"rid": self.followup_of}  # the store checks it by the chain rules
        attempt = (client, bank.id, day.isoformat())
        if self._similar() and self._confirmed != attempt:
            self._confirmed = attempt  # seen: the next Ctrl+S starts it anyway
            self._error(t("ui.new.similar_again"))
            return
        try:
            prefill = "G9" in bank.by_id and not self.dropout  # how the interview is done: asked here, not again
            meta: dict[str, Any] = {} if self.dropout else {"contact_mode": mode, "prefilled": ["G9"] if prefill else []}
            if self.query_one("#reactualisation", Checkbox).value:
                meta["reactualisation"] = True
            unit = None if self.practice else self.query_one(UnitChoice).chosen
            handle = session.create_record(bank, client, day, linked=linked, practice=self.practice, meta=meta,
                                           unit=unit)
        except (StoreError, EngineError) as exc:
            self._error(tm(exc.key, **exc.params))
            return
        if prefill and handle.interview.is_visible("G9"):
            handle.answer("G9", mode)
        if linked and self.dropout and "SE.B.instrument" in bank.by_id:
            handle.answer("SE.B.instrument", 2)  # a dropout linked to an interview is for its follow-up
        self.dismiss(handle)

