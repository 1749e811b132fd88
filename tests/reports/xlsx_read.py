"""Read back what the XLSX writer wrote, with nothing but zipfile and ElementTree."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _col(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def read_xlsx(path: Path) -> dict[str, list[list[str]]]:
    """Sheet name -> rows of cell texts (empty cells as "")."""
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        for part in names:  # every part is well-formed XML
            ET.fromstring(z.read(part))
        ctypes = ET.fromstring(z.read("[Content_Types].xml"))
        overrides = {o.get("PartName") for o in ctypes}
        assert "/xl/workbook.xml" in overrides and "/xl/styles.xml" in overrides
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        wb = ET.fromstring(z.read("xl/workbook.xml"))
        out = {}
        for sheet in wb.find("m:sheets", NS):
            part = "xl/" + targets[sheet.get(REL)]
            assert "/" + part in overrides
            root = ET.fromstring(z.read(part))
            rows = []
            for row in root.find("m:sheetData", NS):
                cells: dict[int, str] = {}
                for c in row:
                    if c.get("t") == "inlineStr":
                        text = "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
                    else:
                        v = c.find("m:v", NS)
                        text = v.text if v is not None else ""
                    cells[_col(c.get("r"))] = text
                width = max(cells) + 1 if cells else 0
                rows.append([cells.get(i, "") for i in range(width)])
            out[sheet.get("name")] = rows
        return out
