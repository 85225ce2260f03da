"""Reading a 部门整体支出绩效运行监控表 (``shared/spec/CYCLE.md``, "Monitoring") from our own files.

The file is laid out as a grid by the same readers as a target table; this module maps the grid
to a :class:`MonitoringReport`, by labels and column headings, on the self-evaluation reader's
machinery (:mod:`jixiao.read.selfeval`: :class:`Columns`, the appendix, row matching).  Our files
(:mod:`jixiao.write.monitoring`, the workbook of ``jixiao monitor new``) carry the approved table
after the appendix heading: it is read by the target table's mapper and the 监控表's rows are
matched to its indicators and tasks, so reading gives back exactly what was written.  Computed
cells (执行率, the warnings and why) are never read: they are computed again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from jixiao.findings import Finding, Location, ReadError, finding
from jixiao.model import TargetTable
from jixiao.model.monitoring import (
    IndicatorProgress,
    MonitoringFunds,
    MonitoringFundsRow,
    MonitoringReport,
    TaskProgress,
)
from jixiao.model.selfeval import ApprovedTable, parse_tier
from jixiao.read import load_json, validate_json
from jixiao.read.cells import label_key, parse_amount
from jixiao.read.columns import quote_cells
from jixiao.read.grid import GridRow
from jixiao.read.mapper import map_grid
from jixiao.read.selfeval import Columns, amount_of, appendix_start, leftover, matched_rows, task_figures
from jixiao.write.monitoring_layout import (
    CAUSE_SEPARATOR,
    CLOSING,
    DETAIL_HEADING,
    FUNDS_LABEL,
    FUNDS_ROWS,
    MONTH_LABEL,
    REASON_LABEL,
    YEAR_LABEL,
    YES,
)
from jixiao.write.selfeval_layout import INDICATORS_LABEL, TASKS_LABEL

#: ``1-7月`` (or 1–7月, 1至7月) in a heading: any month reads as the report's.
_MONTHS: Final = re.compile(r"1\s*[-–—~～至]\s*\d{1,2}\s*月")


def _key(cell: str) -> str:
    return label_key(_MONTHS.sub("1-m月", cell))


def _map(**names: str) -> dict[str, str]:
    return {_key(label): name for label, name in names.items()}


FUNDS_COLUMNS: Final = _map(
    年初预算数="initial_budget", 调整后预算数="adjusted_budget", **{"1-m月执行数": "executed"},
    执行率="rate", 全年预计执行数="forecast", 预警="warning",
)  # fmt: skip
TASK_COLUMNS: Final = _map(
    序号="seq", 任务名称="name", **{"拟投入金额(万元)": "amount", "1-m月执行数(万元)": "executed"},
    进展情况="progress",
)  # fmt: skip
INDICATOR_COLUMNS: Final = _map(
    一级指标="level1", 二级指标="level2", 三级指标="name", 年度指标值="target",
    **{"1-m月完成值": "to_date"}, 全年预计完成值="forecast", 完成可能性="likelihood",
    偏差原因="causes", 原因说明="cause_note", 纠偏措施="measures", 预警="warning",
)  # fmt: skip
DETAIL_COLUMNS: Final = _map(
    行="row", 三级指标="name", 完成等级="tier", 年底测评="year_end", 年底测评理由="year_end_reason",
    存量指标="stock", 调整后指标值="adjusted_target", 指标调整理由="adjustment_reason", 预警说明="why",
)  # fmt: skip
FUNDS_ROW_LABELS: Final = {label_key(label): name for name, label in FUNDS_ROWS}
CLOSING_LABELS: Final = {label_key(label): name for name, label in CLOSING}
#: Labels that only head a part, or label a computed figure.
SECTION_ONLY: Final = frozenset(
    label_key(label) for label in (FUNDS_LABEL, TASKS_LABEL, INDICATORS_LABEL, DETAIL_HEADING)
)


@dataclass(slots=True)
class MonitoringReadResult:
    """A monitoring report read from a source, and what the reader noticed on the way."""

    report: MonitoringReport
    source: str
    findings: list[Finding] = field(default_factory=list)


def _labelled(cells: list[str], labels: dict[str, str]) -> dict[str, str]:
    """``label → the text after it`` for each of ``labels`` in a header row: the next filled cell,
    unless that is another label."""
    keys = [label_key(cell) for cell in cells]
    values: dict[str, str] = {}
    for index, key in enumerate(keys):
        if key not in labels:
            continue
        after = next((cell for cell in cells[index + 1 :] if cell), "")
        values[labels[key]] = "" if label_key(after) in _HEADER_LABELS else after
    return values


_HEADER: Final = {
    label_key("部门名称"): "name",
    label_key("资金主管部门"): "competent",
    label_key(YEAR_LABEL): "year",
    label_key(MONTH_LABEL): "month",
    label_key("序时进度"): "time_progress",
    label_key("部门预警"): "warning",
}
_HEADER_LABELS: Final = frozenset(_HEADER)


@dataclass(slots=True)
class _Grid:
    """What the 监控表's rows say, as written."""

    findings: list[Finding] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)
    funds: dict[str, dict[str, str]] = field(default_factory=dict)
    reason: str = ""
    tasks: list[dict[str, str]] = field(default_factory=list)
    indicators: list[dict[str, str]] = field(default_factory=list)
    detail: list[dict[str, str]] = field(default_factory=list)
    closing: dict[str, str] = field(default_factory=dict)
    state: str = "start"
    columns: Columns | None = None

    def feed(self, row: GridRow) -> None:
        cells = row.cells
        filled = [(index, cell) for index, cell in enumerate(cells) if cell]
        if not filled:
            return
        keys = [_key(cell) for cell in cells]
        present = set(keys)
        if len(filled) == 1 and filled[0][1].strip().endswith("监控表"):
            return  # the title
        if present & _HEADER_LABELS and self.state in {"start", "header"}:
            self.header |= _labelled(cells, _HEADER)
            self.state = "header"
            return
        if self._heading(cells, present):
            return
        first_index = filled[0][0]
        first_key = keys[first_index]
        if first_key in SECTION_ONLY and len(filled) == 1:
            return
        if first_key in SECTION_ONLY:  # a part's label heads its first row (merged down)
            first_index = filled[1][0]
            first_key = keys[first_index]
        if first_key in CLOSING_LABELS:
            self.closing[CLOSING_LABELS[first_key]] = "\n".join(cell for _, cell in filled[1:])
            self.state = "closing"
            return
        if first_key == label_key(REASON_LABEL):
            self.reason = "\n".join(cell for index, cell in filled if index > first_index)
            return
        if self.state == "funds" and first_key in FUNDS_ROW_LABELS and self.columns is not None:
            blanked = ["" if i <= first_index else cell for i, cell in enumerate(cells)]
            self.funds[FUNDS_ROW_LABELS[first_key]] = self._read(self.columns, blanked, row.line)
            return
        into = {"tasks": self.tasks, "indicators": self.indicators, "detail": self.detail}.get(self.state)
        if into is not None and self.columns is not None:
            values = self._read(self.columns, cells, row.line)
            if any(values.values()):
                into.append(values | {"line": str(row.line)})
            return
        self.findings.append(
            finding("row-unrecognized", Location(line=row.line), line=row.line, cells=quote_cells(cells))
        )

    def _read(self, columns: Columns, cells: list[str], line: int) -> dict[str, str]:
        unplaced = columns.unplaced(cells)
        if unplaced:
            self.findings.append(
                finding("cells-unplaced", Location(line=line), line=line, cells=quote_cells(unplaced))
            )
        return columns.read(cells)

    def _heading(self, cells: list[str], present: set[str]) -> bool:
        canon = [_MONTHS.sub("1-m月", cell) for cell in cells]
        if _key("年初预算数") in present and _key("调整后预算数") in present:
            self.columns, self.state = Columns.of(canon, FUNDS_COLUMNS), "funds"
        elif _key("任务名称") in present and _key("进展情况") in present:
            self.columns, self.state = Columns.of(canon, TASK_COLUMNS), "tasks"
        elif _key("完成可能性") in present and _key("三级指标") in present:
            self.columns, self.state = Columns.of(canon, INDICATOR_COLUMNS), "indicators"
        elif _key("年底测评") in present and _key("行") in present:
            self.columns, self.state = Columns.of(canon, DETAIL_COLUMNS), "detail"
        else:
            return False
        return True


