"""The vault: passphrases, key slots, the signed user table, KDF bounds, recovery
and user administration (storage-design §3.2, §3.6 #1 #2 #3 #18 #22)."""

from __future__ import annotations

import json
import os
import stat
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asi_tui.store import Store
from asi_tui.store import crypto as C
from asi_tui.store.crypto import canonical
from asi_tui.store.vault import Vault
from asi_tui.store.errors import (
    KdfRejected,
    NewerFormat,
    NotAuthorized,
    StoreError,
    UserError,
    VaultAltered,
    WrongPassphrase,
)

from store_helpers import (
    ADMIN,
    ADMIN_PW,
    ANNA,
    ANNA_PW,
    BASIC_ANSWERS,
    INTERVIEW_DATE,
    OLLE,
    OLLE_PW,
    flip_b64,
    journal_frames,
    rec_header_span,
)

REFUSED = (WrongPassphrase, VaultAltered, KdfRejected)


def _vault(env) -> dict:  # noqa: ANN001
    return json.loads(env.vault_path.read_bytes())


def _write_vault(env, data: dict) -> None:  # noqa: ANN001
    env.vault_path.write_text(json.dumps(data, indent=1, sort_keys=True))


def _user_row(data: dict, user_id: str) -> dict:
    return next(u for u in data["users"] if u["id"] == user_id)


# --------------------------------------------------------------------------- #1 wrong passphrase


@pytest.mark.parametrize(
    "user, passphrase",
    [
        (ADMIN, "lösenordet är långt ä"),  # one letter off
        (ADMIN, ""),
        (ADMIN, "l"),
        (ADMIN, "å" * 5000),  # 10 kB of UTF-8
        (ANNA, ADMIN_PW),  # someone else's passphrase
        ("nobody", ADMIN_PW),  # unknown user: same generic refusal
    ],
    ids=["wrong", "empty", "one-char", "10kB", "other-users", "unknown-user"],
)
def test_wrong_passphrase_is_refused_generically_and_writes_nothing_to_the_vault(env, user, passphrase):
    before = env.vault_path.read_bytes()
    with pytest.raises(WrongPassphrase) as info:
        Store.open(env.root).unlock(user, passphrase)
    assert info.value.key == "store.error.wrong_passphrase"
    if passphrase:
        assert passphrase not in str(info.value) and passphrase not in repr(info.value.params)
    assert env.vault_path.read_bytes() == before
    # the right passphrase still works afterwards
    assert env.session(ADMIN).user.id == ADMIN


def test_failed_unlock_is_audited_after_the_next_admin_unlock(env):
    with pytest.raises(WrongPassphrase):
        Store.open(env.root).unlock(ANNA, "inte-annas-fras")
    with pytest.raises(WrongPassphrase):
        Store.open(env.root).unlock_recovery("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")
    pending = env.root / "audit" / "pending"
    assert len(list(pending.glob("*.evt"))) == 2  # sealed, waiting for someone to unlock
    admin = env.session(ADMIN)
    assert list(pending.glob("*.evt")) == []
    failed = [e for e in admin.audit_entries() if e.get("action") == "unlock-failed"]
    assert sorted(e.get("user") for e in failed) == ["_recovery", ANNA]
    # ingested exactly once: a second unlock does not repeat them
    again = env.session(ADMIN)
    assert len([e for e in again.audit_entries() if e.get("action") == "unlock-failed"]) == 2
    assert again.verify_audit().ok


def test_nfc_and_nfd_forms_of_a_passphrase_both_unlock(env):
    nfd = unicodedata.normalize("NFD", ADMIN_PW)
    assert nfd != ADMIN_PW and unicodedata.normalize("NFC", nfd) == ADMIN_PW
    assert Store.open(env.root).unlock(ADMIN, nfd).user.is_admin
    # and the other way round: a user created with an NFD passphrase unlocks with NFC
    env.admin.add_user("asa", "Åsa", "interviewer", unicodedata.normalize("NFD", "åsas fras är lång"))
    assert Store.open(env.root).unlock("asa", "åsas fras är lång").user.id == "asa"


def test_failed_unlock_leaves_no_world_accessible_path_in_the_data_dir(env):
    old = os.umask(0o022)  # an ordinary login shell's umask
    try:
        with pytest.raises(WrongPassphrase):
            Store.open(env.root).unlock(ANNA, "inte-annas-fras")
    finally:
        os.umask(old)
    too_open = [
        str(p.relative_to(env.root))
        for p in [env.root, *env.root.rglob("*")]
        if p.stat().st_mode & (stat.S_IROTH | stat.S_IWOTH | stat.S_IXOTH)
    ]
    assert too_open == []


# --------------------------------------------------------------------------- #2 tampered vault


