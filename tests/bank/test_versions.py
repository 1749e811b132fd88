"""The one order of bank versions, used by the registry, the bank store, migrations and reports."""

from __future__ import annotations

from asi_tui.bank.model import version_key


def test_versions_sort_numerically_and_pre_releases_come_before_their_release():
    versions = ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.9", "1.2.0-beta", "2.0.0-rc.1"]
    assert sorted(versions, key=version_key) == ["0.9.9", "1.2.0-beta", "1.2.0-rc.1", "1.2.0", "1.10.0", "2.0.0-rc.1"]


def test_newest_of_a_release_and_its_pre_release_is_the_release():
    assert max(["2.0.0", "2.0.0-rc.2", "1.9.0"], key=version_key) == "2.0.0"
