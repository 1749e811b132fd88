"""The client's change view ("kvitto") against figures worked out by hand from the
scenario's answers (tests/chain_scenario.py), and its Markdown export."""

from __future__ import annotations

import math
import stat

import pytest

from asi_tui.i18n import Translator
from asi_tui.reports.casefile import CaseFileError, client_chain, export_change
from asi_tui.scoring.change import change_view, fmt, spark, verdict
from asi_tui.store import Store
from asi_tui.store.chain import read_chain

from tests.chain_scenario import CLIENT, GRUND_DAY, U1_DAY, U2_DAY, chained_dir

ADMIN, ANNA = ("chef", "chefens lösenfras 1"), ("anna", "annas lösenfras 22")

# composite scores by the ASI-5 formulas (scoring/composite.py), from KNOWN by hand
MEDICAL = (10 / 90 + 2 / 12 + 3 / 12, 5 / 90 + 1 / 12 + 2 / 12, 5 / 90 + 1 / 12 + 2 / 12)
EMPLOYMENT = (1 - (1 / 4 + 0 + 0 + 0), 1 - (1 / 4 + 8 / 120 + math.log(6000) / 36), 1 - (1 / 4 + 15 / 120 + math.log(12000) / 36))
ALCOHOL = ((20 + 15 + 20) / 180 + 4 / 24 + 4 / 24 + math.log(2000) / 44, (8 + 4 + 8) / 180 + 2 / 24 + 3 / 24 + math.log(800) / 44,
           (2 + 0 + 2) / 180 + 1 / 24 + 2 / 24 + math.log(200) / 44)
DRUG = ((12 + 12) / 390 + 3 / 52 + 3 / 52, (4 + 4) / 390 + 2 / 52 + 2 / 52, 0 / 390 + 0 / 52 + 1 / 52)
LEGAL = (1 / 5 + 0 + 2 / 20 + 2 / 20 + 0, 0 + 0 + 0 + 1 / 20 + 0, 0 + 3 / 150 + 2 / 20 + 2 / 20 + math.log(1500) / 46)
FAMILY = (2 / 10 + 5 / 150 + 2 / 20 + 2 / 20, 1 / 10 + 2 / 150 + 1 / 20 + 1 / 20, 0.0)  # F3: not satisfied 2, indifferent 1, satisfied 0
PSYCH = (2 / 11 + 10 / 330 + 2 / 44 + 2 / 44, 1 / 11 + 5 / 330 + 1 / 44 + 1 / 44, 0.0)


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    root = tmp_path_factory.mktemp("kvitto") / "data"
    c = chained_dir(root, ADMIN, ANNA)
    s = Store.open(root).unlock(*ANNA)
    entries = read_chain(s, c.u2)
    yield s, c, entries
    s.close()


def _area(view, area):
    return next(a for a in view.areas if a.area == area)


def test_composites_verdicts_and_rows_match_the_hand_computed_figures(chain):
    s, c, entries = chain
    view = change_view(entries, Translator("sv"), "sv")
    assert [(p.rid, p.day, p.instrument) for p in view.points] == [
        (c.grund, GRUND_DAY, "grund"), (c.u1, U1_DAY, "uppfoljning"), (c.u2, U2_DAY, "uppfoljning")]
    expected = {"medical": (MEDICAL, "unchanged"), "employment": (EMPLOYMENT, "better"), "alcohol": (ALCOHOL, "better"),
                "drug": (DRUG, "better"), "legal": (LEGAL, "worse"), "family": (FAMILY, "better"), "psych": (PSYCH, "better")}
    for area, (scores, word) in expected.items():
        a = _area(view, area)
        assert a.composite.values == pytest.approx(list(scores)), area
        assert (a.verdict, a.basis) == (word, "composite"), area
        assert a.delta == pytest.approx(scores[2] - scores[1], abs=1e-4)
    rows = {r.key: r for r in _area(view, "psych").rows}
    assert rows["symptoms"].values == [2, 1, 0] and rows["P12"].values == [10, 5, 0]
    assert (rows["rating"].before, rows["rating"].after) == (4, 1)  # P21: the first follow-up, then the second
    drug = {r.key: r.values for r in _area(view, "drug").rows}
    assert drug["D10a"] == [12, 4, 0] and "D3a" not in drug  # only substances used at some interview
    assert {r.key: r.values for r in _area(view, "employment").rows}["E11"] == [0, 8, 15]
    assert {r.key: r.values for r in _area(view, "family").rows}["F30"] == [5, 2, 0]


