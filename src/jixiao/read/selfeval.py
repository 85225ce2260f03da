"""Reading a 部门整体支出绩效自评表 (``shared/spec/CYCLE.md``) from any format.

The file is laid out as a grid by the same readers as a target table (:data:`GRID_READERS`); this
module maps the grid to a :class:`SelfEvaluation`, by labels and column headings:

- our own files (:mod:`jixiao.write.selfeval`, the workbook of ``jixiao selfeval new``) carry the
  approved table after :data:`APPENDIX_HEADING`: it is read by the target table's mapper, and the
  自评表's rows are matched to its indicators and tasks, so reading gives back exactly what was
  written;
- a filled table of the national 10号 style (one table: 年初预算数/全年预算数/全年执行数/分值/执行率/
  得分, 预期目标 beside 实际完成情况, 年度指标值/实际完成值/分值/得分/偏差原因分析及改进措施, 总分) is
  read as published: the approved table is what it prints (a comparator inside 年度指标值 is read
  as with target tables), a 定性 row's printed 得分 is the department's entered score, and every
  other printed score is kept only where it differs from the recomputed one, for
  ``selfeval-total-mismatch``.  A 实际完成值 written with the row's own unit (``9次``) is its number.

Printed scores are never taken over; a printed 分值 equal to the profile's even split reads as
null (the same points), as does a 定性 score equal to its tier's default.  Cells that fit no
column and rows that fit no part are reported (``cells-unplaced``, ``row-unrecognized``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Final

from jixiao.findings import Finding, Location, ReadError, finding
from jixiao.model import TargetTable
from jixiao.model.framework import LEVEL1_NAMES, LEVEL2_NAMES, canonical_level_name
from jixiao.model.selfeval import (
    Funds,
    FundsRow,
    IndicatorResult,
    SelfEvaluation,
    TaskResult,
    parse_tier,
)
from jixiao.model.values import to_halfwidth
from jixiao.profile import DEFAULT, Profile
from jixiao.read import (
    file_bytes,
    load_json,
    validate_json,
)
from jixiao.read.cells import Unreadable, label_key, parse_amount, simplified
from jixiao.read.columns import quote_cells
from jixiao.read.grid import GridRow
from jixiao.read.labels import UNIT_NOTES
from jixiao.read.mapper import map_grid
from jixiao.read.parts import split_target
from jixiao.scoring import TIER_BANDS, rounded, score, split_points
from jixiao.write.layout import printed_order
from jixiao.write.selfeval_layout import APPENDIX_HEADING, SCORING_HEADING

_YEAR: Final = re.compile(r"((?:19|20)\d{2})\s*年")


def _keys(*labels: str) -> frozenset[str]:
    return frozenset(label_key(label) for label in labels)


NAME_LABELS: Final = _keys("部门名称", "部门(单位)名称", "单位名称", "实施单位", "预算部门", "部门")
COMPETENT_LABELS: Final = _keys("资金主管部门", "主管部门", "主管部门及代码")
TOTAL_SCORE_LABELS: Final = _keys("自评总分", "总得分")
GRADE_LABELS: Final = _keys("等级", "自评等级", "评价等级")
REASON_LABELS: Final = _keys("预算调整及执行偏差说明", "偏差说明")
TOTAL_ROW_LABELS: Final = _keys("总分", "合计")
CLOSING_LABELS: Final = {
    label_key("自评结论"): "conclusion",
    label_key("存在问题"): "problems",
    label_key("存在的问题"): "problems",
    label_key("改进措施"): "improvements",
    label_key("下一步改进措施"): "improvements",
}
FUNDS_ROW_LABELS: Final = {
    label_key("年度资金总额"): "total",
    label_key("其中：财政拨款"): "fiscal",
    label_key("财政拨款"): "fiscal",
    label_key("其中：当年财政拨款"): "fiscal",
    label_key("当年财政拨款"): "fiscal",
    label_key("其他资金"): "other",
}
FUNDS_COLUMNS: Final = {
    label_key("年初预算数"): "initial_budget",
    label_key("全年预算数"): "annual_budget",
    label_key("全年执行数"): "executed",
    label_key("分值"): "points",
    label_key("执行率"): "rate",
    label_key("得分"): "score",
}
GOAL_COLUMNS: Final = {label_key("预期目标"): "expected", label_key("实际完成情况"): "actual"}
TASK_COLUMNS: Final = {
    label_key("序号"): "seq",
    label_key("任务名称"): "name",
    label_key("主要内容"): "content",
    label_key("拟投入金额"): "amount",
    label_key("预算数"): "amount",
    label_key("全年执行数"): "executed",
    label_key("执行数"): "executed",
    label_key("完成情况"): "progress",
}
INDICATOR_COLUMNS: Final = {
    label_key("一级指标"): "level1",
    label_key("二级指标"): "level2",
    label_key("三级指标"): "name",
    label_key("对比符号"): "comparator",
    label_key("年度指标值"): "value",
    label_key("指标值"): "value",
    label_key("计量单位"): "unit",
    label_key("实际完成值"): "actual",
    label_key("分值"): "points",
    label_key("得分"): "score",
    label_key("偏差原因分析及改进措施"): "deviation",
    label_key("偏差原因分析"): "deviation",
}
SCORING_COLUMNS: Final = {
    label_key("行"): "row",
    label_key("三级指标"): "name",
    label_key("分值"): "points",
    label_key("完成等级"): "tier",
    label_key("自评得分"): "entered",
    label_key("计算得分"): "computed",
    label_key("人工得分理由"): "reason",
    label_key("运行监控完成可能性"): "likelihood",
    label_key("计分说明"): "why",
}
#: Labels that only head a part (their row's data is read by the part's heading).
SECTION_ONLY: Final = _keys(
    "年度资金", "年度资金(万元)", "年度总体目标", "年度主要任务", "绩效指标", SCORING_HEADING
)
_APPENDIX_KEY: Final = label_key(APPENDIX_HEADING[:12])


@dataclass(slots=True)
class Columns:
    """A heading row's fields: each field's first column and the columns up to the next heading's.

    A heading the reader does not know (备注) still ends the field before it; what stands under it
    is reported, never read into a neighbour.
    """

    spans: dict[str, tuple[int, int]]
    unknown: dict[tuple[int, int], str]

    @classmethod
    def of(cls, cells: list[str], names: dict[str, str]) -> Columns:
        known = [index for index, cell in enumerate(cells) if label_key(cell) in names]
        start = min(known, default=0)
        headings = [(index, cell) for index, cell in enumerate(cells) if cell and index >= start]
        spans: dict[str, tuple[int, int]] = {}
        unknown: dict[tuple[int, int], str] = {}
        for position, (index, cell) in enumerate(headings):
            end = headings[position + 1][0] if position + 1 < len(headings) else 10_000
            name = names.get(label_key(cell))
            if name is None:
                unknown[(index, end)] = cell
            else:
                spans.setdefault(name, (index, end))
        return cls(spans, unknown)

    @property
    def first(self) -> int:
        return min((start for start, _ in self.spans.values()), default=0)

    def read(self, cells: list[str]) -> dict[str, str]:
        values = {}
        for name, (start, end) in self.spans.items():
            parts = [cell for cell in cells[start:end] if cell]
            values[name] = "\n".join(parts)
        return values

    def unplaced(self, cells: list[str]) -> list[str]:
        """The cells under headings the reader does not know, as ``heading：text``."""
        return [
            f"{heading}：{cell}"
            for (start, end), heading in self.unknown.items()
            for cell in cells[start:end]
            if cell
        ]


@dataclass(slots=True)
class _Grid:
    """What the 自评表's rows say, as written."""

    source: str
    findings: list[Finding] = field(default_factory=list)
    title: str = ""
    name: str = ""
    competent: str = ""
    totals: list[str] = field(default_factory=list)
    grade: str = ""
    funds: dict[str, dict[str, str]] = field(default_factory=dict)
    reason: str = ""
    goal: dict[str, str] = field(default_factory=dict)
    tasks: list[dict[str, str]] = field(default_factory=list)
    indicators: list[dict[str, str]] = field(default_factory=list)
    scoring: list[dict[str, str]] = field(default_factory=list)
    closing: dict[str, str] = field(default_factory=dict)
    state: str = "start"
    columns: Columns | None = None
    level1: str = ""
    level2: str = ""
    has_comparator_column: bool = False

    def _read(self, columns: Columns, cells: list[str], line: int) -> dict[str, str]:
        """The fields of a data row; cells under an unknown heading are reported."""
        self.unplaced(columns.unplaced(cells), line)
        return columns.read(cells)

    def unplaced(self, cells: list[str], line: int) -> None:
        if cells:
            self.findings.append(
                finding("cells-unplaced", Location(line=line), line=line, cells=quote_cells(cells))
            )

    def unrecognized(self, row: GridRow) -> None:
        self.findings.append(
            finding("row-unrecognized", Location(line=row.line), line=row.line, cells=quote_cells(row.cells))
        )

    def feed(self, row: GridRow) -> None:
        cells = row.cells
        filled = [(index, cell) for index, cell in enumerate(cells) if cell]
        if not filled:
            return
        keys = [label_key(cell) for cell in cells]
        first_index, first = filled[0]
        first_key = keys[first_index]
        if first_key in UNIT_NOTES:
            return
        if len(filled) == 1 and simplified(to_halfwidth(first)).endswith("自评表"):
            self.title = first
            return
        if len(filled) == 1 and _YEAR.search(first) and not self.indicators and self.state == "start":
            self.title = f"{self.title}{first}"  # （2023年度） under the title
            return
        if self._heading(cells, keys):
            return
        if self._labelled(filled, keys, row.line):
            return
        if self.state == "goal" and self.columns is not None:
            values = self._read(self.columns, cells, row.line)
            if any(values.values()):
                self.goal = values
                self.state = "after-goal"
                return
        if self.state == "tasks" and self.columns is not None:
            self._data(row, self.tasks, self.columns)
            return
        if self.state == "indicators" and self.columns is not None:
            self._indicator(row, self.columns)
            return
        if self.state == "scoring" and self.columns is not None:
            self._data(row, self.scoring, self.columns)
            return
        self.unrecognized(row)

    def _heading(self, cells: list[str], keys: list[str]) -> bool:
        present = set(keys)
        if label_key("年初预算数") in present and label_key("全年执行数") in present:
            self.columns, self.state = Columns.of(cells, FUNDS_COLUMNS), "funds"
        elif GOAL_COLUMNS.keys() <= present:
            self.columns, self.state = Columns.of(cells, GOAL_COLUMNS), "goal"
        elif label_key("完成等级") in present and label_key("行") in present:
            self.columns, self.state = Columns.of(cells, SCORING_COLUMNS), "scoring"
        elif label_key("实际完成值") in present and label_key("三级指标") in present:
            self.columns, self.state = Columns.of(cells, INDICATOR_COLUMNS), "indicators"
            self.has_comparator_column = "comparator" in self.columns.spans
        elif label_key("任务名称") in present and label_key("完成情况") in present:
            self.columns, self.state = Columns.of(cells, TASK_COLUMNS), "tasks"
        else:
            return False
        return True

    def _labelled(self, filled: list[tuple[int, str]], keys: list[str], line: int) -> bool:
        """A row led by a label: 部门名称, 自评总分, a funds row, a closing text, 总分."""
        first_index, _ = filled[0]
        first_key = keys[first_index]
        if self.state == "funds" and self.columns is not None:
            row_key = next((keys[i] for i, _ in filled if keys[i] in FUNDS_ROW_LABELS), None)
            if row_key is not None and first_index < self.columns.first:
                cells = ["" if i < self.columns.first else c for i, c in enumerate(_cells(filled, keys))]
                self.funds[FUNDS_ROW_LABELS[row_key]] = self._read(self.columns, cells, line)
                return True
        if first_key in REASON_LABELS:
            self.reason = _after(filled, 0)
            return True
        if first_key in CLOSING_LABELS:
            self.closing[CLOSING_LABELS[first_key]] = _after(filled, 0)
            self.state = "closing"
            return True
        if first_key in TOTAL_ROW_LABELS and self.state == "indicators" and self.columns is not None:
            cells = ["" if i == first_index else c for i, c in enumerate(_cells(filled, keys))]
            values = self._read(self.columns, cells, line)
            if values.get("score"):
                self.totals.append(values["score"])
            self.state = "after-indicators"
            return True
        if first_key in SECTION_ONLY and len(filled) == 1:
            return True
        in_data = self.state in _DATA_STATES and self.columns is not None
        if in_data and self.columns is not None and first_index >= self.columns.first:
            return False  # a task or indicator may be called 部门名称: only a row's start is a label
        labelled = False
        placed: set[int] = set()
        for position, (index, _) in enumerate(filled):
            key = keys[index]
            if key not in _ALL_LABELS:
                continue
            value = _after(filled, position, single=True)
            placed.add(index)
            if value:
                placed.add(filled[position + 1][0])
            if key in NAME_LABELS and not self.name:
                self.name, labelled = value, True
            elif key in COMPETENT_LABELS:
                self.competent, labelled = value, True
            elif key in TOTAL_SCORE_LABELS:
                if value:
                    self.totals.append(value)
                labelled = True
            elif key in GRADE_LABELS:
                self.grade, labelled = value, True
        if labelled:
            self.state = "header"
            self.unplaced([cell for index, cell in filled if index not in placed], line)
        return labelled

    def _data(self, row: GridRow, into: list[dict[str, str]], columns: Columns) -> None:
        before = [cell for cell in row.cells[: columns.first] if cell and label_key(cell) not in SECTION_ONLY]
        self.unplaced(before, row.line)
        values = self._read(columns, row.cells, row.line)
        if any(values.values()):
            into.append(values | {"line": str(row.line)})

    def _indicator(self, row: GridRow, columns: Columns) -> None:
        values = self._read(columns, row.cells, row.line)
        level1 = canonical_level_name(simplified(values.get("level1", "")), LEVEL1_NAMES)
        level2 = canonical_level_name(simplified(values.get("level2", "")), LEVEL2_NAMES)
        if level1:
            self.level1, self.level2 = level1, ""
        if level2:
            self.level2 = level2
        rest = {k: v for k, v in values.items() if k not in {"level1", "level2"}}
        if not any(rest.values()):
            return  # an empty 二级 row of the framework
        before = [cell for cell in row.cells[: columns.first] if cell and label_key(cell) not in SECTION_ONLY]
        self.unplaced(before, row.line)
        self.indicators.append(rest | {"level1": self.level1, "level2": self.level2, "line": str(row.line)})


