"""Every screen the app can open, by route name (see `navigation.py`).

Imported only by the app, lazily, so that commands which never open the UI
never load the screens. (Key descriptions are drawn in the current language,
`lang.tk`, so the language may be chosen before or after this import.)
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from .screens.admin import AdminScreen
from .screens.audit import AuditScreen
from .screens.bank_versions import BankVersionsScreen
from .screens.change import ChangeScreen
from .screens.exercises import ExercisePickerScreen
from .screens.feedback import FeedbackScreen
from .screens.home import HomeScreen
from .screens.interview import InterviewScreen
from .screens.lock import LockScreen
from .screens.login import LoginScreen
from .screens.new_interview import NewInterviewScreen
from .screens.ratings import RatingsScreen
from .screens.review import ReviewScreen
from .screens.scorecard import ScorecardScreen
from .screens.statistics import StatisticsScreen
from .screens.trainer import TrainerScreen
from .screens.training import TrainingInterviewScreen
from .screens.units import UnitsScreen

ROUTES: dict[str, type[Screen[Any]]] = {
    "login": LoginScreen,
    "home": HomeScreen,
    "lock": LockScreen,
    "new_interview": NewInterviewScreen,
    "interview": InterviewScreen,
    "ratings": RatingsScreen,
    "review": ReviewScreen,
    "feedback": FeedbackScreen,
    "change": ChangeScreen,
    "exercises": ExercisePickerScreen,
    "exercise": TrainingInterviewScreen,
    "scorecard": ScorecardScreen,
    "trainer": TrainerScreen,
    "statistics": StatisticsScreen,
    "admin": AdminScreen,
    "audit": AuditScreen,
    "bank_versions": BankVersionsScreen,
    "units": UnitsScreen,
}


def build_screen(route: str, **params: Any) -> Screen[Any]:
    return ROUTES[route](**params)
