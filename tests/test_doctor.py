"""`asi-tui doctor` on real directories and config files: a correctly set-up
captive directory is all green; the group-shared, world-readable and
wrong-owner directories, and bad authorized_keys or sshd settings, each give
their problem with its fix and exit 1."""

from __future__ import annotations

import os
from datetime import datetime, timezone
import pwd
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.doctor import PROBLEM, Setup, run_checks
from asi_tui.doctor.runtime import check_runtime, check_terminal, pinned_versions
from asi_tui.doctor.ssh import check_authorized_keys, check_sshd, parse_key_line, parse_sshd_config
from asi_tui.i18n import Translator, catalog
from tests.conftest import ROOT

ADMIN_PW = "admin passphrase 1"
ME = pwd.getpwuid(os.getuid()).pw_name
EXE = "/opt/asi/venv/bin/asi-tui"
GOOD_KEY = f'restrict,pty,command="{EXE} run --user anna" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB anna@laptop'
GOOD_SSHD = f"""\
# Debian's defaults, then the block of docs/deploy.md
Include {{d}}/sshd_config.d/*.conf
KbdInteractiveAuthentication no
X11Forwarding yes
Subsystem sftp /usr/lib/openssh/sftp-server

Match User {ME}
    AllowTcpForwarding no
    X11Forwarding no
    PermitTTY yes
    PasswordAuthentication no
    ClientAliveInterval 60
    ClientAliveCountMax 3
"""


@pytest.fixture
def server(tmp_path) -> Setup:
    """A captive data directory (0700, owned by the account running the
    tests), one key line for anna, and sshd settings as docs/deploy.md says."""
    from asi_tui.store import Store

    root = tmp_path / "data"
    store, _ = Store.init(root, "admin", "Admin", ADMIN_PW)
    admin = store.unlock("admin", ADMIN_PW)
    admin.add_user("anna", "Anna A", "interviewer", "anna passphrase 22", certified=True)
    admin.add_user("bo", "Bo B", "interviewer", "bo passphrase 333", certified=True)
    admin.update_user("bo", disabled=True)
    admin.rotate_key()  # docs/deploy.md: rotate when someone leaves
    admin.close()
    subprocess.run(["chmod", "-R", "go-rwx", str(root)], check=True)
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    os.chmod(home, 0o755)
    os.chmod(home / ".ssh", 0o700)
    keys = home / ".ssh" / "authorized_keys"
    keys.write_text(f"# interviewers\n{GOOD_KEY}\n\n", encoding="utf-8")
    os.chmod(keys, 0o600)
    (tmp_path / "sshd_config.d").mkdir()
    sshd = tmp_path / "sshd_config"
    sshd.write_text(GOOD_SSHD.format(d=tmp_path), encoding="utf-8")
    return Setup(data_dir=root, account=ME, uid=os.getuid(), home=home, authorized_keys=keys, sshd_config=sshd,
                 executable=Path(EXE), env={"TERM": "xterm-256color"}, terminal_size=(80, 24))


def problems(findings) -> list[str]:
    return [f.key for f in findings if f.level == PROBLEM]


def lines(findings, lang: str = "en") -> list[str]:
    t = Translator(lang)
    return [t(f.key, **f.params) + (f" Fix: {t(f.fix, **f.params)}" if f.fix else "") for f in findings]


# ----------------------------------------------------------------------------- the data directory


def test_a_captive_directory_set_up_as_documented_is_all_green(server):
    findings = run_checks(server)
    assert problems(findings) == []
    assert "captive service account mode" in lines(findings)[0]


def test_group_shared_mode_says_what_it_lets_members_do(server):
    os.chmod(server.data_dir, 0o2770)
    findings = run_checks(server)
    assert problems(findings) == ["doctor.data.group_shared"]
    (line,) = [ln for ln in lines(findings) if "group-shared" in ln]
    assert "Every group member can delete files or put older copies back" in line and "small teams only" in line
    assert f"Fix: for the captive mode (docs/deploy.md): sudo chown -R {ME}: {server.data_dir}" in line
    server.accept_group_shared = True  # chosen on purpose: still said, no longer a failure
    assert problems(run_checks(server)) == []


