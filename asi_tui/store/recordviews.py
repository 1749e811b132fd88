"""What a session may see of the records: listings, the index documents the
reports and the planner work from, and decrypted bodies for reports, each
cut down to the units the policy gives this user (`access`) before anything
leaves the store.

The checks sit above the index: whichever index is underneath (one file, or
one partition per unit), a session sees the documents of its units only.
Every index document carries `unit` (a unit id, or `practice`).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import secrets
from typing import Any, Iterator, Mapping

from ..engine.interview import COMPLETED
from .index import OPEN_STATUSES
from ..engine.limits import same_client_key
from . import access
from .access import PRACTICE_UNIT
from .core import SessionCore
from .errors import StoreError

ANALYST_ROLES = ("analyst",)


def _latest(doc: dict[str, Any]) -> tuple[str, str]:
    return (doc.get("updated") or "", doc["rid"])


class RecordViews(SessionCore):
    """Listings and report reads, scoped by role and unit."""

    _pseudonym_key: bytes | None = None

    # -------------------------------------------------------------- scoping

    def _practice_scope(self) -> str | None:
        """Whose practice records: "all" (trainers, admins reviewing), "own", or None."""
        if access.allowed(self.user, "practice.review"):
            return "all"
        if access.rule(self.user, "practice").allowed:
            return "own"
        return None

    def _visible(self, doc: dict[str, Any], units: set[str] | None, practice: str | None) -> bool:
        unit = doc.get("unit") or (PRACTICE_UNIT if doc.get("practice") else None)
        if unit == PRACTICE_UNIT or doc.get("practice"):
            return practice == "all" or (practice == "own" and doc.get("interviewer") == self.user.id)
        return units is None or unit in units

    # -------------------------------------------------------------- listings

    def list_records(self, limit: int | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Index documents (ids, status, dates, client references) of the records
        this user may list, latest change first (the first `limit`): their units'
        records and the practice records they may see. A role that lists no
        client records (trainee, trainer, analyst) is refused (audited), except
        when it asks for practice records only (`practice=True`) and may
        practise or review practice."""
        units, practice = self._listable(filters.get("practice") is True)
        keys = [k for k, v in filters.items() if v is not None]
        values = [filters[k] for k in keys]
        if limit is not None and self._by_latest(filters):  # "my latest few": no scan of all of theirs
            found = []
            for d in self.index.interviewer_latest(filters["interviewer"]):
                if len(found) >= limit:
                    break
                if [d.get(k) for k in keys] == values and self._visible(d, units, practice):
                    found.append(dict(d))
            return found
        docs = [d for d in self._candidates(filters)
                if [d.get(k) for k in keys] == values and self._visible(d, units, practice)]
        if limit is not None:
            docs = heapq.nlargest(limit, docs, key=_latest)
        else:
            docs.sort(key=_latest, reverse=True)
        return [dict(d) for d in docs]

    def _listable(self, practice_only: bool = False) -> tuple[set[str] | None, str | None]:
        """(units, practice scope) this user may list; refused (audited) for a
        role that lists no client records, unless it asks for practice only."""
        if not access.rule(self.user, "record.list").allowed and not (practice_only and self._practice_scope()):
            self.deny("record.list")
        return self.scope("record.list"), self._practice_scope()

    @staticmethod
    def _by_latest(filters: dict[str, Any]) -> bool:
        """Whether a limited listing is best walked through the interviewer's
        documents latest first (`Index.interviewer_latest`)."""
        return (filters.get("interviewer") is not None and filters.get("client_ref") is None
                and filters.get("status") not in OPEN_STATUSES)

    def _candidates(self, filters: dict[str, Any]) -> list[dict[str, Any]]:
        """The index documents a listing with these filters starts from: a
        client's, an interviewer's or the open ones when the filters allow it
        (the view keeps them apart), else every document."""
        if filters.get("status") in OPEN_STATUSES:
            return self.index.open_docs()
        if filters.get("client_ref") is not None:
            return self.index.client_docs(filters["client_ref"])
        if filters.get("interviewer") is not None:
            return self.index.interviewer_docs(filters["interviewer"])
        return self.index.docs_view()

    def client_records(self, client_ref: str | None) -> list[dict[str, Any]]:
        """The records of one client (client references compared as
        `same_client_key` does) this user may list, latest first."""
        units, practice = self._listable()
        docs = [dict(d) for d in self.index.client_docs(client_ref) if self._visible(d, units, practice)]
        return sorted(docs, key=_latest, reverse=True)

    def record_doc(self, rid: str) -> dict[str, Any] | None:
        """One record's index document, if this user may list it."""
        units, practice = self._listable()
        doc = self.index.get(rid)
        return doc if doc is not None and self._visible(doc, units, practice) else None

    def count_by_bank(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(records, not completed) per (bank id, version), over every record:
        counts only, for `bank versions` (any user)."""
        out: dict[tuple[str, str], tuple[int, int]] = {}
        for d in self.index.docs_view():
            n, open_ = out.get((d.get("bank_id"), d.get("bank_version")), (0, 0))
            out[(d.get("bank_id"), d.get("bank_version"))] = (n + 1, open_ + (d.get("status") != COMPLETED))
        return out

    def report_docs(self, purpose: str = "stats") -> list[dict[str, Any]]:
        """The index documents a report (`stats`, `export`) may use: the units the
        policy covers for this user, never practice records. For an analyst the
        client references are replaced by pseudonyms of this session (the same
        client gets the same one, so chains and client keys hold)."""
        units = self.scope(purpose)
        if units is not None and not units:
            self.deny(purpose)
        docs = [d for d in self.index.all() if not d.get("practice") and (units is None or d.get("unit") in units)]
        return [self._deidentified(d) for d in docs] if self.user.role in ANALYST_ROLES else docs

    def planning_docs(self) -> list[dict[str, Any]]:
        """What the follow-up planner works from: the records of this user's
        units, and the chains of clients whose Grund names them the responsible
        case worker (in the Grund's unit)."""
        units = self.scope("followups")
        every = [d for d in self.index.all() if not d.get("practice")]
        mine = {(d.get("unit"), same_client_key(d.get("client_ref"))) for d in every
                if d.get("responsible") == self.user.id and not d.get("practice")}
        if units is not None and not units and not mine:
            self.deny("followups")
        return [d for d in every if (units is None and access.rule(self.user, "followups").allowed)
                or (units is not None and d.get("unit") in units)
                or (d.get("unit"), same_client_key(d.get("client_ref"))) in mine]

    def planning_groups(self) -> Mapping[str, tuple[dict[str, Any], ...]]:
        """`planning_docs` by client (`same_client_key`). When every unit this
        session's index holds is one the user plans (an interviewer and their
        units, an admin), the index's live groups themselves: a group is a new
        tuple only when one of its documents changed, so the planner derives
        again only those (`reports.followups.Planner`). Practice documents are
        in the groups; the planner leaves them out."""
        units = self.scope("followups")
        held = self.index.compartments() - {PRACTICE_UNIT}
        if access.rule(self.user, "followups").allowed and (units is None or (units and held <= units)):
            return self.index.groups()
        groups: dict[str, list[dict[str, Any]]] = {}
        for d in self.planning_docs():  # another role's view: built anew (no change list: see planning_changes)
            groups.setdefault(same_client_key(d.get("client_ref")), []).append(d)
        return {k: tuple(v) for k, v in groups.items()}

    def planning_changes(self, since: int | None) -> tuple[int | None, list[str] | None]:
        """(position, the clients whose documents changed since `since`) for
        `planning_groups`' live groups; None instead of the list when there is
        none to go by (first call, a reload, another role's groups): compare all."""
        units = self.scope("followups")
        held = self.index.compartments() - {PRACTICE_UNIT}
        if access.rule(self.user, "followups").allowed and (units is None or (units and held <= units)):
            return self.index.changes_since(since)
        return None, None

    # -------------------------------------------------------------- bodies for reports

    def read_bodies(
        self,
        statuses: tuple[str, ...] | None = (COMPLETED,),
        include_practice: bool = False,
        damaged: list[str] | None = None,
        practice_only: bool = False,
        purpose: str = "stats",
    ) -> Iterator[dict[str, Any]]:
        """Decrypted snapshot bodies, for reports: no lock, no engine, no journal.

        Only the records `purpose` (`stats`, `export`) covers for this user, or
        with `practice_only` the practice records they may review (trainers:
        everyone's; others their own). A completed record's snapshot holds every
        answer (hidden items as N); only Återkoppling texts can follow in its
        journal. Damaged records are skipped and their ids appended to
        `damaged`. The caller audits what it does with the data (statistics,
        export). An analyst's bodies carry pseudonyms, not client references.
        """
        practice = self._practice_scope()
        if practice_only:
            if practice is None:
                self.deny("practice")
            units: set[str] | None = set()
        else:
            units = self.scope(purpose)
            if units is not None and not units:
                self.deny(purpose)
        if not (include_practice or practice_only):
            practice = None
        wanted = set()
        for d in self.index.docs_view():
            if statuses is not None and d.get("status") not in statuses:
                continue
            is_practice = bool(d.get("practice"))
            if practice_only and not is_practice:
                continue
            if self._visible(d, units, practice) and (is_practice or not practice_only):
                wanted.add(d["rid"])
        analyst = self.user.role in ANALYST_ROLES
        for rid in sorted(wanted):
            path = self.store.dir.record_path(rid)
            try:
                snap = self._read_snapshot(path, rid)
            except (StoreError, FileNotFoundError):
                if damaged is not None:
                    damaged.append(rid)
                continue
            yield self._deidentified(snap.body) if analyst else snap.body

    # -------------------------------------------------------------- analysts

    def _deidentified(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A document or body without the client reference (a pseudonym of this
        session instead), the interviewer, or free-text meta data (Återkoppling)."""
        if self._pseudonym_key is None:
            self._pseudonym_key = secrets.token_bytes(32)
        ref = same_client_key(doc.get("client_ref"))
        digest = hmac.new(self._pseudonym_key, ref.encode(), hashlib.sha256).hexdigest()[:16]
        out = {**doc, "client_ref": f"P-{digest}", "interviewer": None}
        if isinstance(doc.get("meta"), dict):
            out["meta"] = {k: v for k, v in doc["meta"].items() if k == "reactualisation"}
        out.pop("responsible", None)
        return out
