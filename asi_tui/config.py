"""Per-user settings: `~/.config/asi-tui/config.yaml` (or $XDG_CONFIG_HOME).

    lang: en                 # sv (default) or en
    idle_lock_minutes: 10    # screen lock after this many idle minutes (default 5)
    data: /srv/asi/data      # default data directory

Command-line options win over the file; a broken file is ignored with a warning
rather than keeping anyone from working.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Settings:
    lang: str | None = None
    idle_lock_minutes: float | None = None
    data: Path | None = None
    problem: str | None = None


def config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("asi-tui", appauthor=False)) / "config.yaml"


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_path()
    if not path.is_file():
        return Settings()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError("not a mapping")
        lang = data.get("lang")
        if lang is not None and lang not in ("sv", "en"):
            raise ValueError(f"lang {lang!r}")
        idle = data.get("idle_lock_minutes")
        if idle is not None and (not isinstance(idle, (int, float)) or idle <= 0):
            raise ValueError("idle_lock_minutes")
        return Settings(lang=lang, idle_lock_minutes=float(idle) if idle else None, data=Path(data["data"]) if data.get("data") else None)
    except (OSError, ValueError, yaml.YAMLError, TypeError) as exc:
        return Settings(problem=f"{path}: {exc}")
