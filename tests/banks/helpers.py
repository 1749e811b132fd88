"""Helpers for the bank-version tests: a v2 of Grund, a map, a data directory."""

from __future__ import annotations

from pathlib import Path

import yaml

from asi_tui.bank.model import version_key

from tests.conftest import BANKS

# "v1": the newest bundled Grund, the version new interviews start on before anything is published
GRUND_V1 = sorted((BANKS / "grund").glob("asi-grund-*.yaml"), key=lambda p: version_key(p.stem.removeprefix("asi-grund-")))[-1]
V1 = GRUND_V1.stem.removeprefix("asi-grund-")
ADMIN, ADMIN_PW = "admin", "admin passphrase 1"
ANNA, ANNA_PW = "anna", "anna passphrase 22"

# v2: M4 renamed M4x, M11 removed, D14's substance list revised
# (barbiturates (6) merged into sedatives (7), a new code 13 for new psychoactive substances)
SUBSTANCE_2 = "substance_2022"

MAP_V1_V2 = f"""\
from: {{bank: asi-grund, version: {V1}}}
to: {{bank: asi-grund, version: 2.0.0}}
note: "2022 revision: M4 renamed, M11 dropped, barbiturates merged into sedatives"
rename:
  M4: M4x
remove:
  - M11
recode:
  D14:
    map: {{6: 7}}
"""


def make_grund_v2(directory: Path, version: str = "2.0.0", **changes: object) -> Path:
    """Write Grund v2 into `directory/question_bank/grund/` (shared code lists beside it)."""
    data = yaml.load(GRUND_V1.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    data["version"] = version
    codes = yaml.safe_load((BANKS / "codes" / "substance.yaml").read_text(encoding="utf-8"))
    codes["id"] = SUBSTANCE_2
    codes["codes"] = [c for c in codes["codes"] if c["code"] != 6]
    codes["codes"].insert(-2, {"code": 13, "label": {"sv": "Nya psykoaktiva substanser (NPS)",
                                                     "en": "New psychoactive substances (NPS)"}})
    data["codelists"] = [codes]
    for section in data["sections"]:
        items = []
        for item in section["items"]:
            if item["id"] == "M11":
                continue
            if item["id"] == "M4":
                item["id"] = "M4x"
            if item["id"] == "D14":
                item["codes"] = SUBSTANCE_2
                item["checks"] = [{**c, "expr": c["expr"].replace("5, 6, 7", "5, 7, 13")} for c in item["checks"]]
            items.append(item)
        section["items"] = items
    data.update(changes)
    out_dir = directory / "question_bank" / "grund"
    out_dir.mkdir(parents=True, exist_ok=True)
    codes_link = directory / "question_bank" / "codes"
    if not codes_link.exists():
        codes_link.symlink_to(BANKS / "codes")
    out = out_dir / f"asi-grund-{version}.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return out


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
