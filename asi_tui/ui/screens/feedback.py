"""Återkoppling: resources and problems per area, the rating profile, composite scores; export."""

from __future__ import annotations

import os
from pathlib import Path

from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets.option_list import Option

from ...scoring.feedback import AreaFeedback, bar, feedback_areas, to_markdown
from ...store.errors import StoreError
from ...store import RecordHandle
from ..lang import current, esc, t, tk, tm
from ..navigation import open_change, open_interview
from .list_detail import ListDetailScreen


class FeedbackScreen(ListDetailScreen[None]):
    LIST_ID, DETAIL_ID = "fb-areas", "fb-detail"
    BINDINGS = [
        Binding("r", "edit('resources')", tk("ui.key.resources"), id="fb.resources"),
        Binding("p", "edit('problems')", tk("ui.key.problems"), id="fb.problems"),
        Binding("e", "export", tk("ui.key.export"), id="fb.export"),
        Binding("v", "answers", tk("ui.key.answers"), id="fb.answers"),
        Binding("k", "change", tk("ui.key.change"), id="fb.change"),
        Binding("u", "print", tk("ui.key.print"), id="fb.print"),
        Binding("escape", "leave", tk("ui.key.home"), id="fb.home"),
    ]
    AUTO_FOCUS = "#fb-areas"

    def __init__(self, handle: RecordHandle) -> None:
        super().__init__(id="feedback")
        self.handle = handle

    def _areas(self) -> list[AreaFeedback]:
        return feedback_areas(self.handle.bank, self.handle.interview.answers, self.handle.body.get("meta", {}), self.lang)

    def topbar_text(self) -> str:
        return tm("ui.fb.title", client=self.handle.client_ref)

    def detail_pane(self) -> Widget:
        return Vertical(Static("", id="fb-profile"), Static("", id="fb-texts"), id=self.DETAIL_ID)

    def on_mount(self) -> None:
        self.area_change = self._change_view()
        self.set_options(Option(a.title, id=a.section_id) for a in self._areas())
        self.show_detail()

    def _change_view(self) -> dict[str, str]:
        """An Uppföljning's Återkoppling shows each area's change since the interview before it."""
        if self.handle.body.get("instrument") != "uppfoljning":
            return {}
        from ...reports.casefile import client_chain
        from ...scoring.change import change_view, fmt

        try:
            view = change_view(client_chain(self.handle.session, self.handle.rid), current(), self.lang)  # type: ignore[arg-type]
        except StoreError:
            return {}
        return {a.area: t("ui.fb.change", verdict=t(f"change.verdict.{a.verdict}"), before=fmt(a.composite.before, "composite"),
                          after=fmt(a.composite.after, "composite")) for a in view.areas}

    def _current(self) -> AreaFeedback:
        areas = self._areas()
        return areas[self.highlighted_index() or 0]

    def show_detail(self) -> None:
        a = self._current()
        lines = [f"[b]{a.title}[/b]"]
        for _id, label, value in a.client_ratings:
            lines.append(f"{bar(value, 4)}  {esc(label)}")
        lines.append(f"{bar(a.interviewer_rating, 9)}  {t('feedback.interviewer_rating')}")
        if a.composite is not None:
            lines.append(f"{t('feedback.composite')}: {a.composite:.2f}")
        if a.area in self.area_change:
            lines.append(self.area_change[a.area])
        self.query_one("#fb-profile", Static).update("\n".join(lines))
        self.query_one("#fb-texts", Static).update(
            f"[b]{t('feedback.resources')}[/b] (r)\n{esc(a.resources) or '–'}\n\n[b]{t('feedback.problems')}[/b] (p)\n{esc(a.problems) or '–'}"
        )

    def action_edit(self, which: str) -> None:
        if self.handle.readonly:
            return
        from ..dialogs.comment import CommentDialog

        a = self._current()
        text = a.resources if which == "resources" else a.problems

        def saved(value: str | None) -> None:
            if value is None:
                return
            try:
                self.handle.set_meta(f"feedback.{a.section_id}.{which}", value)
            except StoreError as exc:
                self.notify(tm(exc.key, **exc.params), severity="error")
            self.show_detail()

        self.app.push_screen(CommentDialog(f"{a.title}: {t('feedback.' + which)}", text, False), callback=saved)

    def action_export(self) -> None:
        path = export_feedback(self.handle, Path(self.app.services.export_dir), self.lang)  # type: ignore[attr-defined]
        self.notify(tm("ui.fb.exported", path=path), timeout=10)

    def action_change(self) -> None:
        """The client's change up to this interview (an Uppföljning and what came before)."""
        from ...reports.casefile import client_chain

        try:
            entries = client_chain(self.handle.session, self.handle.rid)  # type: ignore[arg-type]
        except StoreError as exc:
            self.notify(t(exc.key, **exc.params), severity="warning")
            return
        open_change(self, entries, self.handle.client_ref)

    def action_print(self) -> None:
        """The whole interview as one A4 HTML page for the case file (0600, audited)."""
        from ...reports.casefile import print_record

        path = print_record(self.handle.session, self.handle, "html", self.lang, Path(self.app.services.export_dir))  # type: ignore[arg-type, attr-defined]
        self.notify(t("ui.fb.exported", path=path), timeout=10)

    def action_answers(self) -> None:
        """Look through the answers (read-only: the interview is completed)."""
        open_interview(self, self.handle, owns_record=False)

    def action_leave(self) -> None:
        self.close_record()
        self.app.pop_screen()

    def close_record(self) -> None:
        self.handle.close()


def export_feedback(handle: RecordHandle, directory: Path, lang: str) -> Path:
    """Write the Återkoppling as Markdown (mode 0600) and audit the export."""
    tr = current()
    areas = feedback_areas(handle.bank, handle.interview.answers, handle.body.get("meta", {}), lang)
    header = {
        "client": handle.client_ref,
        "instrument": tr(f"ui.instrument.{handle.bank.id}"),
        "date": handle.body["interview_date"],
        "interviewer": handle.body.get("interviewer", ""),
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"aterkoppling-{handle.rid}.md"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(to_markdown(areas, header, tr))
    handle.session.log("export", handle.rid, handle.client_ref, detail={"what": "feedback"})
    return path
