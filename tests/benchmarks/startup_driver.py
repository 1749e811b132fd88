"""Start one app to its first screen, headless, and report the moment it is painted.

Run in a fresh process by `bench_startup.py` (and by `tests/ui/test_startup_imports.py`):

    python startup_driver.py bare            # a bare Textual app with one Input
    python startup_driver.py asi DATA_DIR    # `asi-tui --data DATA_DIR run`, through the CLI

Both do the same: Python starts, the imports run, the app is built and run
headless at 80x24, and as soon as the first Input of the first screen is
mounted and the screen refreshed, one JSON line is printed to stdout
(`time.monotonic()` at that moment, the screen's class name and, with
`--modules`, the names in `sys.modules`) and the app exits. The parent takes
its own `time.monotonic()` just before starting the process, so the difference
is process start to first screen (CLOCK_MONOTONIC is system-wide on Linux).
"""

from __future__ import annotations

import json
import sys
import time


def _instrument(dump_modules: bool) -> None:
    from textual.app import App
    from textual.widgets import Input

    original_run = App.run

    def run(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["headless"] = True
        kwargs["size"] = (80, 24)
        return original_run(self, *args, **kwargs)

    App.run = run  # type: ignore[method-assign]

    original_mount = Input._on_mount
    seen = False

    def report(app: App) -> None:
        line = {"t": time.monotonic(), "screen": type(app.screen).__name__}
        if dump_modules:
            line["modules"] = sorted(sys.modules)
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        app.exit()

    def on_mount(self, event):  # type: ignore[no-untyped-def]
        nonlocal seen
        original_mount(self, event)
        if not seen:
            seen = True
            self.call_after_refresh(report, self.app)

    Input._on_mount = on_mount  # type: ignore[method-assign]


def bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    class BareApp(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()

    BareApp().run()


def asi(data_dir: str) -> None:
    from asi_tui.cli import main

    main(["--data", data_dir, "run"], prog_name="asi-tui")


if __name__ == "__main__":
    args = sys.argv[1:]
    dump = "--modules" in args
    args = [a for a in args if a != "--modules"]
    _instrument(dump)
    if args[0] == "bare":
        bare()
    else:
        asi(args[1])
