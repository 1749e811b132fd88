import os
from datetime import date
from pathlib import Path

import pytest

from asi_tui.engine.answers_file import AnswersFileError, parse_answers, read_answers
from asi_tui.engine.limits import ANSWERS_FILE_MAX_BYTES


def test_durations_and_clock_times_stay_text():
    data = parse_answers("E1: 3:06\nG6: 10:00\nM1: 3\nX1: 1.5\nG4: 2026-10-01\nD3c: X\n")
    assert data == {"E1": "3:06", "G6": "10:00", "M1": 3, "X1": 1.5, "G4": date(2026, 10, 1), "D3c": "X"}


@pytest.mark.parametrize("text", ["- a\n- b\n", "a: [1,\n", "just text\n"])
def test_bad_files_raise_one_typed_error(text):
    with pytest.raises(AnswersFileError):
        parse_answers(text)


def test_empty_file_is_no_answers():
    assert parse_answers("") == {}


# ----------------------------------------------------------------------------- hostile files


def refused(text: str) -> AnswersFileError:
    with pytest.raises(AnswersFileError) as info:
        parse_answers(text)
    return info.value


def test_an_alias_bomb_is_refused_before_it_expands():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    err = refused(bomb)
    assert err.key == "error.answers.alias" and err.params == {"line": 1}


def test_a_single_alias_or_anchor_is_refused_with_its_line():
    assert refused("M1: 1\nM2: &x 3\n").params == {"line": 2}
    assert refused("M1: [1]\nM2: 2\nM3: *x\n").key == "error.answers.alias"


@pytest.mark.parametrize("depth", [5, 30_000])
def test_deep_nesting_is_refused_without_recursion(depth):
    err = refused("G16: " + "[" * depth + "1" + "]" * depth + "\n")
    assert err.key == "error.answers.too_deep" and err.params["max"] == 4


def test_answers_as_deep_as_a_real_one_still_load():
    assert parse_answers("E1: {years: 3, months: 6}\nSE.S.typer: [1, 4]\n") == {
        "E1": {"years": 3, "months": 6}, "SE.S.typer": [1, 4]}


def test_a_5000_digit_integer_is_refused():
    err = refused("G16: " + "9" * 5000 + "\n")
    assert err.key == "error.answers.big_number" and err.params == {"line": 1, "max": 15}


def test_leading_zeros_are_decimal_not_octal():
    assert parse_answers("G16: 010\nG17: 007\n") == {"G16": 10, "G17": 7}


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01", "2025-02-29"])
def test_a_date_that_does_not_exist_names_it(value):
    err = refused(f"M1: 1\nG4: {value}\n")
    assert err.key == "error.answers.bad_date" and err.params == {"line": 2, "value": value}


def test_a_timestamp_is_refused_a_quoted_one_stays_text():
    assert refused("G4: 2026-10-01 10:00:00\n").key == "error.answers.timestamp"
    assert refused("G4: 2026-10-01T10:00:00Z\n").key == "error.answers.timestamp"
    assert parse_answers('G4: "2026-02-30"\n') == {"G4": "2026-02-30"}


def test_an_item_given_twice_is_refused():
    err = refused("M1: 1\nM2: 3\nM1: 0\n")
    assert err.key == "error.answers.duplicate" and err.params == {"line": 3, "item": "M1"}


def test_control_characters_and_overlong_ids_are_refused():
    assert refused("E3s: a\x1bb\n").key == "error.answers.character"
    assert refused("x" * 101 + ": 1\n").key == "error.answers.key_too_long"


def read_error(path) -> AnswersFileError:
    with pytest.raises(AnswersFileError) as info:
        read_answers(path)
    return info.value


def test_only_a_regular_file_of_at_most_1_mib_is_read(tmp_path):
    assert read_error(Path("/dev/zero")).key == "error.answers.not_a_file"
    assert read_error(tmp_path).key == "error.answers.not_a_file"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert read_error(fifo).key == "error.answers.not_a_file"  # refused without blocking on open
    big = tmp_path / "big.yaml"
    big.write_text("E3s: " + "a" * ANSWERS_FILE_MAX_BYTES + "\n")
    assert read_error(big).params == {"max": 1024}
    assert read_error(tmp_path / "missing.yaml").key == "error.answers.unreadable"
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("E3s: år\n".encode("latin-1"))
    assert read_error(latin1).key == "error.answers.not_utf8"
    ok = tmp_path / "ok.yaml"
    ok.write_text("E3s: " + "a" * (ANSWERS_FILE_MAX_BYTES - 100) + "\n")
    assert len(read_answers(ok)["E3s"]) == ANSWERS_FILE_MAX_BYTES - 100
