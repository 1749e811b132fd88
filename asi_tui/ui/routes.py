"""Every screen the app can open, by route name (see `navigation.py`).

Each route names its class as "module:Class" (relative to `asi_tui.ui.screens`),
and the module is imported the first time the route is opened. So starting the
app loads the login screen only, not the interview, reports, statistics,
training or admin screens and what they import (`bench_startup.py`). A typo in
a route is caught by `tests/ui/test_startup_imports.py`, which resolves every
route. (Key descriptions are drawn in the current language, `lang.tk`, so the
language may be chosen before or after a screen's import.)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from textual.screen import Screen

ROUTES: dict[str, str] = {
    "login": "login:LoginScreen",
    "home": "home:HomeScreen",
    "lock": "lock:LockScreen",
    "new_interview": "new_interview:NewInterviewScreen",
    "interview": "interview:InterviewScreen",
    "ratings": "ratings:RatingsScreen",
    "review": "review:ReviewScreen",
    "feedback": "feedback:FeedbackScreen",
    "change": "change:ChangeScreen",
    "exercises": "exercises:ExercisePickerScreen",
    "exercise": "training:TrainingInterviewScreen",
    "scorecard": "scorecard:ScorecardScreen",
    "trainer": "trainer:TrainerScreen",
    "statistics": "statistics:StatisticsScreen",
    "admin": "admin:AdminScreen",
    "audit": "audit:AuditScreen",
    "bank_versions": "bank_versions:BankVersionsScreen",
    "units": "units:UnitsScreen",
}

_SCREENS = f"{__package__}.screens"


def screen_class(route: str) -> type[Screen[Any]]:
    """The Screen class of `route`, its module imported on first use (KeyError for an unknown route)."""
    module, _, name = ROUTES[route].partition(":")
    cls = getattr(import_module(f"{_SCREENS}.{module}"), name)
    if not (isinstance(cls, type) and issubclass(cls, Screen)):
        raise TypeError(f"route {route!r} names {ROUTES[route]!r}, which is not a Screen")
    return cls


def build_screen(route: str, **params: Any) -> Screen[Any]:
    return screen_class(route)(**params)
