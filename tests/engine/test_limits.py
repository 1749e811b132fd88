"""Input limits: client references, record ids and answer lengths are bounded
in the engine, whatever front end the input comes through."""

from __future__ import annotations

from datetime import date

import pytest

from asi_tui.bank.registry import bundled_bank
from asi_tui.engine.interview import INVALID, Interview
from asi_tui.engine.limits import CLIENT_REF_MAX, COMMENT_MAX, TEXT_MAX, InvalidReference, check_ref

DAY = date(2026, 11, 20)


@pytest.mark.parametrize("ref", ["K-1", "  K-1 ", "[ny klient]", "övning:grund-01-lena", "K" * CLIENT_REF_MAX])
def test_ordinary_client_refs_are_accepted_without_surrounding_blanks(ref):
    assert check_ref(ref) == ref.strip()


@pytest.mark.parametrize(("ref", "problem"), [
    ("", "empty"),
    ("   ", "empty"),
    ("K" * (CLIENT_REF_MAX + 1), "too_long"),
    ("K-1\x1b]0;pwned\x07", "unprintable"),
    ("K-1\x1b[2J", "unprintable"),
    ("K-1\nK-2", "unprintable"),
    ("K-\u202e1", "unprintable"),  # right-to-left override
    ("K-1\x9b2J", "unprintable"),  # 8-bit CSI
])
def test_bad_client_refs_are_refused_with_a_key_naming_the_problem(ref, problem):
    with pytest.raises(InvalidReference) as info:
        check_ref(ref)
    assert info.value.key == f"engine.ref.client_ref.{problem}"
    if problem == "too_long":
        assert info.value.params == {"max": CLIENT_REF_MAX}


@pytest.mark.parametrize("rid", ["../vault", "a/b", "abc.rec", "x" * 41, "", "a b"])
def test_record_ids_are_file_name_safe(rid):
    with pytest.raises(InvalidReference):
        check_ref(rid, "record_id")
    assert check_ref("0123456789abcdef0123", "record_id") == "0123456789abcdef0123"


@pytest.fixture(scope="module")
def grund():
    return bundled_bank("asi-grund")


def test_text_answers_are_bounded(grund):
    iv = Interview(grund, DAY, today=DAY)
    assert iv.answer("E3", 1).ok  # E3s (a free-text item) follows; G3 is the record's unit since 1.0.2
    assert iv.answer("E3s", "a" * TEXT_MAX).ok
    out = iv.answer("E3s", "a" * (TEXT_MAX + 1))
    assert (out.status, out.message, out.params) == (INVALID, "engine.invalid.too_long", {"max": TEXT_MAX})
    assert iv.value("E3s") == "a" * TEXT_MAX  # the earlier answer stands
    assert iv.answer("E3s", "  " + "a" * TEXT_MAX + "\n").ok  # surrounding blanks do not count


def test_a_50_mb_text_answer_is_refused(grund):
    iv = Interview(grund, DAY, today=DAY)
    assert iv.answer("E3", 1).ok
    out = iv.answer("E3s", "a" * 50_000_000)
    assert out.status == INVALID and out.params == {"max": TEXT_MAX}
    assert iv.value("E3s") is None


def test_comments_are_bounded(grund):
    iv = Interview(grund, DAY, today=DAY)
    comment = next(i.id for i in grund.items if i.type == "comment")
    assert iv.answer(comment, "c" * COMMENT_MAX).ok
    assert iv.answer(comment, "c" * (COMMENT_MAX + 1)).params == {"max": COMMENT_MAX}


def test_a_5000_digit_number_typed_as_text_is_refused_not_a_crash(mini_bank):
    iv = Interview(mini_bank, DAY, today=DAY)
    out = iv.answer("M1", "9" * 5000)  # int() of it would raise ValueError
    assert out.status == INVALID and out.message == "engine.invalid.too_long"


def test_client_refs_compare_without_case_or_blank_differences():
    from asi_tui.engine.limits import same_client_key

    assert same_client_key("K-7") == same_client_key(" k-7 ") == same_client_key("k-7")
    assert same_client_key("Kund  12") == same_client_key("kund 12")
    assert same_client_key("K-7") != same_client_key("K-70")
    assert same_client_key(None) == ""
