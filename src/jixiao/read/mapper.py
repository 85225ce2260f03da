"""The label-driven mapper: a grid of cells → a :class:`TargetTable`, the reading findings and the
layout it is in.

One pass over the rows.  Each part of the form has its reader (:mod:`jixiao.read.parts`: header,
budget, goal, tasks, indicators); the mapper hands each row to the part it belongs to.  A row of
the task or indicator table being read, with no label in it, goes straight to that table (the
common case).  A row with labels is offered to the parts' label handlers in :attr:`_Mapper.handlers`
order, the first that takes it wins; what is left is a row of the part being read, or reported
(``row-unrecognized``) with its cells quoted, so nothing is dropped silently.  Each field is found
by its label (``jixiao.read.labels``), columns by their headings; a heading row seen again (a page
break) is read again harmlessly.  Labels lost to merged cells are filled down; a 一级指标 that
cannot be filled down is inferred from its 二级指标 (``level1-inferred``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, ReadError
from jixiao.layouts import identify
from jixiao.model import TargetTable
from jixiao.model.values import to_halfwidth
from jixiao.read.cells import simplified
from jixiao.read.grid import GridRow
from jixiao.read.labels import (
    FIELD_LABELS,
    HEADINGS,
    INDICATOR_HEADINGS,
    NOTE_PREFIXES,
    PART_LABELS,
    SECTION_LABELS,
    TITLE_MARKER,
)
from jixiao.read.parts import (
    BudgetPart,
    Context,
    GoalPart,
    HeaderPart,
    IndicatorsPart,
    Row,
    TasksPart,
    unit_note,
)

_fold = to_halfwidth
_DATA_STATES: Final = frozenset({"tasks", "indicators"})


@dataclass(slots=True)
class _Mapper:
    context: Context
    budget: BudgetPart = field(init=False)
    header: HeaderPart = field(init=False)
    goal: GoalPart = field(init=False)
    tasks: TasksPart = field(init=False)
    indicators: IndicatorsPart = field(init=False)
    #: The label handlers, in the order they are offered a row with labels.
    handlers: tuple[Callable[[Row], bool], ...] = field(init=False)

    def __post_init__(self) -> None:
        context = self.context
        self.budget = BudgetPart(context)
        self.header = HeaderPart(context, self.budget)
        self.goal = GoalPart(context)
        self.tasks = TasksPart(context)
        self.indicators = IndicatorsPart(context)
        self.handlers = (
            self.header.values_below,
            self._unit_note,
            self._single_cell,
            self._heading,
            self.tasks.total_row,
            self.indicators.total_row,
            self.goal.label_row,
            self.budget.total_row,
            lambda row: self.header.field_row(row, self._label_limit(row)),
            self.tasks.section_label,
            self._section_labels,
        )

    def feed(self, grid_row: GridRow) -> None:
        context = self.context
        if grid_row.is_blank or context.state == "another":
            return  # a second table in the same file is reported once, not read into this one
        row = Row.of(grid_row)
        if self.indicators.rows and self._another_table(row):
            return
        if _fold(row.first[:6]).startswith(NOTE_PREFIXES):
            context.state = "notes"
            context.note_row(row)
            return
        if (
            context.state in _DATA_STATES
            and not self.header.vertical
            and not row.has_labels
            and unit_note(row.first_key) is None
        ):
            self._data_row(row)  # the common case: a row of the task or indicator table
            return
        context.note_labels(row)
        if any(handler(row) for handler in self.handlers):
            return
        if context.state in _DATA_STATES:
            self._data_row(row)
        elif context.state == "goal":
            self.goal.line(row.filled)
        else:
            context.unrecognized(row)

    def _data_row(self, row: Row) -> None:
        if self.context.state == "tasks":
            self.tasks.data_row(row)
        else:
            self.indicators.data_row(row)

    def _data_start(self) -> int | None:
        """The first column of the task or indicator table being read, if one is.

        A cell of a task or indicator row may hold a label's words (a 三级指标 called 项目支出);
        only labels left of the table's data are labels.
        """
        columns = {"tasks": self.tasks.columns, "indicators": self.indicators.columns}.get(self.context.state)
        return None if columns is None else columns.first

    def _label_limit(self, row: Row) -> int | None:
        """Labels of fields count left of the table's data, and in the 一级指标 column, where no
        indicator has such a name (a footer's 填报人 | 张三 after the indicators)."""
        start = self._data_start()
        columns = self.indicators.columns
        if (
            start is not None
            and self.context.state == "indicators"
            and columns is not None
            and columns.fields.get(start) == "level1"
            and row.first_index == start
            and row.first_key in FIELD_LABELS
        ):
            return None
        return start

    def _another_table(self, row: Row) -> bool:
        """After the indicators, a new title or 部门名称 starts a second table: say so and stop.

        部门名称 counts only in the first column, where an indicator row has its 一级指标; in the
        name column it is an indicator's name.
        """
        first = row.first
        title = self.header.title
        new_title = (
            len(row.filled) == 1
            and TITLE_MARKER in simplified(first)
            and first.endswith("表")
            and first != title
        )
        starts_left = row.first_index <= (self._data_start() or 0)
        new_header = starts_left and FIELD_LABELS.get(row.first_key) == ("department", "name")
        if not (new_title or new_header):
            return False
        self.context.state = "another"
        self.context.report("more-tables", Location(line=row.line), line=row.line)
        return True

    def _single_cell(self, row: Row) -> bool:
        """绩效指标 alone, or the title (with perhaps a 单位：元 note beside it); a lone cell that is
        neither is data after all."""
        alone = all(unit_note(row.keys[i]) is not None for i, _ in row.filled[1:])
        return alone and (self.indicators.heading_cell(row) or self.header.title_cell(row))

    def _unit_note(self, row: Row) -> bool:
        """单位：万元 above a table (its unit was noted with the row's labels); anything else on the
        row is reported."""
        if unit_note(row.first_key) is None:
            return False
        rest = [cell for i, cell in row.filled if unit_note(row.keys[i]) is None]
        self.context.unplaced(rest, row.line)
        return True

    def _heading(self, row: Row) -> bool:
        """The heading row of the indicator or the task table."""
        return not HEADINGS.isdisjoint(row.keys) and (self.indicators.heading(row) or self.tasks.heading(row))

    def _section_labels(self, row: Row) -> bool:
        """A row of labels that only head a part (预算整体情况 | 财政支出分类 | 收入来源)."""
        keys = [row.keys[i] for i, _ in row.filled]
        if not all(key in SECTION_LABELS for key in keys):
            return False
        if not INDICATOR_HEADINGS.isdisjoint(keys):
            self.indicators.seen = True
        return True

    def table(self) -> TargetTable:
        header = self.header
        if not header.saw_department_label and not self.indicators.seen:
            raise ReadError("not-a-target-table", Location(section="file"), source=self.context.source)
        year = header.table_year()
        if year is None:
            title = header.title
            where = PHRASES["year-not-in-title"].format(title=title) if title else PHRASES["no-title"]
            self.context.report("year-missing", Location("title", field="year"), where=where)
        self.budget.check_shares()
        self.context.finish()
        self.indicators.finish()
        return TargetTable.model_validate(
            {
                "title": header.title,
                "year": year,
                "department": header.department,
                **header.preparation,
                "budget": self.budget.amounts,
                **self.goal.fields(),
                "tasks": self.tasks.rows,
                "indicators": self.indicators.rows,
            }
        )


@dataclass(frozen=True, slots=True)
class Mapped:
    table: TargetTable
    findings: list[Finding]
    #: The layout the labels seen belong to (``jixiao.layouts.identify``).
    layout: str
    #: The parts (``labels.PART_LABELS``) none of whose labels the source shows.
    unprinted: frozenset[str]


def map_grid(rows: list[GridRow], source: str) -> Mapped:
    """Map a grid to a table, the findings made while reading it and the layout it is in.

    Raises :class:`ReadError` (``not-a-target-table``) when nothing in it looks like the form.
    """
    mapper = _Mapper(Context(source))
    for row in rows:
        mapper.feed(row)
    table = mapper.table()
    seen = mapper.context.labels_seen
    layout = identify(seen, simplified(_fold(mapper.header.title)))
    unprinted = frozenset(part for part, labels in PART_LABELS.items() if labels.isdisjoint(seen))
    return Mapped(table, mapper.context.findings, layout, unprinted)
