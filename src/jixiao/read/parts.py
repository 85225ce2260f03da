"""The parts of the form, one reader each: header, budget, goal, tasks and indicators.

The mapper (:mod:`jixiao.read.mapper`) decides which part a row belongs to; each part keeps what
it has read and knows how its rows look.  They share a :class:`Context`: the findings, the part of
the form being read (``state``) and the money unit in force.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, Literal

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import Budget, format_amount
from jixiao.model.framework import (
    LEVEL1_NAMES,
    LEVEL1_OF,
    LEVEL2_NAMES,
    VALID_PAIRS,
    Comparator,
    canonical_level_name,
    normalise_comparator,
    split_leading_comparator,
)
from jixiao.model.values import compact, leading_quantity, parse_number, to_halfwidth
from jixiao.read.cells import Unreadable, label_key, label_keys, parse_amount, parse_count, simplified
from jixiao.read.columns import (
    INDICATOR_DEFAULT_COLUMNS,
    TASK_DEFAULT_COLUMNS,
    Columns,
    default_columns,
    quote_cells,
    unknown_headings,
)
from jixiao.read.grid import GridRow
from jixiao.read.labels import (
    ALL_LABELS,
    FIELD_LABELS,
    GOAL_LABELS,
    INDICATOR_COLUMNS,
    INDICATOR_HEADINGS,
    NOT_A_UNIT_END,
    SECTION_LABELS,
    SHARE_LABELS,
    TASK_COLUMNS,
    TASK_SECTION_LABELS,
    TEXT_LABELS,
    TITLE_MARKER,
    TOTAL_LABELS,
    UNIT_NOTES,
    VALUE_TAGS,
    FieldTarget,
)

State = Literal["start", "header", "goal", "tasks", "indicators", "notes", "another"]

_fold = to_halfwidth
_YEAR: Final = re.compile(r"((?:19|20)\d{2})\s*年")
_INLINE_LABEL: Final = re.compile(r"^([^:：]{2,12})[:：]\s*(.+)$", re.DOTALL)
_UNIT_SUFFIX: Final = re.compile(r"^[%‰A-Za-z²³/·\u4e00-\u9fff]{1,6}$")
#: The money unit a label or unit note names: 拟投入金额（元）, 单位：元, （单位：万元）.
_MONEY_UNIT: Final = re.compile(r"\((万?元)\)$")
#: A note of the money unit, as a label key (simplified, no spaces or colons): 单位：元, （金额单位：
#: 人民币万元）, 单位：元（保留两位小数）; and anywhere in a note row: 注：本表金额单位为元.
_UNIT_NOTE: Final = re.compile(r"^\(?(?:金额)?(?:计量)?单位(?:为|是)?(?:人民币)?(万?元)")
_UNIT_IN_NOTE: Final = re.compile(r"金额(?:计量)?单位(?:为|是)?(?:人民币)?(万?元)")
#: The two sides of 预算整体情况, for a printed 合计 or 占比 (湖北's 收入构成 / 支出构成).
_BUDGET_SIDES: Final = {
    "use": ("basic_expenditure", "project_expenditure"),
    "source": ("fiscal_appropriation", "other_funds"),
}
#: Labels that may stand in a heading row without heading a column: the parts' own labels.
_PART_HEADINGS: Final = frozenset(TASK_SECTION_LABELS) | INDICATOR_HEADINGS | UNIT_NOTES
#: What may stand in the label column beside the task rows.
_TASK_LABEL_COLUMN: Final = frozenset(TASK_SECTION_LABELS)
_SIDE_OF: Final = {name: side for side, names in _BUDGET_SIDES.items() for name in names}


@dataclass(slots=True)
class Row:
    """A non-blank grid row with its label keys and filled cells, worked out once."""

    cells: list[str]
    keys: list[str]
    line: int
    filled: list[tuple[int, str]]

    @classmethod
    def of(cls, row: GridRow) -> Row:
        cells = row.cells
        return cls(cells, label_keys(cells), row.line, [(i, c) for i, c in enumerate(cells) if c])

    @property
    def first_index(self) -> int:
        return self.filled[0][0]

    @property
    def first(self) -> str:
        return self.filled[0][1]

    @property
    def first_key(self) -> str:
        return self.keys[self.filled[0][0]]

    @property
    def has_labels(self) -> bool:
        return not ALL_LABELS.isdisjoint(self.keys)


@dataclass(slots=True)
class Context:
    """What the parts share: the source, the findings, where in the form we are, the money unit."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    state: State = "start"
    #: Label keys acted on, to tell the layout (``jixiao.layouts.identify``).
    labels_seen: set[str] = field(default_factory=set)
    #: Amounts are in 元 from the label or note at (line, text) on, until one names 万元 again.
    yuan_mark: tuple[int, str] | None = None
    in_yuan: bool = False
    converted: int = 0

    def report(self, code: str, location: Location, **figures: object) -> None:
        self.findings.append(finding(code, location, **figures))

    def unrecognized(self, row: Row) -> None:
        self.report("row-unrecognized", Location(line=row.line), line=row.line, cells=quote_cells(row.cells))

    def unplaced(self, cells: list[str], line: int, location: Location | None = None) -> None:
        """Cells read but belonging to no field: reported, never dropped."""
        if any(cells):
            self.report(
                "cells-unplaced", location or Location(line=line), line=line, cells=quote_cells(cells)
            )

    def note_labels(self, row: Row) -> None:
        """Remember the labels of a row (for the layout) and the money unit they name."""
        for cell, key in zip(row.cells, row.keys, strict=True):
            if "元" not in cell:
                if key in ALL_LABELS:
                    self.labels_seen.add(key)
                continue
            unit = unit_note(key)
            if unit is None and key in ALL_LABELS:
                self.labels_seen.add(key)
                match = _MONEY_UNIT.search(compact(simplified(_fold(cell))))
                unit = match.group(1) if match else None
            if unit is not None:
                self.money_unit(unit, cell, row.line)

    def note_row(self, row: Row) -> None:
        """A row of the form's notes (注：…): the money unit it may name."""
        for _, cell in row.filled:
            match = _UNIT_IN_NOTE.search(compact(simplified(_fold(cell))))
            if match:
                self.money_unit(match.group(1), cell, row.line)

    def money_unit(self, unit: str, cell: str, line: int) -> None:
        self.in_yuan = unit == "元"
        if self.in_yuan and self.yuan_mark is None:
            self.yuan_mark = (line, cell)

    def amount(self, text: str, *, stored: bool = True) -> Decimal | Unreadable | None:
        """An amount in 万元: one printed in 元 (see ``in_yuan``) is converted exactly."""
        amount = parse_amount(text)
        if not self.in_yuan or not isinstance(amount, Decimal):
            return amount
        if stored:
            self.converted += 1
        return wan_of_yuan(amount)

    def finish(self) -> None:
        if self.yuan_mark is not None and self.converted:
            line, label = self.yuan_mark
            self.report(
                "amounts-in-yuan", Location("budget", line=line), line=line, label=label, count=self.converted
            )