_DATA_STATES: Final = frozenset({"goal", "tasks", "indicators", "scoring"})


def _cells(filled: list[tuple[int, str]], keys: list[str]) -> list[str]:
    cells = [""] * len(keys)
    for index, cell in filled:
        cells[index] = cell
    return cells


def _after(filled: list[tuple[int, str]], position: int, single: bool = False) -> str:
    """The text after the label at ``position``: the next cell (``single``), or all the rest."""
    rest = [cell for _, cell in filled[position + 1 :]]
    if single:
        return rest[0] if rest and label_key(rest[0]) not in _ALL_LABELS else ""
    return "\n".join(rest)


_ALL_LABELS: Final = (
    NAME_LABELS
    | COMPETENT_LABELS
    | TOTAL_SCORE_LABELS
    | GRADE_LABELS
    | REASON_LABELS
    | frozenset(CLOSING_LABELS)
)


# ---------------------------------------------------------------------------------------------
# The result


@dataclass(slots=True)
class SelfevalReadResult:
    """A self-evaluation read from a source, and what the reader noticed on the way."""

    evaluation: SelfEvaluation
    source: str
    findings: list[Finding] = field(default_factory=list)


def amount_of(text: str, where: Location, place: str, findings: list[Finding]) -> Decimal | None:
    """An amount (or points) as written; one that is no number is reported, never guessed."""
    value = parse_amount(text) if text else None
    if isinstance(value, Unreadable):
        findings.append(finding("amount-invalid", where, place=place, value=str(value)))
        return None
    return value


