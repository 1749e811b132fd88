"""The store package: its main names load on demand, so a small module stays cheap to import."""

from __future__ import annotations

import subprocess
import sys

import pytest

import asi_tui.store as store


def test_importing_crypto_does_not_load_sessions_engine_or_index():
    code = (
        "import sys, asi_tui.store.crypto\n"
        "heavy = ('asi_tui.store.session', 'asi_tui.store.handle', 'asi_tui.engine', 'asi_tui.bank', 'tinydb')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("name", store.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(store, name) is not None


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        store.ServiceThatMovedAway  # noqa: B018
