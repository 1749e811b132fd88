"""`asi-tui bank publish|versions|activate|retire|coverage|suggest-map|check-map` as an admin uses them."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from asi_tui.cli import main

from tests.conftest import BANKS

from .helpers import V1, ADMIN_PW, ANNA_PW, MAP_V1_V2, make_grund_v2, write


@pytest.fixture
def cli(tmp_path):
    data = tmp_path / "data"
    pw = write(tmp_path / "pw", ADMIN_PW + "\n")
    pw2 = write(tmp_path / "pw2", ANNA_PW + "\n")

    def run(*args: str, user: str = "admin", lang: str = "en"):
        secret = pw if user == "admin" else pw2
        with_pw = [*args, "--passphrase-file", str(secret)] if args and args[0] == "bank" and args[1] in (
            "publish", "publish-map", "versions", "activate", "retire") else list(args)
        result = CliRunner().invoke(main, ["--lang", lang, "--data", str(data), "--user", user, *with_pw])
        assert "Traceback" not in result.output
        return result

    assert run("init", "--name", "Admin", "--passphrase-file", str(pw)).exit_code == 0
    r = run("user", "add", "anna", "--name", "Anna", "--certified", "--passphrase-file", str(pw), "--new-passphrase-file", str(pw2))
    assert r.exit_code == 0, r.output
    return run


def error_line(result) -> str:
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert result.exit_code not in (0, None), result.output
    return lines[-1]


def test_publish_list_retire_activate(cli, tmp_path):
    v2 = make_grund_v2(tmp_path)
    m = write(tmp_path / "map.yaml", MAP_V1_V2)
    r = cli("bank", "publish", str(v2), "--map", str(m))
    assert r.exit_code == 0, r.output
    assert "Published asi-grund 2.0.0" in r.output and "New grund interviews now start on asi-grund 2.0.0" in r.output

    r = cli("bank", "versions", "--json", user="anna")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    rows = {(v["bank_id"], v["version"]): v for v in data["versions"]}
    assert rows[("asi-grund", "2.0.0")]["active"] and rows[("asi-grund", "2.0.0")]["source"] == "published"
    assert not rows[("asi-grund", V1)]["active"] and rows[("asi-grund", V1)]["records"] == 0
    assert data["maps"][0]["from"] == f"asi-grund {V1}" and data["maps"][0]["to"] == "asi-grund 2.0.0"

    assert cli("bank", "retire", "asi-grund", V1).exit_code == 0
    text = cli("bank", "versions").output
    line = next(ln for ln in text.splitlines() if "asi-grund" in ln and V1 in ln)
    assert "retired" in line and "bundled" in line
    line = next(ln for ln in text.splitlines() if "asi-grund" in ln and "2.0.0" in ln)
    assert "active" in line and "published" in line
    assert "Migration maps:" in text

    r = cli("bank", "retire", "asi-grund", "2.0.0")
    assert "is the active version for grund" in error_line(r)
    r = cli("bank", "activate", "asi-grund", V1)
    assert r.exit_code == 0 and f"asi-grund {V1}" in r.output

    r = cli("bank", "publish", str(v2))
    assert error_line(r) == "Error: asi-grund 2.0.0 is already published. A published version never changes: raise the version number."


def test_interviewers_cannot_publish(cli, tmp_path):
    r = cli("bank", "publish", str(make_grund_v2(tmp_path)), user="anna")
    assert error_line(r).startswith("Error: ") and r.exit_code == 1


def test_a_broken_bank_prints_its_problems_and_publishes_nothing(cli, tmp_path):
    bad = make_grund_v2(tmp_path, partial_when="G12 in [1, 2,")
    r = cli("bank", "publish", str(bad))
    assert r.exit_code == 1
    assert f"{bad}:" in r.output and "nothing was published" in r.output.splitlines()[-1]
    assert "2.0.0" not in cli("bank", "versions").output


def test_a_tampered_version_is_flagged_and_refused(cli, tmp_path):
    v2 = make_grund_v2(tmp_path)
    assert cli("bank", "publish", str(v2), "--no-activate").exit_code == 0
    published = tmp_path / "data" / "banks" / "asi-grund" / "2.0.0.yaml"
    published.write_text(published.read_text().replace("en: Physical health", "en: Physical health (edited)"))
    assert "ALTERED" in cli("bank", "versions").output
    r = cli("bank", "activate", "asi-grund", "2.0.0")
    assert "was changed after publishing" in error_line(r)


def test_suggest_map_then_check_it(cli, tmp_path):
    v2 = make_grund_v2(tmp_path)
    r = cli("bank", "suggest-map", "asi-grund", str(v2))
    assert r.exit_code == 0, r.output
    assert yaml.safe_load(r.output)["rename"] == {"M4": "M4x"}
    out = tmp_path / "suggested.yaml"
    assert cli("bank", "suggest-map", f"asi-grund@{V1}", str(v2), "-o", str(out)).exit_code == 0
    r = cli("bank", "check-map", str(out), "--new", str(v2))
    assert r.exit_code == 1
    assert f"{out}:" in r.output and "D14" in r.output and "1 problems" in r.output.splitlines()[-1]
    out.write_text(out.read_text().replace("      6: 6 ", "      6: 7 "))
    r = cli("bank", "check-map", str(out), "--new", str(v2))
    assert r.exit_code == 0 and "fits both versions" in r.output
    # once v2 is published the map is checked against it by id
    assert cli("bank", "publish", str(v2)).exit_code == 0
    assert cli("bank", "check-map", str(out)).exit_code == 0
    assert cli("bank", "publish-map", str(out)).exit_code == 0
    r = cli("bank", "publish-map", str(out))
    assert "already published" in error_line(r)
    assert cli("bank", "publish-map", str(out), "--replace").exit_code == 0


def test_coverage_command(cli, tmp_path):
    r = cli("bank", "coverage", str(BANKS / "grund"), str(BANKS / "uppfoljning"), str(BANKS / "codes"))
    assert r.exit_code == 0 and "Every text exists in Swedish and English" in r.output
    bad = make_grund_v2(tmp_path, title={"sv": "ASI Grund", "en": " "})
    r = cli("bank", "coverage", str(bad))
    assert r.exit_code == 0
    assert f"{bad}:" in r.output and "title: the English text is missing" in r.output
    r = cli("bank", "coverage", "--strict", str(bad))
    assert r.exit_code == 1 and "1 texts are missing" in r.output


def test_coverage_of_the_whole_bank_folder_leaves_exercises_alone(cli):
    """Exercises are written in one language and are not banks: the default
    paths include question_bank/exercises/, which must not read as broken banks."""
    r = cli("bank", "coverage", str(BANKS))
    assert r.exit_code == 0, r.output
    assert "exercises" not in r.output and "Every text exists in Swedish and English" in r.output


def test_strict_coverage_for_bank_validate(tmp_path, capsys):
    import click

    from asi_tui.cli.banks import strict_coverage
    from asi_tui.i18n import Translator

    same = "Hur många gånger har du varit inlagd"
    bad = make_grund_v2(tmp_path, title={"sv": "ASI Grund", "en": " "}, description={"sv": same, "en": same})
    with click.Context(main, obj={"t": Translator("en")}) as ctx:
        problems = strict_coverage(ctx, [bad])
    assert [p.message for p in problems] == ["title: the English text is missing"]
    assert "warning: description: the Swedish and English texts are identical" in capsys.readouterr().err