def _tamper_slot_salt(d, uid):
    d["slots"][uid]["kdf"]["salt"] = flip_b64(d["slots"][uid]["kdf"]["salt"], 5)


def _tamper_slot_m(d, uid):
    d["slots"][uid]["kdf"]["m"] ^= 1


def _tamper_slot_t(d, uid):
    d["slots"][uid]["kdf"]["t"] ^= 1


def _tamper_slot_nonce(d, uid):
    d["slots"][uid]["sk"] = flip_b64(d["slots"][uid]["sk"], 0)


def _tamper_slot_wrapped_key(d, uid):
    d["slots"][uid]["sk"] = flip_b64(d["slots"][uid]["sk"], 20)


def _tamper_slot_tag(d, uid):
    d["slots"][uid]["sk"] = flip_b64(d["slots"][uid]["sk"], -1, 7)


def _tamper_vk_box(d, uid):
    d["boxes"][str(d["vk_gen"])][uid] = flip_b64(d["boxes"][str(d["vk_gen"])][uid], 40)


def _tamper_box_epk(d, uid):
    d["boxes"][str(d["vk_gen"])][uid] = flip_b64(d["boxes"][str(d["vk_gen"])][uid], 3)


def _tamper_admin_box(d, uid):
    d["admin_boxes"][ADMIN] = flip_b64(d["admin_boxes"][ADMIN], 50)


def _tamper_role(d, uid):
    row = _user_row(d, uid)
    row["role"] = "interviewer" if row["role"] == "admin" else "admin"


def _tamper_certified(d, uid):
    row = _user_row(d, uid)
    row["certified"] = not row["certified"]


def _tamper_user_pub(d, uid):
    row = _user_row(d, uid)
    row["pub"] = flip_b64(row["pub"], 7)


def _tamper_users_sig(d, uid):
    d["users_sig"] = flip_b64(d["users_sig"], 10)


def _tamper_admin_pub(d, uid):
    d["admin_pub"] = flip_b64(d["admin_pub"], 10)


def _tamper_vault_id(d, uid):
    d["vault_id"] = ("0" if d["vault_id"][0] != "0" else "1") + d["vault_id"][1:]


TAMPERS = {
    f.__name__.removeprefix("_tamper_"): f
    for f in (
        _tamper_slot_salt,
        _tamper_slot_m,
        _tamper_slot_t,
        _tamper_slot_nonce,
        _tamper_slot_wrapped_key,
        _tamper_slot_tag,
        _tamper_vk_box,
        _tamper_box_epk,
        _tamper_admin_box,
        _tamper_role,
        _tamper_certified,
        _tamper_user_pub,
        _tamper_users_sig,
        _tamper_admin_pub,
        _tamper_vault_id,
    )
}


@pytest.mark.parametrize(
    "field, user",
    [(f, u) for f in sorted(TAMPERS) for u in (ADMIN, ANNA, OLLE) if f != "admin_box" or u == ADMIN],
)
def test_tampered_vault_field_refuses_unlock(env, field, user):
    data = _vault(env)
    TAMPERS[field](data, user)
    _write_vault(env, data)
    with pytest.raises(REFUSED):
        Store.open(env.root).unlock(user, {ADMIN: ADMIN_PW, ANNA: ANNA_PW, OLLE: OLLE_PW}[user])


def test_interviewer_who_makes_herself_admin_gets_no_session(env):
    data = _vault(env)
    _user_row(data, ANNA)["role"] = "admin"
    _write_vault(env, data)
    with pytest.raises(VaultAltered):
        Store.open(env.root).unlock(ANNA, ANNA_PW)
    with pytest.raises(VaultAltered):  # the whole table is distrusted, for everyone
        Store.open(env.root).unlock(ADMIN, ADMIN_PW)


@pytest.mark.parametrize("chain", ["first-key-replaced", "chain-dropped"])
def test_replacing_the_admin_key_and_resigning_the_table_grants_no_rights(env, chain):
    """An insider swaps in her own admin key, promotes herself and re-signs
    exactly what the app signs (every slot is bound to the first admin key)."""
    data = _vault(env)
    fake_sk, fake_pub = C.new_signing_key()
    data["admin_pub"] = C.b64e(fake_pub)
    if chain == "first-key-replaced":
        data["admin_chain"] = [{"gen": 1, "pub": data["admin_pub"]}]
    else:
        del data["admin_chain"]
    _user_row(data, ANNA)["role"] = "admin"
    _user_row(data, OLLE)["certified"] = True
    if chain == "first-key-replaced":
        data["users_sig"] = C.b64e(C.sign(fake_sk, Vault._signed_part(data)))
    else:
        data["users_sig"] = C.b64e(C.sign(fake_sk, canonical({k: data.get(k) for k in ("vault_id", "admin_pub", "users")})))
    _write_vault(env, data)
    for user, pw in ((ANNA, ANNA_PW), (OLLE, OLLE_PW), (ADMIN, ADMIN_PW)):
        with pytest.raises(REFUSED):
            Store.open(env.root).unlock(user, pw)