def wan_of_yuan(amount: Decimal) -> Decimal:
    """An amount in 元 as 万元, exactly however many digits (no context rounding), without the
    trailing zeros the shift leaves after the point: 1430000 → 143, 32156000.50 → 3215.60005."""
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)  # a parsed amount is finite
    if not any(digits):
        return Decimal(0)
    places = list(digits)
    exponent -= 4
    while exponent < 0 and len(places) > 1 and places[-1] == 0:
        places.pop()
        exponent += 1
    return Decimal((sign, tuple(places), exponent))


def unit_note(key: str) -> str | None:
    """元 or 万元 when the label key is a note of the money unit (单位：元), else None."""
    match = _UNIT_NOTE.match(key) if "元" in key else None
    return match.group(1) if match else None


def value_after(index: int, cells: list[str], keys: list[str], labels: set[int]) -> tuple[str, set[int]]:
    """The value right of the label at ``index`` (skipping 金额-like tags), and the cells used."""
    used = set()
    for cell_index in range(index + 1, len(cells)):
        if keys[cell_index] in VALUE_TAGS:
            used.add(cell_index)
            continue
        if cell_index in labels or keys[cell_index] in SHARE_LABELS:
            break
        if cells[cell_index]:
            return cells[cell_index], used | {cell_index}
    return "", used


