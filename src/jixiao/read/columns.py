"""The columns of a task or indicator table: what each holds, from its heading row, and how a data
row's cells are put under them (a row with extra empty cells, left by lost merges, is fitted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Final

from jixiao.findings import Finding, Location, finding
from jixiao.read.cells import label_key

#: Rows with more empty cells than this to choose from are fitted on their rightmost ones.
MAX_FIT_CANDIDATES: Final = 10
#: Beyond this many cells to drop, the rightmost empty cells go (trying every way would be slow).
MAX_FIT_EXCESS: Final = 4
#: A task table printed without its heading row: 序号, 名称, 主要实施内容, 拟投入金额.
TASK_DEFAULT_COLUMNS: Final = ("seq", "name", "content", "amount")
#: An indicator table printed without its heading row: the seed's seven columns.
INDICATOR_DEFAULT_COLUMNS: Final = ("level1", "level2", "name", "explanation", "comparator", "value", "unit")


def quote_cells(cells: list[str]) -> str:
    """Cells as a finding quotes them: 「a」 | 「b」, empty ones left out."""
    return " | ".join(f"「{cell}」" for cell in cells if cell)


@dataclass(slots=True)
class Columns:
    """What each column of a task or indicator table holds, from its heading row.

    ``unknown`` are columns under a heading the form does not have (备注, say); what stands in
    them is reported, not read into another field.
    """

    fields: dict[int, str]
    label_column: int | None = None
    unknown: dict[int, str] = field(default_factory=dict)
    #: What may stand in the label column (the part's own labels: 年度重点工作任务, 绩效指标 …).
    labels: frozenset[str] = frozenset()
    width: int = field(init=False)
    first: int = field(init=False)
    positions: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        self.width = max([*self.fields, *self.unknown]) + 1
        self.first = min(self.fields)
        self.positions = frozenset(self.fields) | frozenset(self.unknown)

    def read(self, cells: list[str], line: int, findings: list[Finding]) -> dict[str, str]:
        """The row's cells by field, after fitting a row that has extra empty columns."""
        row = list(cells)
        unplaced = []
        if self.label_column is not None and self.label_column < len(row):
            if row[self.label_column] and label_key(row[self.label_column]) not in self.labels:
                unplaced.append(row[self.label_column])  # （续表） where the part's label stands
            row[self.label_column] = ""
        row = fit(row, self.positions, self.width, self.first)
        unplaced += [f"{self.unknown[i]}：{row[i]}" for i in sorted(self.unknown) if i < len(row) and row[i]]
        unplaced += [cell for cell in row[self.width :] if cell]
        if unplaced:
            findings.append(
                finding("cells-unplaced", Location(line=line), line=line, cells=quote_cells(unplaced))
            )
        return {name: (row[index] if index < len(row) else "") for index, name in self.fields.items()}


def fit(row: list[str], columns: frozenset[int], width: int, first: int) -> list[str]:
    """Drop the empty cells a lost column span left behind until the row is as wide as its headings.

    Text taken from a page with merged cells has empty cells after spanning ones.  Of the ways to
    drop enough empty cells, the one that puts the most filled cells under a heading wins; among
    equals, the one that drops the rightmost cells.
    """
    while len(row) > width and not row[-1]:
        row.pop()
    excess = len(row) - width
    if excess <= 0:
        return row
    empties = [i for i in range(first + 1, len(row)) if not row[i]]
    if len(empties) < excess:
        return row
    if excess > MAX_FIT_EXCESS:
        drop = set(empties[-excess:])
        return [cell for index, cell in enumerate(row) if index not in drop]
    if len(empties) > MAX_FIT_CANDIDATES:
        empties = empties[-MAX_FIT_CANDIDATES:]
    filled = [i for i, cell in enumerate(row) if cell]

    def placed(drop: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        under_heading = sum(1 for i in filled if i - sum(1 for d in drop if d < i) in columns)
        return under_heading, drop

    best = max(combinations(empties, excess), key=placed)
    return [cell for index, cell in enumerate(row) if index not in best]


def default_columns(
    names: tuple[str, ...], first: int, label_column: int | None = None, labels: frozenset[str] = frozenset()
) -> Columns:
    """Columns ``names`` from column ``first`` on, for a table printed without its heading row."""
    return Columns({first + i: name for i, name in enumerate(names)}, label_column, labels=labels)


def unknown_headings(
    cells: list[str], keys: list[str], known: dict[int, str], label_column: int | None, labels: frozenset[str]
) -> dict[int, str]:
    """Headings in a heading row that this table does not have, by column (a heading of the other
    table, 序号 in the indicators say, is one of them); ``labels``: the part labels that may stand
    in a heading row and head no column."""
    return {
        i: cell
        for i, cell in enumerate(cells)
        if cell and i not in known and i != label_column and keys[i] not in labels
    }
