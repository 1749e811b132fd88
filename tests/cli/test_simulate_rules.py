"""Skip rules (reference §8.3) and consistency checks (§8.4) of the bundled
ASI Grund bank, exercised end to end through `asi-tui bank simulate --json`.

Every rule is tested in both directions: the rule triggers, and it stays quiet
(item visible, no warning, answer accepted) when its condition is not met.
Message keys are the ones the bank declares; nothing here is inferred from
wording.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from asi_tui.cli import main

DATE = "2026-11-20"
_RUNNER = CliRunner()
_FILE_NO = itertools.count()

N = {"code": "N"}

INTERVIEWER_RATINGS = ["M9", "E22", "D32", "D33", "L30", "F36", "P21"]
AREAS = ["medical", "employment", "alcohol", "drug", "legal", "family", "psych"]

ALL_A = ["D1a", "D2a", *(f"D{n}a" for n in range(3, 13)), "D13a"]  # every 30-day substance row
DRUG_A = [f"D{n}a" for n in range(3, 13)]  # D3a..D12a: drug rows named by the D24 check
CHARGES = [f"L{n}" for n in range(3, 17)]  # L3..L16
OTHER_CHARGES = ["L18", "L19", "L20"]
SYMPTOMS_30D = [f"P{n}m" for n in range(4, 12)]  # P4m..P11m


# ----------------------------------------------------------------------------- helpers


def simulate(tmp_path, answers: dict[str, Any]) -> dict[str, Any]:
    """Run `bank simulate asi-grund` on `answers` and return the parsed JSON report."""
    path = tmp_path / f"answers-{next(_FILE_NO)}.yaml"
    path.write_text(yaml.safe_dump(answers, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = _RUNNER.invoke(
        main, ["bank", "simulate", "asi-grund", "--answers", str(path), "--date", DATE, "--json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def zeros(ids, **overrides: Any) -> dict[str, Any]:
    out: dict[str, Any] = {i: 0 for i in ids}
    out.update(overrides)
    return out


def warning_set(report: dict[str, Any]) -> set[tuple[str, str]]:
    """(item, message key) of every soft warning; also checks each is well formed."""
    out = set()
    for w in report["warnings"]:
        assert w["severity"] == "soft", w
        assert w["key"].startswith(w["item"] + "#"), w
        out.add((w["item"], w["message"]))
    return out


def rejected_set(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(r["item"], r["message"], r["severity"]) for r in report["rejected"]}


def assert_hidden(report: dict[str, Any], item: str) -> None:
    assert item in report["hidden"]
    assert item not in report["visible"]
    assert report["answers"][item] == N


def assert_shown(report: dict[str, Any], item: str) -> None:
    assert item in report["visible"]
    assert item not in report["hidden"]


# ----------------------------------------------------------------------------- §8.3 skip rules

# (answers that hide, [answers that keep the targets visible], {target: a valid answer})
SKIP_RULES = [
    pytest.param({"G19": 1}, [{"G19": 2}, {"G19": 6}, {"G19": "X"}], {"G20": 5}, id="G19=1-hides-G20"),
    pytest.param({"M1": 0}, [{"M1": 2}, {"M1": "X"}], {"M2": 14}, id="M1=0-hides-M2"),
    pytest.param({"M3": 0}, [{"M3": 1}], {"M3s": "astma"}, id="M3=0-hides-M3s"),
    pytest.param({"M5": 0}, [{"M5": 1}], {"M5s": "sjukersättning"}, id="M5=0-hides-M5s"),
    pytest.param({"E3": 0}, [{"E3": 1}], {"E3s": "snickare"}, id="E3=0-hides-E3s"),
    pytest.param({"E8": 0}, [{"E8": 1}], {"E9": 1}, id="E8=0-hides-E9"),
    *(
        pytest.param(
            {f"D{n}a": 0, f"D{n}b": 0},
            [{f"D{n}a": 4, f"D{n}b": 0}, {f"D{n}a": 0, f"D{n}b": 2}, {f"D{n}a": 4, f"D{n}b": 2}],
            {f"D{n}c": 1},
            id=f"D{n}a=D{n}b=0-hides-D{n}c",
        )
        for n in range(3, 13)
    ),
    pytest.param({"D19": 0}, [{"D19": 3}], {"D21": 1}, id="D19=0-hides-D21"),
    pytest.param({"D20": 0}, [{"D20": 3}], {"D22": 1}, id="D20=0-hides-D22"),
    pytest.param({"D14": 0}, [{"D14": 1}, {"D14": 9}], {"D15": 6, "D16": 2}, id="D14=0-hides-D15-D16"),
    pytest.param({"L21": 0}, [{"L21": 6}], {"L22": 3, "L23": 8}, id="L21=0-hides-L22-L23"),
    pytest.param({"L24": 0}, [{"L24": 1}], {"L25": 8}, id="L24=0-hides-L25"),
    pytest.param(
        {"F23m": 0, "F23l": 0},
        [{"F23m": 0, "F23l": 1}, {"F23m": 1, "F23l": 1}],
        {"F23s": "moster"},
        id="F23m=F23l=0-hides-F23s",
    ),
    *(
        pytest.param({rel: "N"}, [{rel: 0}, {rel: 1}, {rel: "X"}], {f"{conf}m": 0, f"{conf}l": 0}, id=f"{rel}=N-hides-{conf}")
        for rel, conf in [("F12", "F18"), ("F13", "F19"), ("F14", "F20"), ("F15", "F21"), ("F16", "F22"), ("F17", "F24")]
    ),
]


@pytest.mark.parametrize(("hide", "shows", "targets"), SKIP_RULES)
def test_skip_rule(tmp_path, hide, shows, targets):
    # the rule triggers: targets are hidden, held as N, and an answer given for them is ignored
    report = simulate(tmp_path, {**hide, **targets})
    assert report["rejected"] == []
    for item in targets:
        assert_hidden(report, item)
        assert {"item": item, "reason": "hidden"} in report["ignored"]
    for item, value in hide.items():
        assert report["answers"][item] == ({"code": value} if value in ("X", "N") else value)

    # the condition is not met: targets stay visible and take their answers
    for show in shows:
        report = simulate(tmp_path, {**show, **targets})
        assert report["rejected"] == [], show
        assert report["ignored"] == [], show
        for item, value in targets.items():
            assert_shown(report, item)
            assert report["answers"][item] == value, (show, item)


def test_skip_targets_visible_while_triggers_unanswered(tmp_path):
    """Unknown relevance shows an item: nothing is hidden before its gate question is answered."""
    report = simulate(tmp_path, {})
    assert report["hidden"] == []
    targets = {item for p in SKIP_RULES for item in p.values[2]}
    for item in targets:
        assert_shown(report, item)
        assert item not in report["answers"]


def test_d16_also_hidden_when_never_abstinent(tmp_path):
    """D16 (months since the abstinence ended) follows D15 > 0 as well as D14 != 0."""
    report = simulate(tmp_path, {"D14": 9, "D15": 0, "D16": 2})
    assert_shown(report, "D15")
    assert report["answers"]["D15"] == 0
    assert_hidden(report, "D16")
    assert report["ignored"] == [{"item": "D16", "reason": "hidden"}]


def test_skip_cascades_to_follow_ups_of_hidden_items(tmp_path):
    """D14 = 0 hides D15, and through it D16 (a comparison with N is false in relevance)."""
    report = simulate(tmp_path, {"D14": 0})
    assert_hidden(report, "D15")
    assert_hidden(report, "D16")


@pytest.mark.parametrize("code", [1, 2, 3])
def test_g12_special_status_makes_interview_partial_and_completable(tmp_path, code):
    # broken off: items may stay open, but every interviewer rating must still be
    # set (§8.1), to a value or to X where the area could not be rated
    report = simulate(tmp_path, {"G12": code})
    assert report["partial"] is True
    assert report["complete"] is False
    assert report["missing_items"] == []
    assert report["missing_ratings"] == INTERVIEWER_RATINGS
    rated = simulate(tmp_path, {"G12": code, **{r: "X" for r in INTERVIEWER_RATINGS[:-1]}, INTERVIEWER_RATINGS[-1]: 5})
    assert rated["complete"] is True and rated["rejected"] == []


def test_x_for_interviewer_rating_only_when_broken_off(tmp_path):
    report = simulate(tmp_path, {"G12": "N", "M9": "X"})
    assert [r["item"] for r in report["rejected"]] == ["M9"]


@pytest.mark.parametrize("answers", [{"G12": "N"}, {}], ids=["G12=N", "G12-unanswered"])
def test_without_special_status_interview_is_not_partial(tmp_path, answers):
    report = simulate(tmp_path, answers)
    assert report["partial"] is False
    assert report["complete"] is False
    assert len(report["missing_items"]) > 100  # almost everything is still open
    assert ("G12" in report["missing_items"]) is ("G12" not in answers)
    assert report["missing_ratings"] == INTERVIEWER_RATINGS


# ----------------------------------------------------------------------------- §8.4 hard checks

HARD_CHECKS = [
    # (bad answers, good answers, item, message)
    pytest.param({"E4": 0, "E5": 1}, [{"E4": 0, "E5": 0}, {"E4": 1, "E5": 1}, {"E4": 1, "E5": 0}], "E5",
                 "check.e5_no_licence_no_car", id="E5-car-without-licence"),
    pytest.param({"D1a": 5, "D2a": 6}, [{"D1a": 5, "D2a": 5}, {"D1a": 5, "D2a": 0}], "D2a",
                 "check.d2a_subset_d1a", id="D2a>D1a"),
    pytest.param({"D1b": 10, "D2b": 11}, [{"D1b": 10, "D2b": 10}, {"D1b": 10, "D2b": 3}], "D2b",
                 "check.d2b_subset_d1b", id="D2b>D1b"),
    pytest.param({"D19": 2, "D21": 3}, [{"D19": 2, "D21": 2}, {"D19": 2, "D21": 0}], "D21",
                 "check.d21_subset_d19", id="D21>D19"),
    pytest.param({"D20": 2, "D22": 3}, [{"D20": 2, "D22": 2}, {"D20": 2, "D22": 0}], "D22",
                 "check.d22_subset_d20", id="D22>D20"),
]


@pytest.mark.parametrize(("bad", "goods", "item", "message"), HARD_CHECKS)
def test_hard_check(tmp_path, bad, goods, item, message):
    report = simulate(tmp_path, bad)
    assert rejected_set(report) == {(item, message, "hard")}
    assert [r["value"] for r in report["rejected"]] == [bad[item]]
    assert item not in report["answers"]  # a rejected answer is not stored
    assert item in report["missing_items"]
    assert warning_set(report) == set()  # hard checks never show up as soft warnings

    for good in goods:
        report = simulate(tmp_path, good)
        assert report["rejected"] == [], good
        assert report["answers"][item] == good[item]
        assert warning_set(report) == set(), good


# ----------------------------------------------------------------------------- §8.4 soft checks

SOFT_CHECKS = [
    # (answers that fire, [answers that do not], item, message)
    *(
        pytest.param({"G19": g, "G20": 0}, [{"G19": g, "G20": 5}], "G20", "check.g20_days_in_controlled_env",
                     id=f"G19={g}-G20=0")
        for g in (2, 3, 4, 5, 6)
    ),
    pytest.param({"G19": 4, "M1": 0}, [{"G19": 4, "M1": 1}, {"G19": 3, "M1": 0}, {"G19": 1, "M1": 0}], "M1",
                 "check.m1_hospitalised_now", id="G19=4-M1=0"),
    pytest.param({"G19": 4, "M1": 1, "M2": 14}, [{"G19": 4, "M1": 1, "M2": 0}, {"G19": 3, "M1": 1, "M2": 14}], "M2",
                 "check.m2_hospitalised_now", id="G19=4-M2>0"),
    pytest.param({"G19": 2, "L26": 0}, [{"G19": 2, "L26": 5}, {"G19": 3, "L26": 0}, {"G19": 1, "L26": 0}], "L26",
                 "check.l26_jail_without_days", id="G19=2-L26=0"),
    *(
        pytest.param({"G19": 3, "G20": 10, a: 30}, [{"G19": 3, "G20": 10, a: 29}, {"G19": 1, a: 30}], a,
                     "check.substance_daily_in_controlled_env", id=f"G20>0-{a}=30")
        for a in ALL_A
    ),
    *(
        pytest.param({"D1a": 20, "D14": code}, [{"D1a": 15, "D14": code}], "D14", "check.d14_suggest_code_15",
                     id=f"D14={code}-D1a>15")
        for code in (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16)
    ),
    pytest.param({"D1a": 20, "D14": 9}, [{"D1a": 20, "D14": 15}, {"D1a": 20, "D14": 1}, {"D1a": 20, "D14": 0}],
                 "D14", "check.d14_suggest_code_15", id="D14-alcohol-codes-quiet"),
    *(
        pytest.param(
            zeros(ALL_A, **{a: 5}, D14=1, D15=6, D16=0),
            [zeros(ALL_A, **{a: 5}, D14=1, D15=6, D16=2), zeros(ALL_A, D14=1, D15=6, D16=0)],
            "D16",
            "check.d16_abstinent_but_use",
            id=f"D16=0-with-{a}>0",
        )
        for a in ("D1a", "D3a", "D8a", "D12a")
    ),
    pytest.param({"D17": 6}, [{"D17": 5}, {"D17": 0}], "D17", "check.d17_many_dts", id="D17>5"),
    *(
        pytest.param(
            zeros(ALL_A, **{a: 4}, D24=0),
            [zeros(ALL_A, **{a: 4}, D24=500), zeros(ALL_A, D1a=10, D2a=10, D24=0), zeros(ALL_A, D24=0)],
            "D24",
            "check.d24_drug_use_no_money",
            id=f"{a}>0-D24=0",
        )
        for a in DRUG_A
    ),
    pytest.param({"E11": 0, "E12": 1000}, [{"E11": 10, "E12": 1000}, {"E11": 0, "E12": 0}], "E12",
                 "check.e12_income_without_workdays", id="E11=0-E12>0"),
    pytest.param({"E11": 10, "E12": 0}, [{"E11": 10, "E12": 1000}, {"E11": 0, "E12": 0}], "E12",
                 "check.e12_workdays_without_income", id="E11>0-E12=0"),
    pytest.param({"M5": 1, "M5s": "sjukersättning", "E15": 0},
                 [{"M5": 1, "M5s": "sjukersättning", "E15": 5000}, {"M5": 0, "E15": 0}], "E15",
                 "check.e15_benefit_without_amount", id="M5=1-E15=0"),
    pytest.param({"E15": 0, "P3": 1}, [{"E15": 5000, "P3": 1}, {"E15": 0, "P3": 0}], "P3",
                 "check.p3_benefit_without_e15", id="P3=1-E15=0"),
    pytest.param({"E17": 2000, "L27": 0}, [{"E17": 2000, "L27": 5}, {"E17": 0, "L27": 0}], "L27",
                 "check.l27_illegal_income_without_days", id="E17>0-L27=0"),
    pytest.param(zeros(CHARGES, L8=2, L17=3), [zeros(CHARGES, L8=2, L17=2), zeros(CHARGES, L8=1, L10=2, L17=3)],
                 "L17", "check.l17_convictions_exceed_charges", id="L17>sum(L3..L16)"),
    pytest.param(zeros(CHARGES, L17=1), [zeros(CHARGES, L17=0)], "L17", "check.l17_convictions_exceed_charges",
                 id="L17>0-no-charges"),
    pytest.param(
        zeros(CHARGES + OTHER_CHARGES, L2=1, L24=0),
        [
            zeros(CHARGES + OTHER_CHARGES, L2=1, L5=1, L24=0),
            zeros(CHARGES + OTHER_CHARGES, L2=1, L19=1, L24=0),
            zeros(CHARGES + OTHER_CHARGES, L2=0, L24=0),
        ],
        "L24",
        "check.l24_pending_without_charges",
        id="L2=1-no-charges",
    ),
    pytest.param(
        zeros(CHARGES + OTHER_CHARGES, L2=0, L24=1),
        [zeros(CHARGES + OTHER_CHARGES, L2=0, L10=1, L24=1)],
        "L24",
        "check.l24_pending_without_charges",
        id="L24=1-no-charges",
    ),
    pytest.param(
        {"P1": 0, "P2": 0, "P10m": 0, "P10l": 1, "P11m": 0, "P11l": 0},
        [
            {"P1": 1, "P2": 0, "P10m": 0, "P10l": 1, "P11m": 0, "P11l": 0},
            {"P1": 0, "P2": 2, "P10m": 0, "P10l": 1, "P11m": 0, "P11l": 0},
            {"P1": 0, "P2": 0, "P10m": 0, "P10l": 0, "P11m": 0, "P11l": 0},
        ],
        "P11l",
        "check.p_no_treatment_but_attempt_or_medication",
        id="P1+P2=0-P10l=1",
    ),
    pytest.param(
        {"P1": 0, "P2": 0, "P10m": 0, "P10l": 0, "P11m": 0, "P11l": 1},
        [{"P1": 0, "P2": 3, "P10m": 0, "P10l": 0, "P11m": 0, "P11l": 1}],
        "P11l",
        "check.p_no_treatment_but_attempt_or_medication",
        id="P1+P2=0-P11l=1",
    ),
    pytest.param(zeros(SYMPTOMS_30D, P12=5), [zeros(SYMPTOMS_30D, P12=0)], "P12",
                 "check.p12_days_without_symptoms", id="no-symptoms-P12>0"),
    *(
        pytest.param(
            zeros(SYMPTOMS_30D, **{sym: 1, sym[:-1] + "l": 1}, P12=0),
            [zeros(SYMPTOMS_30D, **{sym: 1, sym[:-1] + "l": 1}, P12=5)],
            "P12",
            "check.p12_symptoms_without_days",
            id=f"{sym}=1-P12=0",
        )
        for sym in SYMPTOMS_30D
    ),
    pytest.param({"E1": 36}, [{"E1": 48}, {"E1": "12y"}], "E1", "check.e1_education_short", id="E1<48m"),
    pytest.param({"E1": "3y11m"}, [{"E1": "4y0m"}], "E1", "check.e1_education_short", id="E1=3y11m"),
]


@pytest.mark.parametrize(("fire", "quiet", "item", "message"), SOFT_CHECKS)
def test_soft_check(tmp_path, fire, quiet, item, message):
    report = simulate(tmp_path, fire)
    assert report["rejected"] == []
    assert report["ignored"] == []
    assert warning_set(report) == {(item, message)}
    # a soft warning accepts the answer
    assert item in report["answers"]
    if isinstance(fire[item], int):
        assert report["answers"][item] == fire[item]

    for answers in quiet:
        report = simulate(tmp_path, answers)
        assert report["rejected"] == [], answers
        assert warning_set(report) == set(), answers


# Rating triads: (days, troubled, need, {kind: (item, message)}) with kinds
# dt days>0 troubled=0, dn days>0 need=0, td days=0 troubled>0, nd days=0 need>0.
TRIADS = [
    ("M6", "M7", "M8", {
        "dt": ("M7", "check.m_days_without_trouble"), "td": ("M7", "check.m_trouble_without_days"),
        "dn": ("M8", "check.m_days_without_need"), "nd": ("M8", "check.m_need_without_days")}),
    ("E19", "E20", "E21", {
        "dt": ("E20", "check.e_days_without_trouble"), "td": ("E20", "check.e_trouble_without_days"),
        "dn": ("E21", "check.e_days_without_need"), "nd": ("E21", "check.e_need_without_days")}),
    ("D26", "D28", "D30", {
        "dt": ("D28", "check.alcohol_days_but_no_trouble"), "td": ("D28", "check.alcohol_trouble_but_no_days"),
        "dn": ("D30", "check.alcohol_days_but_no_need"), "nd": ("D30", "check.alcohol_need_but_no_days")}),
    ("D27", "D29", "D31", {
        "dt": ("D29", "check.drug_days_but_no_trouble"), "td": ("D29", "check.drug_trouble_but_no_days"),
        "dn": ("D31", "check.drug_days_but_no_need"), "nd": ("D31", "check.drug_need_but_no_days")}),
    ("F30", "F32", "F34", {
        "dt": ("F34", "check.f_family_days_without_ratings"), "td": ("F34", "check.f_family_ratings_without_days"),
        "dn": ("F34", "check.f_family_days_without_ratings"), "nd": ("F34", "check.f_family_ratings_without_days")}),
    ("F31", "F33", "F35", {
        "dt": ("F35", "check.f_social_days_without_ratings"), "td": ("F35", "check.f_social_ratings_without_days"),
        "dn": ("F35", "check.f_social_days_without_ratings"), "nd": ("F35", "check.f_social_ratings_without_days")}),
    ("P12", "P13", "P14", {
        "dt": ("P13", "check.p13_days_without_trouble"), "td": ("P13", "check.p13_trouble_without_days"),
        "dn": ("P14", "check.p14_days_without_need"), "nd": ("P14", "check.p14_need_without_days")}),
]


@pytest.mark.parametrize(("days", "trouble", "need", "keys"), TRIADS, ids=[t[0] + "/" + t[1] + "/" + t[2] for t in TRIADS])
def test_rating_triad(tmp_path, days, trouble, need, keys):
    cases = [
        ((5, 0, 2), {keys["dt"]}),
        ((5, 2, 0), {keys["dn"]}),
        ((5, 0, 0), {keys["dt"], keys["dn"]}),
        ((0, 2, 0), {keys["td"]}),
        ((0, 0, 2), {keys["nd"]}),
        ((0, 3, 3), {keys["td"], keys["nd"]}),
        ((5, 2, 2), set()),
        ((30, 4, 4), set()),
        ((0, 0, 0), set()),
    ]
    for (d, t, n), expected in cases:
        report = simulate(tmp_path, {days: d, trouble: t, need: n})
        assert report["rejected"] == []
        assert warning_set(report) == expected, (d, t, n)


def test_rating_triad_warning_clears_when_days_corrected(tmp_path):
    """A check is re-evaluated when an item it names changes (applied in bank order: M6 last wins)."""
    report = simulate(tmp_path, {"M6": 5, "M7": 0, "M8": 0})
    assert warning_set(report) == {("M7", "check.m_days_without_trouble"), ("M8", "check.m_days_without_need")}
    report = simulate(tmp_path, {"M6": 0, "M7": 0, "M8": 0})
    assert warning_set(report) == set()


# ----------------------------------------------------------------------------- safety alerts


@pytest.mark.parametrize(
    ("item", "message"),
    [("P9m", "alert.suicide_thoughts"), ("P10m", "alert.suicide_attempt"), ("P20", "alert.suicide_observed")],
)
def test_safety_alert(tmp_path, item, message):
    report = simulate(tmp_path, {item: 1})
    assert [(a["item"], a["message"], a["severity"]) for a in report["alerts"]] == [(item, message, "alert")]
    assert report["alerts"][0]["key"] == f"{item}!0"
    assert report["answers"][item] == 1
    assert report["warnings"] == []

    for quiet in (0, "X"):
        report = simulate(tmp_path, {item: quiet})
        assert report["alerts"] == [], quiet


def test_both_suicide_alerts_raise_together(tmp_path):
    report = simulate(tmp_path, {"P9m": 1, "P9l": 1, "P10m": 1, "P10l": 1})
    assert {a["message"] for a in report["alerts"]} == {"alert.suicide_thoughts", "alert.suicide_attempt"}
    assert warning_set(report) == set()


# ----------------------------------------------------------------------------- a whole interview

# Items that skip logic hides when every gate question is answered "no"/0.
HIDDEN_WHEN_NEUTRAL = {
    "G20", "SE.G.barn_hemma", "SE.G.barn_oro", "M2", "M3s", "M5s", "E3s", "E9", "D21",
    *(f"D{n}c" for n in range(3, 13)), "D15", "D16", "D22", "SE.D.injicerat_6m", "SE.D.delat",
    "L22", "L23", "L25", "F23s", "SE.P.diagnos_text",
}


@pytest.fixture(scope="module")
def grund_bank():
    from asi_tui.bank.registry import bundled_bank

    return bundled_bank("asi-grund")


@pytest.fixture(scope="module")
def full_answers(grund_bank) -> dict[str, Any]:
    """Every visible item of a consistent ASI Grund, answered with a neutral value."""
    answers: dict[str, Any] = {}
    for item in grund_bank.items:
        t = item.type
        if t in ("count", "days", "money", "years_months"):
            value: Any = item.range[0] if item.range else 0
        elif t in ("yes_no", "single", "client_rating", "interviewer_rating"):
            value = grund_bank.codes_for(item).values[0]
        elif t == "multi":
            value = [grund_bank.codes_for(item).values[0]]
        elif t == "date":
            value = "2026-01-01"
        elif t == "text":
            value = "abc"
        else:  # comments are never required
            continue
        answers[item.id] = value
    texts_with_pattern = {i.id for i in grund_bank.items if i.type == "text" and i.pattern}
    assert texts_with_pattern == {"G6", "G7", "SE.G.kommun", "E7"}, "a new patterned text item needs a fitting value"
    answers.update(
        {
            "G6": "10:00",
            "G7": "11:30",
            "SE.G.kommun": "0180",
            "E7": "5321",  # a real SSYK 2012 unit group (1234 is none)
            "G9": 1,  # in person (Grund)
            "G12": "N",  # no special status (code 1 would make the interview partial)
            "G16": 40,
            "E1": 120,  # 10 years of schooling (< 4 years warns)
        }
    )
    for item_id in HIDDEN_WHEN_NEUTRAL:
        del answers[item_id]
    return answers


def test_full_consistent_grund_is_complete(tmp_path, full_answers):
    report = simulate(tmp_path, full_answers)
    assert report["rejected"] == []
    assert report["ignored"] == []
    assert report["warnings"] == []
    assert report["alerts"] == []
    assert report["partial"] is False
    assert set(report["hidden"]) == HIDDEN_WHEN_NEUTRAL
    for item in HIDDEN_WHEN_NEUTRAL:
        assert report["answers"][item] == N
    assert report["missing_items"] == []
    assert report["missing_ratings"] == []
    assert report["complete"] is True
    assert list(report["composites"]) == AREAS
    for area, c in report["composites"].items():
        assert c["missing"] == [], area
        assert isinstance(c["score"], (int, float)), area


def test_full_grund_without_interviewer_ratings_is_not_complete(tmp_path, full_answers):
    answers = {k: v for k, v in full_answers.items() if k not in INTERVIEWER_RATINGS}
    assert len(answers) == len(full_answers) - len(INTERVIEWER_RATINGS)
    report = simulate(tmp_path, answers)
    assert report["complete"] is False
    assert report["missing_items"] == []
    assert report["missing_ratings"] == INTERVIEWER_RATINGS
    # the composites rest on client answers, not on interviewer ratings
    assert all(c["score"] is not None for c in report["composites"].values())


@pytest.mark.parametrize("rating", INTERVIEWER_RATINGS)
def test_each_interviewer_rating_is_required(tmp_path, full_answers, rating):
    report = simulate(tmp_path, {k: v for k, v in full_answers.items() if k != rating})
    assert report["complete"] is False
    assert report["missing_items"] == []
    assert report["missing_ratings"] == [rating]


@pytest.mark.parametrize("rating", INTERVIEWER_RATINGS)
def test_interviewer_rating_cannot_be_coded_x(tmp_path, full_answers, rating):
    """§8.1: no completion without every interviewer rating, so X is not a way out."""
    report = simulate(tmp_path, {**full_answers, rating: "X"})
    assert [(r["item"], r["message"]) for r in report["rejected"]] == [(rating, "engine.invalid.missing_not_allowed")]
    assert report["complete"] is False
    assert report["missing_ratings"] == [rating]


def test_skip_rule_in_full_interview_turns_earlier_answer_into_warning(tmp_path, full_answers):
    """G19 = 4 in an otherwise complete interview: G20 and M1 must be reviewed."""
    answers = {**full_answers, "G19": 4, "G20": 0}
    report = simulate(tmp_path, answers)
    assert warning_set(report) == {("G20", "check.g20_days_in_controlled_env"), ("M1", "check.m1_hospitalised_now")}
    assert report["complete"] is True  # soft warnings do not block completion


# ----------------------------------------------------------------------------- a known row decides "any row"


@pytest.mark.parametrize(
    ("answers", "item", "message"),
    [
        pytest.param(zeros(ALL_A, D3a=10, D4a="X", D24=0), "D24", "check.d24_drug_use_no_money", id="D24"),
        pytest.param(zeros(ALL_A, D1a=10, D5a="X", D14=1, D15=6, D16=0), "D16", "check.d16_abstinent_but_use", id="D16"),
        pytest.param(zeros(SYMPTOMS_30D, P4m=1, P4l=1, P5m="X", P12=0), "P12", "check.p12_symptoms_without_days", id="P12"),
    ],
)
def test_any_row_check_fires_when_another_row_is_x(tmp_path, answers, item, message):
    assert (item, message) in warning_set(simulate(tmp_path, answers))