@dataclass(slots=True)
class _Builder:
    """Amounts and the funds block from the grid's text; a cell that is no number is reported."""

    grid: _Grid
    findings: list[Finding]

    def amount(self, text: str, where: Location, place: str) -> Decimal | None:
        return amount_of(text, where, place, self.findings)

    def funds(self) -> Funds:
        rows = {}
        for row_number, name in enumerate(("total", "fiscal", "other"), start=1):
            cells = self.grid.funds.get(name, {})
            rows[name] = FundsRow(
                **{
                    column: self.amount(
                        cells.get(column, ""),
                        Location("funds", row=row_number, field=column),
                        f"{Funds.model_fields[name].title}的{FundsRow.model_fields[column].title}",
                    )
                    for column in ("initial_budget", "annual_budget", "executed")
                }
            )
        return Funds(**rows, reason=self.grid.reason)


def _number(text: str) -> Decimal | None:
    value = parse_amount(text.rstrip("分").rstrip("%")) if text else None
    return None if value is None or isinstance(value, Unreadable) else value


def _strip_unit(actual: str, unit: str) -> str:
    """``9次`` with the row's unit 次 → ``9``: the published form writes the unit it has."""
    folded = to_halfwidth(actual).strip()
    unit = to_halfwidth(unit).strip()
    if unit and folded.endswith(unit) and len(folded) > len(unit):
        return folded[: -len(unit)].strip()
    return actual


