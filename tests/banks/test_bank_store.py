"""Publishing bank versions: immutable, signed, active per instrument, retirable, verified on every load."""

from __future__ import annotations

import json
import stat

import pytest

from asi_tui.bank.loader import BankError
from asi_tui.store.banks import (
    BankAltered,
    BankStore,
    NoActiveVersion,
    RetireActive,
    VersionExists,
    VersionRetired,
    resolver_for,
)
from asi_tui.store.errors import NotAuthorized

from asi_tui.bank.model import version_key

from .helpers import V1, make_grund_v2


def _row(rows, bank_id, version):
    return next(r for r in rows if (r.bank_id, r.version) == (bank_id, version))


def test_without_publishing_the_newest_bundled_version_is_active(env):
    bs = env.banks()
    assert bs.active_bank("grund").version == V1
    assert bs.active_bank("spel/uppfoljning").id == "asi-spel-uppfoljning"
    rows = bs.versions(env.admin)
    assert all(r.source == "bundled" and not r.retired for r in rows)
    newest = {}
    for r in rows:  # the newest bundled version of each instrument is the active one
        if r.instrument_key not in newest or version_key(r.version) > version_key(newest[r.instrument_key].version):
            newest[r.instrument_key] = r
    assert {r.ref for r in rows if r.active} == {r.ref for r in newest.values()}
    with pytest.raises(NoActiveVersion):
        bs.active_bank("nosuch")


def test_publish_makes_an_immutable_active_version(env, grund_v2_file):
    bs = env.banks()
    info, reports = bs.publish(env.admin, grund_v2_file)
    assert (info.bank_id, info.version, info.source, info.active) == ("asi-grund", "2.0.0", "published", True)
    assert reports == []
    published = env.root / "banks" / "asi-grund" / "2.0.0.yaml"
    sig = json.loads((env.root / "banks" / "asi-grund" / "2.0.0.sig.json").read_text())
    assert sig["published_by"] == "admin" and sig["sha256"] == info.sha256 and sig["signature"]
    # group-shared, never world-readable
    assert not published.stat().st_mode & (stat.S_IROTH | stat.S_IWOTH)
    # new interviews use v2; v1 is still listed (and not active)
    assert bs.active_bank("grund").version == "2.0.0"
    rows = bs.versions(env.admin)
    assert _row(rows, "asi-grund", "2.0.0").active and not _row(rows, "asi-grund", V1).active
    # the published file alone defines the bank: shared code lists are inlined
    text = published.read_text()
    assert "\n- id: yes_no\n" in text and "\n- id: substance_2022\n" in text and "\n- id: route\n" in text
    # publishing the same version again is refused, whatever the content
    with pytest.raises(VersionExists):
        bs.publish(env.admin, grund_v2_file)
    # and so is a version number that is bundled
    v1_again = make_grund_v2(grund_v2_file.parent.parent.parent / "again", version=V1)
    with pytest.raises(VersionExists) as exc:
        bs.publish(env.admin, v1_again)
    assert exc.value.key == "banks.error.exists_bundled"


def test_the_published_file_survives_the_source_being_edited_or_deleted(env, tmp_path):
    src = make_grund_v2(tmp_path / "src")
    env.banks().publish(env.admin, src)
    src.unlink()
    (tmp_path / "src" / "question_bank" / "codes").unlink()  # shared code lists gone too
    assert resolver_for(env.root)("asi-grund", "2.0.0", "").by_id["M4x"]


def test_only_an_admin_publishes_activates_or_retires(env, grund_v2_file):
    anna = env.session("anna")
    bs = env.banks()
    with pytest.raises(NotAuthorized):
        bs.publish(anna, grund_v2_file)
    with pytest.raises(NotAuthorized):
        bs.retire(anna, "asi-grund", V1)
    with pytest.raises(NotAuthorized):
        bs.activate(anna, "asi-grund", V1)
    assert not (env.root / "banks" / "asi-grund").exists()


def test_a_broken_bank_is_refused_with_file_and_line(env, tmp_path):
    bad = make_grund_v2(tmp_path, relevant_typo=True)  # an unknown top-level field
    with pytest.raises(BankError) as exc:
        env.banks().publish(env.admin, bad)
    assert any("relevant_typo" in str(p) and str(bad) in str(p) for p in exc.value.problems)
    assert not (env.root / "banks" / "asi-grund").exists()


def test_a_bank_with_an_empty_text_is_not_published(env, tmp_path):
    bad = make_grund_v2(tmp_path, title={"sv": "ASI Grund", "en": "   "})
    with pytest.raises(BankError) as exc:
        env.banks().publish(env.admin, bad)
    assert "English text is missing" in str(exc.value)


def test_retire_and_activate(env, grund_v2_file):
    bs = env.banks()
    with pytest.raises(RetireActive):
        bs.retire(env.admin, "asi-grund", V1)  # the only Grund: still active
    bs.publish(env.admin, grund_v2_file)
    bs.retire(env.admin, "asi-grund", V1)
    rows = bs.versions(env.admin)
    assert _row(rows, "asi-grund", V1).retired
    with pytest.raises(VersionRetired):
        bs.check_new_interview(bs.load("asi-grund", V1))
    bs.check_new_interview(bs.active_bank("grund"))
    with pytest.raises(RetireActive):
        bs.retire(env.admin, "asi-grund", "2.0.0")
    # rolling back: activating v1 brings it back from retirement
    bs.activate(env.admin, "asi-grund", V1)
    assert bs.active_bank("grund").version == V1
    assert not bs.is_retired("asi-grund", V1)
    actions = [e["action"] for e in env.admin.audit_entries()]
    assert {"bank-publish", "bank-retire", "bank-activate"} <= set(actions)


