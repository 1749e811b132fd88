"""The UI language, chosen once before the screen classes are imported."""

from __future__ import annotations

from ..i18n import Translator

_current = Translator("sv")


def set_language(lang: str) -> None:
    global _current
    _current = Translator(lang)


def t(key: str, **params: object) -> str:
    return _current(key, **params)


def current() -> Translator:
    return _current
