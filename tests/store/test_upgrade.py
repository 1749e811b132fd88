"""`asi-tui migrate`: data directories written by earlier versions
(tests/fixtures/olddirs, built by its build.py with the code of those
versions) upgraded with one command, after a dry run that changes nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.store import Store
from asi_tui.store.errors import NotAuthorized, VaultOutdated
from asi_tui.store.records import read_header

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "olddirs"
PW = {"kim": "kims-admin-lösenfras-1", "anna": "annas-lösenfras-22", "bo": "bos-lösenfras-333",
      "olle": "olles-lösenfras-4444", "ulla": "ullas-lösenfras-55555"}


def copy_of(kind: str, tmp_path: Path) -> Path:
    root = tmp_path / kind
    shutil.copytree(FIXTURES / kind, root)
    for d in ("tmp", "docs", "journals", "records", "locks", "audit"):
        (root / d).mkdir(exist_ok=True)
    for p in [root, *root.rglob("*")]:
        os.chmod(p, 0o700 if p.is_dir() else 0o600)
    return root


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "locks" not in p.parts}


def run(root: Path, tmp_path: Path, *args: str, user: str = "kim"):
    pw = tmp_path / f"pw-{user}"
    pw.write_text(PW[user] + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--lang", "en", "--data", str(root), "--user", user, *args,
                                       "--passphrase-file", str(pw)])
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize("kind", ["v0", "v1"])
def test_an_old_directory_is_refused_until_migrated_and_the_dry_run_changes_nothing(kind, tmp_path):
    root = copy_of(kind, tmp_path)
    with pytest.raises(VaultOutdated):
        Store.open(root).unlock("anna", PW["anna"])
    r = run(root, tmp_path, "record", "list", user="anna")
    assert r.exit_code == 1 and "asi-tui migrate" in r.output
    before = digest(root)
    r = run(root, tmp_path, "migrate", "--dry-run")
    assert r.exit_code == 0, r.output
    out = r.stdout
    # the distinct spellings with their record counts, and the unit proposed for each
    assert '"Beroendeenheten"  2 record(s)  -> beroendeenheten' in out  # "  beroendeenheten " counts here
    assert '"Beroende enheten"  1 record(s)  -> beroende-enheten' in out
    assert '"Vuxenenheten"  1 record(s)  -> vuxenenheten' in out
    assert "-> vuxenenheten  (the only unit of the user who registered it)" in out  # Bo's record without G3
    assert "anna             Beroende enheten, Beroendeenheten" in out
    assert "Nothing was changed (--dry-run)" in out
    assert digest(root) == before
    r = run(root, tmp_path, "migrate", "--dry-run", user="anna")  # an interviewer cannot upgrade
    assert r.exit_code == 1 and r.output.strip().splitlines()[-1].startswith("Error: Only an admin")


@pytest.mark.parametrize("kind", ["v0", "v1"])
def test_migrating_merges_spellings_gives_every_record_its_unit_and_keys_and_is_audited(kind, tmp_path):
    root = copy_of(kind, tmp_path)
    mapping = tmp_path / "map.txt"
    mapping.write_text("# two spellings of one unit\nBeroende enheten = Beroendeenheten\n", encoding="utf-8")
    r = run(root, tmp_path, "migrate", "--map-file", str(mapping))
    assert r.exit_code == 0, r.output
    assert "Done:" in r.stdout
    units = {u.id: u.name for u in Store.open(root).unlock("kim", PW["kim"]).list_units()}
    assert units == {"beroendeenheten": "Beroendeenheten", "vuxenenheten": "Vuxenenheten"}
    # every record names its unit in the header, sealed to that unit's key
    for path in (root / "records").glob("*.rec"):
        assert read_header(path)[0]["unit"] in ("beroendeenheten", "vuxenenheten", "practice")
    anna = Store.open(root).unlock("anna", PW["anna"])
    assert anna.user.units == ("beroendeenheten",)
    docs = anna.list_records()
    assert sorted(d["client_ref"] for d in docs) == ["K-1", "K-2", "K-3"] and {d["unit"] for d in docs} == {"beroendeenheten"}
    h = anna.open_record(docs[0]["rid"])  # opens and edits under the new keys (journal kept)
    assert h.answer("G16", 35).ok
    h.pause()
    h.close()
    bo = Store.open(root).unlock("bo", PW["bo"])
    assert sorted(d["client_ref"] for d in bo.list_records()) == ["K-4", "K-5", *(["K-6"] if kind == "v1" else [])]
    with pytest.raises(NotAuthorized):
        bo.open_record(docs[0]["rid"], readonly=True)
    olle = Store.open(root).unlock("olle", PW["olle"])  # the uncertified interviewer keeps his practice record
    assert [d["client_ref"] for d in olle.list_records(practice=True)] == ["OVNING-1"]
    admin = Store.open(root).unlock("kim", PW["kim"])
    assert admin.verify_audit().ok
    entries = admin.audit_entries()
    assert any(e["action"] == "upgrade" for e in entries)
    # entries written before the upgrade are for admins only: an interviewer's keys open none of them
    first_upgrade = min(e["seq"] for e in entries if e["action"] == "user-upgrade")
    assert not [e for e in anna.audit.entries(anna.keys.audit_keys()) if e["seq"] < first_upgrade]
    assert any(e.get("client") == "K-1" for e in entries if e["seq"] < first_upgrade)
    r = run(root, tmp_path, "migrate", "--dry-run")
    assert r.exit_code == 0 and "up to date" in r.stdout


def test_a_record_no_unit_can_be_found_for_needs_a_default_unit():
    """Bo registered records in two units, and a dropout without G3: the plan cannot
    place the dropout by itself, and nothing is written until --default-unit says."""
    from asi_tui.store.errors import UserError
    from asi_tui.store.unitplan import LegacyRecord, make_plan
    from asi_tui.store.upgrade import refuse_missing

    records = [LegacyRecord("r1", "interview", "bo", False, "Vuxenenheten"),
               LegacyRecord("r2", "interview", "bo", False, "Mottagningen"),
               LegacyRecord("r3", "dropout", "bo", False, None),
               LegacyRecord("r4", "interview", "tove", True, "Övning")]
    users = {"bo": ("interviewer", True), "tove": ("interviewer", False), "kim": ("admin", False)}
    plan = make_plan(records, users)
    assert plan.missing == ["r3"] and plan.records["r4"] == "practice" and "r3" not in plan.records
    with pytest.raises(UserError) as exc:
        refuse_missing(plan)
    assert exc.value.key == "store.upgrade.missing"
    plan = make_plan(records, users, maps={"mottagningen": "Vuxenenheten"}, default_unit="vuxenenheten")
    assert plan.missing == [] and plan.records["r3"] == "vuxenenheten"  # merged, so Bo has one unit now
    assert plan.users == {"bo": ["vuxenenheten"], "kim": [], "tove": ["vuxenenheten"]}  # one unit: everyone joins
    plan = make_plan(records, users, default_unit="Socialtjänsten Norr", assign={"tove": ["Mottagningen"]})
    assert plan.records["r3"] == "socialtjansten-norr" and ("socialtjansten-norr", "Socialtjänsten Norr", True) in plan.units
    assert plan.users["tove"] == ["mottagningen"] and plan.users["bo"] == ["mottagningen", "socialtjansten-norr", "vuxenenheten"]


def test_doctor_calls_an_old_vault_outdated_not_altered(tmp_path):
    from asi_tui.doctor.datadir import check_rotation

    root = copy_of("v0", tmp_path)
    assert [f.key for f in check_rotation(root)] == ["doctor.vault.outdated"]
    assert run(root, tmp_path, "migrate").exit_code == 0
    assert [f.key for f in check_rotation(root)] == ["doctor.vault.no_rotation"]