def test_vault_of_a_newer_format_is_refused_untouched(env):
    data = _vault(env)
    data["fmt"] = data["fmt"] + 1
    _write_vault(env, data)
    before = env.vault_path.read_bytes()
    with pytest.raises(NewerFormat):
        Store.open(env.root).unlock(ADMIN, ADMIN_PW)
    assert env.vault_path.read_bytes() == before


# --------------------------------------------------------------------------- #3 / #22 KDF bounds


@pytest.mark.parametrize(
    "params",
    [{"m": 2**30}, {"m": 1024}, {"t": 10_000}, {"p": 255}, {"m": 2**30, "t": 1000}, {"alg": "scrypt"}, {"m": "lots"}],
    ids=["m-1TiB", "m-1MiB", "t-huge", "p-huge", "m-and-t-huge", "other-alg", "m-not-a-number"],
)
def test_absurd_kdf_params_are_rejected_before_the_kdf_runs(env, params):
    data = _vault(env)
    data["slots"][ANNA]["kdf"].update(params)
    _write_vault(env, data)
    before = env.vault_path.read_bytes()
    # Running Argon2id with m=2**30 KiB would need 1 TiB of memory: the test would
    # hang or die instead of seeing KdfRejected.
    with pytest.raises(KdfRejected):
        Store.open(env.root).unlock(ANNA, ANNA_PW)
    assert env.vault_path.read_bytes() == before
    assert env.session(ADMIN).user.is_admin  # the untouched slots still work


def test_absurd_kdf_params_in_the_recovery_slot_are_rejected(env):
    data = _vault(env)
    data["recovery"]["kdf"]["m"] = 2**30
    _write_vault(env, data)
    with pytest.raises(KdfRejected):
        Store.open(env.root).unlock_recovery(env.recovery)


def test_test_profile_vault_is_refused_outside_tests(env):
    C.allow_test_kdf(False)
    with pytest.raises(KdfRejected):
        Store.open(env.root).unlock(ADMIN, ADMIN_PW)
    with pytest.raises(KdfRejected):
        Store.open(env.root).unlock(ANNA, ANNA_PW)
    with pytest.raises(KdfRejected):
        Store.open(env.root).unlock_recovery(env.recovery)
    C.allow_test_kdf(True)
    assert env.session(ADMIN).user.is_admin


# --------------------------------------------------------------------------- #18 nonces


@settings(max_examples=40, deadline=None)
@given(messages=st.lists(st.binary(max_size=48), min_size=2, max_size=300), ad=st.binary(max_size=16))
def test_seal_never_repeats_a_nonce_under_one_key(messages, ad):
    key = C.random_key()
    blobs = [C.seal(key, m, ad) for m in messages]
    nonces = [b[: C.NONCE_LEN] for b in blobs]
    assert len(set(nonces)) == len(nonces)
    assert [C.open_sealed(key, b, ad) for b in blobs] == messages


def test_one_record_key_never_sees_a_nonce_twice_across_journals_and_snapshots(env, bank):
    """The record key (DEK) survives compaction, so journal frames and every
    snapshot generation share one key: their nonces must all differ."""
    h = env.admin.create_record(bank, "K-nonce", INTERVIEW_DATE)
    rid = h.rid
    nonces = []
    rec = env.rec_path(rid)

    def snapshot_nonce() -> bytes:
        data = rec.read_bytes()
        _start, end = rec_header_span(data)
        return data[end : end + C.NONCE_LEN]

    nonces.append(snapshot_nonce())
    for _round in range(3):
        for item, value in BASIC_ANSWERS:
            assert h.answer(item, value).ok  # the same plaintext every round
        jnl = env.jnl_path(rid, h.snap.gen).read_bytes()
        nonces += [f[4 : 4 + C.NONCE_LEN] for f in journal_frames(jnl)]
        h.pause()
        nonces.append(snapshot_nonce())
    h.close()
    # 4 snapshots, every answer, and one "back in progress" frame per resumed round
    assert len(nonces) == 4 + 3 * len(BASIC_ANSWERS) + 2
    assert len(set(nonces)) == len(nonces)


# --------------------------------------------------------------------------- recovery


