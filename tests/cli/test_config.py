"""The per-user settings file, the language of the command line, and where
users put global options."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.config import load_settings


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    cfg = tmp_path / "cfg" / "asi-tui"
    cfg.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    return cfg / "config.yaml"


def test_settings_file_sets_language(config_file):
    config_file.write_text("lang: en\nidle_lock_minutes: 10\n")
    assert load_settings().idle_lock_minutes == 10
    out = CliRunner().invoke(main, ["bank", "validate", "--help"]).output
    assert "Usage:" in out and "Check banks" in out
    assert "without problems" in CliRunner().invoke(main, ["bank", "validate"]).output
    assert "utan fel" in CliRunner().invoke(main, ["--lang", "sv", "bank", "validate"]).output


def test_a_typo_in_a_key_is_named_and_the_other_keys_still_apply(config_file):
    config_file.write_text("lnag: en\nidle_lock_minutes: 7\n")
    settings = load_settings()
    assert settings.idle_lock_minutes == 7 and settings.lang is None
    result = CliRunner().invoke(main, ["--lang", "en", "bank", "validate"])
    assert result.exit_code == 0
    assert f"Settings file {config_file}: unknown setting 'lnag' is ignored (known: lang, idle_lock_minutes, data)." in result.output


def test_a_number_written_as_text_is_read_and_a_bad_value_is_named(config_file):
    config_file.write_text('idle_lock_minutes: "10"\nlang: en\n')
    assert load_settings().idle_lock_minutes == 10  # not the whole file thrown away
    config_file.write_text("idle_lock_minutes: -3\nlang: fr\ndata: /srv/asi\n")
    settings = load_settings()
    assert settings.idle_lock_minutes is None and settings.lang is None and str(settings.data) == "/srv/asi"
    lines = CliRunner().invoke(main, ["bank", "validate"]).output.splitlines()
    assert f"Inställningsfilen {config_file}: värdet för 'idle_lock_minutes' används inte (tillåtet: 0 < n ≤ 240)." in lines
    assert f"Inställningsfilen {config_file}: värdet för 'lang' används inte (tillåtet: sv, en)." in lines


def test_a_broken_settings_file_is_one_line_and_nobody_is_stopped(config_file):
    config_file.write_text("lang: [en\n")
    result = CliRunner().invoke(main, ["bank", "validate"])
    assert result.exit_code == 0 and "utan fel" in result.output
    assert f"Inställningsfilen {config_file} kan inte läsas som YAML och används inte." in result.output


def test_errors_and_help_are_in_one_language(config_file, monkeypatch):
    r = CliRunner().invoke(main, ["record", "list", "--bogus"])
    assert r.exit_code == 2
    assert "Fel: Ingen flagga heter '--bogus'." in r.output and "Användning: " in r.output
    assert "Error" not in r.output and "Usage" not in r.output
    r = CliRunner().invoke(main, ["--lang", "en", "record", "list", "--bogus"])
    assert "Error: No such option '--bogus'." in r.output and "Fel" not in r.output
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert "Error: No such command 'bogus'." in CliRunner().invoke(main, ["bogus"]).output
    monkeypatch.setenv("LANG", "C.UTF-8")  # no language in it: Swedish
    assert "Fel: Inget kommando heter 'bogus'." in CliRunner().invoke(main, ["bogus"]).output


def test_global_options_typed_after_the_command_are_understood(config_file, tmp_path, monkeypatch):
    from asi_tui.cli import app

    started = {}
    monkeypatch.setattr(app, "_start_tui", lambda ctx, root, idle=None, **kw: started.update(root=root, idle=idle,
                                                                                          obj_idle=ctx.find_root().obj["idle"]))
    demo = tmp_path / "demo"
    r = CliRunner().invoke(main, ["demo", "--data", str(demo), "--no-run"])
    assert r.exit_code == 0, r.output
    assert (demo / "vault.json").exists()
    assert f"asi-tui --data {demo} record list --user anna" in r.output  # how later commands find it
    r = CliRunner().invoke(main, ["--data", str(demo), "--idle-lock", "10", "run"])
    assert r.exit_code == 0, r.output
    assert started == {"root": demo, "idle": None, "obj_idle": 10.0}
    r = CliRunner().invoke(main, ["run", "--lang", "en", "--data", str(demo), "--idle-lock", "3"])
    assert r.exit_code == 0, r.output
    assert started["root"] == demo and started["idle"] == 3.0


def test_after_the_demo_a_command_without_data_says_where_the_demo_is(config_file, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    monkeypatch.delenv("ASI_TUI_DATA", raising=False)
    assert CliRunner().invoke(main, ["demo", "--no-run"]).exit_code == 0
    demo = tmp_path / "share" / "asi-tui" / "demo"
    r = CliRunner().invoke(main, ["--lang", "en", "record", "list", "--user", "anna"])
    assert r.exit_code == 1
    assert f"The demo is in {demo}: give it with --data" in r.output


def test_user_after_the_command_is_the_global_user_unless_the_command_has_its_own(config_file):
    from asi_tui.cli import main as group
    from asi_tui.cli.lang import hoist_global_options

    assert hoist_global_options(group, ["record", "list", "--user", "anna", "--json"]) == \
        ["--user", "anna", "record", "list", "--json"]
    assert hoist_global_options(group, ["run", "--user", "anna", "--data=/d"]) == ["--data=/d", "run", "--user", "anna"]
    assert hoist_global_options(group, ["audit", "show", "--user", "bo"]) == ["audit", "show", "--user", "bo"]
    assert hoist_global_options(group, ["--lang", "en", "stats"]) == ["--lang", "en", "stats"]


def test_click_placeholders_and_type_names_follow_the_language(config_file):
    sv = CliRunner().invoke(main, ["record", "--help"]).output
    assert "Användning: main record [FLAGGOR] KOMMANDO [ARGUMENT]..." in sv and "[OPTIONS]" not in sv
    assert "'abc' är inget giltigt decimaltal." in CliRunner().invoke(main, ["--idle-lock", "abc", "run"]).output
    en = CliRunner().invoke(main, ["--lang", "en", "record", "--help"]).output
    assert "Usage: main record [OPTIONS] COMMAND [ARGS]..." in en
    assert "'abc' is not a valid float." in CliRunner().invoke(main, ["--lang", "en", "--idle-lock", "abc", "run"]).output
    sv = CliRunner().invoke(main, ["stats", "--help"]).output  # and back: nothing stays in English
    assert "[FLAGGOR]" in sv
