"""Locale coverage: texts missing in Swedish or English, and texts left untranslated."""

from __future__ import annotations

from asi_tui.bank.lint import locale_coverage
from asi_tui.bank.loader import load_bank
from asi_tui.bank.registry import bundled_banks
from tests.conftest import FIXTURES

from .helpers import write


def _mini(tmp_path, old: str, new: str):
    text = (FIXTURES / "mini-bank.yaml").read_text(encoding="utf-8")
    assert old in text
    return load_bank(write(tmp_path / "grund" / "mini.yaml", text.replace(old, new, 1)))


def test_the_bundled_banks_are_fully_translated():
    for bank in bundled_banks():
        missing, suspicious = locale_coverage(bank)
        assert missing == [] and suspicious == [], bank.id


def test_a_blank_text_is_missing_with_file_and_line(tmp_path):
    bank = _mini(tmp_path, '{sv: "Antal", en: "Count"}', '{sv: "  ", en: "Count"}')
    missing, _ = locale_coverage(bank)
    assert [str(p) for p in missing] == [f"{bank.path}:22: M1: label: the Swedish text is missing"]


def test_a_blank_code_label_is_missing(tmp_path):
    bank = _mini(tmp_path, '{code: 2, label: {sv: "Fängelse", en: "Jail"}}', '{code: 2, label: {sv: "Fängelse", en: " "}}')
    missing, _ = locale_coverage(bank)
    assert len(missing) == 1 and "ENV: code 2 label: the English text is missing" in str(missing[0])
    assert str(missing[0]).startswith(f"{bank.path}:16:")


def test_a_long_text_identical_in_both_languages_is_a_warning(tmp_path):
    same = "Hur många gånger har du varit inlagd"
    bank = _mini(tmp_path, '{sv: "Antal", en: "Count"}', f'{{sv: "{same}", en: "{same}"}}')
    missing, suspicious = locale_coverage(bank)
    assert missing == []
    assert [p.item for p in suspicious] == ["M1"] and "not translated?" in suspicious[0].message
    # short identical labels (names of substances, "OK") are normal
    assert locale_coverage(_mini(tmp_path, '{sv: "Tid", en: "Time"}', '{sv: "Cannabis", en: "Cannabis"}'))[1] == []