def test_a_world_readable_directory_is_a_problem_with_the_chmod(server):
    os.chmod(server.data_dir, 0o705)
    (server.data_dir / "vault.json").chmod(0o644)
    findings = run_checks(server)
    assert problems(findings) == ["doctor.data.world", "doctor.inside.world"]
    text = lines(findings)
    assert f"The data directory {server.data_dir} is open to other accounts (0705). Fix: chmod -R o-rwx {server.data_dir}" in text
    assert "Files in the data directory open to other accounts: 1 (e.g. vault.json). Fix: chmod -R o-rwx" in text[2]


def test_a_directory_owned_by_another_account_names_owner_and_chown(server):
    server.uid, server.account = os.getuid() + 4242, "asi"  # as if doctor checked for the service account `asi`
    findings = run_checks(server)
    owner = [ln for ln in lines(findings) if ln.startswith("The data directory")]
    assert owner == [f"The data directory {server.data_dir} is owned by {ME}, not by asi. Fix: sudo chown -R asi: {server.data_dir}"]
    assert "doctor.inside.owner" in problems(findings)


def test_symlinks_and_special_files_inside_are_named(server):
    target = server.data_dir.parent / "elsewhere"
    target.write_text("admin's file")
    (server.data_dir / "locks" / "0123.lock").symlink_to(target)
    os.mkfifo(server.data_dir / "tmp" / "pipe")
    text = "\n".join(lines(run_checks(server)))
    assert "Symbolic links in the data directory: 1 (e.g. locks/0123.lock)" in text
    assert "Special files (FIFO, device, socket) in the data directory: 1 (e.g. tmp/pipe)" in text


def test_a_parent_others_can_write_is_a_problem(server):
    parent = server.data_dir.parent
    os.chmod(parent, 0o777)
    try:
        assert "doctor.parent.writable" in problems(run_checks(server))
        os.chmod(parent, 0o1777)  # sticky, as /tmp: others cannot rename what is not theirs
        assert "doctor.parent.writable" not in problems(run_checks(server))
    finally:
        os.chmod(parent, 0o700)


def test_a_missing_directory_says_how_to_create_it(server):
    server.data_dir = server.data_dir.parent / "none"
    (line,) = [ln for ln in lines(run_checks(server)) if "does not exist" in ln]
    assert line.endswith(f"Fix: create it as {ME}: asi-tui --data {server.data_dir} init (docs/deploy.md)")


def test_rotation_due_after_a_disable_is_a_problem_until_a_rotation_runs(server):
    from asi_tui.store import Store

    assert "No key rotation is due." in lines(run_checks(server))
    admin = Store.open(server.data_dir).unlock("admin", ADMIN_PW)
    admin.update_user("anna", disabled=True)
    (line,) = [ln for ln in lines(run_checks(server)) if ln.startswith("A key rotation")]
    today = datetime.now(timezone.utc).date().isoformat()
    assert line == (f"A key rotation is due since {today} (anna): users disabled since the last rotation "
                    "still hold the current keys. Fix: an admin runs: asi-tui key rotate")
    admin.rotate_key()
    admin.close()
    assert "No key rotation is due." in lines(run_checks(server))


@pytest.mark.parametrize("damage", ["signed name changed", "not JSON", "30,000 deep", "wrong types"])
def test_an_altered_or_broken_vault_is_a_finding_not_a_crash(server, damage):
    vault = server.data_dir / "vault.json"
    text = {
        "signed name changed": vault.read_text().replace('"Admin"', '"Mallory"', 1),
        "not JSON": "hello",
        "30,000 deep": "[" * 30_000 + "]" * 30_000,
        "wrong types": '{"fmt": 1, "users": "x", "slots": [1], "admin_pub": 5}',
    }[damage]
    vault.write_text(text)
    assert "doctor.vault.altered" in problems(run_checks(server))


