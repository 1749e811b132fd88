"""What the app needs from the outside world, bundled so tests can swap it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Callable

DEFAULT_IDLE_LOCK_S = 300.0


@dataclass
class Services:
    data_dir: Path
    lang: str = "sv"
    today: Callable[[], date] = date.today
    now: Callable[[], datetime] = datetime.now
    idle_lock_s: float = DEFAULT_IDLE_LOCK_S
    default_user: str | None = None
    user_fixed: bool = False  # `run --user ID` (an SSH forced command): the login screen offers no other user
    export_dir: Path = field(default_factory=Path.cwd)
