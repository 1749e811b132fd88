"""Every key the export and compilation code builds at run time exists in Swedish and English."""

from __future__ import annotations

import pytest

from asi_tui.i18n import catalog
from asi_tui.reports.codebook import _META

DYNAMIC = [
    *(f"reports.export.meta.{column}" for column, _s, _t in _META),
    *(f"reports.export.option.{o}" for o in ("full_dates", "exact_age", "with_interviewer")),
    *(f"reports.export.value.{v}" for v in ("no", "yes")),
]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_dynamic_export_keys_are_translated(lang):
    assert [k for k in DYNAMIC if k not in catalog(lang)] == []
