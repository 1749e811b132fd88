"""Start-up loads what the login screen needs and nothing more (issue 16).

The app is started through its CLI (`asi-tui --data DIR run`) in a fresh
process, headless, by the start-up benchmark's driver, which lists
`sys.modules` as soon as the login screen is painted. Reports, training,
scoring, the engine, the store's crypto and the other screens must not be
there yet: they load when a screen that needs them opens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.screen import Screen

from asi_tui.ui.routes import ROUTES, screen_class

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "benchmarks" / "startup_driver.py"

NOT_AT_LOGIN = (
    "asi_tui.reports",
    "asi_tui.training",
    "asi_tui.scoring",
    "asi_tui.bank",
    "asi_tui.engine.interview",
    "asi_tui.store.session",
    "asi_tui.store.crypto",
    "asi_tui.store.vault",
    "asi_tui.store.index",
    "pandas",
    "pydantic",
    "cryptography",
)
OTHER_SCREENS = tuple(
    f"asi_tui.ui.screens.{target.partition(':')[0]}" for route, target in ROUTES.items() if route != "login"
)


def _modules_at_login(data_dir: Path) -> tuple[str, list[str]]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run([sys.executable, str(DRIVER), "--modules", "asi", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stderr
    report = json.loads(lines[0])
    return report["screen"], report["modules"]


def test_login_path_imports_only_what_login_needs(data_dir):
    screen, modules = _modules_at_login(data_dir)
    assert screen == "LoginScreen"
    loaded = [m for m in modules if m.startswith(NOT_AT_LOGIN) or m in OTHER_SCREENS or m.startswith(
        tuple(f"{name}." for name in OTHER_SCREENS))]
    assert loaded == []
    assert "asi_tui.ui.screens.login" in modules


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_resolves_to_a_screen(route):
    cls = screen_class(route)
    assert isinstance(cls, type) and issubclass(cls, Screen)


def test_an_unknown_route_fails():
    with pytest.raises(KeyError):
        screen_class("no-such-route")
