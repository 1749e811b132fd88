"""Locale catalogs (locales/sv.yaml, locales/en.yaml) and lookup.

Swedish is the default language; English the second. Keys are dotted paths
into the nested YAML (``error.bank.duplicate_id``). A missing key falls back to
Swedish, then to the key itself, so a gap shows up as a visible key rather
than a crash.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .resources import bundled_dir

# libyaml's loader when PyYAML has it: reading the catalogs is a large part of start-up
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(node)


@cache
def catalog(lang: str, directory: Path | None = None) -> dict[str, str]:
    """`locales/<lang>.yaml` plus every `locales/<lang>/*.yaml` (one file per
    feature area); a key defined twice is an error, not a silent override."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    root = directory or bundled_dir("locales")
    paths = [root / f"{lang}.yaml", *sorted((root / lang).glob("*.yaml"))]
    out: dict[str, str] = {}
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=SAFE_LOADER) or {}  # noqa: S506 - a safe loader
        part: dict[str, str] = {}
        _flatten("", data, part)
        clash = set(part) & set(out)
        if clash:
            raise ValueError(f"{path}: keys already defined elsewhere: {', '.join(sorted(clash)[:5])}")
        out.update(part)
    return out


class Translator:
    """Looks up keys in one language, falling back to Swedish."""

    def __init__(self, lang: str = DEFAULT_LANGUAGE) -> None:
        self.lang = lang
        self._own = catalog(lang)
        self._fallback = catalog(DEFAULT_LANGUAGE)

    def has(self, key: str) -> bool:
        return key in self._own or key in self._fallback

    def __call__(self, key: str, **params: Any) -> str:
        text = self._own.get(key) or self._fallback.get(key)
        if text is None:
            return key
        if params:
            try:
                return text.format(**params)
            except (KeyError, IndexError, ValueError):
                return text
        return text
