"""The reports and their CLI never pull in Textual, Rich or the UI (the
import-linter contract does not list asi_tui.reports yet)."""

from __future__ import annotations

import subprocess
import sys


def test_reports_and_their_commands_import_without_ui_toolkit():
    code = (
        "import sys\n"
        "import asi_tui.reports, asi_tui.reports.export, asi_tui.reports.xlsx, asi_tui.cli.reports\n"
        "import asi_tui.reports.disclosure, asi_tui.reports.stats_xlsx, asi_tui.reports.subgroups\n"
        "from click.testing import CliRunner\n"
        "from asi_tui.cli import main\n"
        "for cmd in ('stats', 'followups', 'export'):\n"
        "    assert CliRunner().invoke(main, [cmd, '--help']).exit_code == 0\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('asi_tui.ui')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