@pytest.mark.parametrize("form", ["as-printed", "lower-case", "spaces", "no-separators"])
def test_recovery_code_unlocks_with_admin_rights(env, form):
    code = {
        "as-printed": env.recovery,
        "lower-case": env.recovery.lower(),
        "spaces": " " + env.recovery.replace("-", " ").lower() + " ",
        "no-separators": env.recovery.replace("-", ""),
    }[form]
    session = Store.open(env.root).unlock_recovery(code)
    assert session.user.is_admin
    session.add_user("ny", "Ny Admin", "admin", "ny-admin-fras-123")
    session.reset_passphrase(ADMIN, "glömt-men-nytt-123")
    assert env.session(ADMIN, "glömt-men-nytt-123").user.is_admin
    assert env.session("ny", "ny-admin-fras-123").user.is_admin


def test_wrong_recovery_code_is_refused(env):
    wrong = ("B" if env.recovery[0] != "B" else "C") + env.recovery[1:]
    with pytest.raises(WrongPassphrase):
        Store.open(env.root).unlock_recovery(wrong)


# --------------------------------------------------------------------------- user administration


def test_changing_own_passphrase_retires_the_old_one(env, bank):
    anna = env.session(ANNA)
    rid = env.make_record(bank, BASIC_ANSWERS[:2], session=anna)
    anna.change_passphrase(ANNA_PW, "annas-nya-fras-2")
    with pytest.raises(WrongPassphrase):
        Store.open(env.root).unlock(ANNA, ANNA_PW)
    again = env.session(ANNA, "annas-nya-fras-2")
    assert again.open_record(rid, readonly=True).interview.value("G16") == 30


def test_changing_own_passphrase_needs_the_old_one_and_a_long_new_one(env):
    anna = env.session(ANNA)
    before = env.vault_path.read_bytes()
    with pytest.raises(WrongPassphrase):
        anna.change_passphrase("fel-gammal-fras", "annas-nya-fras-2")
    with pytest.raises(UserError):
        anna.change_passphrase(ANNA_PW, "kort")
    assert env.vault_path.read_bytes() == before
    assert env.session(ANNA).user.id == ANNA


def test_admin_reset_passphrase(env, bank):
    rid = env.make_record(bank, BASIC_ANSWERS[:2], session=env.session(ANNA))
    env.admin.reset_passphrase(ANNA, "återställd-fras-1")
    with pytest.raises(WrongPassphrase):
        Store.open(env.root).unlock(ANNA, ANNA_PW)
    anna = env.session(ANNA, "återställd-fras-1")
    assert anna.user.role == "interviewer" and anna.user.certified
    assert anna.open_record(rid, readonly=True).interview.value("G16") == 30


def test_disabled_user_cannot_unlock(env):
    env.admin.update_user(ANNA, disabled=True)
    with pytest.raises(WrongPassphrase):
        Store.open(env.root).unlock(ANNA, ANNA_PW)
    assert [u.disabled for u in env.admin.list_users() if u.id == ANNA] == [True]


def test_interviewer_cannot_administer_users(env):
    anna = env.session(ANNA)
    before = env.vault_path.read_bytes()
    with pytest.raises(NotAuthorized):
        anna.add_user("mallory", "Mallory", "admin", "mallorys-fras-1")
    with pytest.raises(NotAuthorized):
        anna.update_user(ANNA, role="admin")
    with pytest.raises(NotAuthorized):
        anna.reset_passphrase(ADMIN, "tagen-av-anna-1")
    with pytest.raises(NotAuthorized):  # not even through the vault object directly
        anna.store.vault.add_user(anna.keys, "mallory", "Mallory", "admin", "mallorys-fras-1")
    assert env.vault_path.read_bytes() == before
    with pytest.raises(WrongPassphrase):
        Store.open(env.root).unlock("mallory", "mallorys-fras-1")


def test_uncertified_interviewer_may_only_create_practice_records(env, bank):
    olle = env.session(OLLE)
    with pytest.raises(NotAuthorized):
        olle.create_record(bank, "K-riktig", INTERVIEW_DATE)
    assert list((env.root / "records").glob("*.rec")) == []
    h = olle.create_record(bank, "K-övning", INTERVIEW_DATE, practice=True)
    assert h.answer("G16", 30).ok
    h.close()
    docs = olle.list_records(practice=True)  # a trainee lists practice records only (issue 13)
    assert [(d["rid"], d["practice"]) for d in docs] == [(h.rid, True)]
    env.admin.update_user(OLLE, certified=True)
    env.session(OLLE).create_record(bank, "K-riktig", INTERVIEW_DATE).close()


def test_new_passphrases_must_be_twelve_characters(env):
    with pytest.raises(UserError):
        env.admin.add_user("kort", "Kort", "interviewer", "x7#Kq9!mP2z")
    assert isinstance(UserError(), StoreError)
    env.admin.add_user("lagom", "Lagom", "interviewer", "x7#Kq9!mP2zL")
    assert env.session("lagom", "x7#Kq9!mP2zL").user.id == "lagom"
