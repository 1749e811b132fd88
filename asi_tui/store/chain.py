"""Chains of interviews: the one place that says what an Uppföljning (or a
follow-up dropout) may link to, and which interviews belong together.

A *chain* is a client's ASI Grund and the Uppföljningar that follow it: each
Uppföljning links (`linked.rid`) to the client's latest completed ASI
interview, the Grund or an earlier Uppföljning, so an Uppföljning linked to an
Uppföljning belongs to the chain of the original Grund (`chain_root`). The
"since last interview" window, the follow-up planner and the change view all
follow the chain.

Every rule here works on index documents (`index.index_doc`: ids, kinds,
statuses, dates, client refs; never answers), so the store, the CLI, the TUI
and the reports use the same rules without decrypting anything. A link is
valid (`check_link`) when the earlier record is a completed ASI Grund or
Uppföljning of the same client, not a practice record, not a dropout, and
dated before the new one; one more than two years old gives a warning.

Återaktualisering: an Uppföljning may stand in for a new Grund when a client
returns, if the client's Grund is under two years old. It is *offered*
(`reactualisation_offered`) when, in addition, there was a closed period in
between: the client's latest chain ended, either with a completed Uppföljning
(the follow-up of the last period was done) or with a registered follow-up
dropout (the occasion was closed without an interview). The program cannot
see whether the case itself was closed, so the interviewer decides; the mark
is stored in the record's meta (`meta.reactualisation`) and in its index
document (`reactualisation`), where statistics can filter on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..engine.limits import same_client_key
from ..engine.timeframe import FOLLOWUP_MAX_AGE_DAYS
from .errors import StoreError

if TYPE_CHECKING:
    from ..bank.loader import QuestionBank
    from .core import SessionCore

LINKABLE = ("grund", "uppfoljning")  # instruments an Uppföljning can follow
REACTUALISATION_MAX_DAYS = 730  # "a Grund not older than about two years"
REACTUALISATION = "reactualisation"  # the meta key and the index field
COMPLETED, WITHDRAWN = "completed", "withdrawn"


class LinkError(StoreError):
    """A link the chain rules refuse; `key` names the rule in `locales/*/followup.yaml`."""

    key = "chain.error.link"


def doc_date(doc: Mapping[str, Any]) -> date | None:
    try:
        return date.fromisoformat(str(doc.get("interview_date")))
    except ValueError:
        return None


def _order(doc: Mapping[str, Any]) -> tuple[date, str]:
    return doc_date(doc) or date.min, str(doc.get("rid"))


def is_interview(doc: Mapping[str, Any]) -> bool:
    """A real (not practice) ASI Grund or Uppföljning."""
    return doc.get("kind") == "interview" and doc.get("instrument") in LINKABLE and not doc.get("practice")


def linkable_for(instrument: str) -> tuple[str, ...]:
    """What a record of `instrument` may link to: a Spel Uppföljning follows the
    gambling module, everything else (Uppföljning, dropout) the ASI interviews."""
    return ("spel",) if instrument == "spel" else LINKABLE


def is_link_target(doc: Mapping[str, Any], instruments: tuple[str, ...] = LINKABLE) -> bool:
    return (doc.get("kind") == "interview" and doc.get("instrument") in instruments and not doc.get("practice")
            and doc.get("status") == COMPLETED)


def is_registered_dropout(doc: Mapping[str, Any]) -> bool:
    """A completed dropout registration (a withdrawn one no longer counts)."""
    return doc.get("kind") == "dropout" and doc.get("status") == COMPLETED and not doc.get("practice")


# ----------------------------------------------------------------------------- links


def _dated_target(doc: Mapping[str, Any], before: date, instruments: tuple[str, ...]) -> bool:
    """A completed interview of `instruments` dated before `before` (undated ones never are)."""
    return is_link_target(doc, instruments) and (doc_date(doc) or date.max) < before


def link_candidates(docs: Iterable[Mapping[str, Any]], client_ref: str, before: date,
                    instruments: tuple[str, ...] = LINKABLE) -> list[dict[str, Any]]:
    """The client's earlier interviews an Uppföljning may link to, latest first."""
    ref = same_client_key(client_ref)
    found = [dict(d) for d in docs if same_client_key(d.get("client_ref")) == ref and _dated_target(d, before, instruments)]
    return sorted(found, key=_order, reverse=True)


def latest_link_target(docs: Iterable[Mapping[str, Any]], before: date = date.max,
                       instruments: tuple[str, ...] = LINKABLE) -> Mapping[str, Any] | None:
    """The latest of `link_candidates` among documents known to be one
    client's, not copied: the planner asks it of every client."""
    return max((d for d in docs if _dated_target(d, before, instruments)), key=_order, default=None)


def default_link(docs: Iterable[Mapping[str, Any]], client_ref: str, before: date,
                 instruments: tuple[str, ...] = LINKABLE) -> dict[str, Any] | None:
    """The client's latest completed ASI interview before `before`: what a new Uppföljning links to."""
    ref = same_client_key(client_ref)
    found = latest_link_target((d for d in docs if same_client_key(d.get("client_ref")) == ref), before, instruments)
    return dict(found) if found is not None else None