def _approved_of(grid: _Grid, findings: list[Finding]) -> TargetTable:
    """The approved table as a published 自评表 shows it."""
    title = grid.title
    year_match = _YEAR.search(to_halfwidth(title))
    indicators = []
    for row in grid.indicators:
        comparator, value, unit = split_target(
            row.get("comparator", ""), row.get("value", ""), row.get("unit", ""),
            has_comparator=grid.has_comparator_column,
        )  # fmt: skip
        indicators.append(
            {
                "level1": row["level1"],
                "level2": row["level2"],
                "name": row.get("name", ""),
                "comparator": comparator,
                "value": value,
                "unit": unit,
            }
        )
    absent = sum(1 for indicator in indicators if indicator["comparator"] is None)
    if absent:
        findings.append(
            finding("comparator-absent", Location("indicators", field="comparator"), count=absent)
        )
    builder = _Builder(grid, findings)
    tasks = []
    for number, row in enumerate(grid.tasks, start=1):
        seq = parse_amount(row.get("seq", ""))
        tasks.append(
            {
                "seq": int(seq) if isinstance(seq, Decimal) and seq == seq.to_integral_value() else number,
                "kind": "key",
                "name": row.get("name", ""),
                "content": row.get("content", ""),
                "amount": builder.amount(
                    row.get("amount", ""),
                    Location("tasks", row=number, field="amount"),
                    f"任务第{number}行的预算数",
                ),
            }
        )
    initial = {
        name: grid.funds.get(name, {}).get("initial_budget", "") for name in ("total", "fiscal", "other")
    }
    return TargetTable.model_validate(
        {
            "title": title,
            "year": int(year_match.group(1)) if year_match else None,
            "department": {"name": grid.name, "competent_department": grid.competent},
            "budget": {
                "total_expenditure": _number(initial["total"]),
                "fiscal_appropriation": _number(initial["fiscal"]),
                "other_funds": _number(initial["other"]),
            },
            "overall_goal": grid.goal.get("expected", ""),
            "tasks": tasks,
            "indicators": indicators,
        }
    )


