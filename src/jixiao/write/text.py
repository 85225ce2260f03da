"""The text writer: the published text form, as ``spec/seed.txt`` has it.

Tab-separated rows; a spanned cell is followed by empty cells for the columns it covers and rows
under a row-spanning label leave that column empty.  A cell whose text would break the form (line
breaks, tabs, or characters HTML would read) is written as HTML, as published pages do.
"""

from __future__ import annotations

import html
import re
from typing import Final

from jixiao.model import TargetTable
from jixiao.write.layout import Block, Cell, grid_of, layout

_NEEDS_HTML: Final = re.compile(r"[\n\t<>&]")


def _cell_text(cell: Cell | None) -> str:
    if cell is None or not cell.text:
        return ""
    if cell.role == "goal":
        return " ".join(f"<p>{html.escape(line, quote=False)}</p>" for line in cell.text.splitlines())
    if _NEEDS_HTML.search(cell.text) is None:
        return cell.text
    lines = (html.escape(line.replace("\t", " "), quote=False) for line in cell.text.splitlines())
    return "<br>".join(lines) or html.escape(cell.text, quote=False)


def write_text(table: TargetTable) -> str:
    """The table in the text form; reading it back gives the same table."""
    return blocks_text(layout(table))


def blocks_text(blocks: list[Block]) -> str:
    """Laid-out blocks (a table's, a self-evaluation's) in the text form."""
    out: list[str] = ["", ""]
    for block in blocks:
        if block.kind == "title":
            if block.text:
                out += [f"## {block.text}", ""]
        elif block.kind == "heading":
            out += ["", f"#### {block.text}", ""]
        elif block.kind == "note":
            out += ["", block.text]
        else:
            out.extend("\t".join(_cell_text(cell) for cell in row) for row in grid_of(block))
    return "\n".join(out) + "\n"
