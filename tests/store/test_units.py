"""Units (issue 13): the signed unit table, unit keys, what a member of one
unit can and cannot reach, leaving a unit, the responsible case worker, and
audit entries readable by admins only. Real files in tmp_path."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.store import Session, Store
from asi_tui.store import crypto as C
from asi_tui.store.errors import NotAuthorized, NoUnitKey, UserError, VaultAltered
from asi_tui.store.genkeys import unit_fingerprint
from asi_tui.store.keyslots import box_ad
from asi_tui.store.records import dek_ad, read_header, read_snapshot

from store_helpers import ADMIN, ADMIN_PW

DAY = date(2025, 3, 10)
PW = {ADMIN: ADMIN_PW, "anna": "annas-hemliga-fras-1", "bo": "bos-hemliga-fras-22", "tove": "toves-hemliga-fras-3",
      "ulla": "ullas-hemliga-fras-4", "fou": "fous-hemliga-fras-55", "cecilia": "cecilias-hemliga-fras-6"}


@dataclass
class Units:
    root: object
    admin: Session

    def session(self, user: str) -> Session:
        return Store.open(self.root).unlock(user, PW[user])


@pytest.fixture
def two(tmp_path):
    """Beroendeenheten (Anna, Cecilia) and Vuxenenheten (Bo); Tove a trainee in
    Beroendeenheten, Ulla a trainer, FoU an analyst granted Beroendeenheten."""
    root = tmp_path / "data"
    store, _ = Store.init(root, ADMIN, "Admin", ADMIN_PW, unit_name="Beroendeenheten")
    admin = store.unlock(ADMIN, ADMIN_PW)
    admin.add_unit("Vuxenenheten")
    admin.add_user("anna", "Anna", "interviewer", PW["anna"], certified=True, units=["Beroendeenheten"])
    admin.add_user("cecilia", "Cecilia", "interviewer", PW["cecilia"], certified=True, units=["beroendeenheten"])
    admin.add_user("bo", "Bo", "interviewer", PW["bo"], certified=True, units=["Vuxenenheten"])
    admin.add_user("tove", "Tove", "interviewer", PW["tove"], certified=False, units=["Beroendeenheten"])
    admin.add_user("ulla", "Ulla", "trainer", PW["ulla"])
    admin.add_user("fou", "FoU", "analyst", PW["fou"], units=["Beroendeenheten"])
    return Units(root, admin)


def grund(session: Session, client: str, unit: str | None = None) -> str:
    h = session.create_record(bundled_bank("asi-grund"), client, DAY, unit=unit)
    assert h.answer("G16", 40).ok
    h.pause()
    h.close()
    return h.rid


# ----------------------------------------------------------------------------- the table


def test_units_have_stable_ids_and_names_that_can_change(two):
    units = {u.id: u for u in two.admin.list_units()}
    assert {(u.id, u.name) for u in units.values()} == {("beroendeenheten", "Beroendeenheten"), ("vuxenenheten", "Vuxenenheten")}
    anna = two.session("anna")
    rid = grund(anna, "K-1")  # one unit: no question
    two.admin.change_unit("beroendeenheten", name="Beroende och psykiatri")
    assert anna.index.get(rid)["unit"] == "beroendeenheten"  # the id stays
    assert two.session("anna").unit_names()["beroendeenheten"] == "Beroende och psykiatri"
    with pytest.raises(UserError) as exc:
        two.admin.add_unit("vuxenenheten")  # names are unique among active units, case ignored
    assert exc.value.key == "store.units.exists"
    with pytest.raises(UserError) as exc:
        two.admin.add_unit("Praktik", unit_id="practice")
    assert exc.value.key == "store.units.bad_id"


def test_a_retired_unit_takes_no_new_records_its_records_stay_readable_and_its_id_is_never_reused(two):
    bo = two.session("bo")
    rid = grund(bo, "K-2")
    two.admin.change_unit("Vuxenenheten", retired=True)
    with pytest.raises(UserError) as exc:
        grund(two.session("bo"), "K-3", unit="Vuxenenheten")
    assert exc.value.key == "store.units.retired"
    with pytest.raises(NotAuthorized):  # Bo's only unit is retired: nothing left to start a record in
        grund(two.session("bo"), "K-3")
    h = two.session("bo").open_record(rid, readonly=True)
    assert h.interview.value("G16") == 40
    h.close()
    again = two.admin.add_unit("Vuxenenheten")  # the name may come back, the id does not
    assert again.id == "vuxenenheten-2"
    assert {u.id for u in two.admin.list_units()} == {"beroendeenheten", "vuxenenheten", "vuxenenheten-2"}


def test_a_member_of_several_units_chooses_and_the_store_refuses_a_unit_not_theirs(two):
    two.admin.update_user("anna", units=["beroendeenheten", "vuxenenheten"])
    anna = two.session("anna")
    with pytest.raises(UserError) as exc:
        grund(anna, "K-4")
    assert exc.value.key == "store.units.choose"
    rid = grund(anna, "K-4", unit="Vuxenenheten")
    assert anna.index.get(rid)["unit"] == "vuxenenheten"
    with pytest.raises(NotAuthorized):
        grund(two.session("cecilia"), "K-5", unit="vuxenenheten")
    denied = [e for e in two.admin.audit_entries(denied=True) if e["user"] == "cecilia"]
    assert denied and denied[-1]["detail"] == {"what": "record.create"} and denied[-1]["unit"] == "vuxenenheten"


# ----------------------------------------------------------------------------- keys


def test_a_user_of_another_unit_gets_nothing_from_the_files_with_their_own_keys(two):
    """Direct file access with every key Bo holds: the record of Beroendeenheten stays closed."""
    rid = grund(two.session("anna"), "K-SECRET-77")
    path = two.root / "records" / f"{rid}.rec"
    header, blob = read_header(path)
    assert header["unit"] == "beroendeenheten" and "K-SECRET-77".encode() not in path.read_bytes()
    bo = two.session("bo")
    assert "beroendeenheten" not in bo.keys.held_units()
    with pytest.raises(NoUnitKey):
        read_snapshot(path, rid, bo.keys)
    wrapped = base64.b64decode(header["dek"])
    candidates = [*bo.keys.vks.values(), *(k for g in bo.keys.unit_keys.values() for k in g.values()),
                  *(bo.keys.practice_key(g) for g in bo.keys.vks), *bo.keys.aks.values(), *bo.keys.iks.values()]
    for key in candidates:
        for ad in (dek_ad(rid, "beroendeenheten"), dek_ad(rid), dek_ad(rid, "vuxenenheten")):
            with pytest.raises(C.CryptoError):
                C.open_sealed(key, wrapped, ad)
    with pytest.raises(NotAuthorized) as exc:  # and through the store: refused before anything is read
        bo.open_record(rid, readonly=True)
    assert exc.value.key == "store.access.record"
    assert read_snapshot(path, rid, two.session("cecilia").keys).body["client_ref"] == "K-SECRET-77"


def test_trainees_trainers_and_analysts_hold_exactly_the_keys_the_policy_gives(two):
    held = {u: two.session(u).keys.held_units() for u in ("anna", "bo", "tove", "ulla", "fou", ADMIN)}
    assert held == {"anna": {"beroendeenheten"}, "bo": {"vuxenenheten"}, "tove": set(), "ulla": set(),
                    "fou": {"beroendeenheten"}, ADMIN: {"beroendeenheten", "vuxenenheten"}}
    tove = two.session("tove")
    assert tove.keys.key_for(tove.keys.current_gen, "practice") is not None  # everyone practises
    with pytest.raises(KeyError):
        tove.keys.index_key("beroendeenheten")
    assert two.session("anna").keys.index_key("beroendeenheten") == two.session("cecilia").keys.index_key("beroendeenheten")


def test_a_box_planted_in_the_vault_is_not_accepted(two):
    """Someone with write access boxes their own key for Vuxenenheten to Anna: refused."""
    vault = json.loads((two.root / "vault.json").read_text())
    gen = str(vault["vk_gen"])
    pub = base64.b64decode(next(u["pub"] for u in vault["users"] if u["id"] == "bo"))
    fake = C.random_key()
    vault["unit_boxes"][gen]["vuxenenheten"]["bo"] = C.b64e(C.box_seal(pub, fake, box_ad(vault, "unit/vuxenenheten", "bo", int(gen))))
    (two.root / "vault.json").write_text(json.dumps(vault))
    assert unit_fingerprint(vault, int(gen), "vuxenenheten", fake) != vault["keys"][gen]["units"]["vuxenenheten"]
    with pytest.raises(VaultAltered):
        two.session("bo")


def test_leaving_a_unit_drops_its_keys_now_and_for_good_at_the_next_rotation(two):
    cecilia = two.session("cecilia")
    old_keys = dict(cecilia.keys.unit_keys[cecilia.keys.current_gen])  # what she may have kept
    rid = grund(two.session("anna"), "K-6")
    two.admin.update_user("cecilia", units=[])
    due = two.admin.rotation_due()
    assert due is not None and "cecilia" in due.users
    assert any(r["reason"] == "unit-keys-removed" for r in due.reasons)
    again = two.session("cecilia")
    assert again.keys.held_units() == set()
    with pytest.raises(NotAuthorized):
        again.open_record(rid, readonly=True)
    two.admin.rotate_key()
    assert two.admin.rotation_due() is None
    header, _ = read_header(two.root / "records" / f"{rid}.rec")
    assert header["vk_gen"] == cecilia.keys.current_gen + 1
    with pytest.raises(C.CryptoError):  # the copy she kept does not open what the rotation re-sealed
        C.open_sealed(old_keys["beroendeenheten"], base64.b64decode(header["dek"]), dek_ad(rid, "beroendeenheten"))
    assert read_snapshot(two.root / "records" / f"{rid}.rec", rid, two.session("anna").keys).body["client_ref"] == "K-6"


# ----------------------------------------------------------------------------- responsible case worker


def test_the_responsible_case_worker_is_set_at_the_grund_and_changed_by_the_units_interviewers(two):
    anna = two.session("anna")
    rid = grund(anna, "K-7")
    assert anna.index.get(rid)["responsible"] == "anna"
    with pytest.raises(NotAuthorized):
        two.session("bo").set_responsible(rid, "bo")  # not Bo's unit
    with pytest.raises(UserError) as exc:
        anna.set_responsible(rid, "bo")  # not an interviewer of the unit
    assert exc.value.key == "store.access.responsible_not_member"
    two.session("cecilia").set_responsible(rid, "cecilia")
    h = anna.open_record(rid, readonly=True)
    assert h.body["meta"]["responsible"] == "cecilia"  # journalled on the Grund
    h.close()
    change = [e for e in two.admin.audit_entries() if e["action"] == "responsible"][-1]
    assert change["user"] == "cecilia" and change["detail"] == {"user": "cecilia", "before": "anna"} and change["client"] == "K-7"


# ----------------------------------------------------------------------------- audit


def test_audit_entries_are_readable_by_admins_only(two):
    anna = two.session("anna")
    rid = grund(anna, "K-AUDIT-9")
    anna.open_record(rid, readonly=True).close()
    bo = two.session("bo")
    mine = [e for e in bo.audit.entries(bo.keys.audit_keys()) if e.get("rid") == rid]
    assert mine and all("client" not in e and "user" not in e and e.get("private") for e in mine)
    assert "K-AUDIT-9" not in json.dumps(list(bo.audit.entries(bo.keys.audit_keys())))
    with pytest.raises(NotAuthorized):
        bo.audit_entries()
    full = [e for e in two.admin.audit_entries(unit="Beroendeenheten") if e.get("rid") == rid]
    assert {e["action"] for e in full} >= {"create", "view"} and all(e["client"] == "K-AUDIT-9" for e in full)
    assert bo.verify_audit().ok  # everyone can still check the chain


def test_the_responsible_case_worker_sees_the_clients_follow_up_and_statistics_stay_in_the_units(two):
    from asi_tui.demo import fill
    import random

    from asi_tui.reports import followups, load_dataset

    anna = two.session("anna")
    h = anna.create_record(bundled_bank("asi-grund"), "K-8", date(2025, 1, 10))
    fill(h, random.Random(8), heavy=False)
    h.complete()
    h.close()
    two.session("cecilia").set_responsible(h.rid, "cecilia")
    planned = followups(two.session("cecilia"), date(2025, 9, 1), interviewer="cecilia")  # --mine
    assert [(f.client_ref, f.responsible, f.interviewer) for f in planned] == [("K-8", "cecilia", "anna")]
    assert followups(two.session("bo"), date(2025, 9, 1), include_upcoming=True) == []  # not Bo's unit
    bo = two.session("bo")
    b = bo.create_record(bundled_bank("asi-grund"), "K-9", date(2025, 1, 11))
    fill(b, random.Random(9), heavy=False)
    b.complete()
    b.close()
    assert {(r.rid, r.unit) for r in load_dataset(two.session("bo")).rows} == {(b.rid, "vuxenenheten")}
    assert {r.unit for r in load_dataset(two.session("fou")).rows} == {"beroendeenheten"}  # the analyst's unit
    assert {r.unit for r in load_dataset(two.admin).rows} == {"beroendeenheten", "vuxenenheten"}
    with pytest.raises(NotAuthorized):
        load_dataset(two.session("tove"))