# --- budget ------------------------------------------------------------------------------------


@dataclass(slots=True)
class BudgetPart:
    """预算整体情况: the amounts by label, and the printed 合计/占比 that are checked against them."""

    context: Context
    amounts: dict[str, Decimal | None] = field(default_factory=dict)
    #: The side of the budget the last amount was on, and printed shares to check at the end.
    side: str = ""
    shares: list[tuple[str, str, int]] = field(default_factory=list)

    def put(self, name: str, value: str, line: int) -> None:
        self.side = _SIDE_OF.get(name, self.side)
        amount = self.context.amount(value)
        if isinstance(amount, Unreadable):
            place = PHRASES["budget-amount-place"].format(label=Budget.model_fields[name].title)
            self.context.report(
                "amount-invalid", Location("budget", field=name, line=line), place=place, value=amount
            )
            amount = None
        self.amounts[name] = amount

    def shares_after(self, row: Row, targets: list[tuple[int, FieldTarget]]) -> set[int]:
        """占比 cells after an amount (湖北): kept to be checked at the end; the cells used."""
        used: set[int] = set()
        for index, key in enumerate(row.keys):
            if key not in SHARE_LABELS:
                continue
            used.add(index)
            owner = next((t for i, t in reversed(targets) if i < index), None)
            value, at = value_after(index, row.cells, row.keys, set())
            used |= at
            if owner is not None and owner[0] == "budget" and value:
                self.shares.append((owner[1], value, row.line))
        return used

    def total_row(self, row: Row) -> bool:
        """A printed 合计 of one side (湖北's 收入构成 / 支出构成), in the header: checked, not kept."""
        if self.context.state != "header" or row.first_key not in TOTAL_LABELS:
            return False
        cells, keys, line = row.cells, row.keys, row.line
        totals = [i for i, key in enumerate(keys) if key in TOTAL_LABELS]
        sides = ["use", "source"] if len(totals) == 2 else [self.side]
        consumed = set(totals)
        for index, side in zip(totals, sides, strict=False):
            text, at = value_after(index, cells, keys, set(totals))
            consumed |= at
            printed = self.context.amount(text, stored=False)
            parts = self._side(side)
            if isinstance(printed, Decimal) and parts is not None and printed != sum(parts, Decimal(0)):
                self.context.report(
                    "budget-total-mismatch",
                    Location("budget", line=line),
                    what=PHRASES["budget-total"].format(line=line, label=cells[index]),
                    printed=format_amount(printed),
                    computed=format_amount(sum(parts, Decimal(0))),
                )
            share = next((i for i in range(index + 1, len(keys)) if keys[i] in SHARE_LABELS), None)
            if share is not None:
                self.shares.append((f"total:{side}", value_after(share, cells, keys, set())[0], line))
        for index, key in enumerate(keys):
            if key in SHARE_LABELS:  # the label, any 金额-like tag and the share it reads
                consumed |= {index} | value_after(index, cells, keys, set())[1]
        self.context.unplaced([cell for i, cell in enumerate(cells) if cell and i not in consumed], line)
        return True

    def _side(self, side: str) -> list[Decimal] | None:
        """The amounts of one side of the budget, or None when one of them is not known."""
        amounts = [self.amounts.get(name) for name in _BUDGET_SIDES.get(side, ())]
        if not amounts or any(amount is None for amount in amounts):
            return None
        return [amount for amount in amounts if amount is not None]

    def check_shares(self) -> None:
        """Each printed 占比 against the amounts: a share is its amount over its side's total."""
        for owner, text, line in self.shares:
            is_total = owner.startswith("total:")
            parts = self._side(owner.removeprefix("total:") if is_total else _SIDE_OF.get(owner, ""))
            printed = parse_number(_fold(text).strip().rstrip("%"))
            if parts is None or printed is None:
                continue
            total = sum(parts, Decimal(0))
            part = total if is_total else self.amounts.get(owner)
            if not total or part is None:
                continue
            exponent = printed.as_tuple().exponent  # as many places as printed
            computed = (part * 100 / total).quantize(Decimal(1).scaleb(int(exponent)))
            if computed != printed:
                label = Budget.model_fields[owner].title if not is_total else PHRASES["budget-total-label"]
                self.context.report(
                    "budget-total-mismatch",
                    Location("budget", line=line),
                    what=PHRASES["budget-share"].format(line=line, label=label),
                    printed=text.strip(),
                    computed=f"{computed}%",
                )


