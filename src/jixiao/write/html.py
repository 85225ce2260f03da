"""The HTML writer: a standalone, printable, accessible page of the official form.

Real ``<table>`` elements with ``rowspan``/``colspan`` from the shared layout, ``<th>`` for labels
and headings (with ``scope``), an ``aria-label`` naming each table (no ``<caption>``: office
programs importing the page put it into the first cell), print CSS for A4 with the indicator
heading repeated on each page.  Every text is escaped; nothing from the table is ever markup.
The PDF writer renders this same page.
"""

from __future__ import annotations

import html
from itertools import pairwise
from typing import Final

from jixiao.model import TargetTable
from jixiao.write.layout import Block, Cell, Signature, layout, placed_cells

FONT_STACK: Final = '"Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "SimSun", serif'

STYLE: Final = f"""
@page {{ size: A4; margin: 15mm 12mm 15mm 12mm;
  @bottom-center {{ content: "第 " counter(page) " 页，共 " counter(pages) " 页"; font-size: 9pt; }} }}
html {{ font-family: {FONT_STACK}; font-size: 10.5pt; color: #000; }}
body {{ margin: 0 auto; max-width: 190mm; padding: 8mm 0; }}
h1 {{ font-size: 16pt; text-align: center; margin: 0 0 6mm; }}
h2 {{ font-size: 13pt; text-align: center; margin: 6mm 0 3mm; break-before: page; break-after: avoid; }}
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; margin: 0 0 4mm; }}
p.unit {{ text-align: right; font-size: 9pt; margin: 0 0 1mm; }}
th, td {{ border: 0.6pt solid #000; padding: 1.2mm 1.5mm; vertical-align: middle;
  overflow-wrap: anywhere; line-height: 1.45; }}
th {{ font-weight: bold; text-align: center; background: #f2f2f2; }}
th.label {{ background: #fafafa; vertical-align: top; }}
td.amount, td.number {{ text-align: right; font-variant-numeric: tabular-nums; }}
td.seq, td.short, td.row-no {{ text-align: center; }}
td p, th p {{ margin: 0 0 2.5mm; }}
td p:last-child, th p:last-child {{ margin-bottom: 0; }}
thead {{ display: table-header-group; }}
tr, tbody.group {{ page-break-inside: avoid; break-inside: avoid; }}
.note {{ font-size: 9pt; line-height: 1.5; }}
table.signature, table.signature td {{ border: 0; background: none; }}
table.signature {{ margin-top: 8mm; break-inside: avoid; }}
table.signature td {{ padding: 2.5mm 1mm; vertical-align: bottom; }}
.signature .value {{ display: inline-block; min-width: 30mm; border-bottom: 0.6pt solid #000; padding: 0 1mm; }}
.signature .unit .value {{ min-width: 80mm; }}
.watermark {{ position: fixed; top: 38%; left: 0; right: 0; text-align: center; font-size: 110pt;
  font-weight: bold; color: rgba(0, 0, 0, 0.10); transform: rotate(-30deg); z-index: -1; }}
@media print {{ body {{ padding: 0; max-width: none; }} }}
"""


def _text(text: str) -> str:
    lines = text.splitlines()
    if len(lines) <= 1:
        return html.escape(text, quote=False)
    # Paragraphs, not <br>: the gap between them tells a PDF reader a line break from a wrap.
    return "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in lines)


def _cell(cell: Cell, header_row: bool) -> str:
    spans = "".join(
        f' {name}="{value}"'
        for name, value in (("rowspan", cell.rowspan), ("colspan", cell.colspan))
        if value > 1
    )
    if cell.role in {"label", "heading"}:
        scope = "col" if cell.role == "heading" or header_row else "row"
        css = "" if cell.role == "heading" else ' class="label"'
        return f'<th scope="{scope}"{css}{spans}>{_text(cell.text)}</th>'
    if cell.role == "goal":
        points = "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in cell.text.splitlines())
        return f'<td class="goal"{spans}>{points}</td>'
    css = f' class="{cell.role}"' if cell.role in {"amount", "number", "seq", "short"} else ""
    return f"<td{css}{spans}>{_text(cell.text)}</td>"


#: Width in per cent of the 行 column a numbered indicator table starts with.
NUMBER_WIDTH: Final = 5


def _number(block: Block, index: int) -> str:
    """The 行 cell of a numbered table's row ``index``: the heading, a row number or nothing."""
    if index < block.head_rows:
        return '<th scope="col">行</th>'
    number = block.row_numbers[index] if index < len(block.row_numbers) else None
    return f'<td class="row-no">{number}</td>' if number is not None else "<td></td>"


