"""Every role × every command that reaches client data (issue 13), through the
real command line: allowed, or refused in one line with a non-zero exit and an
audit entry naming who and what. The README's role table is the policy's.

Roles: a certified interviewer of unit A (anna) and of unit B (bertil), a
trainee (tove, unit A), a trainer (ulla), an analyst granted unit A (frida),
an admin. Records: Anna's completed Grund and dropout in A, Bertil's Grund in B.
"""

from __future__ import annotations

import csv
import random
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from asi_tui.bank.registry import bundled_bank
from asi_tui.cli import main
from asi_tui.demo import fill
from asi_tui.store import Store, crypto
from asi_tui.store.access import role_table

ROOT = Path(__file__).resolve().parent.parent
PW = {"admin": "adminens-långa-fras-1", "anna": "annas-långa-fras-22", "bertil": "bertils-långa-fras-3",
      "tove": "toves-långa-fras-44", "ulla": "ullas-långa-fras-555", "frida": "fridas-långa-fras-66"}
ROLES = ("anna", "bertil", "tove", "ulla", "frida", "admin")


@dataclass
class World:
    root: Path
    tmp: Path
    grund_a: str
    dropout_a: str
    grund_b: str
    answers: Path

    def run(self, user: str, *args: str):
        pw = self.tmp / f"pw-{user}"
        pw.write_text(PW[user] + "\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["--lang", "en", "--data", str(self.root), "--user", user, *args,
                                           "--passphrase-file", str(pw)])
        assert "Traceback" not in result.output
        return result

    def denied(self, user: str) -> list[dict]:
        admin = Store.open(self.root).unlock("admin", PW["admin"])
        try:
            return [e for e in admin.audit_entries(denied=True) if e.get("user") == user]
        finally:
            admin.close()


def _complete(session, bank_id: str, client: str, day: date, seed: int, answers=()) -> str:
    h = session.create_record(bundled_bank(bank_id), client, day)
    for item, value in answers:
        assert h.answer(item, value).ok
    fill(h, random.Random(seed), heavy=False)
    h.complete()
    h.close()
    return h.rid


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    crypto.allow_test_kdf()
    tmp = tmp_path_factory.mktemp("matrix")
    root = tmp / "data"
    store, _ = Store.init(root, "admin", "Admin", PW["admin"], unit_name="Enhet A")
    admin = store.unlock("admin", PW["admin"])
    admin.add_unit("Enhet B")
    admin.add_user("anna", "Anna", "interviewer", PW["anna"], certified=True, units=["Enhet A"])
    admin.add_user("bertil", "Bertil", "interviewer", PW["bertil"], certified=True, units=["Enhet B"])
    admin.add_user("tove", "Tove", "interviewer", PW["tove"], certified=False, units=["Enhet A"])
    admin.add_user("ulla", "Ulla", "trainer", PW["ulla"])
    admin.add_user("frida", "Frida", "analyst", PW["frida"], units=["Enhet A"])
    admin.close()
    anna = store.unlock("anna", PW["anna"])
    grund_a = _complete(anna, "asi-grund", "K-A1", date(2025, 1, 10), 1)
    dropout_a = _complete(anna, "asi-bortfall", "K-A2", date(2025, 2, 10), 2, (("SE.B.instrument", 1), ("SE.B.orsak", "declined")))
    anna.close()
    bertil = store.unlock("bertil", PW["bertil"])
    grund_b = _complete(bertil, "asi-grund", "K-B1", date(2025, 1, 12), 3)
    bertil.close()
    answers = tmp / "answers.yaml"
    answers.write_text("G16: 30\n", encoding="utf-8")
    return World(root, tmp, grund_a, dropout_a, grund_b, answers)


# command -> (arguments, the policy action a refusal names, who may)
def commands(w: World, tmp: Path) -> dict[str, tuple[list[str], str, set[str]]]:
    return {
        "record list": (["record", "list"], "record.list", {"anna", "bertil", "admin"}),
        "record show": (["record", "show", w.grund_a], "record.view", {"anna"}),
        "record print": (["record", "print", w.grund_a], "record.view", {"anna"}),
        "record import": (["record", "import", str(w.answers), "--bank", "asi-grund", "--client", "K-NEW",
                           "--date", "2025-03-01", "--unit", "Enhet A"], "record.create", {"anna", "admin"}),
        "record import --practice": (["record", "import", str(w.answers), "--bank", "asi-grund", "--client", "ÖVNING",
                                      "--date", "2025-03-01", "--practice"], "practice", {"anna", "bertil", "tove", "ulla", "admin"}),
        "followups": (["followups", "--as-of", "2025-09-01"], "followups", {"anna", "bertil"}),
        "stats": (["stats", "--instrument", "all", "--format", "json"], "stats", {"anna", "bertil", "frida", "admin"}),
        "export": (["export", "--format", "csv", "--out", str(tmp / "x.csv"), "--dropouts"], "export", {"frida", "admin"}),
        "export --full-dates": (["export", "--format", "csv", "--out", str(tmp / "y.csv"), "--full-dates"],
                                "export.identifying", {"admin"}),  # (roles without exports: "export")
        "audit show": (["audit", "show"], "audit", {"admin"}),
        "unit add": (["unit", "add", "Enhet X"], "admin", {"admin"}),
    }