# --- header ------------------------------------------------------------------------------------


@dataclass(slots=True)
class HeaderPart:
    """The title and year, 部门名称 and the other label–value fields (budget amounts go to the budget)."""

    context: Context
    budget: BudgetPart
    title: str = ""
    year: int | None = None
    year_cell: tuple[str, int] | None = None
    department: dict[str, Any] = field(default_factory=dict)
    #: 填报人, 联系电话, 填报日期 (湖北) as printed.
    preparation: dict[str, str] = field(default_factory=dict)
    #: A row of labels whose values stand in the row below, by column.
    vertical: dict[int, FieldTarget] = field(default_factory=dict)
    saw_department_label: bool = False

    def title_cell(self, row: Row) -> bool:
        """The title (its year read), or the title again on a later page."""
        text = row.first
        if text == self.title:
            return True
        if self.title or self.context.state != "start":
            return False
        if TITLE_MARKER not in simplified(text) and not text.endswith("表"):
            return False
        self.title = text
        match = _YEAR.search(_fold(text))
        if match:
            self.year = int(match.group(1))
        return True

    def values_below(self, row: Row) -> bool:
        """The values under a row of labels; False when this row is no such row of values."""
        if not self.vertical:
            return False
        pending, self.vertical = self.vertical, {}
        if any(row.keys[i] in FIELD_LABELS for i, _ in row.filled):
            return False
        for index, target in pending.items():
            self.set_field(target, row.cells[index] if index < len(row.cells) else "", row.line)
        self.context.unplaced([cell for i, cell in row.filled if i not in pending], row.line)
        return True

    def field_row(self, row: Row, limit: int | None) -> bool:
        """Label–value pairs such as ``部门名称 | X | 资金主管部门 | Y``; False when there are none.

        Only labels left of ``limit`` (the first column of the table being read) are labels there.
        """
        if row.first_key in TASK_SECTION_LABELS:
            return False
        cells, keys, line = row.cells, row.keys, row.line
        targets: dict[int, FieldTarget] = {}
        inline: dict[int, tuple[FieldTarget, str]] = {}  # 部门名称：X in one cell
        in_header = self.context.state in {"start", "header"}
        for index, key in enumerate(keys[:limit]):
            if key in FIELD_LABELS:
                targets[index] = FIELD_LABELS[key]
            elif (
                in_header
                and cells[index]
                and len(cells[index]) <= 80
                and ("：" in cells[index] or ":" in cells[index])
            ):
                match = _INLINE_LABEL.match(cells[index])
                if match and label_key(match.group(1)) in FIELD_LABELS:
                    inline[index] = (FIELD_LABELS[label_key(match.group(1))], match.group(2).strip())
        if not targets and not inline:
            return False
        if self.context.state in {"start", "goal"}:
            self.context.state = "header"
        for target, value in inline.values():
            self.set_field(target, value, line)
        labels = set(targets) | {i for i, key in enumerate(keys) if key in SECTION_LABELS}
        values_present = any(cell and i not in labels for i, cell in enumerate(cells))
        ordered = sorted(targets)
        adjacent = all(index + 1 in labels for index in ordered[:-1])
        if len(targets) >= 2 and not values_present and adjacent:
            self.vertical = targets
            for target in targets.values():
                self._mark_label(target)
            return True
        consumed = labels | set(inline)
        for index, target in targets.items():
            value, at = value_after(index, cells, keys, labels)
            consumed |= at
            self.set_field(target, value, line)
        consumed |= self.budget.shares_after(row, sorted(targets.items()))
        self.context.unplaced([cell for i, cell in enumerate(cells) if cell and i not in consumed], line)
        return True

    def _mark_label(self, target: FieldTarget) -> None:
        if target == ("department", "name"):
            self.saw_department_label = True

    def set_field(self, target: FieldTarget, value: str, line: int) -> None:
        section, name = target
        self._mark_label(target)
        if section == "budget":
            self.budget.put(name, value, line)
        elif section == "department" and name in {"staff_count", "subordinate_unit_count"}:
            count = parse_count(value)
            if isinstance(count, Unreadable):
                code = "staff-count-invalid" if name == "staff_count" else "subordinate-units-invalid"
                where = Location("department", field=name, line=line)
                self.context.report(
                    code, where, problem=PHRASES["not-a-count"].format(value=count), value=count
                )
                count = None
            self.department[name] = count
        elif section == "department":
            self.department[name] = value
        elif name == "year":
            year = parse_count(value)
            if isinstance(year, int) and 1900 < year < 2200:
                self.year_cell = (value, year)
        else:
            self.preparation[name] = value

    def table_year(self) -> int | None:
        return self.year_cell[1] if self.year_cell else self.year


