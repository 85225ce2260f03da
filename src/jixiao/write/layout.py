"""The printed form, described once: what every writer lays out.

:func:`layout` turns a table into blocks — the title, the main table (部门, 基本信息, 预算整体情况,
总体绩效目标, tasks), the 绩效指标 heading and table with the full framework, the 填报要求 note —
each table as rows of :class:`Cell` values with their spans.  The text writer renders it as the
seed's tab-separated text; the office-format writers render the same description.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal

from jixiao.model import Indicator, TargetTable, Task, format_amount
from jixiao.model.framework import FRAMEWORKS, framework_of

#: What a cell holds, for the writers' styles: ``short`` is a comparator, target or unit (centred).
Role = Literal["label", "heading", "text", "amount", "number", "seq", "short", "goal"]

FILLING_REQUIREMENTS: Final = (
    "填报要求：1.“财政供养人员数量”统计范围包括主管部门和下属二级预算单位；"
    "2.“总体绩效目标”应体现与年度重点工作任务的关联性，可进行分点表述，总字数不得少于50字；"
    "3.“项目支出”的预算金额应等于年度重点工作任务和其他需完成任务的拟投入金额汇总数。"
)
AMOUNT_HEADING: Final = "预算金额(万元)"
INDICATOR_HEADINGS: Final = (
    "一级指标",
    "二级指标",
    "三级指标",
    "三级指标解释",
    "对比符号",
    "指标值",
    "计量单位",
)


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell of the printed form; a cell covered by another's span is not listed."""

    text: str = ""
    role: Role = "text"
    colspan: int = 1
    rowspan: int = 1
    amount: Decimal | None = None


#: Column widths in per cent of the page: the main table with 4 or 5 task columns, the indicators.
MAIN_WIDTHS: Final = {5: (12, 14, 24, 37, 13), 6: (11, 12, 19, 26, 20, 12)}
INDICATOR_WIDTHS: Final = (11, 13, 19, 25, 8, 13, 11)


@dataclass(slots=True)
class Block:
    """A part of the page: a title or heading line, a table, or the closing note.

    A table names itself (``main`` or ``indicators``), gives its column widths in per cent and the
    number of heading rows to repeat on each page.
    """

    kind: Literal["title", "heading", "table", "note"]
    text: str = ""
    rows: list[list[Cell]] = field(default_factory=list)
    columns: int = 0
    name: Literal["", "main", "indicators"] = ""
    widths: tuple[int, ...] = ()
    head_rows: int = 0
    #: Per row of a table, the 1-based position in ``table.indicators`` of the indicator it prints
    #: (a finding's ``row``); None for heading rows and empty 二级 rows.  Only the indicator table
    #: fills it; a writer may print it as a 行 column (the web pages do; the official forms do not).
    row_numbers: list[int | None] = field(default_factory=list)


def _amount(value: Decimal | None) -> Cell:
    return Cell(format_amount(value) if value is not None else "", "amount", amount=value)


def _count(value: int | None) -> Cell:
    return Cell("" if value is None else str(value), "number")


def _task_columns(table: TargetTable) -> tuple[str, ...]:
    with_outcome = any(task.expected_outcome is not None for task in table.tasks)
    return (
        ("序号", "名称", "主要实施内容", "期望达到的目标", "拟投入金额(万元)")
        if with_outcome
        else ("序号", "名称", "主要实施内容", "拟投入金额(万元)")
    )


def _task_cells(task: Task, with_outcome: bool) -> list[Cell]:
    cells = [Cell(str(task.seq), "seq"), Cell(task.name), Cell(task.content)]
    if with_outcome:
        cells.append(Cell(task.expected_outcome or ""))
    cells.append(_amount(task.amount))
    return cells


def main_table(table: TargetTable) -> Block:
    """部门名称 … 其他需完成任务: a label column and the task table's columns."""
    headings = _task_columns(table)
    width = 1 + len(headings)
    wide = width - 3  # the span of a value between two label/value pairs
    department, budget = table.department, table.budget
    rows: list[list[Cell]] = []
    if table.year is not None and str(table.year) not in table.title:
        # The form takes its year from the title; without one there, the year gets a row.
        rows.append([Cell("年度", "label"), Cell(str(table.year), "number", colspan=width - 1)])
    rows += [
        [
            Cell("部门名称", "label"),
            Cell(department.name, colspan=wide),
            Cell("资金主管部门", "label"),
            Cell(department.competent_department),
        ],
        [
            Cell("基本信息", "label"),
            Cell("财政供养人员数", "label", colspan=wide - 1),
            _count(department.staff_count),
            Cell("下属二级单位数", "label"),
            _count(department.subordinate_unit_count),
        ],
        [
            Cell("预算整体情况", "label", rowspan=3),
            Cell("财政支出分类", "heading", colspan=wide - 1),
            Cell(AMOUNT_HEADING, "heading"),
            Cell("收入来源", "heading"),
            Cell(AMOUNT_HEADING, "heading"),
        ],
        [
            Cell("基本支出", "label", colspan=wide - 1),
            _amount(budget.basic_expenditure),
            Cell("财政拨款", "label"),
            _amount(budget.fiscal_appropriation),
        ],
        [
            Cell("项目支出", "label", colspan=wide - 1),
            _amount(budget.project_expenditure),
            Cell("其他资金", "label"),
            _amount(budget.other_funds),
        ],
        [Cell("总体绩效目标", "label"), Cell(table.overall_goal, "goal", colspan=width - 1)],
    ]
    with_outcome = len(headings) == 5
    key = [task for task in table.tasks if task.kind == "key"]
    other = [task for task in table.tasks if task.kind == "other"]
    rows.append(
        [Cell("年度重点工作任务", "label", rowspan=1 + len(key)), *(Cell(h, "heading") for h in headings)]
    )
    rows.extend(_task_cells(task, with_outcome) for task in key)
    other_rows = [_task_cells(task, with_outcome) for task in other] or [[Cell() for _ in headings]]
    other_rows[0].insert(0, Cell("其他需完成任务", "label", rowspan=len(other_rows)))
    rows.extend(other_rows)
    return Block("table", rows=rows, columns=width, name="main", widths=MAIN_WIDTHS[width])


