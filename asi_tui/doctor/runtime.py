"""What the app runs on: Python, the pinned libraries, and the terminal.

Versions are read from package metadata, so nothing here imports Textual.
The pins are the `==` requirements of the installed asi-tui itself
(pyproject.toml), so there is one place that says which Textual is right.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from typing import Mapping

from . import Finding, info, ok, problem

MIN_PYTHON = (3, 11)
MIN_SIZE = (80, 24)
PINNED_FALLBACK = {"textual": "8.2.8"}  # if asi-tui's own metadata cannot be read (a source checkout)


def pinned_versions() -> dict[str, str]:
    """name -> version for every `name==version` requirement of asi-tui (extras left out)."""
    try:
        requires = metadata.requires("asi-tui") or []
    except metadata.PackageNotFoundError:
        return dict(PINNED_FALLBACK)
    pins = {}
    for req in requires:
        m = re.match(r"^\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;,]+)\s*(;.*)?$", req)
        if m and "extra" not in (m.group(3) or ""):
            pins[m.group(1).lower()] = m.group(2)
    return pins or dict(PINNED_FALLBACK)


def check_runtime(installed: Mapping[str, str | None] | None = None) -> list[Finding]:
    """Python and every pinned library; `installed` (name -> version or None) replaces the metadata in tests."""
    out = []
    py = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] < MIN_PYTHON:
        out.append(problem("doctor.runtime.python", "doctor.fix.python", version=py, want="3.11"))
    for name, want in sorted(pinned_versions().items()):
        if installed is not None:
            have = installed.get(name)
        else:
            try:
                have = metadata.version(name)
            except metadata.PackageNotFoundError:
                have = None
        if have != want:
            out.append(problem("doctor.runtime.pin", "doctor.fix.pin", package=name, version=have or "-", want=want))
    if not out:
        out.append(ok("doctor.runtime.ok", python=py, textual=pinned_versions().get("textual", "?")))
    return out


def colours(env: Mapping[str, str]) -> int | None:
    """How many colours the terminal shows, as Textual/Rich will assume it: None for none."""
    term = env.get("TERM", "").lower()
    if env.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return 1 << 24
    if term in ("", "dumb", "unknown") or term.startswith(("vt1", "vt2", "vt5")):
        return None
    if term.endswith(("256color", "256colour")) or term in ("xterm-kitty", "alacritty", "foot", "wezterm"):
        return 256
    return 16


def check_terminal(env: Mapping[str, str], size: tuple[int, int] | None) -> list[Finding]:
    term = env.get("TERM", "")
    out = []
    n = colours(env)
    if n is None:
        out.append(problem("doctor.term.no_colour", "doctor.fix.term", term=term or "-"))
    if "NO_COLOR" in env:
        out.append(info("doctor.term.no_color_env"))
    if size is None:
        out.append(info("doctor.term.not_a_terminal"))
    elif size[0] < MIN_SIZE[0] or size[1] < MIN_SIZE[1]:
        out.append(problem("doctor.term.small", "doctor.fix.term_size", columns=size[0], lines=size[1]))
    if not any(f.is_problem for f in out):
        size_text = f"{size[0]}×{size[1]}" if size else "-"
        out.append(ok("doctor.term.ok", term=term, colours=n or 0, size=size_text))
    return out