def test_the_chart_is_one_block_per_interview_on_the_absolute_scale(chain):
    _, _, entries = chain
    view = change_view(entries, Translator("sv"), "sv")
    assert _area(view, "medical").chart() == "▅▃▃"  # 0.53, 0.31, 0.31 of 1.0 in eighths
    assert spark([0.0, None, 1.0, 1.7, -0.2]) == "▁·██▁"


@pytest.mark.parametrize(
    "before, after, rb, ra, want",
    [
        (0.30, 0.25, None, None, ("better", "composite")),  # exactly the step
        (0.30, 0.26, 5, 1, ("unchanged", "composite")),  # the composite decides when there is one
        (0.30, 0.35, None, None, ("worse", "composite")),
        (None, 0.35, 6, 4, ("better", "rating")),
        (None, None, 4, 5, ("unchanged", "rating")),
        (None, None, None, 5, ("unknown", None)),
    ],
)
def test_the_verdict_rule(before, after, rb, ra, want):
    assert verdict(before, after, rb, ra)[:2] == want


def test_the_markdown_export_holds_the_same_figures_in_the_clients_language(chain, tmp_path):
    s, c, entries = chain
    for lang in ("sv", "en"):
        path = export_change(s, entries, CLIENT, tmp_path, lang)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text(encoding="utf-8")
        t = Translator(lang)
        view = change_view(entries, t, lang)
        for a in view.areas:
            assert f"## {a.title}: {t('change.verdict.' + a.verdict)}" in text
            for r in a.rows:
                assert f"| {r.label} | {fmt(r.before, r.key)} | {fmt(r.after, r.key)} |" in text
            assert f"`{a.chart()}`" in text
        assert CLIENT in text
    assert "Fysisk hälsa: oförändrat" in (tmp_path / f"forandring-{c.u2}-sv.md").read_text(encoding="utf-8")
    assert "Physical health: unchanged" in (tmp_path / f"forandring-{c.u2}-en.md").read_text(encoding="utf-8")
    admin = Store.open(s.store.dir.root).unlock(*ADMIN)
    exports = [e for e in admin.audit_entries() if e["action"] == "export" and e.get("rid") == c.u2]
    assert [e["detail"]["lang"] for e in exports] == ["sv", "en"] and all(e["detail"]["what"] == "change" for e in exports)


def test_a_grund_alone_has_no_change_view(chain):
    s, c, _ = chain
    with pytest.raises(CaseFileError) as exc:
        client_chain(s, c.grund)
    assert exc.value.key == "casefile.error.too_few"
    assert [e.rid for e in client_chain(s, c.u1)] == [c.grund, c.u1]


def test_every_label_of_the_view_is_translated():
    from asi_tui.i18n import catalog
    from asi_tui.scoring.change import DRUG_ROWS, KEY_ROWS

    keys = {"change.title", "change.chart", "change.rule", "change.row.composite", "change.row.rating",
            *(f"change.header.{k}" for k in ("client", "interviewer", "interviews")),
            *(f"change.verdict.{v}" for v in ("better", "unchanged", "worse", "unknown")),
            *(f"change.row.{label}" for rows in KEY_ROWS.values() for _, label in rows),
            *(f"change.row.drug.{i}" for i in DRUG_ROWS), "followup.short.grund", "followup.short.uppfoljning"}
    for lang in ("sv", "en"):
        assert sorted(keys - set(catalog(lang))) == []
