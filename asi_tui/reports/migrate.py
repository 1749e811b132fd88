"""One code path for lining up a record's answers with the current bank version.

Statistics and exports both call `AnswerMigration`: it aims the published
migration maps (`BankStore.migrator()`) at the newest version of each bank
among the records a report covers (`Migrator.for_versions`), and moves the
answers of every older record along the maps: renamed items to their new id,
merged or split codes to the new codes. A record already on the newest
version passes untouched (and costs nothing). A version with no chain of maps
to the newest one keeps its own ids (`Migrator.unmapped` names it).

The answers may come in any form the maps accept: a record body's
`{"v": ...}` entries (what `load_dataset` passes), the encoded values or the
engine's decoded ones (what the export passes); the result has the same form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from ..bank.model import version_key

if TYPE_CHECKING:
    from ..store import Session

Migrate = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def newest_versions(present: Iterable[tuple[str, str]]) -> dict[str, str]:
    """bank id -> its newest version among `present` (bank id, version) pairs."""
    newest: dict[str, str] = {}
    for bank_id, version in present:
        if bank_id not in newest or version_key(version) > version_key(newest[bank_id]):
            newest[bank_id] = version
    return newest


class AnswerMigration:
    """`migration(bank_id, version, answers)`: the answers at the newest present version."""

    def __init__(self, migrate: Migrate | None, present: Iterable[tuple[str, str]]) -> None:
        present = list(present)
        if migrate is not None and hasattr(migrate, "for_versions"):
            # aim the maps at the newest version the report covers, whose ids the tables use
            migrate = migrate.for_versions(present)  # type: ignore[attr-defined]
        self.migrate = migrate
        self.newest = newest_versions(present)

    def applies(self, bank_id: str, version: str) -> bool:
        return self.migrate is not None and self.newest.get(bank_id, version) != version

    def __call__(self, bank_id: str, version: str, answers: Mapping[str, Any]) -> Mapping[str, Any]:
        if not self.applies(bank_id, version):
            return answers
        assert self.migrate is not None
        return self.migrate(bank_id, version, dict(answers))

    @property
    def unmapped(self) -> set[tuple[str, str]]:
        return set(getattr(self.migrate, "unmapped", set()))


def published_migrator(session: "Session") -> Migrate:
    """The data directory's published maps, as `export` and `stats` both use them."""
    from ..store.banks import BankStore

    return BankStore.for_store(session.store).migrator()


__all__ = ["AnswerMigration", "Migrate", "newest_versions", "published_migrator"]
