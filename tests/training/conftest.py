"""Fixtures for the training tests: a small bank, its exercise and a store with a trainer and trainees."""

from __future__ import annotations

from pathlib import Path

import pytest


FIXTURES = Path(__file__).resolve().parent / "fixtures"
PW = {
    "admin": "admin-lösenfras-1",
    "ulla": "ulla-lösenfras-22",
    "anna": "anna-lösenfras-333",
    "tove": "tove-lösenfras-4444",
    "tim": "tim-lösenfras-55555",
}


@pytest.fixture(scope="session")
def train_bank():
    from asi_tui.bank.loader import load_bank

    return load_bank(FIXTURES / "train-bank.yaml")


@pytest.fixture(scope="session")
def exercise(train_bank):
    from asi_tui.training.exercises import load_exercise

    return load_exercise(FIXTURES / "ovning-a.yaml", [train_bank])


@pytest.fixture
def store_root(tmp_path) -> Path:
    """A data directory: admin, trainer ulla, certified anna, uncertified trainees tove and tim."""
    from asi_tui.store import Store

    root = tmp_path / "data"
    store, _ = Store.init(root, "admin", "Admin", PW["admin"])
    admin = store.unlock("admin", PW["admin"])
    admin.add_user("ulla", "Ulla Utbildare", "trainer", PW["ulla"])
    admin.add_user("anna", "Anna A", "interviewer", PW["anna"], certified=True)
    admin.add_user("tove", "Tove T", "interviewer", PW["tove"], certified=False)
    admin.add_user("tim", "Tim T", "interviewer", PW["tim"], certified=False)
    admin.close()
    return root


@pytest.fixture
def login(store_root):
    from asi_tui.store import Store

    opened = []

    def unlock(user: str):
        session = Store.open(store_root).unlock(user, PW[user])
        opened.append(session)
        return session

    yield unlock
    for s in opened:
        s.close()


def do_attempt(session, exercise, changes: dict | None = None, ratings: dict | None = None) -> str:
    """Run one practice interview: the key's answers with `changes` applied, then complete it."""
    from asi_tui.training.results import start_attempt

    answers = {k: e.value for k, e in exercise.model.key.items()}
    answers.update({k: e.value for k, e in exercise.model.ratings.items()})
    answers.update(changes or {})
    answers.update(ratings or {})
    handle = start_attempt(session, exercise)
    try:
        for item in exercise.bank.items:
            if item.id in answers and handle.interview.is_visible(item.id) and answers[item.id] is not None:
                assert handle.answer(item.id, answers[item.id]).ok, item.id
        handle.complete()
        return handle.rid
    finally:
        handle.close()
