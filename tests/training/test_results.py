"""Attempts in the store, groups and roles, the trainer's figures and `asi-tui train`."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from click.testing import CliRunner

from asi_tui.bank.registry import bundled_bank
from asi_tui.cli import main
from asi_tui.store.errors import NotAuthorized
from asi_tui.training.errors import TrainingError
from asi_tui.training.results import (
    add_member,
    create_group,
    exercise_results,
    list_groups,
    load_attempts,
    remove_member,
    start_attempt,
    unfinished_attempts,
    write_csv,
)

from .conftest import PW, do_attempt


def test_uncertified_trainee_may_practise_but_not_interview(login, exercise):
    tove = login("tove")
    handle = start_attempt(tove, exercise)  # practice is allowed
    assert handle.body["practice"] is True and handle.client_ref == "övning:ovning-a"
    assert handle.body["meta"] == {"exercise": "ovning-a", "exercise_version": 2}
    handle.close()
    with pytest.raises(NotAuthorized) as info:
        tove.create_record(bundled_bank("asi-grund"), "K-1", date(2026, 3, 1))
    assert info.value.key == "store.error.not_certified"
    # the unfinished attempt is found again, and it is not a client record
    assert [d["rid"] for d in unfinished_attempts(tove, "ovning-a")] == [handle.rid]
    with pytest.raises(NotAuthorized):  # no client records for a trainee, not even an empty list (issue 13)
        tove.list_records(practice=False)
    assert all(d["practice"] for d in tove.list_records(practice=True))


def test_practice_records_stay_out_of_client_data(login, exercise):
    anna = login("anna")
    do_attempt(anna, exercise)
    assert list(anna.read_bodies()) == []  # what reports and exports read
    assert [b["practice"] for b in anna.read_bodies(include_practice=True)] == [True]


def test_groups_and_who_sees_which_attempts(login, exercise):
    ulla, tove, tim, anna = login("ulla"), login("tove"), login("tim"), login("anna")
    with pytest.raises(NotAuthorized):
        create_group(tove, "kurs")
    create_group(ulla, "kurs-1")
    with pytest.raises(TrainingError) as info:
        create_group(ulla, "kurs-1")
    assert info.value.key == "train.error.group_exists"
    with pytest.raises(TrainingError):
        create_group(ulla, "Kurs 1")  # not a valid name
    add_member(ulla, "kurs-1", "tove")
    add_member(ulla, "kurs-1", "tim")
    with pytest.raises(TrainingError):
        add_member(ulla, "kurs-1", "nobody")
    with pytest.raises(NotAuthorized):
        add_member(tove, "kurs-1", "anna")
    do_attempt(tove, exercise)
    do_attempt(tim, exercise, {"D2a": 2})
    do_attempt(anna, exercise)  # not in ulla's group
    assert {a.user for a in load_attempts(ulla, exercise)} == {"tove", "tim"}
    assert {a.user for a in load_attempts(ulla, exercise, group="kurs-1")} == {"tove", "tim"}
    assert {a.user for a in load_attempts(tove, exercise)} == {"tove"}  # trainees see only their own
    with pytest.raises(NotAuthorized):
        load_attempts(tove, exercise, group="kurs-1")
    assert {a.user for a in load_attempts(login("admin"), exercise)} == {"tove", "tim"}
    assert [g.name for g in list_groups(tove)] == ["kurs-1"] and list_groups(anna) == []
    remove_member(ulla, "kurs-1", "tim")
    assert {a.user for a in load_attempts(ulla, exercise)} == {"tove"}


@pytest.fixture
def ticking_clock(monkeypatch):
    """Record timestamps one minute apart: attempts made within one second keep their order."""
    from datetime import datetime, timedelta, timezone

    from asi_tui.store import clock

    start = datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)
    ticks = iter(range(10_000))
    monkeypatch.setattr(clock, "now", lambda: (start + timedelta(minutes=next(ticks))).isoformat(timespec="seconds"))


def test_trainer_figures_error_rates_kappa_icc_and_progress(login, exercise, ticking_clock):
    ulla, tove, tim = login("ulla"), login("tove"), login("tim")
    create_group(ulla, "kurs-1")
    add_member(ulla, "kurs-1", "tove")
    add_member(ulla, "kurs-1", "tim")
    # tove twice: first with two errors, then perfect except P21; tim once with D2a wrong
    do_attempt(tove, exercise, {"D2a": 2, "P12": 9}, {"M9": 5, "D32": 3, "P21": 8})
    do_attempt(tove, exercise, {}, {"M9": 6, "D32": 3, "P21": 4})
    do_attempt(tim, exercise, {"D2a": 1}, {"M9": 5, "D32": 4, "P21": 5})
    results = exercise_results(exercise, load_attempts(ulla, exercise))
    assert len(results.attempts) == 3
    top = [(e.item_id, e.errors, e.attempts) for e in results.item_errors[:4]]
    # D2a and P21 wrong in 2 of 3 attempts, M9 also 2 of 3; then P12 1 of 3 ... most often first, bank order within a rate
    assert top == [("M9", 2, 3), ("D2a", 2, 3), ("P21", 2, 3), ("D32", 1, 3)]
    by_user = {t.user: t for t in results.trainees}
    assert [a.card.overall.agree for a in by_user["tove"].attempts] == [10, 12]  # progress over attempts
    # kappa of each trainee's latest ratings against the key (6, 3, 5)
    from asi_tui.training.agreement import icc_2_1, weighted_kappa

    assert by_user["tove"].kappa == pytest.approx(weighted_kappa([6, 3, 5], [6, 3, 4]))
    assert by_user["tim"].kappa == pytest.approx(weighted_kappa([6, 3, 5], [5, 4, 5]))
    # ICC(2,1) across trainees, latest attempts: areas M, A, P x (tim, tove)
    assert results.icc == pytest.approx(icc_2_1([[5, 6], [4, 3], [5, 4]]))
    assert (results.icc_targets, results.icc_raters) == (3, 2)
    out = io.StringIO()
    write_csv(results, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["kind"] == "item" and rows[0]["item"] == "M9" and rows[0]["rate"] == "0.6667"
    assert [r["exact_pct"] for r in rows if r["kind"] == "attempt" and r["user"] == "tove"] == ["83.3", "100.0"]
    assert rows[-1]["kind"] == "icc" and float(rows[-1]["icc"]) == pytest.approx(results.icc, abs=1e-4)


def test_train_cli(store_root, tmp_path, exercise, login, monkeypatch):
    # the CLI reads bundled exercises; make the test exercise the only one
    from asi_tui.training import exercises as mod

    monkeypatch.setattr(mod, "bundled_exercises", lambda: (exercise,))
    pw = {u: tmp_path / f"{u}.pw" for u in PW}
    for u, f in pw.items():
        f.write_text(PW[u] + "\n", encoding="utf-8")

    def run(user, *args):
        return CliRunner().invoke(main, ["--lang", "en", "--data", str(store_root), "--user", user, *args, "--passphrase-file", str(pw[user])])

    r = run("tove", "train", "group", "create", "kurs")
    assert r.exit_code == 1 and r.output.strip() == "Error: Only trainers and admins may manage training groups."
    assert run("ulla", "train", "group", "create", "kurs").exit_code == 0
    r = run("ulla", "train", "group", "add", "kurs", "tove")
    assert r.exit_code == 0 and "tove has been added" in r.output
    assert "kurs (trainer ulla): tove" in run("ulla", "train", "group", "list").output
    do_attempt(login("tove"), exercise, {"D2a": 2})
    csv_path = tmp_path / "res.csv"
    r = run("ulla", "train", "results", "ovning-a", "--csv", str(csv_path))
    assert r.exit_code == 0, r.output
    assert "Completed attempts: 1, trainees: 1" in r.output
    assert "D2a" in r.output and "1/1" in r.output
    assert "ICC(2,1) needs at least two trainees" in r.output
    assert oct(csv_path.stat().st_mode & 0o777) == "0o600"
    r = run("ulla", "train", "results", "no-such")
    assert r.exit_code == 1 and "There is no exercise no-such." in r.output
    r = CliRunner().invoke(main, ["--lang", "en", "train", "list"])
    assert "ovning-a" in r.output and "Exercise A" in r.output
    audit = [e for e in login("admin").audit_entries() if e.get("action") == "export"]
    assert audit and audit[-1]["detail"]["what"] == "training-results"
