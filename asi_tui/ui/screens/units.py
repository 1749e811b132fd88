"""Admin: the units (add, rename, retire); users' units are set on the admin screen.

Every change goes through the store's Session API, which checks the admin
role, makes and boxes the unit keys and audits it; this screen only collects input.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Static
from textual.widgets.option_list import Option

from ...store.errors import StoreError
from ..dialogs.prompt import PromptDialog
from ..lang import esc, t, tk, tm
from .list_detail import ListDetailScreen


class UnitsScreen(ListDetailScreen[None]):
    BINDINGS = [
        Binding("a", "add", tk("ui.units.key.add"), id="units.add"),
        Binding("r", "rename", tk("ui.units.key.rename"), id="units.rename"),
        Binding("x", "retire", tk("ui.units.key.retire"), id="units.retire"),
        Binding("escape", "back", tk("ui.key.back"), id="units.back"),
    ]
    LIST_ID, DETAIL_ID, STATUS_ID = "units", "units-detail", "units-status"
    AUTO_FOCUS = "#units"

    def topbar_text(self) -> str:
        return t("ui.units.title")

    def on_mount(self) -> None:
        self.refresh_units()

    def refresh_units(self, keep: str | None = None) -> None:
        units = self.app.session.list_units()  # type: ignore[attr-defined]
        options = [Option(f"{esc(u.name):<30} {t('cli.unit.retired') if u.retired else ''}", id=u.id) for u in units]
        ids = [u.id for u in units]
        self.set_options(options, ids.index(keep) if keep in ids else 0)
        self.show_detail()

    def show_detail(self) -> None:
        uid = self.highlighted_id()
        session = self.app.session  # type: ignore[attr-defined]
        unit = next((u for u in session.list_units() if u.id == uid), None)
        if unit is None:
            return
        members = [u.id for u in session.list_users() if unit.id in u.units and not u.disabled]
        self.query_one("#units-detail", Static).update(t(
            "ui.units.detail", id=unit.id, name=esc(unit.name), members=", ".join(members) or "-",
            retired=t("ui.admin.yes") if unit.retired else t("ui.admin.no")))

    def _do(self, fn, keep: str | None = None) -> None:  # noqa: ANN001
        try:
            unit = fn()
        except StoreError as exc:
            self.set_status(tm(exc.key, **exc.params))
            return
        self.set_status(tm("ui.units.saved", unit=unit.id, name=unit.name))
        self.refresh_units(keep=keep or unit.id)

    def action_add(self) -> None:
        def named(name: str | None) -> None:
            if name:
                self._do(lambda: self.app.session.add_unit(name))  # type: ignore[attr-defined]

        self.app.push_screen(PromptDialog(t("ui.units.add_title")), callback=named)

    def action_rename(self) -> None:
        uid = self.highlighted_id()
        if uid is None:
            return

        def named(name: str | None) -> None:
            if name:
                self._do(lambda: self.app.session.change_unit(uid, name=name))  # type: ignore[attr-defined]

        self.app.push_screen(PromptDialog(t("ui.units.rename_title", unit=uid)), callback=named)

    def action_retire(self) -> None:
        uid = self.highlighted_id()
        unit = next((u for u in self.app.session.list_units() if u.id == uid), None)  # type: ignore[attr-defined]
        if unit is not None:
            self._do(lambda: self.app.session.change_unit(unit.id, retired=not unit.retired))  # type: ignore[attr-defined]
