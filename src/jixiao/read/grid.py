"""The grid step: every reader turns its source into rows of plain-text cells.

A reader produces :class:`GridRow` values (cells as strings, where in the source the row was).
:func:`build_grid` cleans them the same way for every format: HTML inside cells becomes text,
cells are stripped and trailing empty cells dropped.  Labels lost to merged cells are filled down
by the mapper, which knows what each column means.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from jixiao.read.cells import html_to_text


@dataclass(slots=True)
class GridRow:
    """One row of a table as cells of plain text; ``line`` is its 1-based place in the source."""

    cells: list[str]
    line: int

    @property
    def is_blank(self) -> bool:
        return not any(self.cells)

    def non_empty(self) -> list[tuple[int, str]]:
        return [(index, cell) for index, cell in enumerate(self.cells) if cell]


def clean_cells(cells: Sequence[str]) -> list[str]:
    """Cells as plain stripped text, without trailing empty cells."""
    cleaned = [html_to_text(cell) if cell else "" for cell in cells]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return cleaned


def build_grid(rows: Iterable[tuple[int, Sequence[str]]]) -> list[GridRow]:
    """The grid of ``(line, cells)`` pairs, cleaned; blank rows are kept (as empty rows) for positions."""
    return [GridRow(clean_cells(cells), line) for line, cells in rows]
