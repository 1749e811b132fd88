"""Benchmark: cold start to the login screen, against a bare Textual app.

Each run starts a fresh Python process (`startup_driver.py`) that imports, builds
and runs the app headless and reports as soon as the first screen is mounted
and painted: (a) a bare Textual app with one Input, (b) asi-tui through its CLI
(`asi-tui --data DIR run`) on a demo data directory. The figure is wall time
from just before the process is started to that moment. The two kinds of run
alternate, so machine noise falls on both alike.

Run: .venv/bin/python tests/benchmarks/bench_startup.py [--runs 15] [--data DIR]
Goal: ratio (asi / bare) <= 2.

To see what an import costs: python -X importtime tests/benchmarks/startup_driver.py asi DIR
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("startup_driver.py")


PYCACHE = Path(tempfile.gettempdir()) / "asi-tui-bench-pycache"


def _env() -> dict[str, str]:
    """This checkout first on the path, and compiled bytecode kept (outside the tree), as an
    installed program has it: without it every asi_tui module is compiled at each start
    while Textual's come from site-packages' .pyc files, which is no fair comparison."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def one_run(*args: str) -> float:
    """Seconds from process start to the first screen painted."""
    env = _env()
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, str(DRIVER), *args], env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"driver {args} failed (exit {done.returncode}):\n{done.stderr}")
    return json.loads(lines[0])["t"] - t0


def make_demo(root: Path) -> Path:
    data = root / "demo"
    subprocess.run([sys.executable, "-m", "asi_tui.cli", "--data", str(data), "demo", "--no-run"],
                   env=_env(), check=True, capture_output=True)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--data", type=Path, help="an existing data directory (default: a new demo one)")
    args = parser.parse_args()
    data = args.data or make_demo(Path(tempfile.mkdtemp()))
    one_run("bare"), one_run("asi", str(data))  # warm the file cache and write the .pyc files
    bare: list[float] = []
    asi: list[float] = []
    for _ in range(args.runs):
        bare.append(one_run("bare"))
        asi.append(one_run("asi", str(data)))
    b, a = statistics.median(bare), statistics.median(asi)
    print(f"runs per app: {args.runs}")
    print(f"bare Textual app, one Input:   median {b * 1000:7.1f} ms  (min {min(bare) * 1000:.1f})")
    print(f"asi-tui to the login screen:   median {a * 1000:7.1f} ms  (min {min(asi) * 1000:.1f})")
    print(f"ratio asi / bare: {a / b:.2f}  (goal <= 2)")


if __name__ == "__main__":
    main()