# --- goal --------------------------------------------------------------------------------------


@dataclass(slots=True)
class GoalPart:
    """总体绩效目标, and the texts some layouts print beside it (部门职能概述, 长期绩效目标)."""

    context: Context
    #: Lines by field: ``overall_goal``, ``duties``, ``long_term_goal``.
    texts: dict[str, list[str]] = field(default_factory=lambda: {"overall_goal": []})
    target: str = "overall_goal"

    def label_row(self, row: Row) -> bool:
        key = row.first_key
        if key not in GOAL_LABELS and key not in TEXT_LABELS:
            return False
        self.context.state = "goal"
        self.target = TEXT_LABELS.get(key, "overall_goal")
        self.line(row.filled[1:])
        return True

    def line(self, filled: list[tuple[int, str]]) -> None:
        self.texts.setdefault(self.target, []).extend(cell for _, cell in filled)

    def fields(self) -> dict[str, str]:
        return {name: "\n".join(lines) for name, lines in self.texts.items()}


# --- tasks -------------------------------------------------------------------------------------


@dataclass(slots=True)
class TasksPart:
    """年度重点工作任务 and 其他需完成任务: headings, section labels, rows and printed totals."""

    context: Context
    rows: list[dict[str, Any]] = field(default_factory=list)
    kind: Literal["key", "other"] = "key"
    columns: Columns | None = None

    def heading(self, row: Row) -> bool:
        keys = row.keys
        columns = {i: TASK_COLUMNS[key] for i, key in enumerate(keys) if key in TASK_COLUMNS}
        if "name" not in columns.values() or len(columns) < 2:
            return False
        label_column = next((i for i, key in enumerate(keys) if key in TASK_SECTION_LABELS), None)
        if label_column is not None:
            self.kind = TASK_SECTION_LABELS[keys[label_column]]
        elif self.columns is not None:
            label_column = self.columns.label_column
        unknown = unknown_headings(row.cells, keys, columns, label_column, _PART_HEADINGS)
        self.columns = Columns(columns, label_column, unknown, _TASK_LABEL_COLUMN)
        self.context.state = "tasks"
        return True

    def section_label(self, row: Row) -> bool:
        """年度重点工作任务 or 其他需完成任务 in the first cell, with or without a row of data after it."""
        if row.first_key not in TASK_SECTION_LABELS:
            return False
        self.kind = TASK_SECTION_LABELS[row.first_key]
        self.context.state = "tasks"
        if self.columns is not None:
            self.columns.label_column = row.first_index
        elif len(row.filled) > 1:
            self.columns = default_columns(
                TASK_DEFAULT_COLUMNS, row.first_index + 1, row.first_index, _TASK_LABEL_COLUMN
            )
        if len(row.filled) > 1:
            self.data_row(row)
        return True

    def total_row(self, row: Row) -> bool:
        """A printed 合计/小计 row: derived from the tasks, so checked against them, not kept."""
        label = row.first_key
        if self.context.state != "tasks" or label not in TOTAL_LABELS:
            return False
        cells = [(i, cell) for i, cell in row.filled if label_key(cell) != label]
        figures = [(i, self.context.amount(cell, stored=False)) for i, cell in cells]
        at, printed = next(((i, f) for i, f in reversed(figures) if isinstance(f, Decimal)), (None, None))
        self.context.unplaced([cell for i, cell in cells if i != at], row.line)  # 含追加预算 and the like
        if printed is None:
            return True
        counted = [t for t in self.rows if label != "小计" or t["kind"] == self.kind]
        total = sum((t["amount"] for t in counted if t["amount"] is not None), Decimal(0))
        if printed != total:
            self.context.report(
                "task-total-mismatch",
                Location("tasks", field="amount", line=row.line),
                line=row.line,
                label=label,
                printed=format_amount(printed),
                total=format_amount(total),
            )
        return True

    def data_row(self, row: Row) -> None:
        if self.columns is None:  # the section's label stood alone; the data starts here
            self.columns = default_columns(TASK_DEFAULT_COLUMNS, row.first_index)
        values = self.columns.read(row.cells, row.line, self.context.findings)
        if not any(values.values()):
            return
        number = len(self.rows) + 1
        seq_text = _fold(values.get("seq", "")).strip().rstrip(".、")
        seq = int(seq_text) if seq_text.isdigit() and seq_text.isascii() else number
        amount = self.context.amount(values.get("amount", ""))
        if isinstance(amount, Unreadable):
            section = PHRASES[f"task-section.{self.kind}"]
            place = PHRASES["task-amount-place"].format(
                section=section, row=number, name=values.get("name", "")
            )
            where = Location("tasks", row=number, field="amount", line=row.line)
            self.context.report("amount-invalid", where, place=place, value=amount)
            amount = None
        task: dict[str, Any] = {
            "seq": seq,
            "kind": self.kind,
            "name": values.get("name", ""),
            "content": values.get("content", ""),
            "amount": amount,
        }
        if "expected_outcome" in self.columns.fields.values():
            task["expected_outcome"] = values.get("expected_outcome", "")
        self.rows.append(task)