def _indicator_groups(table: TargetTable) -> Iterator[tuple[str, list[tuple[str, list[Indicator]]]]]:
    """一级 → [(二级, its indicators)], the full framework in print order, then unknown pairs."""
    framework = FRAMEWORKS[framework_of({(i.level1, i.level2) for i in table.indicators})]
    placed: set[int] = set()
    for level1, level2s in framework.items():
        groups = []
        for level2 in level2s:
            members = [i for i in table.indicators if (i.level1, i.level2) == (level1, level2)]
            placed.update(id(i) for i in members)
            groups.append((level2, members))
        # a 二级 spelled otherwise (社会公众或服务对象满意度指标) stays under its 一级
        extra = [i for i in table.indicators if i.level1 == level1 and id(i) not in placed]
        for indicator in extra:
            placed.add(id(indicator))
            groups.append((indicator.level2, [indicator]))
        yield level1, groups
    rest = [i for i in table.indicators if id(i) not in placed]
    for indicator in rest:
        yield indicator.level1, [(indicator.level2, [indicator])]


def printed_order(table: TargetTable) -> list[int]:
    """The 0-based positions in ``table.indicators`` in the order the printed form shows them
    (grouped by the framework, stable within a group)."""
    position = {id(indicator): index for index, indicator in enumerate(table.indicators)}
    return [
        position[id(indicator)]
        for _, groups in _indicator_groups(table)
        for _, members in groups
        for indicator in members
    ]


def indicator_table(table: TargetTable) -> Block:
    """绩效指标: every 二级 row of the framework, filled or not."""
    rows: list[list[Cell]] = [[Cell(h, "heading") for h in INDICATOR_HEADINGS]]
    number_of = {id(indicator): index for index, indicator in enumerate(table.indicators, start=1)}
    numbers: list[int | None] = [None]
    for level1, groups in _indicator_groups(table):
        first_of_level1 = True
        for level2, members in groups:
            span = max(len(members), 1)
            for position, indicator in enumerate(members or [None]):
                row: list[Cell] = []
                if first_of_level1:
                    row.append(Cell(level1, "label", rowspan=sum(max(len(m), 1) for _, m in groups)))
                    first_of_level1 = False
                if position == 0:
                    row.append(Cell(level2, "label", rowspan=span))
                if indicator is None:
                    row.extend(Cell() for _ in range(5))
                else:
                    row.extend(
                        (
                            Cell(indicator.name),
                            Cell(indicator.explanation),
                            Cell(indicator.comparator or "", "short"),
                            Cell(indicator.value, "short"),
                            Cell(indicator.unit, "short"),
                        )
                    )
                rows.append(row)
                numbers.append(None if indicator is None else number_of[id(indicator)])
    return Block(
        "table",
        rows=rows,
        columns=len(INDICATOR_HEADINGS),
        name="indicators",
        widths=INDICATOR_WIDTHS,
        head_rows=1,
        row_numbers=numbers,
    )


@dataclass(frozen=True, slots=True)
class Signature:
    """The lines a printed table is signed and stamped on, below the form (print to sign).

    A value left empty prints as a blank line to fill in by hand.
    """

    unit: str = ""
    head: str = ""
    filer: str = ""
    phone: str = ""
    date: str = ""

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) in print order: 填报单位（盖章）, 单位负责人, 填报人, 联系电话, 填报日期."""
        return [
            ("填报单位（盖章）", self.unit),
            ("单位负责人", self.head),
            ("填报人", self.filer),
            ("联系电话", self.phone),
            ("填报日期", self.date),
        ]


def layout(table: TargetTable) -> list[Block]:
    """The whole printed form of ``table``, in page order."""
    return [
        Block("title", text=table.title),
        main_table(table),
        Block("heading", text="绩效指标"),
        indicator_table(table),
        Block("note", text=FILLING_REQUIREMENTS),
    ]


def placed_cells(block: Block) -> Iterator[tuple[int, int, Cell]]:
    """Each cell of a table block with its (row, column) on the full grid, spans accounted for."""
    covered: set[tuple[int, int]] = set()
    for r, cells in enumerate(block.rows):
        column = 0
        for cell in cells:
            while (r, column) in covered:
                column += 1
            yield r, column, cell
            covered.update((r + dr, column + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            column += cell.colspan


def grid_of(block: Block) -> list[list[Cell | None]]:
    """A table block on its full grid: each position holds its cell, or None where covered."""
    grid: list[list[Cell | None]] = [[None] * block.columns for _ in block.rows]
    for r, c, cell in placed_cells(block):
        grid[r][c] = cell
    return grid
