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
from typing import Final, Literal, Optional

from jixiao.model import Indicator, TargetTable, Task, format_amount
from jixiao.model.framework import FRAMEWORKS, framework_of
from jixiao.model.table import Text

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


#: Indicator columns some layouts add (重庆's 指标权重, 湖南's 指标值类型 and 评(扣)分标准): the field,
#: its heading (a label the reader knows) and its width.  A column is printed only when some
#: indicator has the field, so a table without them keeps the seed's layout exactly.
INDICATOR_EXTRAS: Final = (
    ("weight", "指标权重", 7),
    ("value_type", "指标值类型", 8),
    ("scoring_standard", "评(扣)分标准", 18),
)
#: The label of the optional 支出预算总量 row (one the reader knows).
TOTAL_EXPENDITURE_LABEL: Final = "支出预算总量"


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


#: The annotation of an optional text field of the model (``Text | None``).
_OPTIONAL_TEXT: Final[object] = Optional[Text]  # noqa: UP045 (pydantic keeps typing.Optional)


def optional_texts(table: TargetTable) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(label, text) of each optional text the table has (部门职能概述, 长期绩效目标 …), those the
    model lists before 总体绩效目标 and those after it, in the model's order.

    Taken from the model, whose field titles are labels the reader knows: a text field added to
    the model is printed, and read back, without a change here.
    """
    before: list[tuple[str, str]] = []
    after: list[tuple[str, str]] = []
    side = before
    for name, info in TargetTable.model_fields.items():
        if name == "overall_goal":
            side = after
        value = getattr(table, name)
        if info.annotation == _OPTIONAL_TEXT and value is not None and info.title:
            side.append((info.title, value))
    return before, after


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
    ]
    if budget.total_expenditure is not None:
        total = budget.total_expenditure
        rows.append(
            [
                Cell(TOTAL_EXPENDITURE_LABEL, "label"),
                Cell(format_amount(total), "amount", colspan=width - 1, amount=total),
            ]
        )
    before_goal, after_goal = optional_texts(table)
    rows.extend([Cell(label, "label"), Cell(text, "goal", colspan=width - 1)] for label, text in before_goal)
    rows.append([Cell("总体绩效目标", "label"), Cell(table.overall_goal, "goal", colspan=width - 1)])
    rows.extend([Cell(label, "label"), Cell(text, "goal", colspan=width - 1)] for label, text in after_goal)
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


def indicator_extras(table: TargetTable) -> list[tuple[str, str, int]]:
    """The optional indicator columns some indicator of ``table`` fills, in print order."""
    return [
        extra for extra in INDICATOR_EXTRAS if any(getattr(i, extra[0]) is not None for i in table.indicators)
    ]


def _extra_cell(indicator: Indicator, field_name: str) -> Cell:
    value = getattr(indicator, field_name)
    if field_name == "weight":
        return _amount(value)
    return Cell(value or "", "short" if field_name == "value_type" else "text")


#: Comparators that read back from inside a value (``≥120``).
_SYMBOLS: Final = frozenset({"≥", "≤", "=", ">", "<"})


def _comparator_in_value(table: TargetTable) -> bool:
    """True when some indicator has no comparator (its layout had no 对比符号 column): the form then
    has no such column either and prints each comparator inside its value, as 湛江's form does, so
    that an absent comparator stays absent rather than coming back as an empty one."""
    indicators = table.indicators
    return any(i.comparator is None for i in indicators) and all(
        i.comparator is None
        or i.comparator in _SYMBOLS
        or (i.comparator == "定性" and i.value_type == "定性")
        for i in indicators
    )


def indicator_columns(table: TargetTable) -> list[tuple[str, int]]:
    """(heading, width in per cent) of each column of 绩效指标.

    The seven of the official form; without 一级/二级 columns when no indicator has a level (重庆's
    single list), without 对比符号 when comparators go inside the values, and with the optional
    columns some indicator fills.  A table of the official form keeps exactly its seven columns.
    """
    with_levels = not table.indicators or any(i.level1 or i.level2 for i in table.indicators)
    dropped = ({"对比符号"} if _comparator_in_value(table) else set()) | (
        set() if with_levels else {"一级指标", "二级指标"}
    )
    columns = [(h, w) for h, w in zip(INDICATOR_HEADINGS, INDICATOR_WIDTHS, strict=True) if h not in dropped]
    columns += [(heading, width) for _, heading, width in indicator_extras(table)]
    if len(columns) == len(INDICATOR_HEADINGS) and not set(dict(columns)) - set(INDICATOR_HEADINGS):
        return columns
    scaled = [round(width * 100 / sum(w for _, w in columns)) for _, width in columns]
    widest = scaled.index(max(scaled))
    scaled[widest] += 100 - sum(scaled)  # the widest column takes the rounding
    return [(heading, width) for (heading, _), width in zip(columns, scaled, strict=True)]


def _indicator_cells(indicator: Indicator, headings: list[str]) -> list[Cell]:
    comparator = indicator.comparator or ""
    in_value = "对比符号" not in headings and comparator in _SYMBOLS
    cells = {
        "三级指标": Cell(indicator.name),
        "三级指标解释": Cell(indicator.explanation),
        "对比符号": Cell(comparator, "short"),
        "指标值": Cell(comparator + indicator.value if in_value else indicator.value, "short"),
        "计量单位": Cell(indicator.unit, "short"),
        **{heading: _extra_cell(indicator, name) for name, heading, _ in INDICATOR_EXTRAS},
    }
    return [cells[heading] for heading in headings if heading not in {"一级指标", "二级指标"}]


def indicator_table(table: TargetTable) -> Block:
    """绩效指标: every 二级 row of the framework, filled or not (or, for indicators without levels,
    the one list they came in)."""
    columns = indicator_columns(table)
    headings = [heading for heading, _ in columns]
    rows: list[list[Cell]] = [[Cell(h, "heading") for h in headings]]
    number_of = {id(indicator): index for index, indicator in enumerate(table.indicators, start=1)}
    numbers: list[int | None] = [None]
    if "一级指标" not in headings:
        for listed in table.indicators:
            rows.append(_indicator_cells(listed, headings))
            numbers.append(number_of[id(listed)])
    for level1, groups in _indicator_groups(table) if "一级指标" in headings else ():
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
                    row.extend(Cell() for _ in range(len(headings) - 2))
                else:
                    row.extend(_indicator_cells(indicator, headings))
                rows.append(row)
                numbers.append(None if indicator is None else number_of[id(indicator)])
    return Block(
        "table",
        rows=rows,
        columns=len(headings),
        name="indicators",
        widths=tuple(width for _, width in columns),
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