# --- indicators --------------------------------------------------------------------------------


@dataclass(slots=True)
class IndicatorsPart:
    """绩效指标: the heading row, the rows with 一级/二级 filled down, and the targets split."""

    context: Context
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: Columns | None = None
    level1: str = ""
    level2: str = ""
    seen: bool = False

    def heading_cell(self, row: Row) -> bool:
        """绩效指标 alone on its row starts the part."""
        if row.first_key not in INDICATOR_HEADINGS:
            return False
        self.seen = True
        self.context.state = "indicators"
        return True

    def heading(self, row: Row) -> bool:
        keys = row.keys
        columns = {i: INDICATOR_COLUMNS[key] for i, key in enumerate(keys) if key in INDICATOR_COLUMNS}
        names = set(columns.values())
        if not ({"level2", "name"} <= names or (len(names) >= 3 and "name" in names)):
            return False
        label_column = next((i for i, key in enumerate(keys) if key in INDICATOR_HEADINGS), None)
        unknown = unknown_headings(row.cells, keys, columns, label_column, _PART_HEADINGS)
        self.columns = Columns(columns, label_column, unknown, INDICATOR_HEADINGS)
        self.seen = True
        self.context.state = "indicators"
        return True

    def total_row(self, row: Row) -> bool:
        """A printed 合计 of the weights (重庆: 合计 | 100): checked against them, or reported."""
        if self.context.state != "indicators" or row.first_key not in TOTAL_LABELS:
            return False
        figures = [parse_number(_fold(cell).strip().rstrip("分")) for _, cell in row.filled[1:]]
        weights = [indicator["weight"] for indicator in self.rows if indicator.get("weight") is not None]
        total = sum(weights, Decimal(0))
        if not weights or len(figures) != 1 or figures[0] != total:
            self.context.unplaced([cell for _, cell in row.filled], row.line)
        return True

    def data_row(self, row: Row) -> None:
        columns = self.columns
        if columns is None:
            columns = self.columns = default_columns(INDICATOR_DEFAULT_COLUMNS, 0)
        values = columns.read(row.cells, row.line, self.context.findings)
        level1_cell = canonical_level_name(simplified(values.get("level1", "")), LEVEL1_NAMES)
        level2_cell = canonical_level_name(simplified(values.get("level2", "")), LEVEL2_NAMES)
        data = {name: values.get(name, "") for name in ("name", "explanation", "comparator", "value", "unit")}
        if level1_cell:
            self.level1 = level1_cell
        if level2_cell:
            self.level2 = level2_cell
        elif level1_cell:
            self.level2 = ""
        if not any(data.values()):
            known = (not level1_cell or level1_cell in LEVEL1_NAMES) and (
                not level2_cell or level2_cell in LEVEL2_NAMES
            )
            others = [
                values[name] for name in ("weight", "value_type", "scoring_standard") if values.get(name)
            ]
            if ((level1_cell or level2_cell) and not known) or others:
                self.context.unrecognized(row)  # no indicator to hold them: quoted, not dropped
            return  # an empty row of the printed framework
        number = len(self.rows) + 1
        level1 = self.level1
        if not level1_cell and (level1, self.level2) not in VALID_PAIRS:
            # The last 一级 actually seen stays as it was: every row under a lost cell is inferred.
            inferred = LEVEL1_OF.get(self.level2)
            if inferred:
                level1 = inferred
                self.context.report(
                    "level1-inferred",
                    Location("indicators", row=number, field="level1", line=row.line),
                    row=number,
                    name=data["name"],
                    level1=inferred,
                    level2=self.level2,
                )
        value_type = values.get("value_type")
        comparator_cell = data["comparator"]
        if not comparator_cell and value_type and simplified(value_type).strip() == Comparator.QUALITATIVE:
            comparator_cell = Comparator.QUALITATIVE.value  # 指标值类型 定性 says it (湖南)
        present = set(columns.fields.values())
        comparator, value, unit = split_target(
            comparator_cell,
            data["value"],
            data["unit"],
            has_comparator="comparator" in present or bool(comparator_cell),
        )
        indicator: dict[str, Any] = {
            "level1": level1,
            "level2": self.level2,
            "name": data["name"],
            "explanation": data["explanation"],
            "comparator": comparator,
            "value": value,
            "unit": unit,
        }
        if "value_type" in present:
            indicator["value_type"] = value_type or ""
        if "scoring_standard" in present:
            indicator["scoring_standard"] = values.get("scoring_standard", "")
        if "weight" in present:
            indicator["weight"] = self._weight(values.get("weight", ""), number, row.line)
        self.rows.append(indicator)

    def _weight(self, text: str, number: int, line: int) -> Decimal | None:
        """指标权重 as a number; one that is not is reported with its cell, not dropped."""
        if not text.strip():
            return None
        weight = parse_number(_fold(text).strip().rstrip("分"))
        if weight is None:
            where = Location("indicators", row=number, line=line)
            self.context.unplaced([f"{PHRASES['weight-label']}：{text}"], line, where)
        return weight

    def finish(self) -> None:
        absent = sum(1 for indicator in self.rows if indicator["comparator"] is None)
        if absent:
            self.context.report("comparator-absent", Location("indicators", field="comparator"), count=absent)


