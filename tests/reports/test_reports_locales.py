"""Every `reports.` key the code uses exists in Swedish and English (the shared
locale test does not know this prefix yet)."""

from __future__ import annotations

import re

import pytest

from asi_tui.i18n import catalog
from tests.conftest import ROOT

KEY_RE = re.compile(r"""(?<![\w{])["'](reports\.[a-z0-9_.]+)["']""")
DYNAMIC = [
    *(f"reports.section.{s}" for s in ("groups", "change", "dropout", "trends", "followup", "units", "compare", "quality")),
    *(f"reports.subgroup.{s}" for s in ("women", "men", "homeless", "young", "young_women", "young_men", "whole")),
    *(f"reports.row.followup_{c}" for c in ("within", "early", "late", "dropout", "missing")),
    "reports.row.half_1",
    "reports.row.half_2",
    *(f"reports.col.{c}" for c in ("improved", "unchanged", "worse")),
    *(f"reports.table.units_{k}" for k in ("age", "gender", "substance", "housing")),
    *(f"reports.dim.{k}" for k in ("age", "gender", "substance", "housing", "income", "birth_region", "parents_born",
                                   "unit", "year")),
    "reports.table.change_per_client_composites",
    "reports.table.change_per_client_ratings",
    *(f"reports.instrument.{i}" for i in ("grund", "uppfoljning", "spel", "bortfall", "dropout_grund", "dropout_uppfoljning")),
    *(f"reports.col.{i}" for i in ("grund", "uppfoljning")),
    *(f"reports.followup.status.{s}" for s in ("due", "overdue", "new_grund", "upcoming")),
    *(f"reports.followup.col.{c}" for c in ("client", "grund", "months", "due_by", "interviewer")),
    *(f"reports.export.meta.{m}" for m in ("record_no", "instrument", "bank_id", "bank_version", "interview_date",
                                           "year_month", "linked_record_no", "interviewer")),
    "reports.export.label.X",
    "reports.export.label.N",
]


def used_keys() -> set[str]:
    keys = set(DYNAMIC)
    for path in [*(ROOT / "asi_tui" / "reports").rglob("*.py"), ROOT / "asi_tui" / "cli" / "reports.py"]:
        keys |= {m.group(1) for m in KEY_RE.finditer(path.read_text(encoding="utf-8")) if not m.group(1).endswith(".")}
    return keys


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_reports_key_is_translated(lang):
    assert sorted(k for k in used_keys() if k not in catalog(lang)) == []


def test_both_languages_have_the_same_reports_keys():
    sv = {k for k in catalog("sv") if k.startswith("reports.")}
    en = {k for k in catalog("en") if k.startswith("reports.")}
    assert sv == en and len(sv) > 50
