"""`asi-tui record import` of a batch: many files, a directory, JSON lines, CSV
(docs/import.md). Real files in tmp_path, the CLI in this process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from asi_tui.cli import main
from asi_tui.store import Store
from tests.batch_data import grund_answers

ADMIN_PW, ANNA_PW = "admin passphrase 1", "anna passphrase 22"
DAY = "2026-01-15"


@pytest.fixture(scope="module")
def answers():
    return [grund_answers(seed) for seed in range(3)]


@pytest.fixture
def env(tmp_path):
    data = tmp_path / "data"
    store, _ = Store.init(data, "admin", "Admin", ADMIN_PW)
    s = store.unlock("admin", ADMIN_PW)
    s.add_user("anna", "Anna", "interviewer", ANNA_PW, certified=True)
    s.close()
    pw = tmp_path / "pw"
    pw.write_text(ANNA_PW + "\n")

    def run(*args: str, lang: str = "en"):
        r = CliRunner().invoke(main, ["--lang", lang, "--data", str(data), "--user", "anna", "record", "import", *args,
                                      "--passphrase-file", str(pw)])
        assert "Traceback" not in r.output, r.output
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
        return r

    return run, data, tmp_path


def records(data: Path) -> list[dict]:
    s = Store.open(data).unlock("anna", ANNA_PW)
    try:
        return s.list_records()
    finally:
        s.close()


def write_yaml(path: Path, mapping: dict) -> Path:
    path.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    return path


def test_many_files_one_unlock_all_completed(env, answers, monkeypatch):
    run, data, tmp = env
    files = [write_yaml(tmp / f"k{i}.yaml", {"client": f"K-{i}", **a}) for i, a in enumerate(answers)]
    unlocks = []
    real = Store.unlock
    monkeypatch.setattr(Store, "unlock", lambda self, *a, **k: unlocks.append(1) or real(self, *a, **k))
    r = run(*map(str, files), "--bank", "asi-grund", "--date", DAY, "--complete")
    assert r.exit_code == 0, r.output
    assert len(unlocks) == 1
    assert "Imported 3 records (3 completed); 0 failed." in r.stdout
    docs = records(data)
    assert sorted(d["client_ref"] for d in docs) == ["K-0", "K-1", "K-2"]
    assert {d["status"] for d in docs} == {"completed"}
    # every answer is in the record, as the engine holds it
    s = Store.open(data).unlock("anna", ANNA_PW)
    h = s.open_record(next(d["rid"] for d in docs if d["client_ref"] == "K-1"), readonly=True)
    assert len(h.interview.answers) == len(answers[1]) and h.interview.can_complete()
    h.close(log=False)
    s.close()


def test_directory_sorted_refuses_symlinks_and_special_files(env, answers):
    run, data, tmp = env
    d = tmp / "in"
    d.mkdir()
    write_yaml(d / "b.yaml", {"client": "K-B", **answers[0]})
    write_yaml(d / "a.yaml", {"client": "K-A", **answers[1]})
    (d / "notes.txt").write_text("ignored")
    (d / "sub").mkdir()
    write_yaml(d / "sub" / "c.yaml", {"client": "K-C", **answers[2]})  # not recursive
    os.symlink(d / "a.yaml", d / "link.yaml")
    os.mkfifo(d / "pipe.yaml")
    r = run(str(d), "--bank", "asi-grund", "--date", DAY, "--complete")
    assert r.exit_code == 1
    assert r.stdout.index("a.yaml: record") < r.stdout.index("b.yaml: record")
    assert "link.yaml: a symbolic link" in r.stderr and "pipe.yaml: not a regular file" in r.stderr
    assert "Imported 2 records (2 completed); 2 failed." in r.stdout
    assert sorted(x["client_ref"] for x in records(data)) == ["K-A", "K-B"]


def test_jsonl_rows_with_their_own_metadata(env, answers):
    run, data, tmp = env
    rows = tmp / "rows.jsonl"
    lines = [
        json.dumps({"bank": "asi-grund", "client": "K-1", "date": DAY, "complete": True, **answers[0]}),
        "",
        json.dumps({"bank": "asi-grund", "client": "K-2", "date": DAY, "complete": "nej", **answers[1]}),
    ]
    rows.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode())  # a byte-order mark is skipped
    r = run(str(rows))
    assert r.exit_code == 0, r.output
    assert "Imported 2 records (1 completed); 0 failed." in r.stdout
    assert {d["client_ref"]: d["status"] for d in records(data)} == {"K-1": "completed", "K-2": "paused"}


def test_csv_empty_cell_is_unanswered_and_semicolons_work(env, answers):
    run, data, tmp = env
    items = sorted(set(answers[0]) | set(answers[1]))
    cell = lambda v: ",".join(map(str, v)) if isinstance(v, list) else ("" if v is None else str(v))  # noqa: E731
    head = ["client", "date", *items]
    out = [";".join(head)]
    for i, a in enumerate(answers[:2]):
        out.append(";".join([f"K-{i}", DAY, *(f'"{cell(a.get(k))}"' for k in items)]))
    partial = dict(answers[2])
    partial.pop("G16")
    out.append(";".join(["K-2", DAY, *(f'"{cell(partial.get(k))}"' for k in items)]))
    path = tmp / "rows.csv"
    path.write_text("\r\n".join(out) + "\r\n", encoding="utf-8")
    r = run(str(path), "--bank", "asi-grund", "--complete")
    assert r.exit_code == 0, r.output
    assert "Imported 3 records (2 completed); 0 failed." in r.stdout
    assert "rows.csv:4: The record could not be completed" in r.stderr and "G16" in r.stderr


def test_a_bad_file_among_good_ones(env, answers):
    run, data, tmp = env
    good = [write_yaml(tmp / f"g{i}.yaml", {"client": f"K-{i}", **a}) for i, a in enumerate(answers[:2])]
    bad = write_yaml(tmp / "bad.yaml", {"client": "K-BAD", **answers[2], "G16": 500, "ZZ9": 1})
    broken = tmp / "broken.yaml"
    broken.write_text("G16: [1, 2\n")
    r = run(str(good[0]), str(bad), str(broken), str(good[1]), "--bank", "asi-grund", "--date", DAY, "--complete")
    assert r.exit_code == 1
    assert "bad.yaml: ZZ9: Unknown question ZZ9. (and 1 more)" in r.stderr
    assert "broken.yaml: The answers file" not in r.stderr and "broken.yaml: line" in r.stderr
    assert "Imported 2 records (2 completed); 2 failed." in r.stdout
    assert "K-BAD" not in r.output
    assert sorted(d["client_ref"] for d in records(data)) == ["K-0", "K-1"]


def test_stop_on_error(env, answers):
    run, data, tmp = env
    bad = write_yaml(tmp / "a.yaml", {"client": "K-0", "G16": 5})
    good = write_yaml(tmp / "b.yaml", {"client": "K-1", **answers[0]})
    r = run(str(bad), str(good), "--bank", "asi-grund", "--date", DAY, "--stop-on-error")
    assert r.exit_code == 1 and "--stop-on-error" in r.stderr
    assert "Imported 0 records (0 completed); 1 failed." in r.stdout
    assert records(data) == []


def test_dry_run_writes_nothing(env, answers):
    run, data, tmp = env
    files = [write_yaml(tmp / f"k{i}.yaml", {"client": f"K-{i}", **a}) for i, a in enumerate(answers)]
    before = sorted((p.relative_to(data), p.stat().st_size) for p in (data / "records").rglob("*")) + sorted(
        p.name for p in (data / "locks").iterdir())
    r = run(*map(str, files), "--bank", "asi-grund", "--date", DAY, "--complete", "--dry-run")
    assert r.exit_code == 0, r.output
    assert "nothing written: 3 records could be imported (3 completed); 0 would fail." in r.stdout
    after = sorted((p.relative_to(data), p.stat().st_size) for p in (data / "records").rglob("*")) + sorted(
        p.name for p in (data / "locks").iterdir())
    assert before == after and records(data) == []


def test_duplicates_in_the_batch_and_in_the_store(env, answers):
    run, data, tmp = env
    a = write_yaml(tmp / "a.yaml", {"client": "K-1", **answers[0]})
    b = write_yaml(tmp / "b.yaml", {"client": " k-1 ", **answers[1]})  # the same client as K-1
    r = run(str(a), str(b), "--bank", "asi-grund", "--date", DAY)
    assert r.exit_code == 1
    assert f"b.yaml: the same client, bank and date as {a}, earlier in this batch" in r.stderr
    r = run(str(a), "--bank", "asi-grund", "--date", DAY, "--dry-run")
    assert r.exit_code == 1 and "already in the data directory" in r.stderr
    assert len(records(data)) == 1


def test_bounds_and_hostile_rows(env, answers, monkeypatch):
    from asi_tui.engine import batch_input

    run, data, tmp = env
    rows = tmp / "rows.jsonl"
    good = json.dumps({"client": "K-OK", **answers[0]})
    rows.write_text("\n".join([
        good,
        '{"client": "K-2", "G16": 30, "G16": 31}',
        '{"client": "K-3", "G16": NaN}',
        '[1, 2]',
        '{"client": "K-4", "G16": 1' + "0" * 30 + '}',
        json.dumps({"client": "K-5", "SE.G.kommun": "=HYPERLINK(\"x\")"}),
        json.dumps({"client": "x" * 300}),
        '{"client": "K-6", ',
    ]), encoding="utf-8")
    r = run(str(rows), "--bank", "asi-grund", "--date", DAY)
    assert r.exit_code == 1
    err = r.stderr
    assert "rows.jsonl:2: G16 is given twice" in err and "rows.jsonl:3: NaN is not a number" in err
    assert "rows.jsonl:4: expected an object" in err and "rows.jsonl:5: a number with more than 15 digits" in err
    assert "rows.jsonl:6: the field SE.G.kommun starts like a spreadsheet formula" in err
    assert "rows.jsonl:7: the field client is longer than 200 characters" in err and "rows.jsonl:8: not valid JSON" in err
    assert "Imported 1 records (0 completed); 7 failed." in r.stdout

    latin1 = tmp / "latin1.csv"
    latin1.write_bytes("client,G16\nK-7,30\nK-\xe5,31\n".encode("latin-1"))
    cols = tmp / "cols.csv"
    cols.write_text("client,G16,G16\nK-8,30,30\n")
    cells = tmp / "cells.csv"
    cells.write_text("client,G16\nK-9,30,1\n")
    r = run(str(latin1), str(cols), str(cells), "--bank", "asi-grund", "--date", DAY)
    assert "latin1.csv: line 3: not UTF-8 text" in r.stderr
    assert "cols.csv:1: the column G16 is in the header twice" in r.stderr
    assert "cells.csv:2: 3 cells where the header has 2" in r.stderr

    monkeypatch.setattr(batch_input, "BATCH_FILE_MAX_BYTES", 2048)
    monkeypatch.setattr(batch_input, "BATCH_ROW_MAX_BYTES", 100)
    monkeypatch.setattr(batch_input, "BATCH_MAX_ROWS", 2)
    big = tmp / "big.jsonl"
    big.write_text(good + "\n")
    long_ = tmp / "long.csv"
    long_.write_text("client,G16\n" + "K-10,30\n" + "K-11," + "3" * 200 + "\nK-12,30\nK-13,30\n")
    r = run(str(big), str(long_), "--bank", "asi-grund", "--date", DAY)
    assert "big.jsonl: the file is larger than 2 KiB" in r.stderr
    assert "long.csv:3: a cell larger than 0 KiB; the rest of the file was not read" in r.stderr
    many = tmp / "many.csv"
    many.write_text("client,G16\n" + "K-10,30\n" + "K-12,30\nK-13,30\n")
    r = run(str(many), "--bank", "asi-grund", "--date", DAY)
    assert "many.csv:4: more than 2 interviews in one file" in r.stderr


def test_missing_metadata_and_bank_only_by_id(env, answers):
    run, data, tmp = env
    a = write_yaml(tmp / "a.yaml", {"client": "K-1", **answers[0]})
    b = write_yaml(tmp / "b.yaml", {"client": "K-2", "bank": "/etc/passwd", "date": DAY, **answers[0]})
    c = write_yaml(tmp / "c.yaml", {"client": "K-3", "bank": "asi-grund", "date": "2026-02-30", **answers[0]})
    r = run(str(a), str(b), str(c), lang="sv")
    assert "a.yaml: fältet bank saknas: ange det i filen eller med --bank" in r.stderr
    assert "b.yaml: frågebanken /etc/passwd ska anges med id" in r.stderr
    assert "c.yaml: Ogiltigt datum 2026-02-30" in r.stderr
    assert "Importerade 0 poster (0 avslutade); 3 misslyckades." in r.stdout


def test_the_single_file_form_is_unchanged(env):
    run, data, tmp = env
    f = tmp / "answers.yaml"
    f.write_text("G16: 30\nM1: 2\nM2: 1:06\nE2: 500\n", encoding="utf-8")
    r = run(str(f), "--bank", "asi-grund", "--client", "K-1", "--date", DAY)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("Record ") and "saved (paused); 1 rejected answers." in r.stdout
    assert "REJECTED E2" in r.stderr
    assert [d["client_ref"] for d in records(data)] == ["K-1"]