def split_target(
    comparator_cell: str, value_cell: str, unit_cell: str, *, has_comparator: bool
) -> tuple[str | None, str, str]:
    """对比符号, 指标值, 计量单位 from their cells, taking a comparator or unit written in the value.

    Without a comparator column, a comparator not written in the value is None: the source does not
    show it, so none is made up (``comparator-absent`` says so once for the table).
    """
    comparator: str | None = comparator_cell
    canonical = normalise_comparator(comparator_cell) if comparator_cell else None
    if canonical is not None:
        comparator = canonical.value
    inner, value = split_leading_comparator(value_cell)
    if inner is not None and (not comparator_cell or inner.value == comparator):
        comparator = inner.value
    else:
        value = value_cell.strip()
    folded = _fold(value)
    number_end = leading_quantity(folded)
    if number_end and comparator != Comparator.QUALITATIVE:
        suffix = folded[number_end:].strip()
        unit_folded = _fold(unit_cell)
        if not suffix:
            value = folded
        elif suffix == unit_folded or (
            not unit_cell and _UNIT_SUFFIX.match(suffix) and not suffix.endswith(NOT_A_UNIT_END)
        ):
            value, unit_cell = folded[:number_end].strip(), suffix
    if not comparator and not has_comparator:
        comparator = None
    return comparator, value, _fold(unit_cell) if unit_cell else ""
