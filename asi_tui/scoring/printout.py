"""The printable interview for the case file: every item in the form's order,
with section headings, the time frame with its dates, codes with their labels,
X and N spelled out, ratings, comments and the Återkoppling.

Headless: `interview_document` gathers the figures from an engine `Interview`,
`to_markdown` and `to_html` render them. The HTML is one self-contained page
(A4 `@page`, no scripts, no external resources) that prints cleanly from a
browser; every text in it is HTML-escaped, the bank's as well as the user's.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..bank.model import Item
from ..engine.interview import Interview
from ..engine.values import MissingCode
from ..i18n import Translator
from .feedback import feedback_areas


@dataclass
class PrintedItem:
    item_id: str
    label: str
    timeframe: str  # "senaste 30 dagarna: 3 nov – 2 dec 2026", or ""
    answer: str  # the value in words: "1 – Ja", "X – ...", "3 år 6 mån"
    hidden: bool = False  # N because a skip rule hides it


@dataclass
class PrintedSection:
    title: str
    items: list[PrintedItem] = field(default_factory=list)
    comment: str = ""


@dataclass
class PrintedFeedback:
    title: str
    resources: str
    problems: str


@dataclass
class InterviewDocument:
    title: str
    header: list[tuple[str, str]]
    sections: list[PrintedSection]
    feedback: list[PrintedFeedback]


def answer_text(iv: Interview, item: Item, value: object, t: Translator, lang: str) -> str:
    """A stored value as a reader of the case file needs it."""
    if isinstance(value, MissingCode):
        return t(f"print.code.{value.code}")
    codes = iv.bank.codes_for(item)
    if item.type == "multi" and isinstance(value, list) and codes is not None:
        return "; ".join(_coded(codes, v, lang) for v in value)
    if codes is not None and item.type in ("yes_no", "single", "client_rating", "interviewer_rating"):
        return _coded(codes, value, lang)
    if item.type == "years_months" and isinstance(value, int):
        return t("print.years_months", years=value // 12, months=value % 12)
    if item.type in ("count", "days", "money") and item.unit:
        return f"{value} {t('print.unit.' + item.unit)}"
    valid = iv.bank.valid_codes_for(item)
    if valid is not None:
        label = valid.label_of(str(value))
        return f"{value} – {label.get(lang)}" if label is not None else str(value)
    return str(value)


def _coded(codes: Any, value: object, lang: str) -> str:
    label = codes.label_of(value)
    return f"{value} – {label.get(lang)}" if label is not None else str(value)


def interview_document(iv: Interview, header: list[tuple[str, str]], meta: Mapping[str, Any], t: Translator,
                       lang: str) -> InterviewDocument:
    """Every item of the bank in form order; items without an answer say so."""
    hidden = {i.id for i in iv.hidden_items()}
    sections = []
    for s in iv.bank.sections:
        out = PrintedSection(s.title.get(lang))
        for item in s.items:
            value = iv.value(item.id)
            if item.type == "comment":
                out.comment = str(value or "")
                continue
            answer = t("print.unanswered") if value is None else answer_text(iv, item, value, t, lang)
            out.items.append(PrintedItem(item.id, item.label.get(lang), iv.timeframe_label(item, lang) or "", answer,
                                         item.id in hidden))
        sections.append(out)
    feedback = [PrintedFeedback(a.title, a.resources, a.problems)
                for a in feedback_areas(iv.bank, iv.answers, meta, lang)]
    return InterviewDocument(iv.bank.model.title.get(lang), header, sections, feedback)


# ----------------------------------------------------------------------------- Markdown


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def to_markdown(doc: InterviewDocument, t: Translator) -> str:
    lines = [f"# {doc.title}", ""]
    lines += [f"- {_cell(k)}: {_cell(v)}" for k, v in doc.header]
    for s in doc.sections:
        lines += ["", f"## {s.title}", "", f"| ASI | {t('print.col.question')} | {t('print.col.timeframe')} | {t('print.col.answer')} |",
                  "|---|---|---|---|"]
        for i in s.items:
            answer = f"{i.answer} ({t('print.hidden')})" if i.hidden else i.answer
            lines.append(f"| {i.item_id} | {_cell(i.label)} | {_cell(i.timeframe)} | {_cell(answer)} |")
        if s.comment:
            lines += ["", f"**{t('print.comment')}:** {_cell(s.comment)}"]
    lines += ["", f"## {t('feedback.title')}", ""]
    for f in doc.feedback:
        lines += [f"### {f.title}", "", f"**{t('feedback.resources')}:** {_cell(f.resources) or '–'}", "",
                  f"**{t('feedback.problems')}:** {_cell(f.problems) or '–'}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# ----------------------------------------------------------------------------- HTML

_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9.5pt; color: #000; background: #fff; margin: 0; }
h1 { font-size: 15pt; margin: 0 0 6pt 0; }
h2 { font-size: 12pt; margin: 14pt 0 4pt 0; border-bottom: 1px solid #000; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 8pt 0 2pt 0; break-after: avoid; page-break-after: avoid; }
dl.head { display: grid; grid-template-columns: max-content auto; gap: 1pt 10pt; margin: 0 0 8pt 0; }
dl.head dt { font-weight: bold; } dl.head dd { margin: 0; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 1px solid #777; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #eee; } td.id { white-space: nowrap; width: 5em; } td.tf { width: 11em; } td.ans { width: 13em; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.hidden td { color: #555; }
p.comment, p.fb { margin: 4pt 0; white-space: pre-wrap; }
"""


def to_html(doc: InterviewDocument, t: Translator, lang: str) -> str:
    e = html.escape
    out = [f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n<title>{e(doc.title)}</title>',
           f"<style>{_CSS}</style>\n</head>\n<body>", f"<h1>{e(doc.title)}</h1>", '<dl class="head">']
    out += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in doc.header]
    out.append("</dl>")
    for s in doc.sections:
        out += [f"<h2>{e(s.title)}</h2>", "<table>",
                f"<tr><th>ASI</th><th>{e(t('print.col.question'))}</th><th>{e(t('print.col.timeframe'))}</th>"
                f"<th>{e(t('print.col.answer'))}</th></tr>"]
        for i in s.items:
            answer = f"{i.answer} ({t('print.hidden')})" if i.hidden else i.answer
            cls = ' class="hidden"' if i.hidden else ""
            out.append(f'<tr{cls}><td class="id">{e(i.item_id)}</td><td>{e(i.label)}</td><td class="tf">{e(i.timeframe)}</td>'
                       f'<td class="ans">{e(answer)}</td></tr>')
        out.append("</table>")
        if s.comment:
            out.append(f'<p class="comment"><b>{e(t("print.comment"))}:</b> {e(s.comment)}</p>')
    out.append(f"<h2>{e(t('feedback.title'))}</h2>")
    for f in doc.feedback:
        out += [f"<h3>{e(f.title)}</h3>",
                f'<p class="fb"><b>{e(t("feedback.resources"))}:</b> {e(f.resources or "–")}</p>',
                f'<p class="fb"><b>{e(t("feedback.problems"))}:</b> {e(f.problems or "–")}</p>']
    out.append("</body>\n</html>\n")
    return "\n".join(out)
