"""The record CLI and chains (issue 14): follow-up links by the chain rules with the
two-year warning, `record print` for the case file, `record withdraw`."""

from __future__ import annotations

import re
import stat
from datetime import date

import pytest
from click.testing import CliRunner

from asi_tui.bank.registry import bundled_bank
from asi_tui.cli import main
from asi_tui.demo import DEMO_USERS, create_demo
from asi_tui.engine.values import MissingCode
from asi_tui.i18n import Translator
from asi_tui.store import Store, crypto

from tests.chain_scenario import CLIENT, chained_dir, interview, register_dropout

ADMIN, ANNA = ("admin", "admin passphrase 1"), ("anna", "anna passphrase 22")


@pytest.fixture
def cli(tmp_path):
    data = tmp_path / "data"
    files = {}
    for user, pw in (ADMIN, ANNA, ("demo-anna", DEMO_USERS["anna"][3])):
        files[user] = tmp_path / f"pw-{user}"
        files[user].write_text(pw + "\n", encoding="utf-8")

    def run(*args: str, user: str = "anna", data_dir=data, pw_user: str | None = None):
        pw = files[pw_user or user]
        result = CliRunner().invoke(
            main, ["--lang", "sv", "--data", str(data_dir), "--user", user, *args, "--passphrase-file", str(pw)])
        assert "Traceback" not in result.output + (result.stderr or "")
        return result

    return run, data, tmp_path


def _answers_file(tmp_path, name: str, answers: dict) -> str:
    import yaml

    path = tmp_path / name
    path.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_import_links_a_follow_up_by_the_chain_rules(cli):
    run, data, tmp = cli
    crypto.allow_test_kdf()
    store, _ = Store.init(data, ADMIN[0], "Admin", ADMIN[1])
    a = store.unlock(*ADMIN)
    a.add_user(ANNA[0], "Anna", "interviewer", ANNA[1], certified=True)
    s = store.unlock(*ANNA)
    g = interview(s, "asi-grund", date(2023, 1, 10), "grund")
    u1 = interview(s, "asi-uppfoljning", date(2023, 8, 1), "u1", linked={"rid": g})
    dropout = register_dropout(s, date(2024, 3, 1), u1)
    other = interview(s, "asi-grund", date(2023, 2, 1), "grund", client="K-OTHER")
    s.close()
    answers = _answers_file(tmp, "a.yaml", {"G16": 36})

    # a dropout registration is no earlier interview: refused in one line, nothing written
    r = run("record", "import", answers, "--bank", "asi-uppfoljning", "--client", CLIENT, "--date", "2024-04-01",
            "--linked", dropout)
    assert r.exit_code == 1 and r.stdout == "" and r.stderr.strip().splitlines() == [
        "Fel: " + Translator("sv")("chain.error.link_dropout")]
    r = run("record", "import", answers, "--bank", "asi-uppfoljning", "--client", CLIENT, "--date", "2024-04-01",
            "--linked", other)
    assert r.exit_code == 1 and "annan klient" in r.stderr
    assert len(Store.open(data).unlock(*ANNA).list_records()) == 4

    # without --linked a follow-up links to the client's latest completed interview
    r = run("record", "import", answers, "--bank", "asi-uppfoljning", "--client", CLIENT, "--date", "2024-04-01")
    assert r.exit_code == 0, r.stderr
    assert f"{u1} (Uppf. 2023-08-01)" in r.stderr
    rid = re.search(r"Post (\w+) sparad", r.stdout).group(1)
    doc = Store.open(data).unlock(*ANNA).index.get(rid)
    assert doc["linked_rid"] == u1

    # linking to the Grund, more than two years back, works with a warning on stderr
    r = run("record", "import", answers, "--bank", "asi-uppfoljning", "--client", CLIENT, "--date", "2025-02-01",
            "--linked", g, "--reactualisation")
    assert r.exit_code == 1 and "yngre än två år" in r.stderr  # too old to stand in for a Grund
    r = run("record", "import", answers, "--bank", "asi-uppfoljning", "--client", CLIENT, "--date", "2025-02-01",
            "--linked", g)
    assert r.exit_code == 0 and Translator("sv")("chain.warn.link_old") in r.stderr

    # the list marks a re-actualisation
    r = run("record", "import", answers, "--bank", "asi-uppfoljning", "--client", CLIENT, "--date", "2024-05-01",
            "--linked", u1, "--reactualisation")
    assert r.exit_code == 0, r.stderr
    listed = run("record", "list").stdout.splitlines()
    assert sum("[återaktualisering]" in line for line in listed) == 1


