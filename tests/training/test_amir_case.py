"""Exercise grund-02-amir: the case text agrees with itself and with its key (issue 14)."""

from __future__ import annotations

import re

from asi_tui.bank.registry import bundled_banks
from asi_tui.training.exercises import bundled_exercise


def test_the_discharge_date_the_ssyk_code_and_the_main_income_agree_with_the_key():
    ex = bundled_exercise("grund-02-amir")
    case = ex.model.case
    for lang, day in (("sv", "5 april"), ("en", "5 April")):
        # the intro's discharge day is the last day of the stay in section G
        assert f"den {day} och" in case.intro.get(lang) if lang == "sv" else f"on {day} and" in case.intro.get(lang)
        assert re.search(rf"31 (mars|March) (till|to) {day}", case.sections["G"].get(lang))
    key = {k: e.value for k, e in ex.model.key.items()}
    ssyk = {re.search(r"SSYK (\d{4})", case.sections["E"].get(lang)).group(1) for lang in ("sv", "en")}
    assert ssyk == {key["E7"]}
    newest = [b for b in bundled_banks() if b.id == "asi-grund"][-1]
    assert key["E7"] in newest.codelists["ssyk2012"].values  # a real SSYK 2012 unit group
    # the bank's rule for the main income: the source that gave the most money
    amounts = {"E12": 1, "E13": 3, "E14": 6, "E15": 4, "E16": 7, "E17": 8}  # item -> income_source code
    most = max(amounts, key=lambda i: key[i])
    assert key["SE.E.huvudkalla"] == amounts[most] == 6
    assert "mest" in case.sections["E"].get("sv") and "most" in case.sections["E"].get("en")
