"""The per-user settings file: language and idle lock, overridden by options."""

from __future__ import annotations

from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.config import load_settings


def test_settings_file_sets_language(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "asi-tui"
    cfg.mkdir(parents=True)
    (cfg / "config.yaml").write_text("lang: en\nidle_lock_minutes: 10\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert load_settings().idle_lock_minutes == 10
    out = CliRunner().invoke(main, ["bank", "validate", "--help"]).output
    assert "Check banks" in out
    assert "without problems" in CliRunner().invoke(main, ["bank", "validate"]).output
    assert "utan fel" in CliRunner().invoke(main, ["--lang", "sv", "bank", "validate"]).output


def test_broken_settings_file_is_ignored_with_a_warning(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "asi-tui"
    cfg.mkdir(parents=True)
    (cfg / "config.yaml").write_text("lang: fr\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    result = CliRunner().invoke(main, ["bank", "validate"])
    assert result.exit_code == 0 and "utan fel" in result.output and "config.yaml" in result.output