def _whole(text: str) -> int | None:
    value = parse_amount(text) if text else None
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return None


def _funds(grid: _Grid, findings: list[Finding]) -> MonitoringFunds:
    rows = {}
    for number, (name, _) in enumerate(FUNDS_ROWS, start=1):
        cells = grid.funds.get(name, {})
        title = MonitoringFunds.model_fields[name].title
        rows[name] = MonitoringFundsRow(
            **{
                column: amount_of(
                    cells.get(column, ""),
                    Location("funds", row=number, field=column),
                    f"{title}的{MonitoringFundsRow.model_fields[column].title}",
                    findings,
                )
                for column in ("initial_budget", "adjusted_budget", "executed", "forecast")
            }
        )
    return MonitoringFunds(**rows, reason=grid.reason)


def _details(grid: _Grid, approved: TargetTable, findings: list[Finding]) -> dict[int, dict[str, str]]:
    by_row: dict[int, dict[str, str]] = {}
    for values in grid.detail:
        number = _whole(values.get("row", ""))
        if number is not None and 1 <= number <= len(approved.indicators):
            by_row[number] = values
        else:
            leftover(values, findings)
    return by_row


def _progress(values: dict[str, str], detail: dict[str, str]) -> IndicatorProgress:
    tier = parse_tier(detail.get("tier", ""))
    to_date = values.get("to_date", "") or None
    if tier is not None and to_date is not None and parse_tier(to_date) is tier:
        to_date = None  # the tier stood in 完成值 (the writer puts it there when no value was given)
    causes = [cause.strip() for cause in values.get("causes", "").split(CAUSE_SEPARATOR)]
    return IndicatorProgress(
        to_date=to_date,
        tier=tier,
        forecast=values.get("forecast", "") or None,
        likelihood=values.get("likelihood", "") or None,
        causes=causes,
        cause_note=values.get("cause_note", ""),
        measures=values.get("measures", ""),
        year_end=detail.get("year_end", "").strip() == YES,
        year_end_reason=detail.get("year_end_reason", ""),
        stock=detail.get("stock", "").strip() == YES,
        adjusted_target=detail.get("adjusted_target", "") or None,
        adjustment_reason=detail.get("adjustment_reason", ""),
    )


