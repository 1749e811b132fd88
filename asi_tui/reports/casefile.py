"""What goes into the client's case file: the change view ("kvitto") and the
printable interview, written for one client, audited, and kept from other
users of the machine (files 0600).

The TUI and the CLI both call these; the figures come from
`scoring.change` and `scoring.printout`, the chain from `store.chain`.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..i18n import Translator
from ..scoring import change as change_mod
from ..scoring import printout
from ..store.chain import ChainEntry, chain_of, is_link_target, latest_chain, read_chain
from ..store.errors import StoreError

if TYPE_CHECKING:
    from ..store import RecordHandle, Session

FORMATS = ("md", "html")


class CaseFileError(StoreError):
    key = "casefile.error.generic"


def write_private(path: Path, text: str) -> Path:
    """Write `text` readable by its owner only (0600), replacing an earlier export."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


# ----------------------------------------------------------------------------- the change view


def client_chain(session: "Session", rid: str) -> list[ChainEntry]:
    """The chain up to `rid`, refused unless it holds two interviews or more."""
    entries = read_chain(session, rid)
    if len(entries) < 2:
        raise CaseFileError("casefile.error.too_few")
    return entries


def chain_for_record(session: "Session", rid: str) -> tuple[list[ChainEntry], str]:
    """(the chain to show, client ref) for any record of a client: the chain the record
    belongs to, up to its latest completed interview; for a record outside the chains
    (a dropout, a Grund in progress) the client's latest chain."""
    doc = session.record_doc(rid)
    if doc is None:
        raise CaseFileError("casefile.error.too_few")
    docs = session.client_records(doc.get("client_ref"))
    client = str(doc.get("client_ref") or "")
    members = chain_of(rid, docs) if is_link_target(doc) else latest_chain(docs, client)
    if len(members) < 2:
        raise CaseFileError("casefile.error.too_few")
    return client_chain(session, str(members[-1]["rid"])), client


def change_markdown(entries: list[ChainEntry], client_ref: str, lang: str) -> str:
    t = Translator(lang)
    view = change_mod.change_view(entries, t, lang)
    header = {"client": client_ref, "interviewer": entries[-1].interviewer}
    return change_mod.to_markdown(view, header, t)


def export_change(session: "Session", entries: list[ChainEntry], client_ref: str, directory: Path, lang: str) -> Path:
    """The change view as Markdown in `lang` (the client's language), audited."""
    path = write_private(Path(directory) / f"forandring-{entries[-1].rid}-{lang}.md", change_markdown(entries, client_ref, lang))
    session.log("export", entries[-1].rid, client_ref, detail={"what": "change", "lang": lang, "interviews": len(entries)})
    return path


# ----------------------------------------------------------------------------- the printable interview


def record_header(handle: "RecordHandle", t: Translator) -> list[tuple[str, str]]:
    body = handle.body
    rows = [
        (t("print.head.client"), handle.client_ref),
        (t("print.head.instrument"), f"{handle.bank.model.title.get(t.lang)} ({handle.bank.id} {handle.bank.version})"),
        (t("print.head.date"), str(body.get("interview_date"))),
        (t("print.head.interviewer"), str(body.get("interviewer") or "")),
        (t("print.head.status"), t(f"status.{body.get('status')}")),
    ]
    linked = body.get("linked") or {}
    if linked.get("date"):
        rows.append((t("print.head.linked"), str(linked["date"])))
    meta = body.get("meta") or {}
    if meta.get("reactualisation"):
        rows.append((t("print.head.reactualisation"), t("print.mark_yes")))
    if body.get("practice"):
        rows.append((t("print.head.practice"), t("print.mark_yes")))
    rows.append((t("print.head.printed"), date.today().isoformat()))
    return rows


def render_record(handle: "RecordHandle", fmt: str, lang: str) -> str:
    if fmt not in FORMATS:
        raise CaseFileError("casefile.error.format", formats=", ".join(FORMATS))
    t = Translator(lang)
    doc = printout.interview_document(handle.interview, record_header(handle, t), handle.body.get("meta") or {}, t, lang)
    return printout.to_html(doc, t, lang) if fmt == "html" else printout.to_markdown(doc, t)


def print_record(session: "Session", handle: "RecordHandle", fmt: str, lang: str, directory: Path | None = None) -> str | Path:
    """The interview as Markdown or HTML: returned (for stdout) or, with
    `directory`, written 0600. Either way audited as an export of the record."""
    text = render_record(handle, fmt, lang)
    detail: dict[str, Any] = {"what": "print", "format": fmt}
    if directory is None:
        session.log("export", handle.rid, handle.client_ref, detail=detail)
        return text
    path = write_private(Path(directory) / f"intervju-{handle.rid}.{fmt}", text)
    session.log("export", handle.rid, handle.client_ref, detail=detail)
    return path
