"""`asi-tui run --user ID` is the forced command in authorized_keys
(docs/deploy.md): it must parse, and it binds the session to that user."""

from __future__ import annotations

from click.testing import CliRunner

from asi_tui.cli import main


def test_run_user_binds_the_login_to_that_user(tmp_path, monkeypatch):
    from asi_tui.store import Store
    from asi_tui.ui import app as ui_app

    root = tmp_path / "data"
    Store.init(root, "admin", "Admin", "admin passphrase 1")
    started = []

    class Fake:
        def run(self) -> None:
            pass

    monkeypatch.setattr(ui_app, "create_app", lambda services: started.append(services) or Fake())
    r = CliRunner().invoke(main, ["--data", str(root), "run", "--user", "anna"])
    assert r.exit_code == 0, r.output
    assert (started[0].default_user, started[0].user_fixed) == ("anna", True)
    r = CliRunner().invoke(main, ["--data", str(root), "--user", "anna", "run"])
    assert (started[1].default_user, started[1].user_fixed) == ("anna", False)  # a suggestion only