def matched_rows(
    rows: list[dict[str, str]], approved: TargetTable, findings: list[Finding]
) -> list[dict[str, str] | None]:
    """A form's indicator rows (printed in the target table's printed order, as our own files
    print them) in the approved table's order; a row whose 三级指标 is another is reported, not
    read."""
    order = printed_order(approved)
    matched: list[dict[str, str] | None] = [None] * len(approved.indicators)
    for position, row in enumerate(rows):
        index = order[position] if position < len(order) else None
        expected = approved.indicators[index].name if index is not None else ""
        if index is None or row.get("name", "") != expected:
            findings.append(
                finding(
                    "rows-unmatched",
                    Location("indicators", line=int(row["line"])),
                    line=row["line"],
                    name=row.get("name", ""),
                    expected=expected or "（无）",
                )
            )
            continue
        matched[index] = row
    return matched


def appendix_start(rows: list[GridRow]) -> int | None:
    """The grid row of :data:`APPENDIX_HEADING` (our own files), if there is one."""
    for index, grid_row in enumerate(rows):
        if any(label_key(cell[:12]) == _APPENDIX_KEY for cell in grid_row.cells if cell):
            return index
    return None


def leftover(values: dict[str, str], findings: list[Finding]) -> None:
    """A row beyond the table's (a task or a 行 the approved table does not have): reported."""
    line = values.get("line", "0")
    cells = [value for key, value in values.items() if key != "line"]
    findings.append(
        finding("row-unrecognized", Location(line=int(line)), line=line, cells=quote_cells(cells))
    )


