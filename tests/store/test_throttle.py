"""Wrong passphrases (issue 11): a growing wait per user that survives
restarts, the same work for unknown users as for known ones, and a minimum
strength for new passphrases. The clock is injected: nothing sleeps, and
"the same time" is asserted as the same KDF work, never by timing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.demo import DEMO_USERS
from asi_tui.store import Store, crypto, throttle
from asi_tui.store.errors import StoreError, Throttled, UserError, WrongPassphrase
from asi_tui.store.strength import MIN_TOKENS, check_new_passphrase, tokens

from store_helpers import ADMIN, ADMIN_PW, ANNA, ANNA_PW, OLLE, OLLE_PW

WRONG = "inte rätt lösenfras alls"


@pytest.fixture
def clock(monkeypatch):
    state = {"now": 1_800_000_000.0}
    monkeypatch.setattr(throttle, "now", lambda: state["now"])
    return state


@pytest.fixture
def kdf_runs(monkeypatch):
    runs: list[dict] = []
    real = crypto.derive_kek

    def counting(passphrase, kdf):  # noqa: ANN001, ANN202
        runs.append({k: kdf[k] for k in ("m", "t", "p")})
        return real(passphrase, kdf)

    monkeypatch.setattr(crypto, "derive_kek", counting)
    return runs


def fail(env, user: str = ANNA, times: int = 1) -> None:  # noqa: ANN001
    for _ in range(times):
        with pytest.raises(WrongPassphrase):
            Store.open(env.root).unlock(user, WRONG)  # a fresh process each time


def test_the_wait_grows_after_each_failure_and_is_capped(env, clock):
    waits = []
    while len(waits) < 11:
        try:
            Store.open(env.root).unlock(ANNA, WRONG)  # a fresh process each time
        except WrongPassphrase:
            continue
        except Throttled as exc:
            waits.append(exc.params["seconds"])
            clock["now"] += exc.params["seconds"]
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_two_typos_cost_nothing_and_a_success_resets_the_count(env, clock):
    fail(env, times=2)
    s = Store.open(env.root).unlock(ANNA, ANNA_PW)  # no wait yet
    s.close()
    fail(env, times=2)
    Store.open(env.root).unlock(ANNA, ANNA_PW).close()  # the count started again
    assert list((env.root / "throttle").glob("*.json")) == []


def test_an_attempt_during_the_wait_is_refused_without_running_the_kdf(env, clock, kdf_runs):
    fail(env, times=3)
    kdf_runs.clear()
    with pytest.raises(Throttled) as exc:
        Store.open(env.root).unlock(ANNA, ANNA_PW)  # even the right passphrase
    assert exc.value.params == {"seconds": 1}
    assert kdf_runs == []
    clock["now"] += 1
    Store.open(env.root).unlock(ANNA, ANNA_PW).close()


def test_the_wait_is_per_user_and_survives_a_restart(env, clock):
    fail(env, ANNA, times=3)
    with pytest.raises(Throttled):
        Store.open(env.root).unlock(ANNA, ANNA_PW)
    Store.open(env.root).unlock(OLLE, OLLE_PW).close()  # someone else is not held up
    state = [json.loads(p.read_text()) for p in (env.root / "throttle").glob("*.json")]
    assert [s["failures"] for s in state] == [3]


def test_the_cli_says_how_long_to_wait_in_one_line(env, clock, tmp_path):
    fail(env, times=3)
    pw = tmp_path / "pw"
    pw.write_text(ANNA_PW + "\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["--lang", "en", "--data", str(env.root), "--user", ANNA, "record", "list", "--passphrase-file", str(pw)])
    assert r.exit_code == 1
    assert r.output.strip() == "Error: Too many wrong passphrases for this user. Try again in 1 seconds."


def test_the_lock_screen_check_is_throttled_too(env, clock):
    """The TUI's lock screen checks the passphrase with `vault.unlock` directly."""
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            env.store.vault.unlock(ANNA, WRONG)
    with pytest.raises(Throttled):
        env.store.vault.unlock(ANNA, ANNA_PW)