# ----------------------------------------------------------------------------- authorized_keys


BAD_KEYS = {
    "no forced command": ("ssh-ed25519 AAAAC3Nz anna@laptop", ["doctor.keys.no_command"]),
    "no restrict": (f'pty,command="{EXE} run --user anna" ssh-ed25519 AAAA a', ["doctor.keys.no_restrict"]),
    "no pty": (f'restrict,command="{EXE} run --user anna" ssh-ed25519 AAAA a', ["doctor.keys.no_pty"]),
    "no-pty": (f'restrict,pty,no-pty,command="{EXE} run --user anna" ssh-ed25519 AAAA a', ["doctor.keys.no_pty"]),
    "a shell": ('restrict,pty,command="/bin/bash" ssh-ed25519 AAAA a', ["doctor.keys.not_the_app"]),
    "chained": (f'restrict,pty,command="{EXE} run --user anna; /bin/sh" ssh-ed25519 AAAA a', ["doctor.keys.shell_chars"]),
    "relative": ('restrict,pty,command="asi-tui run --user anna" ssh-ed25519 AAAA a', ["doctor.keys.relative"]),
    "no user": (f'restrict,pty,command="{EXE} run" ssh-ed25519 AAAA a', ["doctor.keys.no_user"]),
    "user as group option": (f'restrict,pty,command="{EXE} --user anna run" ssh-ed25519 AAAA a', ["doctor.keys.no_user"]),
    "unknown user": (f'restrict,pty,command="{EXE} run --user eve" ssh-ed25519 AAAA a', ["doctor.keys.unknown_user"]),
    "forwarding back on": (f'restrict,pty,port-forwarding,command="{EXE} run --user anna" ssh-ed25519 AAAA a',
                           ["doctor.keys.reenabled"]),
    "environment": (f'restrict,pty,environment="LD_PRELOAD=/tmp/x.so",command="{EXE} run --user anna" ssh-ed25519 AAAA a',
                    ["doctor.keys.reenabled"]),
    "unreadable": ('restrict,pty,command="unterminated ssh-ed25519 AAAA a', ["doctor.keys.unparsable"]),
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_bad_authorized_keys_lines_are_problems_with_the_line_number(server, case):
    line, expected = BAD_KEYS[case]
    server.authorized_keys.write_text(f"{GOOD_KEY}\n# a comment\n{line}\n", encoding="utf-8")
    findings = run_checks(server)
    assert problems(findings) == expected
    assert all(" line 3" in ln for ln, f in zip(lines(findings), findings) if f.level == PROBLEM)


def test_a_good_key_line_is_read_with_its_options():
    key = parse_key_line('restrict,pty,command="/x/asi-tui run --user \\"anna\\"" ssh-ed25519 AAAA anna at laptop', 7)
    assert key.options == {"restrict": None, "pty": None, "command": '/x/asi-tui run --user "anna"'}
    assert (key.lineno, key.keytype, key.comment) == (7, "ssh-ed25519", "anna at laptop")


def test_a_key_of_a_disabled_user_still_in_authorized_keys_is_a_problem(server):
    server.authorized_keys.write_text(GOOD_KEY + "\n" + GOOD_KEY.replace("anna", "bo") + "\n", encoding="utf-8")
    findings = run_checks(server)
    assert problems(findings) == ["doctor.keys.disabled_user"]
    (line,) = [ln for ln in lines(findings) if ln.startswith("authorized_keys line 2")]
    assert line == ("authorized_keys line 2 (bo@laptop): the user bo is disabled, but the key still logs in. "
                    "Fix: remove the line from authorized_keys")


def test_an_authorized_keys_file_others_can_write_is_a_problem(server):
    os.chmod(server.authorized_keys, 0o666)
    findings, _ = check_authorized_keys(server, server.authorized_keys, None)
    assert [f.key for f in findings] == ["doctor.keys.file_mode"]


def test_no_authorized_keys_is_said_not_failed(server):
    server.authorized_keys.unlink()
    assert problems(run_checks(server)) == []


# ----------------------------------------------------------------------------- sshd_config


def sshd_problems(server, text: str, keys: list[str] = (GOOD_KEY,)) -> list[str]:
    server.sshd_config.write_text(text, encoding="utf-8")
    parsed = [parse_key_line(k, i) for i, k in enumerate(keys, 1)]
    return [f"{f.key}:{f.params.get('setting', '')}" for f in check_sshd(server, parse_sshd_config(server.sshd_config), parsed)
            if f.level == PROBLEM]


def test_sshd_without_a_match_block_misses_every_setting(server):
    assert sshd_problems(server, "X11Forwarding yes\n") == [
        "doctor.sshd.no_match:", "doctor.sshd.setting:AllowTcpForwarding", "doctor.sshd.setting:X11Forwarding",
        "doctor.sshd.setting:PasswordAuthentication", "doctor.sshd.setting:KbdInteractiveAuthentication",
        "doctor.sshd.setting:ClientAliveInterval"]


def test_sshd_block_in_an_included_file_with_user_patterns_counts(server):
    (server.sshd_config.parent / "sshd_config.d" / "asi.conf").write_text(
        f"Match User nobody,{ME[:2]}*,!mallory\n  DisableForwarding yes\n  AuthenticationMethods publickey\n"
        "  ClientAliveInterval 2m\n")
    assert sshd_problems(server, f"Include {server.sshd_config.parent}/sshd_config.d/*.conf\nX11Forwarding yes\n") == []


def test_a_block_for_someone_else_does_not_count(server):
    assert "doctor.sshd.no_match:" in sshd_problems(server, GOOD_SSHD.format(d="/x").replace(f"Match User {ME}", "Match User bo"))


def test_force_command_in_the_block_would_override_the_keys_bindings(server):
    text = GOOD_SSHD.format(d="/x") + f"    ForceCommand {EXE} run\n"
    assert sshd_problems(server, text) == ["doctor.sshd.force_overrides:"]
    assert sshd_problems(server, text, keys=[]) == []  # no key binds a user: one command for all is fine


def test_permit_tty_off_stops_the_app(server):
    text = GOOD_SSHD.format(d="/x").replace("PermitTTY yes", "PermitTTY no")
    assert sshd_problems(server, text) == ["doctor.sshd.setting:PermitTTY"]


# ----------------------------------------------------------------------------- versions and terminal


def test_textual_must_be_the_pinned_version():
    pins = pinned_versions()
    assert pins["textual"] == "8.2.8"  # read from asi-tui's own requirements
    findings = check_runtime({**pins, "textual": "8.1.0"})
    assert [f.key for f in findings] == ["doctor.runtime.pin"]
    assert lines(findings) == ['textual 8.1.0 is installed; asi-tui is tested with 8.2.8 only. '
                               'Fix: reinstall in the venv: pip install "textual==8.2.8"']
    assert problems(check_runtime(pins)) == []


@pytest.mark.parametrize(("env", "size", "expected"), [
    ({"TERM": "xterm-256color"}, (80, 24), []),
    ({"TERM": "linux"}, (200, 60), []),  # 16 colours are enough (ansi-dark)
    ({"TERM": "dumb"}, (80, 24), ["doctor.term.no_colour"]),
    ({}, (80, 24), ["doctor.term.no_colour"]),
    ({"TERM": "xterm"}, (79, 24), ["doctor.term.small"]),
    ({"TERM": "xterm"}, (132, 23), ["doctor.term.small"]),
    ({"TERM": "xterm"}, None, []),
])
def test_terminal(env, size, expected):
    assert problems(check_terminal(env, size)) == expected


# ----------------------------------------------------------------------------- the command


def doctor_cli(server, *extra: str, lang: str = "en"):
    return CliRunner().invoke(
        main, ["--lang", lang, "--data", str(server.data_dir), "doctor", "--authorized-keys", str(server.authorized_keys),
               "--sshd-config", str(server.sshd_config), *extra], env={"TERM": "xterm-256color"})


def test_the_command_is_green_on_a_good_server_and_fails_with_fixes_otherwise(server):
    good = doctor_cli(server)
    assert good.exit_code == 0, good.output
    assert good.stdout.splitlines()[-1] == "All checks passed."
    assert not [ln for ln in good.stdout.splitlines() if ln.startswith("PROBLEM")]
    os.chmod(server.data_dir, 0o2770)
    bad = doctor_cli(server, lang="sv")
    assert bad.exit_code == 1
    (line,) = [ln for ln in bad.stdout.splitlines() if ln.startswith("PROBLEM")]
    assert "gruppdelat läge" in line and "Åtgärd: " in line
    assert bad.stderr.strip() == "Problem hittade: 1."
    assert doctor_cli(server, "--accept-group-shared").exit_code == 0
    quiet = doctor_cli(server, "--quiet")  # for cron: the problems only
    assert quiet.exit_code == 1 and [ln.split()[0] for ln in quiet.stdout.splitlines()] == ["PROBLEM"]
    assert doctor_cli(server, "--quiet", "--accept-group-shared").stdout == ""


def test_the_command_for_another_account_reports_the_owner(server):
    other = next(p for p in pwd.getpwall() if p.pw_uid != os.getuid())
    r = doctor_cli(server, "--account", other.pw_name)
    assert r.exit_code == 1
    assert f"PROBLEM  The data directory {server.data_dir} is owned by {ME}, not by {other.pw_name}. " \
           f"Fix: sudo chown -R {other.pw_name}: {server.data_dir}" in r.stdout.splitlines()
    r = doctor_cli(server, "--account", "no-such-account-x")
    assert r.exit_code == 1 and r.stderr.strip() == "Error: No account no-such-account-x on this machine."


def test_key_comments_with_escapes_are_printed_clean(server):
    server.authorized_keys.write_text("ssh-ed25519 AAAA evil\x1b]0;pwned\x07\x1b[2J\n", encoding="utf-8")
    r = doctor_cli(server)
    assert r.exit_code == 1 and "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "authorized_keys line 1 (evil) has no forced command" in r.stdout


def test_doctor_imports_no_ui_toolkit(server):
    code = (
        "import sys\nfrom pathlib import Path\nfrom asi_tui.doctor import Setup, run_checks\nimport asi_tui.cli.doctor\n"
        f"run_checks(Setup.for_account(Path({str(server.data_dir)!r})))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich') or m.startswith('asi_tui.ui')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_doctor_message_exists_in_both_languages(lang):
    used = set()
    for path in [*(ROOT / "asi_tui" / "doctor").glob("*.py"), ROOT / "asi_tui" / "cli" / "doctor.py"]:
        used |= set(re.findall(r'"(doctor\.[a-z_]+\.[a-z_]+|doctor\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    used |= {f"doctor.inside.{k}" for k in ("symlinks", "special", "owner", "group_owner", "no_setgid", "world")}
    assert len(used) > 60
    assert sorted(k for k in used if k not in catalog(lang)) == []


def test_a_match_block_in_an_included_file_ends_with_that_file(server):
    """As sshd does: Debian's `X11Forwarding yes` after the Include is global
    again, while the block's own settings still apply."""
    (server.sshd_config.parent / "sshd_config.d" / "asi.conf").write_text(
        f"Match User {ME}\n  AllowTcpForwarding no\n  PasswordAuthentication no\n  ClientAliveInterval 60\n")
    text = f"Include {server.sshd_config.parent}/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nX11Forwarding yes\n"
    assert sshd_problems(server, text) == ["doctor.sshd.setting:X11Forwarding"]


def test_config_paths_that_are_not_files_are_reported_not_read(server):
    server.authorized_keys = Path("/dev/zero")
    server.sshd_config = server.data_dir.parent  # a directory
    findings = run_checks(server)
    assert problems(findings) == []
    assert {f.key for f in findings} >= {"doctor.keys.unreadable", "doctor.sshd.unreadable"}
