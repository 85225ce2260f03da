"""The grid step: every reader turns its source into rows of plain-text cells.

A reader produces :class:`GridRow` values (cells as strings, where in the source the row was).
:func:`build_grid` cleans them the same way for every format: invisible characters go, cells are
stripped and trailing empty cells dropped; in a text export, whose cells hold HTML, that HTML
becomes text (the other formats' cells are text already: their markup was read by their reader).  Formats with merged cells lay them out with
:func:`expand_spans` first; labels lost to merged cells are filled down by the mapper, which knows
what each column means.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from jixiao.read.cells import html_to_text, label_key, plain_text, simplified
from jixiao.read.labels import FIELD_LABELS, FORM_TEXT, INDICATOR_COLUMNS, TASK_SECTION_LABELS


@dataclass(slots=True)
class GridRow:
    """One row of a table as cells of plain text; ``line`` is its 1-based place in the source."""

    cells: list[str]
    line: int

    @property
    def is_blank(self) -> bool:
        return not any(self.cells)


def clean_cells(
    cells: Sequence[str], markup: bool = False, clean: Callable[[str], str] | None = None
) -> list[str]:
    """Cells as plain stripped text, without trailing empty cells; ``markup``: cells hold HTML.

    ``clean``: the cleaning to use instead, chosen for a whole text (``cells.cleaner_for``).
    """
    clean = clean or (html_to_text if markup else plain_text)
    cleaned = [clean(cell) if cell else "" for cell in cells]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return cleaned


def build_grid(
    rows: Iterable[tuple[int, Sequence[str]]], markup: bool = False, clean: Callable[[str], str] | None = None
) -> list[GridRow]:
    """The grid of ``(line, cells)`` pairs, cleaned; blank rows are kept (as empty rows) for positions."""
    return [GridRow(clean_cells(cells, markup, clean), line) for line, cells in rows]


@dataclass(frozen=True, slots=True)
class SpannedCell:
    """A cell as a format with merged cells gives it: text at (row, column), covering a rectangle."""

    text: str
    row: int
    column: int
    rowspan: int = 1
    colspan: int = 1


#: The largest grid a form can need: far beyond any real table, far below what exhausts memory.
MAX_GRID_ROWS: Final = 20_000
MAX_GRID_COLUMNS: Final = 200
MAX_GRID_CELLS: Final = 400_000


class GridTooLarge(ValueError):
    """Spans or positions that would lay out a grid beyond the limits (a crafted file)."""


def expand_spans(cells: Iterable[SpannedCell]) -> list[list[str]]:
    """Lay spanned cells out on a full grid, one string per position.

    A merged cell's text stands in its top-left position and the positions it covers are empty, as
    text taken from a page with merged cells has them; the mapper fills labels down itself.  Raises
    :class:`GridTooLarge` beyond the limits, before allocating anything of that size.
    """
    placed: dict[tuple[int, int], str] = {}
    height = width = 0
    for cell in cells:
        bottom, right = cell.row + max(cell.rowspan, 1), cell.column + max(cell.colspan, 1)
        if bottom > MAX_GRID_ROWS or right > MAX_GRID_COLUMNS or len(placed) > MAX_GRID_CELLS:
            raise GridTooLarge(f"{bottom} 行 × {right} 列")
        for r in range(cell.row, bottom):
            for c in range(cell.column, right):
                placed.setdefault((r, c), cell.text if (r, c) == (cell.row, cell.column) else "")
        height, width = max(height, bottom), max(width, right)
    return [[placed.get((r, c), "") for c in range(width)] for r in range(height)]


def number_text(value: float | int) -> str:
    """A spreadsheet's number as the text a person typed: ``43.0`` → ``43``, ``0.86075`` stays.

    Spreadsheets keep numbers as binary doubles; the shortest text that reads back as the same
    double is what was typed, so amounts stay exact decimals.
    """
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return format(Decimal(repr(value)), "f")


def is_form_text(text: str) -> bool:
    """True for a paragraph or heading outside the tables that the mapper should see.

    Pages carry menus, footers and other text around the tables; only these lines are the form's.
    Markers are matched in simplified script (長沙縣…績效目標表), and a title that names another
    kind of 绩效 table (湖北's 绩效目标申报表) counts too, as the mapper takes such a line as the title.
    """
    if len(text) > 400:
        return False
    simple = simplified(text)
    return any(marker in simple for marker in FORM_TEXT) or ("绩效" in simple and simple.endswith("表"))


#: Labels whose presence marks a table, sheet or page as the form.
_FORM_LABELS: Final = frozenset(FIELD_LABELS) | frozenset(INDICATOR_COLUMNS) | frozenset(TASK_SECTION_LABELS)


def form_score(texts: Iterable[str]) -> int:
    """How many distinct labels of the form the cells hold: 0 is no form; the most wins."""
    return len({key for key in map(label_key, texts) if key in _FORM_LABELS})