def test_the_recovery_code_is_throttled(env, clock):
    for _ in range(3):
        with pytest.raises(WrongPassphrase):
            env.store.unlock_recovery("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    with pytest.raises(Throttled):
        env.store.unlock_recovery(env.recovery)


def test_parallel_attempts_cannot_share_one_slot(env, clock):
    fail(env, times=2)  # the next failure will cost a wait: the attempt reserves it
    t = env.store.vault.throttle
    with t.attempt(ANNA):
        with pytest.raises(Throttled):
            with t.attempt(ANNA):
                pass


def test_throttle_files_name_no_user_and_hold_no_passphrase(env, clock):
    fail(env, ANNA, times=3)
    fail(env, "nobody", times=3)
    files = sorted((env.root / "throttle").glob("*.json"))
    assert len(files) == 2
    for f in files:
        assert re.fullmatch(r"[0-9a-f]{32}\.json", f.name)
        text = f.read_text()
        assert ANNA not in text and "nobody" not in text and WRONG not in text


@pytest.mark.parametrize("content", [b'{"failures": 3, "next": 1e308}', b'{"failures": 3, "next": 1e999}', b"[" * 10_000, b"garbage"])
def test_a_tampered_throttle_file_never_locks_out_for_longer_than_the_cap(env, clock, content):
    path = env.store.vault.throttle.path(ANNA)
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    try:
        Store.open(env.root).unlock(ANNA, ANNA_PW).close()
    except Throttled as exc:
        assert exc.params["seconds"] <= throttle.MAX_DELAY_S


def test_a_throttle_that_cannot_keep_count_does_not_lock_anyone_out(env, clock):
    lock = env.root / "locks" / "throttle.lock"
    lock.unlink(missing_ok=True)
    lock.mkdir()  # planted: the throttle's lock cannot be taken
    fail(env, times=5)
    Store.open(env.root).unlock(ANNA, ANNA_PW).close()


def test_a_file_in_place_of_the_throttle_directory_is_named(env, clock):
    (env.root / "throttle").rmdir()
    (env.root / "throttle").write_text("not a directory")
    with pytest.raises(StoreError) as exc:
        Store.open(env.root)
    assert exc.value.key == "store.error.unsafe_path" and exc.value.params["path"].endswith("throttle")
    for _ in range(5):  # an already open store still checks passphrases, unthrottled
        with pytest.raises(WrongPassphrase):
            env.store.unlock(ANNA, WRONG)
    env.store.unlock(ANNA, ANNA_PW).close()


# --------------------------------------------------------------------------- unknown users


@pytest.mark.parametrize("who", ["nobody", "_recovery", "disabled"])
def test_an_unknown_user_costs_the_same_kdf_work_and_is_throttled_alike(env, clock, kdf_runs, who):
    if who == "disabled":
        env.admin.update_user(OLLE, disabled=True)
        who = OLLE
    kdf_runs.clear()
    fail(env, ANNA)
    known = list(kdf_runs)
    kdf_runs.clear()
    fail(env, who)
    assert kdf_runs == known and len(known) == 1  # one KDF run with the same parameters
    fail(env, who, times=2)
    with pytest.raises(Throttled) as exc:
        Store.open(env.root).unlock(who, WRONG)
    assert exc.value.params == {"seconds": 1}


def test_unknown_and_known_users_get_the_same_message(env, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(WRONG + "\n", encoding="utf-8")
    lines = set()
    for user in (ANNA, "nobody"):
        r = CliRunner().invoke(main, ["--lang", "en", "--data", str(env.root), "--user", user, "record", "list", "--passphrase-file", str(pw)])
        lines.add((r.exit_code, r.output))
    assert lines == {(1, "Error: Wrong user or passphrase.\n")}


# --------------------------------------------------------------------------- strength


WEAK = {
    "aaaaaaaaaaaa": None,
    "123456789012": None,
    "annaannaanna": ANNA,
    "anna-anna-anna": ANNA,
    "password1234": None,
    "Lösenord2024!": None,
    "qwertyuiopås": None,
    "abcabcabcabc": None,
    "hunter2hunter2": None,
    "987654321098": None,
    "Sommar2024!!": None,
}


@pytest.mark.parametrize("passphrase, user", list(WEAK.items()), ids=list(WEAK))
def test_weak_passphrases_are_refused_with_what_is_required(env, passphrase, user):
    with pytest.raises(UserError) as exc:
        env.admin.add_user(user or "sara", "Sara", "interviewer", passphrase)
    assert exc.value.key == "store.error.passphrase_weak"
    assert tokens(passphrase, user) < MIN_TOKENS


@pytest.mark.parametrize("passphrase", ["kort", "elva tecken"])
def test_short_passphrases_are_refused(env, passphrase):
    with pytest.raises(UserError) as exc:
        env.admin.add_user("sara", "Sara", "interviewer", passphrase)
    assert exc.value.key == "store.error.passphrase_short" and exc.value.params == {"min": 12}


@pytest.mark.parametrize(
    "passphrase", ["correct horse battery staple", "x7#Kq9!mP2zL", "tre glada kor på bete", "Blåbär-Gran-Älv-7"]
)
def test_ordinary_strong_passphrases_pass(passphrase):
    check_new_passphrase(passphrase, ANNA)


def test_every_way_to_set_a_passphrase_checks_strength(env):
    weak = "aaaaaaaaaaaa"
    for action in (
        lambda: env.admin.add_user("sara", "Sara", "interviewer", weak),
        lambda: env.admin.reset_passphrase(ANNA, weak),
        lambda: env.session(ANNA).change_passphrase(ANNA_PW, weak),
        lambda: Store.init(env.root.parent / "other", "chef", "Chef", weak),
    ):
        with pytest.raises(StoreError) as exc:
            action()
        assert exc.value.key == "store.error.passphrase_weak"


def test_the_cli_refuses_a_weak_passphrase_in_one_line(env, tmp_path):
    pw, new = tmp_path / "pw", tmp_path / "new"
    pw.write_text(ADMIN_PW + "\n", encoding="utf-8")
    new.write_text("123456789012\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["--lang", "en", "--data", str(env.root), "--user", ADMIN, "user", "add", "sara", "--name", "Sara",
                                  "--passphrase-file", str(pw), "--new-passphrase-file", str(new)])
    assert r.exit_code == 1
    assert r.output.strip() == (
        "Error: The passphrase is too weak: use at least 12 characters, not repeated or in sequence (like aaaa or 1234), "
        "and not your user id or a common word; for example four unrelated words."
    )


def test_the_demo_passphrases_in_the_code_and_the_readme_pass_the_rule():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = dict(re.findall(r"^\| `([a-z-]+)` \| [^|]+ \| `([^`]+)` \|$", readme, re.M))
    assert table == {uid: spec[3] for uid, spec in DEMO_USERS.items()}
    for uid, spec in DEMO_USERS.items():
        check_new_passphrase(spec[3], uid)


def test_checking_a_long_passphrase_is_cheap():
    """The period search is linear: a 4 KB passphrase of one repeated piece is one token."""
    assert tokens("ab" * 2000) == tokens("ab") == 2
    assert tokens("ab" * 2000 + "c") > MIN_TOKENS
