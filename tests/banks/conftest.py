"""Fixtures for bank versions: a data directory with an admin and a certified interviewer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from asi_tui.bank.loader import QuestionBank, load_bank
from asi_tui.bank.registry import bundled_bank
from asi_tui.store.banks import BankStore, resolver_for
from asi_tui.store import Session, Store

from .helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW, GRUND_V1, MAP_V1_V2, make_grund_v2, write


@pytest.fixture(scope="session")
def grund_v2_file(tmp_path_factory) -> Path:
    return make_grund_v2(tmp_path_factory.mktemp("v2"))


@pytest.fixture(scope="session")
def grund_v1() -> QuestionBank:
    return load_bank(GRUND_V1)  # the maps below start at 1.0.0, not at the newest bundled version


@pytest.fixture(scope="session")
def grund_v2(grund_v2_file) -> QuestionBank:
    return load_bank(grund_v2_file)


@pytest.fixture
def map_file(tmp_path) -> Path:
    return write(tmp_path / "maps" / "grund-1-2.yaml", MAP_V1_V2)


@dataclass
class Env:
    root: Path
    admin: Session

    def store(self) -> Store:
        return Store.open(self.root, resolver=resolver_for(self.root))

    def session(self, user: str = ANNA) -> Session:
        return self.store().unlock(user, {ADMIN: ADMIN_PW, ANNA: ANNA_PW}[user])

    def banks(self) -> BankStore:
        return BankStore(self.root)


@pytest.fixture
def env(tmp_path) -> Env:
    root = tmp_path / "data"
    store, _code = Store.init(root, ADMIN, "Admin", ADMIN_PW)
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_user(ANNA, "Anna", "interviewer", ANNA_PW, certified=True)
    return Env(root, admin)
