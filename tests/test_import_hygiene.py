"""Headless layers and the admin CLI never pull in Textual, Rich or the UI."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = [
    "asi_tui.bank.loader",
    "asi_tui.bank.lint",
    "asi_tui.engine.interview",
    "asi_tui.scoring.composite",
    "asi_tui.i18n",
    "asi_tui.reports",
    "asi_tui.cli.reports",
    "asi_tui.store.banks",
    "asi_tui.training.results",
    "asi_tui.cli",
]


@pytest.mark.parametrize("module", HEADLESS)
def test_module_imports_without_ui_toolkit(module):
    code = (
        f"import sys, {module}\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('asi_tui.ui')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_bank_validate_command_does_not_import_ui():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from asi_tui.cli import main\n"
        "r = CliRunner().invoke(main, ['bank', 'validate'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(any(m.split('.')[0] in ('textual', 'rich') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
