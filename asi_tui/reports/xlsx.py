"""A minimal XLSX (Office Open XML spreadsheet) writer: no dependency.

An .xlsx file is a zip of a few XML parts: [Content_Types].xml, _rels/.rels,
xl/workbook.xml, xl/_rels/workbook.xml.rels, xl/styles.xml and one
xl/worksheets/sheetN.xml per sheet. Cells are numbers or inline strings (no
shared-strings table); the first row of every sheet is bold and frozen.
Sheets are streamed into the zip row by row, so a large sheet is never held
in memory as XML.
"""

from __future__ import annotations

import re
import zipfile
from typing import IO, Iterable, Sequence

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_ROW = "\x00"  # row-number placeholder in a row template (never in escaped text)
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_NUMBER = re.compile(r"^-?\d{1,15}(\.\d{1,15})?$")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def escape(text: str) -> str:
    text = _INVALID_XML.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _inline(ref: str, text: str, style: str = "") -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{escape(text)}</t></is></c>'


class XlsxWriter:
    """Write sheets one after another, then `close()` to add the workbook parts."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.sheets: list[str] = []
        self._letters: list[str] = []
        self._strings: dict[str, str] = {}
        self._snippets: dict[object, str] = {}
        self._numbers: dict[str, str] = {}

    def _letter(self, i: int) -> str:
        while len(self._letters) <= i:
            self._letters.append(column_letter(len(self._letters)))
        return self._letters[i]

    def _string(self, text: str) -> str:
        """Escaped text, cached: exports repeat the same few codes many times."""
        cached = self._strings.get(text)
        if cached is None:
            space = ' xml:space="preserve"' if text != text.strip() else ""
            cached = f'<is><t{space}>{escape(text)}</t></is>'
            if len(self._strings) < 10_000:
                self._strings[text] = cached
        return cached

    def _snippet(self, v: object) -> str:
        """The rest of a cell after its reference: `/>` (empty), a number or an inline string."""
        if v is None or v == "":
            text = "/>"
        elif isinstance(v, (int, float)):
            text = f"><v>{int(v) if isinstance(v, bool) else v}</v></c>"
        else:
            text = f' t="inlineStr">{self._string(str(v))}</c>'
        if len(self._snippets) < 50_000 and not isinstance(v, bool):
            self._snippets[v] = text
        return text

    def _number(self, text: str) -> str:
        """A cell of a numeric column given as text ("3", "-9"): a number, or empty."""
        cached = self._numbers.get(text)
        if cached is None:
            if not text:
                cached = "/>"
            elif _NUMBER.match(text):
                cached = f"><v>{text}</v></c>"
            else:
                cached = self._snippet(text)
            if len(self._numbers) < 50_000:
                self._numbers[text] = cached
        return cached

    def add_sheet(self, name: str, header: Sequence[str], rows: Iterable[Sequence[object]],
                  numeric: Sequence[bool] | None = None) -> int:
        """Stream one sheet; returns the number of data rows written. Cells are
        numbers (int/float) or text; with `numeric`, text in a column marked
        True is written as a number (rows read back from CSV)."""
        name = _SHEET_NAME_BAD.sub("_", name)[:31] or f"Sheet{len(self.sheets) + 1}"
        self.sheets.append(name)
        part = f"xl/worksheets/sheet{len(self.sheets)}.xml"
        count = 0
        with self.zip.open(part, "w", force_zip64=True) as fh:
            fh.write(
                (
                    f'{XML_DECL}<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">'
                    '<sheetViews><sheetView workbookViewId="0">'
                    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                    "</sheetView></sheetViews><sheetData>"
                ).encode()
            )
            head = "".join(_inline(f"{self._letter(i)}1", str(h), ' s="1"') for i, h in enumerate(header))
            fh.write(f'<row r="1">{head}</row>'.encode())
            chunk: list[str] = []
            templates: dict[int, str] = {}
            snippet = self._snippets.get
            make = self._snippet
            number = self._number
            flags = list(numeric or ())
            for r, row in enumerate(rows, start=2):
                # A row is one %-template of its cells' references (the row number as a NUL
                # placeholder) filled with cached per-value snippets: exports are 10,000 rows
                # x ~280 cells of a few distinct values, and this keeps every `r` attribute.
                width = len(row)
                template = templates.get(width)
                if template is None:
                    template = templates[width] = "".join(f'<c r="{self._letter(i)}{_ROW}"%s' for i in range(width))
                if flags:
                    cells = template % tuple([number(v) if f else snippet(v) or make(v) for v, f in zip(row, flags)])
                else:
                    cells = template % tuple([snippet(v) or make(v) for v in row])
                chunk.append(f'<row r="{r}">{cells.replace(_ROW, str(r))}</row>')
                count += 1
                if len(chunk) >= 500:
                    fh.write("".join(chunk).encode())
                    chunk.clear()
            fh.write("".join(chunk).encode())
            fh.write(b"</sheetData></worksheet>")
        return count

    def close(self) -> None:
        n = len(self.sheets)
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{CT_SHEET}"/>' for i in range(1, n + 1)
        )
        self.zip.writestr(
            "[Content_Types].xml",
            f'{XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>",
        )
        self.zip.writestr(
            "_rels/.rels",
            f'{XML_DECL}<Relationships xmlns="{NS_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        sheets = "".join(f'<sheet name="{escape(s)}" sheetId="{i}" r:id="rId{i}"/>' for i, s in enumerate(self.sheets, 1))
        self.zip.writestr(
            "xl/workbook.xml",
            f'{XML_DECL}<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets>{sheets}</sheets></workbook>',
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1)
        )
        rels += f'<Relationship Id="rId{n + 1}" Type="{NS_REL}/styles" Target="styles.xml"/>'
        self.zip.writestr("xl/_rels/workbook.xml.rels", f'{XML_DECL}<Relationships xmlns="{NS_PKG_REL}">{rels}</Relationships>')
        self.zip.writestr(
            "xl/styles.xml",
            f'{XML_DECL}<styleSheet xmlns="{NS_MAIN}">'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>",
        )
        self.zip.close()
