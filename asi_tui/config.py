"""Per-user settings: `~/.config/asi-tui/config.yaml` (or $XDG_CONFIG_HOME).

    lang: en                 # sv (default) or en
    idle_lock_minutes: 10    # screen lock after this many idle minutes (default 5)
    data: /srv/asi/data      # default data directory

Command-line options win over the file. The file is read through a pydantic
model: an unknown key (a typo such as `lnag`) or a bad value is reported in
one line that names the key and what is allowed, and the other, valid keys
still apply, so a slip in one line never keeps anyone from working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

MAX_CONFIG_BYTES = 64 * 1024
IDLE_LOCK_MAX_MINUTES = 240.0


@cache
def settings_model() -> Any:
    """The pydantic model of the settings file, built on first use: pydantic is
    imported only when there is a file to read, not at every start."""
    from pydantic import BaseModel, ConfigDict, Field

    class SettingsFile(BaseModel):
        """What the settings file may hold (numbers written as text, "10", are read as numbers)."""

        model_config = ConfigDict(extra="forbid")

        lang: Literal["sv", "en"] | None = None
        idle_lock_minutes: float | None = Field(default=None, gt=0, le=IDLE_LOCK_MAX_MINUTES)
        data: Path | None = None

    return SettingsFile


# what each key allows, as the message shows it
ALLOWED = {
    "lang": "sv, en",
    "idle_lock_minutes": f"0 < n ≤ {IDLE_LOCK_MAX_MINUTES:g}",
    "data": "a directory path",
}


@dataclass(frozen=True)
class Problem:
    """One line about the settings file: `key` is a locale message key."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    lang: str | None = None
    idle_lock_minutes: float | None = None
    data: Path | None = None
    problems: tuple[Problem, ...] = ()


def config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("asi-tui", appauthor=False)) / "config.yaml"


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.is_file():
        return Settings()
    import yaml
    from pydantic import ValidationError

    from .i18n import SAFE_LOADER

    settings_file = settings_model()
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
        if len(raw) > MAX_CONFIG_BYTES:
            return Settings(problems=(Problem("cli.config.too_big", {"path": str(path)}),))
        data = yaml.load(raw.decode("utf-8"), Loader=SAFE_LOADER) or {}  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return Settings(problems=(Problem("cli.config.unreadable", {"path": str(path)}),))
    if not isinstance(data, dict):
        return Settings(problems=(Problem("cli.config.not_mapping", {"path": str(path)}),))
    problems: list[Problem] = []
    good: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key)
        if name not in settings_file.model_fields:
            problems.append(Problem("cli.config.unknown_key", {"path": str(path), "name": name, "known": ", ".join(ALLOWED)}))
            continue
        try:
            settings_file.model_validate({name: value})
        except ValidationError:
            problems.append(Problem("cli.config.bad_value", {"path": str(path), "name": name, "allowed": ALLOWED[name]}))
            continue
        good[name] = value
    model = settings_file.model_validate(good)
    return Settings(model.lang, model.idle_lock_minutes, model.data, tuple(problems))