def _table(block: Block, caption: str, keep_groups: bool, numbered: bool = False) -> str:
    head_rows = block.head_rows
    widths = block.widths
    if numbered:
        widths = (NUMBER_WIDTH, *(round(w * (100 - NUMBER_WIDTH) / 100) for w in widths))
    columns = "".join(f'<col style="width:{w}%">' for w in widths)
    rows = [
        (f'<tr data-row="{block.row_numbers[index]}">' if numbered and _numbered(block, index) else "<tr>")
        + (_number(block, index) if numbered else "")
        + "".join(_cell(cell, index < head_rows) for cell in row)
        + "</tr>"
        for index, row in enumerate(block.rows)
    ]
    head = f"<thead>{''.join(rows[:head_rows])}</thead>" if head_rows else ""
    # One <tbody> per part that a label in the first column heads (a section, an 一级指标); the
    # indicator groups are kept on one page where they fit: a merged label cut by a page break loses
    # its text in print.  (The task sections are long: their labels stand at the top instead.)
    starts = sorted(
        {r for r, c, cell in placed_cells(block) if c == 0 and cell.role == "label" and r >= head_rows}
    )
    bounds = [head_rows, *(r for r in starts if r > head_rows), len(rows)]
    body = '<tbody class="group">' if keep_groups else "<tbody>"
    bodies = "".join(f"{body}{''.join(rows[a:b])}</tbody>" for a, b in pairwise(bounds) if a < b)
    # No <caption>: spreadsheet and word processors importing the page put it into the first cell.
    # border="1" keeps the grid where a program ignores the CSS (LibreOffice's HTML import).
    return f'<table border="1" aria-label="{html.escape(caption)}"><colgroup>{columns}</colgroup>{head}{bodies}</table>'


def signature_block(signature: Signature) -> str:
    """The lines to sign and stamp on (print to sign), below the form."""
    cells = [
        f'<td class="{kind}"{span}>{html.escape(label)}：<span class="value">{html.escape(value)}</span></td>'
        for (label, value), kind, span in zip(
            signature.lines(),
            ("unit", "head", "filer", "phone", "date"),
            (' colspan="3"', "", "", "", ' colspan="3"'),
            strict=True,
        )
    ]
    rows = (cells[:1], cells[1:4], cells[4:])
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f'<table class="signature" aria-label="签章">{body}</table>'


def _numbered(block: Block, index: int) -> bool:
    return index < len(block.row_numbers) and block.row_numbers[index] is not None


def html_body(
    table: TargetTable, top: int = 1, *, numbered: bool = False, signature: Signature | None = None
) -> str:
    """The table's headings and tables in the official layout, to place inside a page.

    ``top`` is the level of the title's heading (the section headings are one below): 2 inside a
    page that has its own ``<h1>``.  ``numbered``: the indicator table starts with a 行 column
    giving each indicator's row (the ``row`` its findings and review comments name; tasks have
    their 序号), for the web pages; the official form has none.  ``signature``: the lines to
    sign on, after the form (print to sign).
    """
    parts = [part for block in layout(table) if (part := block_html(block, top, numbered=numbered))]
    if signature is not None:
        parts.append(signature_block(signature))
    return "\n".join(parts)


def block_html(block: Block, top: int = 1, *, numbered: bool = False, caption: str = "") -> str:
    """One laid-out block as HTML: a heading, the note, or a table (``caption`` names a table other
    than the target table's two)."""
    if block.kind == "title":
        # a table without a title gets none: the page's <title> names it
        return f"<h{top}>{html.escape(block.text)}</h{top}>" if block.text else ""
    if block.kind == "heading":
        return f"<h{top + 1}>{html.escape(block.text)}</h{top + 1}>"
    if block.kind == "note":
        return f'<p class="note">{html.escape(block.text)}</p>'
    if block.name == "main":
        main = _table(block, "基本信息、预算整体情况、总体绩效目标与任务", keep_groups=False)
        return f'<p class="unit">金额单位：万元</p>\n{main}'
    if block.name == "indicators":
        return _table(block, "绩效指标", keep_groups=True, numbered=numbered)
    # Each part a label heads (a self-evaluation's funds, tasks, indicators) kept on one page where
    # it fits: a row cut from its merged label by a page break reads as part of the row above.
    return _table(block, caption, keep_groups=True)


def page(title: str, body: str, mark: str = "") -> str:
    """A standalone HTML page around ``body`` with the form's print style."""
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{mark}<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_html(table: TargetTable, *, signature: Signature | None = None, watermark: str = "") -> str:
    """The table as a standalone HTML page in the official layout.

    ``signature``: the lines to sign and stamp on below the form; ``watermark``: a word (such as
    草稿) printed large and faint across every page.
    """
    title = table.title or "部门整体预算绩效目标表"
    mark = ""
    if watermark:
        # Also in each page's top margin, upright: a reader (or pdftotext) finds the word there.
        quoted = "".join(f"\\{ord(char):x} " if not char.isalnum() else char for char in watermark)
        mark = (
            f'<style>@page {{ @top-right {{ content: "{quoted}"; font-size: 9pt; color: #666; }} }}</style>\n'
            f'<div class="watermark" aria-hidden="true">{html.escape(watermark)}</div>\n'
        )
    return page(title, html_body(table, signature=signature), mark)