def check_link(target: Mapping[str, Any] | None, client_ref: str, interview_date: date,
               instruments: tuple[str, ...] = LINKABLE) -> list[str]:
    """Refuse a link the rules do not allow (LinkError); return warning keys.

    The same rules hold for an Uppföljning and for a follow-up dropout linked to
    the interview whose follow-up it closes."""
    if target is None:
        raise LinkError("chain.error.link_missing")
    if target.get("kind") == "dropout":
        raise LinkError("chain.error.link_dropout")
    if target.get("kind") != "interview" or target.get("instrument") not in instruments:
        raise LinkError("chain.error.link_instrument")
    if target.get("practice"):
        raise LinkError("chain.error.link_practice")
    if same_client_key(target.get("client_ref")) != same_client_key(client_ref):
        raise LinkError("chain.error.link_other_client")
    if target.get("status") != COMPLETED:
        raise LinkError("chain.error.link_not_completed")
    linked = doc_date(target)
    if linked is None or linked >= interview_date:
        raise LinkError("chain.error.link_not_earlier", linked=str(target.get("interview_date")), date=interview_date.isoformat())
    if (interview_date - linked).days > FOLLOWUP_MAX_AGE_DAYS:
        return ["chain.warn.link_old"]
    return []


# ----------------------------------------------------------------------------- chains


def chain_root(rid: str, by_rid: Mapping[str, Mapping[str, Any]]) -> str:
    """The Grund a record's chain starts from (itself for a Grund or an unlinked record)."""
    seen = {rid}
    doc = by_rid.get(rid)
    while doc is not None and doc.get("linked_rid") and doc.get("instrument") != "grund":
        parent = str(doc["linked_rid"])
        if parent in seen or parent not in by_rid:
            break
        seen.add(parent)
        rid, doc = parent, by_rid[parent]
    return rid


def chain_of(rid: str, docs: Iterable[Mapping[str, Any]], completed_only: bool = True) -> list[dict[str, Any]]:
    """The interviews of the chain `rid` belongs to, oldest first (the whole chain,
    also the interviews after `rid`)."""
    docs = [dict(d) for d in docs]
    by_rid = {str(d["rid"]): d for d in docs}
    root = chain_root(rid, by_rid)
    members = [d for d in docs if is_interview(d) and chain_root(str(d["rid"]), by_rid) == root
               and (not completed_only or d.get("status") == COMPLETED)]
    return sorted(members, key=_order)


def latest_chain(docs: Iterable[Mapping[str, Any]], client_ref: str) -> list[dict[str, Any]]:
    """The client's most recent chain of completed interviews (empty without one)."""
    docs = list(docs)
    latest = default_link(docs, client_ref, date.max)
    return chain_of(str(latest["rid"]), docs) if latest else []


def closes(dropout: Mapping[str, Any], anchor: Mapping[str, Any]) -> bool:
    """A registered dropout that closes the follow-up occasion after `anchor`."""
    return is_registered_dropout(dropout) and dropout.get("linked_rid") == anchor.get("rid")


# ----------------------------------------------------------------------------- återaktualisering


def reactualisation_offered(docs: Iterable[Mapping[str, Any]], client_ref: str, interview_date: date) -> bool:
    """Offer the återaktualisering mark for a new Uppföljning of this client on this date."""
    docs = [d for d in docs if same_client_key(d.get("client_ref")) == same_client_key(client_ref)]
    chain = [d for d in latest_chain(docs, client_ref) if (doc_date(d) or date.max) < interview_date]
    if not chain or not _grund_recent(chain[0], interview_date):
        return False
    last = chain[-1]
    return last.get("instrument") == "uppfoljning" or any(closes(d, last) for d in docs)


def _grund_recent(root: Mapping[str, Any], interview_date: date) -> bool:
    day = doc_date(root)
    return root.get("instrument") == "grund" and day is not None and (interview_date - day).days <= REACTUALISATION_MAX_DAYS


def check_reactualisation(bank: QuestionBank, linked_doc: Mapping[str, Any] | None, docs: Iterable[Mapping[str, Any]],
                          interview_date: date) -> None:
    """Only an Uppföljning, and only when its chain's Grund is under two years old."""
    if bank.instrument != "uppfoljning" or linked_doc is None:
        raise LinkError("chain.error.reactualisation_instrument")
    chain = chain_of(str(linked_doc["rid"]), docs)
    if not chain or not _grund_recent(chain[0], interview_date):
        raise LinkError("chain.error.reactualisation_old")


# ----------------------------------------------------------------------------- reading a chain


@dataclass(frozen=True)
class ChainEntry:
    """One completed interview of a chain, decrypted for the change view."""

    rid: str
    day: date
    instrument: str
    bank: QuestionBank
    answers: dict[str, object]
    meta: dict[str, Any]
    interviewer: str
    reactualisation: bool = False


def read_chain(session: SessionCore, rid: str) -> list[ChainEntry]:
    """The completed interviews of `rid`'s chain up to and including `rid`, oldest
    first, each opened read-only (audited as a view by the store)."""
    doc = session.record_doc(rid)  # type: ignore[attr-defined]  # the records this user may see
    docs = session.client_records(doc.get("client_ref")) if doc else []  # type: ignore[attr-defined]
    members = chain_of(rid, docs)
    own = next((d for d in members if d["rid"] == rid), None)
    if own is not None:
        members = [d for d in members if _order(d) <= _order(own)]
    out = []
    for d in members:
        handle = session.open_record(str(d["rid"]), readonly=True)  # type: ignore[attr-defined]
        try:
            out.append(ChainEntry(handle.rid, date.fromisoformat(handle.body["interview_date"]), str(handle.body.get("instrument")),
                                  handle.bank, dict(handle.interview.answers), dict(handle.body.get("meta") or {}),
                                  str(handle.body.get("interviewer") or ""), bool((handle.body.get("meta") or {}).get(REACTUALISATION))))
        finally:
            handle.close(log=False)
    return out
