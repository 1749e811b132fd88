"""Fixtures for the encrypted record store tests (real files in tmp_path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Session, Store

from store_helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW, INTERVIEW_DATE, OLLE, OLLE_PW, PASSWORDS


@pytest.fixture(scope="session")
def bank():
    return bundled_bank("asi-grund")


@dataclass
class StoreEnv:
    root: Path
    store: Store
    recovery: str
    admin: Session

    @property
    def vault_path(self) -> Path:
        return self.root / "vault.json"

    def rec_path(self, rid: str) -> Path:
        return self.root / "records" / f"{rid}.rec"

    def jnl_path(self, rid: str, gen: int) -> Path:
        return self.root / "journals" / f"{rid}.{gen}.jnl"

    def session(self, user: str = ADMIN, passphrase: str | None = None) -> Session:
        """A fresh process-like session: Store.open + unlock."""
        return Store.open(self.root).unlock(user, passphrase if passphrase is not None else PASSWORDS[user])

    def make_record(self, bank, answers, session: Session | None = None, client_ref: str = "K-0001", pause: bool = False) -> str:  # noqa: ANN001
        s = session or self.admin
        h = s.create_record(bank, client_ref, INTERVIEW_DATE)
        for item, value in answers:
            outcome = h.answer(item, value)
            assert outcome.ok, (item, value, outcome)
        if pause:
            h.pause()
        h.close()
        return h.rid


@pytest.fixture
def env(tmp_path) -> StoreEnv:
    """A data directory with an admin, a certified and an uncertified interviewer."""
    root = tmp_path / "data"
    store, code = Store.init(root, ADMIN, "Adam Admin", ADMIN_PW)
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_user(ANNA, "Anna Andersson", "interviewer", ANNA_PW, certified=True)
    admin.add_user(OLLE, "Olle Olsson", "interviewer", OLLE_PW, certified=False)
    return StoreEnv(root, store, code, admin)
