"""Chains of published maps: answers of any version moved to the version a report wants."""

from __future__ import annotations

from collections import deque
from typing import Any, Callable, Iterable

from ..model import version_key
from .maps import LoadedMap


class Migrator:
    """The `migrate` hook of exports and statistics.

    `migrator(bank_id, version, answers)` returns the answers moved along the
    published maps to the target version of that bank (by default the active
    version of its instrument). Answers of a version with no path of maps to
    the target come back unchanged; `unmapped` collects such versions so a
    report can say so.
    """

    def __init__(self, maps: Iterable[LoadedMap], targets: dict[str, tuple[str, str]],
                 key_of: Callable[[str, str], str | None]) -> None:
        self.edges: dict[tuple[str, str], list[LoadedMap]] = {}
        for m in maps:
            self.edges.setdefault(m.source, []).append(m)
        self.targets = targets
        self.key_of = key_of
        self.unmapped: set[tuple[str, str]] = set()
        self._paths: dict[tuple[str, str], list[LoadedMap] | None] = {}

    def for_versions(self, present: Iterable[tuple[str, str]]) -> "Migrator":
        """The same maps, aimed at the newest of the `present` versions of each
        instrument: an export over some versions never migrates answers to ids
        of a version that has no columns in it."""
        best: dict[str, tuple[str, str]] = {}
        for bank_id, version in present:
            key = self.key_of(bank_id, version)
            if key and (key not in best or version_key(version) > version_key(best[key][1])):
                best[key] = (bank_id, version)
        return Migrator([m for ms in self.edges.values() for m in ms], best, self.key_of)

    def target_for(self, bank_id: str, version: str) -> tuple[str, str] | None:
        key = self.key_of(bank_id, version)
        return self.targets.get(key) if key else None

    def path(self, bank_id: str, version: str) -> list[LoadedMap] | None:
        start = (bank_id, version)
        if start not in self._paths:
            target = self.target_for(bank_id, version)
            self._paths[start] = [] if target in (None, start) else _shortest(self.edges, start, target)
        return self._paths[start]

    def __call__(self, bank_id: str, version: str, answers: dict[str, Any]) -> dict[str, Any]:
        chain = self.path(bank_id, version)
        if chain is None:
            self.unmapped.add((bank_id, version))
            return dict(answers)
        for m in chain:
            answers = m.apply(answers)
        return dict(answers)


def _shortest(edges: dict[tuple[str, str], list[LoadedMap]], start: tuple[str, str],
              goal: tuple[str, str]) -> list[LoadedMap] | None:
    queue: deque[tuple[tuple[str, str], list[LoadedMap]]] = deque([(start, [])])
    seen = {start}
    while queue:
        node, chain = queue.popleft()
        for m in edges.get(node, []):
            nxt = m.target
            if nxt == goal:
                return chain + [m]
            if nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, chain + [m]))
    return None
