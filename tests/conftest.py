from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BANKS = ROOT / "question_bank"


@pytest.fixture(autouse=True)
def fast_kdf():
    """The fast Argon2 profile, only for the duration of one test.

    Production refuses vaults with these parameters; a test that wants the
    production behaviour switches it off itself (`crypto.allow_test_kdf(False)`).
    Session-scoped fixtures run before this one and enable it themselves."""
    from asi_tui.store import crypto

    crypto.allow_test_kdf()
    yield
    crypto.allow_test_kdf(False)


@pytest.fixture(scope="session")
def mini_bank():
    from asi_tui.bank.loader import load_bank

    return load_bank(FIXTURES / "mini-bank.yaml")


@pytest.fixture(autouse=True)
def _restore_process_state():
    """CLI tests run `main()` in this process, and `main()` hardens the
    process (scrubs TEXTUAL* variables, sets the umask): undo that after each
    test so one test cannot change another's environment (pytest-textual-
    snapshot needs its TEXTUAL_SNAPSHOT_TEMPDIR until the session ends)."""
    import os

    env = dict(os.environ)
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    os.environ.clear()
    os.environ.update(env)
    os.umask(umask)


# Modules that run for tens of seconds (measured with --durations). The suite
# runs on parallel workers (pytest-xdist, one module per worker at a time):
# these go first so that no worker starts a long one when the others are done.
LONG_FIRST = (
    "tests/ui/test_terminal_gone.py",
    "tests/ui/test_no_truncation.py",
    "tests/reports/test_disclosure.py",
    "tests/store/test_canary.py",
    "tests/store/test_bench_scripts.py",
    "tests/ui/test_input.py",
    "tests/reports/test_cli_reports.py",
    "tests/ui/test_flow.py",
    "tests/ui/test_admin.py",
    "tests/test_access_matrix.py",
    "tests/store/test_crash.py",
)


def pytest_collection_modifyitems(config, items) -> None:
    rank = {path: i for i, path in enumerate(LONG_FIRST)}

    def key(item) -> int:
        rel = Path(str(item.fspath)).resolve().relative_to(ROOT).as_posix()
        return rank.get(rel, len(rank))

    items.sort(key=key)  # stable: every other module keeps its place and its order
