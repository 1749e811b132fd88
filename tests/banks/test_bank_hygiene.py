"""The bank-version modules and admin commands never pull in Textual, Rich or the UI."""

from __future__ import annotations

import subprocess
import sys


def test_bank_store_migration_and_commands_do_not_import_the_ui():
    code = (
        "import sys\n"
        "import asi_tui.store.banks, asi_tui.bank.migration, asi_tui.cli.banks\n"
        "from click.testing import CliRunner\n"
        "from asi_tui.cli import main\n"
        "r = CliRunner().invoke(main, ['bank', 'coverage', 'question_bank/grund'])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('asi_tui.ui')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == ""
