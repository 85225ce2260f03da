"""The label-driven mapper: a grid of cells → a :class:`TargetTable` and the reading findings.

One pass over the rows, with the part of the form we are in as state.  Each field is found by its
label (``jixiao.read.labels``); columns of the task and indicator tables are found by their
headings, and a heading row seen again (a page break) is skipped.  Labels lost to merged cells are
filled down; a 一级指标 that cannot be filled down is inferred from its 二级指标
(``level1-inferred``).  A row that fits nowhere is reported (``row-unrecognized``) with its cells
quoted, so nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations
from typing import Any, Final, Literal

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, ReadError, finding
from jixiao.layouts import identify
from jixiao.model import Budget, TargetTable, format_amount
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
from jixiao.read.cells import Unreadable, label_key, parse_amount, parse_count, simplified
from jixiao.read.grid import GridRow
from jixiao.read.labels import (
    FIELD_LABELS,
    GOAL_LABELS,
    INDICATOR_COLUMNS,
    INDICATOR_HEADINGS,
    NOT_A_UNIT_END,
    NOTE_PREFIXES,
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

_YEAR: Final = re.compile(r"((?:19|20)\d{2})\s*年")
_INLINE_LABEL: Final = re.compile(r"^([^:：]{2,12})[:：]\s*(.+)$", re.DOTALL)
_UNIT_SUFFIX: Final = re.compile(r"^[%‰A-Za-z²³/·\u4e00-\u9fff]{1,6}$")
#: The money unit a label or unit note names: 拟投入金额（元）, 单位：元, （单位：万元）.
_MONEY_UNIT: Final = re.compile(r"(?:\((万?元)\)|单位:(万?元)\)?)$")
_YUAN_PER_WAN: Final = Decimal(10000)

_HEADINGS: Final = frozenset(TASK_COLUMNS) | frozenset(INDICATOR_COLUMNS)
#: Every label key the mapper acts on; a row with none of them is plain data.
_LABELS: Final = (
    _HEADINGS
    | frozenset(FIELD_LABELS)
    | SECTION_LABELS
    | GOAL_LABELS
    | frozenset(TASK_SECTION_LABELS)
    | UNIT_NOTES
    | INDICATOR_HEADINGS
    | TOTAL_LABELS
    | frozenset(TEXT_LABELS)
    | VALUE_TAGS
    | SHARE_LABELS
)
#: The two sides of 预算整体情况, for a printed 合计 or 占比 (湖北's 收入构成 / 支出构成).
_BUDGET_SIDES: Final = {
    "use": ("basic_expenditure", "project_expenditure"),
    "source": ("fiscal_appropriation", "other_funds"),
}
_SIDE_OF: Final = {name: side for side, names in _BUDGET_SIDES.items() for name in names}
_DATA_STATES: Final = frozenset({"tasks", "indicators"})
#: Rows with more empty cells than this to choose from are fitted on their rightmost ones.
_MAX_FIT_CANDIDATES: Final = 10
#: Beyond this many cells to drop, the rightmost empty cells go (trying every way would be slow).
_MAX_FIT_EXCESS: Final = 4
_TASK_DEFAULT_COLUMNS: Final = ("seq", "name", "content", "amount")


_fold = to_halfwidth


def _quote_cells(cells: list[str]) -> str:
    return " | ".join(f"「{cell}」" for cell in cells if cell)


@dataclass(slots=True)
class _Columns:
    """What each column of a task or indicator table holds, from its heading row.

    ``unknown`` are columns under a heading the form does not have (备注, say); what stands in
    them is reported, not read into another field.
    """

    fields: dict[int, str]
    label_column: int | None = None
    unknown: dict[int, str] = field(default_factory=dict)
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
        if self.label_column is not None and self.label_column < len(row):
            row[self.label_column] = ""
        row = _fit(row, self.positions, self.width, self.first)
        unplaced = [f"{self.unknown[i]}：{row[i]}" for i in sorted(self.unknown) if i < len(row) and row[i]]
        unplaced += [cell for cell in row[self.width :] if cell]
        if unplaced:
            findings.append(
                finding("cells-unplaced", Location(line=line), line=line, cells=_quote_cells(unplaced))
            )
        return {name: (row[index] if index < len(row) else "") for index, name in self.fields.items()}


def _fit(row: list[str], columns: frozenset[int], width: int, first: int) -> list[str]:
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
    if excess > _MAX_FIT_EXCESS:
        drop = set(empties[-excess:])
        return [cell for index, cell in enumerate(row) if index not in drop]
    if len(empties) > _MAX_FIT_CANDIDATES:
        empties = empties[-_MAX_FIT_CANDIDATES:]
    filled = [i for i, cell in enumerate(row) if cell]

    def placed(drop: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
        under_heading = sum(1 for i in filled if i - sum(1 for d in drop if d < i) in columns)
        return under_heading, drop

    best = max(combinations(empties, excess), key=placed)
    return [cell for index, cell in enumerate(row) if index not in best]


@dataclass(slots=True)
class _Mapper:
    source: str
    findings: list[Finding] = field(default_factory=list)
    state: State = "start"
    title: str = ""
    year: int | None = None
    year_cell: tuple[str, int] | None = None
    department: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, Decimal | None] = field(default_factory=dict)
    goal_lines: list[str] = field(default_factory=list)
    #: Which text part the rows of state ``goal`` go to: the goal, or 部门职能概述 and the like.
    text_target: str = "overall_goal"
    texts: dict[str, list[str]] = field(default_factory=dict)
    #: The side of the budget the last amount was on, and printed shares to check at the end.
    budget_side: str = ""
    shares: list[tuple[str, str, int]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    task_kind: Literal["key", "other"] = "key"
    task_columns: _Columns | None = None
    indicators: list[dict[str, Any]] = field(default_factory=list)
    indicator_columns: _Columns | None = None
    level1: str = ""
    level2: str = ""
    vertical: dict[int, FieldTarget] = field(default_factory=dict)
    saw_department_label: bool = False
    saw_indicators: bool = False
    #: Label keys acted on, to tell the layout (``jixiao.layouts.identify``).
    labels_seen: set[str] = field(default_factory=set)
    #: 填报人, 联系电话, 填报日期 (湖北) as printed.
    preparation: dict[str, str] = field(default_factory=dict)
    #: Amounts are in 元 from the label or note at (line, text) on, until one names 万元 again.
    yuan_mark: tuple[int, str] | None = None
    in_yuan: bool = False
    converted: int = 0

    # --- rows ----------------------------------------------------------------------------------

    def feed(self, row: GridRow) -> None:
        if row.is_blank:
            return
        cells = row.cells
        keys = [label_key(cell) for cell in cells]
        filled = [(i, cell) for i, cell in enumerate(cells) if cell]
        first_index, first = filled[0]
        first_key = keys[first_index]
        if self.state == "another":
            return  # a second table in the same file: reported once, not read into this one
        if self.indicators and self._another_table(first, first_key, first_index, len(filled), row.line):
            return
        if _fold(first[:6]).startswith(NOTE_PREFIXES):
            self.state = "notes"
            return
        if self.state in _DATA_STATES and _LABELS.isdisjoint(keys) and not self.vertical:
            # The common case: a row of the task or indicator table with no label in it.
            if self.state == "tasks":
                self._task_row(cells, row.line)
            else:
                self._indicator_row(cells, row.line)
            return
        self._note_labels(cells, keys, row.line)

        if self.vertical:
            pending, self.vertical = self.vertical, {}
            if self._read_vertical(pending, cells, keys, row.line):
                return
        if first_key in UNIT_NOTES:
            return
        if len(filled) == 1 and self._single_cell(first, first_key, row.line):
            return
        if not _HEADINGS.isdisjoint(keys) and (
            self._indicator_heading(cells, keys) or self._task_heading(cells, keys)
        ):
            return
        if self.state == "tasks" and first_key in TOTAL_LABELS:
            self._total_row(first_key, cells, row.line)
            return
        if first_key in GOAL_LABELS or first_key in TEXT_LABELS:
            self.state = "goal"
            self.text_target = TEXT_LABELS.get(first_key, "overall_goal")
            self._text_lines().extend(cell for i, cell in filled[1:])
            return
        if self.state == "header" and first_key in TOTAL_LABELS:
            self._budget_total_row(first_key, cells, keys, row.line)
            return
        if first_key not in TASK_SECTION_LABELS and self._field_row(cells, keys, row.line):
            return
        if first_key in TASK_SECTION_LABELS:
            self.task_kind = TASK_SECTION_LABELS[first_key]
            self.state = "tasks"
            if self.task_columns is not None:
                self.task_columns.label_column = first_index
            elif len(filled) > 1:
                self.task_columns = _default_task_columns(first_index + 1, first_index)
            if len(filled) > 1:
                self._task_row(cells, row.line)
            return
        if all(key in SECTION_LABELS for key in (keys[i] for i, _ in filled)):
            if not INDICATOR_HEADINGS.isdisjoint(keys[i] for i, _ in filled):
                self.saw_indicators = True
            return
        if self.state == "tasks":
            self._task_row(cells, row.line)
        elif self.state == "indicators":
            self._indicator_row(cells, row.line)
        elif self.state == "goal":
            self._text_lines().extend(cell for _, cell in filled)
        else:
            self.findings.append(
                finding("row-unrecognized", Location(line=row.line), line=row.line, cells=_quote_cells(cells))
            )

    def _note_labels(self, cells: list[str], keys: list[str], line: int) -> None:
        """Remember the labels of a row (for the layout) and the money unit they name."""
        for cell, key in zip(cells, keys, strict=True):
            if key not in _LABELS:
                continue
            self.labels_seen.add(key)
            match = _MONEY_UNIT.search(compact(_fold(cell)))
            if match:
                self.in_yuan = (match.group(1) or match.group(2)) == "元"
                if self.in_yuan and self.yuan_mark is None:
                    self.yuan_mark = (line, cell)

    def _amount(self, text: str, *, stored: bool = True) -> Decimal | Unreadable | None:
        """An amount in 万元: one printed in 元 (see ``in_yuan``) is converted exactly."""
        amount = parse_amount(text)
        if not self.in_yuan or not isinstance(amount, Decimal):
            return amount
        if stored:
            self.converted += 1
        return amount / _YUAN_PER_WAN

    def _text_lines(self) -> list[str]:
        if self.text_target == "overall_goal":
            return self.goal_lines
        return self.texts.setdefault(self.text_target, [])

    def _another_table(self, first: str, first_key: str, first_index: int, filled: int, line: int) -> bool:
        """After the indicators, a new title or 部门名称 starts a second table: say so and stop.

        部门名称 counts only in the first column, where an indicator row has its 一级指标; in the
        name column it is an indicator's name.
        """
        new_title = (
            filled == 1 and TITLE_MARKER in simplified(first) and first.endswith("表") and first != self.title
        )
        starts_left = first_index <= (self._data_start() or 0)
        new_header = starts_left and FIELD_LABELS.get(first_key) == ("department", "name")
        if not (new_title or new_header):
            return False
        self.state = "another"
        self.findings.append(finding("more-tables", Location(line=line), line=line))
        return True

    def _single_cell(self, text: str, key: str, line: int) -> bool:
        """Title, the 绩效指标 heading, or a lone label; False when the row is data after all."""
        if key in INDICATOR_HEADINGS:
            self.saw_indicators = True
            self.state = "indicators"
            return True
        if text == self.title:
            return True  # the title again, on the next page
        if (
            not self.title
            and self.state == "start"
            and (TITLE_MARKER in simplified(text) or text.endswith("表"))
        ):
            self.title = text
            match = _YEAR.search(_fold(text))
            if match:
                self.year = int(match.group(1))
            return True
        return False

    # --- header and budget ---------------------------------------------------------------------

    def _field_row(self, cells: list[str], keys: list[str], line: int) -> bool:
        """Label–value pairs such as ``部门名称 | X | 资金主管部门 | Y``; False when there are none."""
        targets: dict[int, FieldTarget] = {}
        inline: dict[int, tuple[FieldTarget, str]] = {}  # 部门名称：X in one cell
        in_header = self.state in {"start", "header"}
        limit = self._data_start()
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
        if self.state in {"start", "goal"}:
            self.state = "header"
        for target, value in inline.values():
            self._set_field(target, value, line)
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
            value, at = self._value_after(index, cells, keys, labels)
            consumed |= at
            self._set_field(target, value, line)
        consumed |= self._shares(cells, keys, sorted(targets.items()), line)
        self._report_rest(cells, consumed, line)
        return True

    def _value_after(
        self, index: int, cells: list[str], keys: list[str], labels: set[int]
    ) -> tuple[str, set[int]]:
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

    def _shares(
        self, cells: list[str], keys: list[str], targets: list[tuple[int, FieldTarget]], line: int
    ) -> set[int]:
        """占比 cells after an amount (湖北): kept to be checked against the amounts at the end."""
        used: set[int] = set()
        for index, key in enumerate(keys):
            if key not in SHARE_LABELS:
                continue
            used.add(index)
            owner = next((t for i, t in reversed(targets) if i < index), None)
            value, at = self._value_after(index, cells, keys, set())
            used |= at
            if owner is not None and owner[0] == "budget" and value:
                self.shares.append((owner[1], value, line))
        return used

    def _report_rest(self, cells: list[str], consumed: set[int], line: int) -> None:
        """Cells of a label row that are neither a label nor its value: reported, never dropped."""
        rest = [cell for i, cell in enumerate(cells) if cell and i not in consumed]
        if rest:
            self.findings.append(
                finding("cells-unplaced", Location(line=line), line=line, cells=_quote_cells(rest))
            )

    def _budget_total_row(self, label: str, cells: list[str], keys: list[str], line: int) -> None:
        """A printed 合计 of one side of the budget (湖北's 收入构成 / 支出构成): checked, not kept."""
        totals = [i for i, key in enumerate(keys) if key in TOTAL_LABELS]
        sides = ["use", "source"] if len(totals) == 2 else [self.budget_side]
        consumed = set(totals)
        for index, side in zip(totals, sides, strict=False):
            text, at = self._value_after(index, cells, keys, set(totals))
            consumed |= at
            printed = self._amount(text, stored=False)
            amounts = [self.budget.get(name) for name in _BUDGET_SIDES.get(side, ())]
            if not isinstance(printed, Decimal) or not amounts or None in amounts:
                continue
            total = sum((a for a in amounts if a is not None), Decimal(0))
            if printed != total:
                self.findings.append(
                    finding(
                        "budget-total-mismatch",
                        Location("budget", line=line),
                        what=PHRASES["budget-total"].format(line=line, label=cells[index]),
                        printed=format_amount(printed),
                        computed=format_amount(total),
                    )
                )
            self.shares.extend(
                (f"total:{side}", value, line) for value in self._share_texts(cells, keys, index)
            )
        for index, key in enumerate(keys):
            if key in SHARE_LABELS:  # the label, any 金额-like tag and the share it reads
                consumed |= {index} | self._value_after(index, cells, keys, set())[1]
        self._report_rest(cells, consumed, line)

    def _share_texts(self, cells: list[str], keys: list[str], after: int) -> list[str]:
        share = next((i for i in range(after + 1, len(keys)) if keys[i] in SHARE_LABELS), None)
        return [] if share is None else [self._value_after(share, cells, keys, set())[0]]

    def _check_shares(self) -> None:
        """Each printed 占比 against the amounts: a share is its amount over its side's total."""
        for owner, text, line in self.shares:
            side = owner.removeprefix("total:") if owner.startswith("total:") else _SIDE_OF.get(owner, "")
            amounts = [self.budget.get(name) for name in _BUDGET_SIDES.get(side, ())]
            printed = parse_number(_fold(text).strip().rstrip("%"))
            if not amounts or None in amounts or printed is None:
                continue
            total = sum((a for a in amounts if a is not None), Decimal(0))
            part = total if owner.startswith("total:") else self.budget.get(owner)
            if not total or part is None:
                continue
            exponent = printed.as_tuple().exponent  # as many places as printed
            computed = (part * 100 / total).quantize(Decimal(1).scaleb(int(exponent)))
            if computed != printed:
                label = (
                    Budget.model_fields[owner].title
                    if owner in Budget.model_fields
                    else PHRASES["budget-total-label"]
                )
                self.findings.append(
                    finding(
                        "budget-total-mismatch",
                        Location("budget", line=line),
                        what=PHRASES["budget-share"].format(line=line, label=label),
                        printed=f"{text.strip()}",
                        computed=f"{computed}%",
                    )
                )

    def _read_vertical(
        self, pending: dict[int, FieldTarget], cells: list[str], keys: list[str], line: int
    ) -> bool:
        """Values under a row of labels; False when the row below is not such a row of values."""
        if any(keys[i] in FIELD_LABELS for i in range(len(cells)) if cells[i]):
            return False
        for index, target in pending.items():
            self._set_field(target, cells[index] if index < len(cells) else "", line)
        return True

    def _mark_label(self, target: FieldTarget) -> None:
        if target == ("department", "name"):
            self.saw_department_label = True

    def _set_field(self, target: FieldTarget, value: str, line: int) -> None:
        section, name = target
        self._mark_label(target)
        if section == "department":
            if name in {"staff_count", "subordinate_unit_count"}:
                count = parse_count(value)
                if isinstance(count, Unreadable):
                    code = "staff-count-invalid" if name == "staff_count" else "subordinate-units-invalid"
                    self.findings.append(
                        finding(
                            code,
                            Location("department", field=name, line=line),
                            problem=PHRASES["not-a-count"].format(value=count),
                            value=count,
                        )
                    )
                    count = None
                self.department[name] = count
            else:
                self.department[name] = value
        elif section == "budget":
            self.budget_side = _SIDE_OF.get(name, self.budget_side)
            amount = self._amount(value)
            if isinstance(amount, Unreadable):
                self.findings.append(
                    finding(
                        "amount-invalid",
                        Location("budget", field=name, line=line),
                        place=PHRASES["budget-amount-place"].format(label=Budget.model_fields[name].title),
                        value=amount,
                    )
                )
                amount = None
            self.budget[name] = amount
        elif name == "year":
            year = parse_count(value)
            if isinstance(year, int) and 1900 < year < 2200:
                self.year_cell = (value, year)
        else:
            self.preparation[name] = value

    # --- tasks ---------------------------------------------------------------------------------

    def _task_heading(self, cells: list[str], keys: list[str]) -> bool:
        columns = {i: TASK_COLUMNS[key] for i, key in enumerate(keys) if key in TASK_COLUMNS}
        if "name" not in columns.values() or len(columns) < 2:
            return False
        label_column = next((i for i, key in enumerate(keys) if key in TASK_SECTION_LABELS), None)
        if label_column is not None:
            self.task_kind = TASK_SECTION_LABELS[keys[label_column]]
        elif self.task_columns is not None:
            label_column = self.task_columns.label_column
        self.task_columns = _Columns(
            columns, label_column, _unknown_headings(cells, keys, columns, label_column)
        )
        self.state = "tasks"
        return True

    def _data_start(self) -> int | None:
        """The first column of the task or indicator table being read, if one is.

        A cell of a task or indicator row may hold a label's words (a 三级指标 called 项目支出);
        only labels left of the table's data are labels.
        """
        columns = {"tasks": self.task_columns, "indicators": self.indicator_columns}.get(self.state)
        return None if columns is None else columns.first

    def _total_row(self, label: str, cells: list[str], line: int) -> None:
        """A printed 合计/小计 row: derived from the tasks, so checked against them, not kept."""
        figures = [self._amount(cell, stored=False) for cell in cells if cell and label_key(cell) != label]
        printed = next((f for f in reversed(figures) if isinstance(f, Decimal)), None)
        if printed is None:
            return
        counted = [t for t in self.tasks if label != "小计" or t["kind"] == self.task_kind]
        total = sum((t["amount"] for t in counted if t["amount"] is not None), Decimal(0))
        if printed != total:
            self.findings.append(
                finding(
                    "task-total-mismatch",
                    Location("tasks", field="amount", line=line),
                    line=line,
                    label=label,
                    printed=format_amount(printed),
                    total=format_amount(total),
                )
            )

    def _task_row(self, cells: list[str], line: int) -> None:
        if self.task_columns is None:  # the section's label stood alone; the data starts here
            first = next(i for i, cell in enumerate(cells) if cell)
            self.task_columns = _default_task_columns(first, None)
        values = self.task_columns.read(cells, line, self.findings)
        if not any(values.values()):
            return
        row = len(self.tasks) + 1
        seq_text = _fold(values.get("seq", "")).strip().rstrip(".、")
        seq = int(seq_text) if seq_text.isdigit() and seq_text.isascii() else row
        amount = self._amount(values.get("amount", ""))
        if isinstance(amount, Unreadable):
            place = PHRASES["task-amount-place"].format(
                section=PHRASES[f"task-section.{self.task_kind}"], row=row, name=values.get("name", "")
            )
            self.findings.append(
                finding(
                    "amount-invalid",
                    Location("tasks", row=row, field="amount", line=line),
                    place=place,
                    value=amount,
                )
            )
            amount = None
        task: dict[str, Any] = {
            "seq": seq,
            "kind": self.task_kind,
            "name": values.get("name", ""),
            "content": values.get("content", ""),
            "amount": amount,
        }
        if "expected_outcome" in self.task_columns.fields.values():
            task["expected_outcome"] = values.get("expected_outcome", "")
        self.tasks.append(task)

    # --- indicators ----------------------------------------------------------------------------

    def _indicator_heading(self, cells: list[str], keys: list[str]) -> bool:
        columns = {i: INDICATOR_COLUMNS[key] for i, key in enumerate(keys) if key in INDICATOR_COLUMNS}
        names = set(columns.values())
        if not ({"level2", "name"} <= names or (len(names) >= 3 and "name" in names)):
            return False
        label_column = next((i for i, key in enumerate(keys) if key in INDICATOR_HEADINGS), None)
        unknown = _unknown_headings(cells, keys, columns, label_column)
        self.indicator_columns = _Columns(columns, label_column, unknown)
        self.saw_indicators = True
        self.state = "indicators"
        return True

    def _indicator_row(self, cells: list[str], line: int) -> None:
        columns = self.indicator_columns
        if columns is None:
            columns = self.indicator_columns = _Columns(
                dict(enumerate(("level1", "level2", "name", "explanation", "comparator", "value", "unit")))
            )
        values = columns.read(cells, line, self.findings)
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
            if not level1_cell and not level2_cell:
                return
            if (level1_cell and level1_cell not in LEVEL1_NAMES) or (
                level2_cell and level2_cell not in LEVEL2_NAMES
            ):
                self.findings.append(
                    finding("row-unrecognized", Location(line=line), line=line, cells=_quote_cells(cells))
                )
            return  # an empty row of the printed framework
        row = len(self.indicators) + 1
        level1 = self.level1
        if not level1_cell and (level1, self.level2) not in VALID_PAIRS:
            # The last 一级 actually seen stays as it was: every row under a lost cell is inferred.
            inferred = LEVEL1_OF.get(self.level2)
            if inferred:
                level1 = inferred
                self.findings.append(
                    finding(
                        "level1-inferred",
                        Location("indicators", row=row, field="level1", line=line),
                        row=row,
                        name=data["name"],
                        level1=inferred,
                        level2=self.level2,
                    )
                )
        value_type = values.get("value_type")
        comparator_cell = data["comparator"]
        if not comparator_cell and value_type and simplified(value_type).strip() == Comparator.QUALITATIVE:
            comparator_cell = Comparator.QUALITATIVE.value  # 指标值类型 定性 says it (湖南)
        comparator, value, unit = _split_target(
            comparator_cell,
            data["value"],
            data["unit"],
            has_comparator="comparator" in columns.fields.values() or bool(comparator_cell),
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
        present = set(columns.fields.values())
        if "value_type" in present:
            indicator["value_type"] = value_type or ""
        if "scoring_standard" in present:
            indicator["scoring_standard"] = values.get("scoring_standard", "")
        if "weight" in present:
            indicator["weight"] = self._weight(values.get("weight", ""), row, line)
        self.indicators.append(indicator)

    def _weight(self, text: str, row: int, line: int) -> Decimal | None:
        """指标权重 as a number; one that is not is reported with its cell, not dropped."""
        if not text.strip():
            return None
        weight = parse_number(_fold(text).strip().rstrip("分"))
        if weight is None:
            cells = _quote_cells([f"{PHRASES['weight-label']}：{text}"])
            self.findings.append(
                finding("cells-unplaced", Location("indicators", row=row, line=line), line=line, cells=cells)
            )
        return weight

    # --- result --------------------------------------------------------------------------------

    def table(self) -> TargetTable:
        if not self.saw_department_label and not self.saw_indicators:
            raise ReadError("not-a-target-table", Location(section="file"), source=self.source)
        year = self.year_cell[1] if self.year_cell else self.year
        if year is None:
            where = (
                PHRASES["year-not-in-title"].format(title=self.title) if self.title else PHRASES["no-title"]
            )
            self.findings.append(finding("year-missing", Location("title", field="year"), where=where))
        self._check_shares()
        if self.yuan_mark is not None and self.converted:
            line, label = self.yuan_mark
            self.findings.append(
                finding(
                    "amounts-in-yuan",
                    Location("budget", line=line),
                    line=line,
                    label=label,
                    count=self.converted,
                )
            )
        absent = sum(1 for indicator in self.indicators if indicator["comparator"] is None)
        if absent:
            self.findings.append(
                finding("comparator-absent", Location("indicators", field="comparator"), count=absent)
            )
        return TargetTable.model_validate(
            {
                "title": self.title,
                "year": year,
                "department": self.department,
                **self.preparation,
                "budget": self.budget,
                "overall_goal": "\n".join(self.goal_lines),
                **{name: "\n".join(lines) for name, lines in self.texts.items()},
                "tasks": self.tasks,
                "indicators": self.indicators,
            }
        )


def _default_task_columns(first: int, label_column: int | None) -> _Columns:
    """Columns of a task table printed without its heading row: 序号, 名称, 主要实施内容, 拟投入金额."""
    return _Columns({first + i: name for i, name in enumerate(_TASK_DEFAULT_COLUMNS)}, label_column)


def _unknown_headings(
    cells: list[str], keys: list[str], known: dict[int, str], label_column: int | None
) -> dict[int, str]:
    """Headings in a heading row that the form does not have, by column."""
    return {
        i: cell
        for i, cell in enumerate(cells)
        if cell and i not in known and i != label_column and keys[i] not in _LABELS
    }


def _split_target(
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


def map_grid(rows: list[GridRow], source: str) -> tuple[TargetTable, list[Finding], str]:
    """Map a grid to a table, the findings made while reading it and the layout it is in.

    Raises :class:`ReadError` (``not-a-target-table``) when nothing in it looks like the form.
    """
    mapper = _Mapper(source)
    for row in rows:
        mapper.feed(row)
    table = mapper.table()
    return table, mapper.findings, identify(mapper.labels_seen, simplified(_fold(mapper.title)))
