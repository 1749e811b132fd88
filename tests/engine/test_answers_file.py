from datetime import date

import pytest

from asi_tui.engine.answers_file import AnswersFileError, parse_answers


def test_durations_and_clock_times_stay_text():
    data = parse_answers("E1: 3:06\nG6: 10:00\nM1: 3\nX1: 1.5\nG4: 2026-10-01\nD3c: X\n")
    assert data == {"E1": "3:06", "G6": "10:00", "M1": 3, "X1": 1.5, "G4": date(2026, 10, 1), "D3c": "X"}


@pytest.mark.parametrize("text", ["- a\n- b\n", "a: [1,\n", "just text\n"])
def test_bad_files_raise_one_typed_error(text):
    with pytest.raises(AnswersFileError):
        parse_answers(text)


def test_empty_file_is_no_answers():
    assert parse_answers("") == {}