def test_publish_without_activating(env, grund_v2_file):
    bs = env.banks()
    info, _ = bs.publish(env.admin, grund_v2_file, activate=False)
    assert not info.active and bs.active_bank("grund").version == V1
    bs.activate(env.admin, "asi-grund", "2.0.0")
    assert bs.active_bank("grund").version == "2.0.0"


def test_versions_count_the_records_on_each(env, grund_v2_file):
    from datetime import date

    bs = env.banks()
    anna = env.session("anna")
    anna.create_record(bs.active_bank("grund"), "K-1", date(2026, 3, 1)).close()
    bs.publish(env.admin, grund_v2_file)
    h = anna.create_record(bs.active_bank("grund"), "K-2", date(2026, 3, 2))
    h.close()
    anna.create_record(bs.active_bank("grund"), "K-3", date(2026, 3, 2)).close()
    rows = bs.versions(anna)  # any user may look
    assert (_row(rows, "asi-grund", V1).records, _row(rows, "asi-grund", V1).in_progress) == (1, 1)
    assert _row(rows, "asi-grund", "2.0.0").records == 2


# ----------------------------------------------------------------------------- tampering


@pytest.fixture
def published(env, grund_v2_file):
    env.banks().publish(env.admin, grund_v2_file)
    return env.root / "banks" / "asi-grund"


def test_an_edited_published_file_is_refused(env, published):
    yml = published / "2.0.0.yaml"
    yml.write_text(yml.read_text().replace("ASI Baseline interview", "ASI Baseline interview!", 1))
    with pytest.raises(BankAltered) as exc:
        resolver_for(env.root)("asi-grund", "2.0.0", "")
    assert exc.value.key == "banks.error.altered"
    with pytest.raises(BankAltered):
        env.banks().active_bank("grund")
    assert [r.altered for r in env.banks().versions() if r.version == "2.0.0"] == [True]


def test_a_published_file_or_signature_replaced_by_a_symlink_is_refused(env, published, tmp_path):
    """Group members can write the data directory: a link to a copy elsewhere is never followed."""
    from asi_tui.store.errors import StoreError

    for name in ("2.0.0.yaml", "2.0.0.sig.json"):
        target = published / name
        copy = tmp_path / name
        copy.write_bytes(target.read_bytes())
        target.unlink()
        target.symlink_to(copy)
        with pytest.raises(StoreError) as exc:
            BankStore(env.root).load("asi-grund", "2.0.0")
        assert exc.value.key in ("banks.error.altered", "store.error.unsafe_path"), exc.value.key
        target.unlink()
        target.write_bytes(copy.read_bytes())
    assert BankStore(env.root).load("asi-grund", "2.0.0").version == "2.0.0"


def test_an_edited_signature_is_refused(env, published):
    sig = published / "2.0.0.sig.json"
    meta = json.loads(sig.read_text())
    yml = published / "2.0.0.yaml"
    yml.write_text(yml.read_text() + "# harmless?\n")
    import hashlib

    meta["sha256"] = hashlib.sha256(yml.read_bytes()).hexdigest()  # hash fixed, signature not
    sig.write_text(json.dumps(meta))
    with pytest.raises(BankAltered):
        BankStore(env.root).load("asi-grund", "2.0.0")


def test_a_signature_from_another_key_or_for_another_version_is_refused(env, published, tmp_path):
    sig = published / "2.0.0.sig.json"
    (published / "2.1.0.yaml").write_bytes((published / "2.0.0.yaml").read_bytes())
    (published / "2.1.0.sig.json").write_bytes(sig.read_bytes())  # copied: names 2.0.0 inside
    with pytest.raises(BankAltered):
        BankStore(env.root).load("asi-grund", "2.1.0")
    sig.unlink()
    with pytest.raises(BankAltered):
        BankStore(env.root).load("asi-grund", "2.0.0")


def test_an_edited_or_deleted_state_is_refused(env, published):
    state = env.root / "banks" / "state.json"
    data = json.loads(state.read_text())
    data["active"]["grund"] = f"asi-grund {V1}"
    state.write_text(json.dumps(data))
    with pytest.raises(BankAltered):
        env.banks().active_bank("grund")
    state.unlink()
    with pytest.raises(BankAltered):
        env.banks().active_bank("grund")


def test_a_record_pinned_to_other_content_is_refused(env, published):
    from asi_tui.store.errors import StoreError

    bank = BankStore(env.root).load("asi-grund", "2.0.0")
    with pytest.raises(StoreError) as exc:
        resolver_for(env.root)("asi-grund", "2.0.0", "0" * 64)
    assert exc.value.key == "store.error.bank_changed"
    assert resolver_for(env.root)("asi-grund", "2.0.0", bank.sha256) is bank
    # bundled versions still resolve through the same resolver
    assert resolver_for(env.root)("asi-grund", V1, "").version == V1


def test_a_published_version_whose_files_were_removed_is_refused(env, published):
    for f in published.iterdir():
        f.unlink()
    with pytest.raises(BankAltered):
        env.banks().active_bank("grund")
    assert [r.altered for r in env.banks().versions() if r.version == "2.0.0"] == [True]
