"""`init` on directories it did not create (issue 11).

It refuses a non-empty directory with one line (it used to chmod it to 2770
silently), and uses an empty directory a sysadmin made for it when the owner
and mode are already right: the captive service account's 0700, or a
group-shared 2770 it can write. Otherwise one line says what to run. Another
owner is simulated by giving this process another effective uid.
"""

from __future__ import annotations

import getpass
import os
import stat

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.store import Store

PW = "init-lösenfras-för-test 1"


@pytest.fixture
def init(tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(PW + "\n", encoding="utf-8")

    def run(data, *extra: str, user: str = "admin"):  # noqa: ANN001, ANN202
        r = CliRunner().invoke(main, ["--lang", "en", "--data", str(data), "--user", user, *extra, "init", "--passphrase-file", str(pw)])
        assert "Traceback" not in r.output and "unexpected" not in r.output, r.output
        return r

    return run


def one_line(r) -> str:  # noqa: ANN001
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 1 and len(lines) == 1, r.output
    return lines[0]


def mode_of(path) -> int:  # noqa: ANN001
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def other_owner(monkeypatch):
    """This process runs as another uid than the directory's owner (root made it)."""

    def as_other(in_group: bool = True) -> None:
        real_gid = os.getegid()
        fake_uid = os.getuid() + 4242
        real_chmod, real_fchmod = os.chmod, os.fchmod

        def refuse_if_not_owner(uid: int) -> None:
            if uid != fake_uid:  # what the kernel says to a non-owner
                raise PermissionError(1, "Operation not permitted")

        def chmod(path, mode, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            refuse_if_not_owner(os.stat(path).st_uid)
            return real_chmod(path, mode, *args, **kwargs)

        def fchmod(fd, mode):  # noqa: ANN001, ANN202
            refuse_if_not_owner(os.fstat(fd).st_uid)
            return real_fchmod(fd, mode)

        monkeypatch.setattr(os, "geteuid", lambda: fake_uid)
        monkeypatch.setattr(os, "chmod", chmod)
        monkeypatch.setattr(os, "fchmod", fchmod)
        if not in_group:
            monkeypatch.setattr(os, "getegid", lambda: real_gid + 4242)
            monkeypatch.setattr(os, "getgroups", lambda: [real_gid + 4243])

    return as_other


def made_by_sysadmin(path, mode: int):  # noqa: ANN001, ANN202
    path.mkdir()
    os.chmod(path, mode)
    return path


def test_a_new_directory_is_created_in_group_mode(init, tmp_path):
    data = tmp_path / "new" / "data"
    r = init(data)
    assert r.exit_code == 0, r.output
    assert mode_of(data) == 0o2770
    assert (data / "vault.json").is_file()


def test_a_non_empty_directory_is_refused_and_left_alone(init, tmp_path):
    data = made_by_sysadmin(tmp_path / "home", 0o755)
    (data / "notes.txt").write_text("mine")
    line = one_line(init(data))
    assert line == f"Error: The directory {data} is not empty. init creates a data directory only in a new or empty directory."
    assert mode_of(data) == 0o755 and sorted(os.listdir(data)) == ["notes.txt"]


def test_a_file_in_place_of_the_directory_is_refused(init, tmp_path):
    data = tmp_path / "data"
    data.write_text("x")
    assert "is not empty" in one_line(init(data))
    assert data.read_text() == "x"


def test_an_empty_captive_directory_is_used_as_it_is(init, tmp_path):
    data = made_by_sysadmin(tmp_path / "asi", 0o700)
    r = init(data)
    assert r.exit_code == 0, r.output
    assert mode_of(data) == 0o700  # not widened to 2770
    session = Store.open(data).unlock("admin", PW)  # the permission check accepts captive mode
    assert session.user.is_admin
    assert CliRunner().invoke(main, ["--lang", "en", "--data", str(data), "--user", "admin", "record", "list",
                                     "--passphrase-file", str(tmp_path / "pw")]).output.strip() == "No records."


def test_an_empty_group_directory_made_by_root_is_used_without_chmod(init, tmp_path, other_owner):
    data = made_by_sysadmin(tmp_path / "asi", 0o2770)
    other_owner(in_group=True)
    r = init(data)
    assert r.exit_code == 0, r.output
    assert mode_of(data) == 0o2770
    assert (data / "vault.json").is_file()


def test_a_directory_made_by_root_that_we_cannot_use_says_what_to_run(init, tmp_path, other_owner):
    data = made_by_sysadmin(tmp_path / "asi", 0o755)
    other_owner()
    line = one_line(init(data))
    assert line.startswith(f"Error: asi-tui cannot use the directory {data} (owner ")
    assert line.endswith(f"mode 0755) without changing it. As root, run: chown {getpass.getuser()} {data} && chmod 0700 {data}")
    assert mode_of(data) == 0o755 and os.listdir(data) == []


def test_a_group_directory_of_a_group_we_are_not_in_says_what_to_run(init, tmp_path, other_owner):
    data = made_by_sysadmin(tmp_path / "asi", 0o2770)
    other_owner(in_group=False)
    line = one_line(init(data))
    assert line.endswith(f"As root, run: chown {getpass.getuser()} {data} && chmod 0700 {data}")
    assert os.listdir(data) == []


@pytest.mark.parametrize("mode", [0o755, 0o750, 0o770, 0o2775])
def test_our_own_empty_directory_with_another_mode_is_not_chmodded(init, tmp_path, mode):
    data = made_by_sysadmin(tmp_path / "asi", mode)
    line = one_line(init(data))
    assert line.endswith(f"As root, run: chmod 0700 {data}")
    assert mode_of(data) == mode


def test_an_init_that_stopped_before_the_vault_can_be_run_again(init, tmp_path, monkeypatch):
    data = tmp_path / "data"
    from asi_tui.store.vault import Vault

    def boom(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(Vault, "create", boom)
        init(data)
    assert os.listdir(data) and not (data / "vault.json").exists()
    r = init(data)
    assert r.exit_code == 0, r.output
    assert (data / "vault.json").is_file()


def test_init_twice_is_refused(init, tmp_path):
    data = tmp_path / "data"
    assert init(data).exit_code == 0
    assert "already exists" in one_line(init(data))
