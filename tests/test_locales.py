"""Every message key the code uses exists in Swedish and English."""

from __future__ import annotations

import re
import pytest

from asi_tui.i18n import catalog
from tests.conftest import ROOT

# a string right after `Table(` is a table's key in the report data, not a message key
KEY_RE = re.compile(r"""(?<![\w{])(?<!Table\()["']((?:store|engine|cli|error|status|role|timeframe|composite|month|ui|feedback|banks|reports|train|chain|print|casefile|followup)\.[a-z0-9_.]+)["']""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in (ROOT / "asi_tui").rglob("*.py"):
        for m in KEY_RE.finditer(path.read_text(encoding="utf-8")):
            key = m.group(1)
            if not key.endswith("."):
                keys.add(key)
    return keys


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_used_key_is_translated(lang):
    missing = sorted(k for k in used_keys() if k not in catalog(lang))
    assert missing == []


def test_both_languages_have_the_same_keys():
    assert set(catalog("sv")) == set(catalog("en"))


def test_dynamic_keys_exist():
    for lang in ("sv", "en"):
        cat = catalog(lang)
        for status in ("in_progress", "paused", "completed"):
            assert f"status.{status}" in cat
        for role in ("admin", "interviewer", "trainer"):
            assert f"role.{role}" in cat
        for reason in ("unreadable", "sequence", "chain", "altered", "truncated", "checkpoint"):
            assert f"cli.audit.bad.{reason}" in cat
        for m in range(1, 13):
            assert f"month.{m}" in cat
        for tf in ("lifetime", "3y", "6m", "30d", "since_last", "current"):
            assert f"timeframe.{tf}" in cat