def task_figures(
    rows: list[dict[str, str]], approved: TargetTable, findings: list[Finding], what: str
) -> list[dict[str, object]]:
    """A form's task rows as the fields of each approved task's row (``executed``, ``progress``;
    none where the form has no row for it); a row beyond the table's is reported."""
    figures: list[dict[str, object]] = [{} for _ in approved.tasks]
    for number, values in enumerate(rows, start=1):
        if number > len(figures):
            leftover(values, findings)
            continue
        where = Location("tasks", row=number, field="executed")
        figures[number - 1] = {
            "executed": amount_of(values.get("executed", ""), where, f"任务第{number}行的{what}", findings),
            "progress": values.get("progress", ""),
        }
    return figures


def _scoring_rows(grid: _Grid, approved: TargetTable, findings: list[Finding]) -> dict[int, dict[str, str]]:
    """得分计算说明's rows by their 行 (our own files)."""
    by_row: dict[int, dict[str, str]] = {}
    for values in grid.scoring:
        number = _number(values.get("row", ""))
        if (
            number is not None
            and number == number.to_integral_value()
            and 1 <= number <= len(approved.indicators)
        ):
            by_row[int(number)] = values
        else:
            leftover(values, findings)
    return by_row


def selfeval_from_grid(rows: list[GridRow], source: str, profile: Profile = DEFAULT) -> SelfevalReadResult:
    """Map a grid to a self-evaluation (see the module's docstring)."""
    split = appendix_start(rows)
    own = split is not None
    grid = _Grid(source)
    for grid_row in rows[:split]:
        grid.feed(grid_row)
    findings = grid.findings
    if not grid.indicators and not grid.funds:
        raise ReadError("not-a-selfeval", Location("file"), source=source)
    matched: list[dict[str, str] | None]
    if split is not None:
        mapped = map_grid(rows[split + 1 :], source)
        approved = mapped.table
        findings.extend(mapped.findings)
        matched = matched_rows(grid.indicators, approved, findings)
    else:
        approved = _approved_of(grid, findings)
        matched = list(grid.indicators)
    builder = _Builder(grid, findings)
    scoring = _scoring_rows(grid, approved, findings)
    results = []
    for index, indicator in enumerate(approved.indicators):
        values = matched[index] or {}
        extra = scoring.get(index + 1, {})
        actual = values.get("actual", "") or None
        tier = parse_tier(extra.get("tier", ""))
        if own and tier is not None and actual is not None and parse_tier(actual) is tier:
            actual = None  # the tier stood in 实际完成值 (the writer puts it there when no text was given)
        if not own and actual is not None:
            actual = _strip_unit(actual, indicator.unit)
        where = Location("indicators", row=index + 1, field="points")
        results.append(
            IndicatorResult(
                actual=actual,
                tier=tier,
                points=builder.amount(values.get("points", ""), where, f"绩效指标第{index + 1}行的分值"),
                entered_score=_number(extra.get("entered", "")),
                score_reason=extra.get("reason", ""),
                deviation=values.get("deviation", ""),
                monitoring_likelihood=extra.get("likelihood", "") or None,
                printed_score=_number(values.get("score", "")),
            )
        )
    evaluation = SelfEvaluation(
        approved=approved,
        funds=builder.funds(),
        goal_actual=grid.goal.get("actual", ""),
        tasks=[TaskResult(**row) for row in task_figures(grid.tasks, approved, findings, "全年执行数")],
        indicators=results,
        conclusion=grid.closing.get("conclusion", ""),
        problems=grid.closing.get("problems", ""),
        improvements=grid.closing.get("improvements", ""),
    )
    _settle(evaluation, grid, profile, own)
    return SelfevalReadResult(evaluation, source, findings)


