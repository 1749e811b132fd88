from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BANKS = ROOT / "question_bank"


@pytest.fixture(scope="session")
def mini_bank():
    from asi_tui.bank.loader import load_bank

    return load_bank(FIXTURES / "mini-bank.yaml")
