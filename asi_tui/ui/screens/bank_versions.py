"""Admin: bank versions per instrument (active, retired, records using each); publish, activate, retire."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ..dialogs.path import PathDialog
from ..lang import esc, t, tk, tm
from ..widgets.key_footer import KeyFooter


class BankVersionsScreen(Screen[None]):
    """Bank versions: which is active per instrument, which are retired, how many records use each."""

    BINDINGS = [
        Binding("enter", "activate", tk("ui.banks.key.activate"), id="bankversions.activate"),
        Binding("r", "retire", tk("ui.banks.key.retire"), id="bankversions.retire"),
        Binding("p", "publish", tk("ui.banks.key.publish"), id="bankversions.publish"),
        Binding("escape", "back", tk("ui.key.back"), id="bankversions.back"),
    ]
    AUTO_FOCUS = "#bank-list"

    def compose(self) -> ComposeResult:
        yield Static(t("ui.banks.title"), id="topbar")
        yield OptionList(id="bank-list")
        yield Static("", id="banks-status")
        yield KeyFooter()

    def _store(self):  # noqa: ANN202
        from ...store.banks import BankStore

        return BankStore.for_store(self.app.store)  # type: ignore[attr-defined]

    def on_mount(self) -> None:
        self.refresh_versions()

    def refresh_versions(self) -> None:
        rows = self._store().versions(self.app.session)  # type: ignore[attr-defined]
        self.rows = rows
        olist = self.query_one("#bank-list", OptionList)
        olist.clear_options()
        for r in rows:
            flags = []
            if r.active:
                flags.append(t("ui.banks.active"))
            if r.retired:
                flags.append(t("ui.banks.retired"))
            if getattr(r, "altered", False):
                flags.append(t("ui.banks.altered"))
            source = t(f"ui.banks.source.{r.source}")
            records = getattr(r, "records", 0)
            olist.add_option(Option(f"{esc(r.bank_id):<22} {esc(r.version):<8} {source:<10} {records:>5}  {', '.join(flags)}"))
        if rows:
            olist.highlighted = 0

    def _row(self):  # noqa: ANN202
        i = self.query_one("#bank-list", OptionList).highlighted
        return self.rows[i] if i is not None and i < len(self.rows) else None

    def _run(self, fn, done: str) -> None:  # noqa: ANN001
        try:
            fn()
        except StoreError as exc:
            self.query_one("#banks-status", Static).update(tm(exc.key, **exc.params))
            return
        self.query_one("#banks-status", Static).update(done)
        self.refresh_versions()

    def action_activate(self) -> None:
        r = self._row()
        if r is not None:
            self._run(lambda: self._store().activate(self.app.session, r.bank_id, r.version),  # type: ignore[attr-defined]
                      tm("ui.banks.activated", bank=r.bank_id, version=r.version))

    def action_retire(self) -> None:
        r = self._row()
        if r is not None:
            self._run(lambda: self._store().retire(self.app.session, r.bank_id, r.version),  # type: ignore[attr-defined]
                      tm("ui.banks.retired_done", bank=r.bank_id, version=r.version))

    def action_publish(self) -> None:
        from pathlib import Path

        from ...bank.loader import BankError

        def chosen(path: str | None) -> None:
            if not path:
                return
            try:
                info, _reports = self._store().publish(self.app.session, Path(path).expanduser())  # type: ignore[attr-defined]
            except BankError as exc:
                first = exc.problems[0] if exc.problems else None
                self.query_one("#banks-status", Static).update(tm("ui.banks.broken", n=len(exc.problems), first=str(first or "")))
                return
            except StoreError as exc:
                self.query_one("#banks-status", Static).update(tm(exc.key, **exc.params))
                return
            self.query_one("#banks-status", Static).update(tm("ui.banks.published", bank=info.bank_id, version=info.version))
            self.refresh_versions()

        self.app.push_screen(PathDialog(t("ui.banks.publish_title")), callback=chosen)

    def action_back(self) -> None:
        self.app.pop_screen()
