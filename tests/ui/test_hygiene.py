"""Terminal hygiene of the TUI: no screenshot command, no tracebacks with values, no debug hooks."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from asi_tui.hygiene import scrubbed_traceback

from .conftest import login


async def test_command_palette_has_no_screenshot(make_app):
    app = make_app()
    async with app.run_test() as pilot:
        await login(pilot, app)
        titles = [c.title.lower() for c in app.get_system_commands(app.screen)]
        assert "screenshot" not in titles and titles  # the rest is still there


async def test_crash_in_a_screen_shows_no_values_and_leaves_a_scrubbed_report(make_app, monkeypatch, tmp_path, capsys):
    from asi_tui.ui.screens.home import HomeScreen

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))

    def boom(self):  # noqa: ANN001
        client_name = "SENTINEL-CLIENT-4711"  # noqa: F841 - a local that must never be shown
        raise RuntimeError("SENTINEL-MESSAGE-4712")

    monkeypatch.setattr(HomeScreen, "action_new", boom)
    app = make_app()
    with pytest.raises(RuntimeError):
        async with app.run_test() as pilot:
            await login(pilot, app)
            await pilot.press("n")
            await pilot.pause()
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "SENTINEL" not in shown and "oväntat fel" in shown
    reports = list((tmp_path / "state").rglob("crash-*.txt"))
    assert reports
    text = reports[0].read_text()
    assert "RuntimeError" in text and "SENTINEL" not in text


def _in_subprocess(code: str, env: dict[str, str] | None = None) -> str:
    # prepare_process changes signals, umask and limits: never in the test runner itself
    full = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, check=True).stdout.strip()


def test_debug_hooks_are_removed_from_the_environment():
    env = {n: "x" for n in ("TEXTUAL", "TEXTUAL_LOG", "TEXTUAL_SCREENSHOT", "TEXTUAL_SCREENSHOT_LOCATION")}
    out = _in_subprocess(
        "import os\nfrom asi_tui.hygiene import prepare_process\nprepare_process()\n"
        "print(sorted(k for k in os.environ if k.startswith('TEXTUAL')))",
        env,
    )
    assert out == "[]"


def test_scrubbed_traceback_has_locations_only():
    def inner():
        secret = "SENTINEL-LOCAL"  # noqa: F841
        raise ValueError("SENTINEL-MSG")

    try:
        inner()
    except ValueError as exc:
        text = scrubbed_traceback(exc)
    assert "ValueError" in text and "inner" in text and "SENTINEL" not in text


def test_no_core_dumps_and_group_only_files():
    out = _in_subprocess(
        "import os, resource\nfrom asi_tui.hygiene import prepare_process\nprepare_process()\n"
        "print(resource.getrlimit(resource.RLIMIT_CORE)[0], oct(os.umask(0)))"
    )
    assert out == "0 0o7"


def test_the_terminal_watchdog_ends_a_process_whose_shutdown_hangs(tmp_path):
    """Armed (the terminal is gone), it closes what it is given and exits, even with the main thread stuck."""
    marker = tmp_path / "closed"
    code = (
        "import threading, pathlib\n"
        "from asi_tui.hygiene import TerminalWatchdog\n"
        f"w = TerminalWatchdog(grace=0.2)\n"
        f"w.arm(lambda: pathlib.Path({str(marker)!r}).write_text('closed'))\n"
        "threading.Event().wait()  # a shutdown that never finishes\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=20)
    assert result.returncode == 129 and marker.read_text() == "closed"


def test_output_to_a_vanished_terminal_is_reported_once_and_never_raises():
    from asi_tui.ui.terminal import GuardedOutput

    class DeadTty:
        def write(self, text):
            raise OSError(5, "Input/output error")

        def flush(self):
            raise OSError(5, "Input/output error")

    gone = []
    out = GuardedOutput(DeadTty(), lambda: gone.append(1))
    for _ in range(40):  # more than Textual's writer queue holds
        out.write("\x1b[2J redraw")
        out.flush()
    assert gone == [1] and out.lost