def _settle(evaluation: SelfEvaluation, grid: _Grid, profile: Profile, own: bool) -> None:
    """Points equal to the even split are null; a 定性 row's printed score is its entered score
    (null when the tier's default); printed scores equal to the computed ones are dropped."""
    defaults = split_points(evaluation, profile).defaults
    for result, default in zip(evaluation.indicators, defaults, strict=True):
        if result.points is not None and result.points == default:
            result.points = None
    scores = score(evaluation, profile)
    for result, row in zip(evaluation.indicators, scores.rows, strict=True):
        if row.qualitative:
            if not own and result.entered_score is None:
                result.entered_score = result.printed_score
            result.printed_score = None
            tier = result.tier or parse_tier(result.actual)
            if tier is not None and result.entered_score == rounded(row.points * TIER_BANDS[tier][2]):
                result.entered_score = None
    scores = score(evaluation, profile)
    for result, row in zip(evaluation.indicators, scores.rows, strict=True):
        if result.printed_score is not None and result.printed_score == row.score:
            result.printed_score = None
    printed_execution = _number(grid.funds.get("total", {}).get("score", ""))
    if printed_execution is not None and printed_execution != scores.execution.score:
        evaluation.funds.printed_score = printed_execution
    for text in grid.totals:
        total = _number(text)
        if total is not None and total != scores.total:
            evaluation.printed_total = total
    if grid.grade and grid.grade.strip() != scores.grade:
        evaluation.printed_grade = grid.grade.strip()


# ---------------------------------------------------------------------------------------------
# Entry points


def selfeval_json(data: bytes, source: str) -> SelfevalReadResult:
    """A self-evaluation from its canonical JSON."""
    document = load_json(data, source)
    if not isinstance(document, dict) or "approved" not in document:
        raise ReadError("not-a-selfeval", Location("file"), source=source)
    return SelfevalReadResult(validate_json(SelfEvaluation, document, source), source)


def read_selfeval_bytes(
    data: bytes, source: str = "<输入>", profile: Profile = DEFAULT
) -> SelfevalReadResult:
    """A self-evaluation from ``data``; a target table or anything else raises :class:`ReadError`
    (``not-a-selfeval``, or why it cannot be read)."""
    from jixiao.read.document import read_document

    try:
        result = read_document(data, source, profile)
    except ReadError as error:
        if error.finding.code == "not-a-target-table":
            raise ReadError("not-a-selfeval", Location("file"), source=source) from None
        raise
    if not isinstance(result, SelfevalReadResult):
        raise ReadError("not-a-selfeval", Location("file"), source=source)
    return result


def read_selfeval_path(path: str | Path, profile: Profile = DEFAULT) -> SelfevalReadResult:
    """A self-evaluation from the file at ``path``."""
    return read_selfeval_bytes(file_bytes(path), str(path), profile)