def monitoring_from_grid(rows: list[GridRow], source: str) -> MonitoringReadResult:
    """Map a grid of one of our monitoring files to a report (see the module's docstring)."""
    split = appendix_start(rows)
    if split is None:
        raise ReadError("not-a-monitoring", Location("file"), source=source, why="没有附后的批复目标表")
    grid = _Grid()
    for grid_row in rows[:split]:
        grid.feed(grid_row)
    findings = grid.findings
    month = _whole(grid.header.get("month", ""))
    if month is None:
        raise ReadError("not-a-monitoring", Location("file"), source=source, why="截至月份不是整数")
    mapped = map_grid(rows[split + 1 :], source)
    approved = mapped.table
    findings.extend(mapped.findings)
    matched = matched_rows(grid.indicators, approved, findings)
    details = _details(grid, approved, findings)
    report = MonitoringReport(
        approved=ApprovedTable.of(approved),
        year=_whole(grid.header.get("year", "")),
        month=month,
        funds=_funds(grid, findings),
        tasks=[TaskProgress(**row) for row in task_figures(grid.tasks, approved, findings, "执行数")],
        indicators=[
            _progress(matched[index] or {}, details.get(index + 1, {}))
            for index in range(len(approved.indicators))
        ],
        problems=grid.closing.get("problems", ""),
        next_steps=grid.closing.get("next_steps", ""),
    )
    return MonitoringReadResult(report, source, findings)


def monitoring_json(data: bytes, source: str) -> MonitoringReadResult:
    """A report from its canonical JSON."""
    return MonitoringReadResult(validate_json(MonitoringReport, load_json(data, source), source), source)
