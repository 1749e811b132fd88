"""Where the bundled question banks and locales live.

In a source checkout (and an editable install) they sit at the repository
root beside `asi_tui/`; a wheel carries them under `asi_tui/_data/`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def bundled_dir(name: str) -> Path:
    """`question_bank` or `locales`, wherever this installation keeps them."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled directory {name!r} is missing from this installation")


def bundled_codes_dir() -> Path:
    return bundled_dir("question_bank") / "codes"