@pytest.mark.parametrize("user", ROLES)
def test_every_role_against_every_command(world, tmp_path, user):
    for name, (args, action, allowed) in commands(world, tmp_path).items():
        args = [a.replace("Enhet X", f"Enhet {user}") for a in args]
        before = len(world.denied(user))
        r = world.run(user, *args)
        if user in allowed:
            assert r.exit_code == 0, (user, name, r.output)
            continue
        assert r.exit_code == 1, (user, name, r.output)
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), (user, name, r.output)
        entries = world.denied(user)
        assert len(entries) == before + 1, (user, name)
        if action == "export.identifying" and user != "frida":
            action = "export"  # refused before the option is looked at
        assert entries[-1]["detail"]["what"] == action, (user, name, entries[-1])


def test_what_an_allowed_role_sees_stays_in_its_units(world, tmp_path):
    listed = world.run("anna", "record", "list").stdout
    assert "K-A1" in listed and "K-B1" not in listed
    listed = world.run("bertil", "record", "list").stdout
    assert "K-B1" in listed and "K-A1" not in listed
    assert "K-A1" not in world.run("bertil", "followups", "--as-of", "2025-09-01", "--all").stdout
    r = world.run("bertil", "record", "show", world.grund_a)
    assert r.output.strip() == "Error: You may not open this record: it belongs to a unit you do not work in."
    entry = world.denied("bertil")[-1]
    assert entry["rid"] == world.grund_a and entry["unit"] == "enhet-a" and entry["detail"] == {"what": "record.view"}


def test_the_done_when_refusals_are_one_clear_line(world):
    for user in ("tove", "ulla", "frida"):
        for args in (["record", "show", world.grund_a], ["record", "list"]):
            r = world.run(user, *args)
            assert r.exit_code != 0 and len(r.output.strip().splitlines()) == 1
    assert world.run("tove", "record", "show", world.grund_a).output.strip() == (
        "Error: Your role gives no access to client records (trainees practise, trainers see training results, "
        "analysts see statistics and de-identified exports).")
    for user in ("tove", "ulla"):
        assert world.run(user, "stats").output.strip().startswith("Error: Your role has no statistics")


def test_an_admin_opens_another_persons_record_only_with_a_reason_which_is_audited(world):
    r = world.run("admin", "record", "show", world.grund_b)
    assert r.exit_code == 1 and "State a reason" in r.output
    r = world.run("admin", "record", "show", world.grund_b, "--reason", "Begäran om registerutdrag")
    assert r.exit_code == 0 and "K-B1" in r.stdout
    admin = Store.open(world.root).unlock("admin", PW["admin"])
    view = [e for e in admin.audit_entries(unit="Enhet B") if e["action"] == "view"][-1]
    assert view["detail"] == {"reason": "Begäran om registerutdrag"} and view["rid"] == world.grund_b


def test_an_analysts_export_and_statistics_hold_no_client_reference(world, tmp_path):
    out = tmp_path / "frida.csv"
    r = world.run("frida", "export", "--format", "csv", "--out", str(out), "--dropouts")
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8") + out.with_name("frida.dropouts.csv").read_text(encoding="utf-8")
    for ref in ("K-A1", "K-A2", "K-B1", "anna", "bertil"):
        assert ref not in text
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {r["unit_id"] for r in rows} == {"enhet-a"}  # the analyst's granted unit only
    stats = world.run("frida", "stats", "--instrument", "all", "--format", "json")
    assert stats.exit_code == 0 and "K-A" not in stats.stdout and "K-B" not in stats.stdout


def test_withdrawing_and_deleting(world):
    assert world.run("bertil", "record", "withdraw", world.dropout_a, "--reason", "fel").exit_code == 1
    assert world.denied("bertil")[-1]["detail"] == {"what": "record.withdraw"}
    assert world.run("anna", "record", "withdraw", world.dropout_a, "--reason", "intervjuad ändå").exit_code == 0
    assert world.run("anna", "record", "delete", world.grund_b, "--yes").exit_code == 1
    assert world.denied("anna")[-1]["detail"] == {"what": "admin"}


def test_the_readme_role_table_is_the_policy():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = [line for line in readme.splitlines() if re.match(r"^\| (what \||`[a-z.]+`: )|^\|---\|---\|---\|---\|---\|---\|$", line)]
    assert shown == role_table()