def test_record_print_of_a_completed_demo_grund_holds_every_answer_with_label_and_code(cli, tmp_path):
    run, _, _ = cli
    crypto.allow_test_kdf()
    root = tmp_path / "demo"
    create_demo(root, today=date(2026, 11, 20))
    s = Store.open(root).unlock("anna", DEMO_USERS["anna"][3])
    rid = next(d["rid"] for d in s.list_records() if d["client_ref"] == "DEMO-1001")
    h = s.open_record(rid, readonly=True)
    answers, bank = dict(h.interview.answers), h.bank
    h.close()
    s.close()
    r = run("record", "print", rid, user="anna", data_dir=root, pw_user="demo-anna")
    assert r.exit_code == 0, r.stderr
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in r.stdout.splitlines() if line.startswith("| ")}
    t = Translator("sv")
    assert len(answers) > 150
    for item_id, value in answers.items():
        item = bank.by_id[item_id]
        if item.type == "comment":
            continue
        row = rows[item_id]
        assert f"| {item_id} | {' '.join(item.label.sv.split())} |" in row
        if isinstance(value, MissingCode):
            assert t(f"print.code.{value.code}") in row
            continue
        codes = bank.codes_for(item)
        if codes is not None and item.type != "multi":
            assert f"{value} – {codes.label_of(value).sv}" in row, (item_id, row)
        else:
            assert str(value if not isinstance(value, list) else value[0]) in row.split(" | ")[-1] or item.type == "years_months"
    # in the form's order, with section headings and time frames with dates
    order = [line.split(" | ")[0].removeprefix("| ") for line in r.stdout.splitlines() if line.startswith("| ") and "---" not in line]
    ids = [i for i in order if i in bank.by_id]
    assert ids == [i.id for i in bank.items if i.id in ids]
    assert "## Fysisk hälsa" in r.stdout and "senaste 30 dagarna: " in rows["M6"]


def test_record_print_html_is_escaped_self_contained_and_private(cli):
    run, data, tmp = cli
    chained_dir(data, ADMIN, ANNA)
    s = Store.open(data).unlock(*ANNA)
    rid = next(d["rid"] for d in s.list_records() if d["instrument"] == "grund")
    h = s.open_record(rid)
    h.set_meta("feedback.M.resources", '<script>alert("x")</script> & <b>stöd</b>')
    h.close()
    s.close()
    out = tmp / "print"
    r = run("record", "print", rid, "--format", "html", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    page = (out / f"intervju-{rid}.html").read_text(encoding="utf-8")
    assert stat.S_IMODE((out / f"intervju-{rid}.html").stat().st_mode) == 0o600
    assert "@page { size: A4" in page and "<script" not in page and "http" not in page and "src=" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;stöd&lt;/b&gt;" in page
    admin = Store.open(data).unlock(*ADMIN)
    assert [e["detail"] for e in admin.audit_entries() if e["action"] == "export" and e.get("rid") == rid] == [
        {"what": "print", "format": "html"}]


def test_record_withdraw(cli):
    run, data, _ = cli
    chain = chained_dir(data, ADMIN, ANNA)  # its dropout is withdrawn already
    s = Store.open(data).unlock(*ANNA)
    d = register_dropout(s, date(2026, 9, 1), chain.u2)
    s.close()
    r = run("record", "withdraw", d, "--reason", "Klienten intervjuades ändå")
    assert r.exit_code == 0 and d in r.stdout
    assert run("record", "withdraw", d, "--reason", "igen").exit_code == 1
    listed = run("record", "list", "--status", "withdrawn").stdout
    assert d in listed and chain.dropout in listed
