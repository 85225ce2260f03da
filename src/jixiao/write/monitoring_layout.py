"""The printed 部门整体支出绩效运行监控表, described once (``shared/spec/CYCLE.md``, "Monitoring").

:func:`monitoring_layout` turns a monitoring report and its warnings
(:func:`jixiao.monitoring.warnings`) into the same :class:`Block` values the target table's layout
gives (:mod:`jixiao.write.layout`), so every writer draws it the same way:

1. the 监控表 on one grid of :data:`COLUMNS` columns: 部门; 监控年度, 截至月份, 序时进度 and the
   department's warning; 预算执行情况 per source (年初预算数, 调整后预算数, 1–m月执行数, 执行率,
   全年预计执行数, the budget's warning) and its reason; 年度主要任务 (拟投入金额 beside 1–m月执行数
   and 进展情况); 绩效指标 (年度指标值, 1–m月完成值, 全年预计完成值, 完成可能性, 偏差原因, 原因说明,
   纠偏措施, 预警); 存在的问题, 下一步措施;
2. 指标预警说明: per indicator its row, 完成等级, 年底测评 with its reason, 存量指标, the adjusted
   target with its reason, and why the row has its colour;
3. 附：the approved target table in its own layout (the file carries the whole report:
   :mod:`jixiao.read.monitoring` reads it back exactly).

Every warning is a cell holding its colour's word (红、黄、绿、蓝、灰) and shaded in that colour:
colour is never the only signal.  Labels here are the ones the monitoring reader looks for.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from jixiao.model import format_amount
from jixiao.model.monitoring import MonitoringFundsRow, MonitoringReport
from jixiao.monitoring import Alert, Warnings
from jixiao.profile import Profile
from jixiao.scoring import rounded
from jixiao.write.layout import Block, Cell, FillCell, layout, printed_order
from jixiao.write.selfeval_layout import (
    APPENDIX_HEADING,
    INDICATORS_LABEL,
    TIER_CHOICES,
    spans,
    target_text,
    task_rows,
)

#: The 监控表's grid: a label column and eleven more (the indicator table's).
COLUMNS: Final = 12
WIDTHS: Final = (7, 7, 8, 12, 8, 8, 8, 7, 8, 10, 10, 7)
TITLE_SUFFIX: Final = "部门整体支出绩效运行监控表"
#: ``1-m月`` in a heading: the month is the report's.
TO_DATE: Final = "1-{month}月"
YEAR_LABEL: Final = "监控年度"
MONTH_LABEL: Final = "截至月份"
TIME_PROGRESS_LABEL: Final = "序时进度"
DEPARTMENT_WARNING_LABEL: Final = "部门预警"
FUNDS_LABEL: Final = "预算执行情况（万元）"
FUNDS_HEADINGS: Final = ("年初预算数", "调整后预算数", "{to_date}执行数", "执行率", "全年预计执行数", "预警")
FUNDS_ROWS: Final = (
    ("total", "年度资金总额"),
    ("basic", "其中：基本支出"),
    ("project", "项目支出"),
    ("fiscal", "其中：财政拨款"),
    ("other", "其他资金"),
)
REASON_LABEL: Final = "预算执行偏差原因及纠偏措施"
TASK_HEADINGS: Final = ("序号", "任务名称", "拟投入金额(万元)", "{to_date}执行数(万元)", "进展情况")
INDICATOR_HEADINGS: Final = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "{to_date}完成值",
    "全年预计完成值",
    "完成可能性",
    "偏差原因",
    "原因说明",
    "纠偏措施",
    "预警",
)
CLOSING: Final = (("problems", "存在的问题"), ("next_steps", "下一步措施"))
DETAIL_HEADING: Final = "指标预警说明"
DETAIL_HEADINGS: Final = (
    "行",
    "三级指标",
    "完成等级",
    "年底测评",
    "年底测评理由",
    "存量指标",
    "调整后指标值",
    "指标调整理由",
    "预警说明",
)
DETAIL_WIDTHS: Final = (4, 12, 8, 7, 12, 7, 10, 14, 26)
#: How 年底测评 and 存量指标 are written (a list in the workbook to fill).
YES: Final = "是"
YES_NO: Final = (YES, "否")
#: Several 偏差原因 are written in one cell, joined by this.
CAUSE_SEPARATOR: Final = "、"


def to_date(month: int) -> str:
    """``1-7月``: the months the report covers, as headings print them."""
    return TO_DATE.format(month=month)


def title_of(report: MonitoringReport) -> str:
    """The form's title: the year's and department's 部门整体支出绩效运行监控表."""
    approved = report.approved
    year = report.year or approved.year
    return f"{approved.department.name}{f'{year}年' if year is not None else ''}{TITLE_SUFFIX}"


def _number(value: Decimal | None) -> Cell:
    return Cell("" if value is None else format_amount(value), "amount", amount=value)


def _fill_number(value: Decimal | None) -> Cell:
    return FillCell("" if value is None else format_amount(value), "amount", amount=value, fill="amount")


def _fill_text(text: str, role: str = "text", colspan: int = 1) -> Cell:
    return FillCell(text, role, colspan=colspan, fill="text")  # type: ignore[arg-type]


def warning_cell(alert: Alert | None, shown: bool, colspan: int = 1) -> Cell:
    """A warning: its colour's word, shaded in the colour (blank in the workbook to fill)."""
    if alert is None or not shown or alert.colour is None:
        return Cell("", "short", colspan=colspan)
    return Cell(alert.word, "short", colspan=colspan, colour=alert.colour.value)


def _rate(row: MonitoringFundsRow, shown: bool) -> Cell:
    budget, executed = row.adjusted_budget, row.executed
    if not shown or budget is None or executed is None or budget <= 0:
        return Cell("", "short")
    return Cell(f"{format_amount(rounded(executed * 100 / budget))}%", "short")


def _header_rows(report: MonitoringReport, found: Warnings, shown: bool) -> list[list[Cell]]:
    department = report.approved.department
    progress = found.time_progress_percent
    return [
        [
            Cell("部门名称", "label"),
            Cell(department.name, colspan=5),
            Cell("资金主管部门", "label", colspan=2),
            Cell(department.competent_department, colspan=4),
        ],
        [
            Cell(YEAR_LABEL, "label"),
            Cell("" if report.year is None else str(report.year), "number", colspan=2),
            Cell(MONTH_LABEL, "label"),
            Cell(str(report.month), "number", colspan=2),
            Cell(TIME_PROGRESS_LABEL, "label"),
            Cell("" if progress is None else f"{format_amount(progress)}%", "short", colspan=2),
            Cell(DEPARTMENT_WARNING_LABEL, "label"),
            warning_cell(found.department, shown, colspan=2),
        ],
    ]


def _funds_rows(report: MonitoringReport, found: Warnings, shown: bool) -> list[list[Cell]]:
    months = to_date(report.month)
    rows: list[list[Cell]] = [
        [
            Cell(FUNDS_LABEL, "label", rowspan=2 + len(FUNDS_ROWS)),
            Cell("", "heading", colspan=4),
            *(
                Cell(h.format(to_date=months), "heading", colspan=2 if h == "预警" else 1)
                for h in FUNDS_HEADINGS
            ),
        ]
    ]
    for name, label in FUNDS_ROWS:
        row: MonitoringFundsRow = getattr(report.funds, name)
        rows.append(
            [
                Cell(label, "label", colspan=4),
                # 年初预算数 is the approved table's; the department fills it only where that shows none
                _number(row.initial_budget) if row.initial_budget is not None else _fill_number(None),
                _fill_number(row.adjusted_budget),
                _fill_number(row.executed),
                _rate(row, shown),
                _fill_number(row.forecast),
                warning_cell(found.budget.alert if name == "total" else None, shown, colspan=2),
            ]
        )
    rows.append([Cell(REASON_LABEL, "label", colspan=4), _fill_text(report.funds.reason, "goal", colspan=7)])
    return rows


def indicator_order(report: MonitoringReport) -> list[int]:
    """0-based positions of the indicators in the order the form prints them (the target table's
    printed order, grouped by the framework)."""
    return printed_order(report.approved.as_target_table())


def _indicator_rows(
    report: MonitoringReport, found: Warnings, profile: Profile, shown: bool
) -> list[list[Cell]]:
    months = to_date(report.month)
    order = indicator_order(report)
    approved = report.approved.indicators
    level1_spans = spans([approved[i].level1 for i in order])
    level2_spans = spans([f"{approved[i].level1}\t{approved[i].level2}" for i in order])
    rows: list[list[Cell]] = [
        [
            Cell(INDICATORS_LABEL, "label", rowspan=1 + len(order)),
            *(Cell(heading.format(to_date=months), "heading") for heading in INDICATOR_HEADINGS),
        ]
    ]
    causes = tuple(profile.deviation_causes)
    for position, index in enumerate(order):
        indicator, progress = approved[index], report.indicators[index]
        row: list[Cell] = []
        if level1_spans[position]:
            row.append(Cell(indicator.level1, "label", rowspan=level1_spans[position]))
        if level2_spans[position]:
            row.append(Cell(indicator.level2, "label", rowspan=level2_spans[position]))
        value = progress.to_date
        if value is None and progress.tier is not None:
            value = progress.tier.value  # a 定性 row's tier stands in 完成值
        row += [
            Cell(indicator.name),
            Cell(target_text(indicator), "short"),
            _fill_text(value or "", "short"),
            _fill_text(progress.forecast or "", "short"),
            FillCell(
                progress.likelihood or "", "short", fill="likelihood", choices=tuple(profile.likelihood)
            ),
            FillCell(
                CAUSE_SEPARATOR.join(progress.causes), "short", fill="causes", choices=causes, free=True
            ),
            _fill_text(progress.cause_note),
            _fill_text(progress.measures),
            warning_cell(found.rows[index].alert, shown),
        ]
        rows.append(row)
    return rows


def monitoring_table(
    report: MonitoringReport, found: Warnings, profile: Profile, shown: bool = True
) -> Block:
    """The 监控表 itself; without the computed figures when not ``shown`` (the workbook to fill)."""
    rows: list[list[Cell]] = [
        *_header_rows(report, found, shown),
        *_funds_rows(report, found, shown),
        *task_rows(
            report.approved.tasks,
            report.tasks,
            [heading.format(to_date=to_date(report.month)) for heading in TASK_HEADINGS],
            (3, 5),
        ),
        *_indicator_rows(report, found, profile, shown),
        *(
            [Cell(label, "label"), _fill_text(getattr(report, name), "goal", colspan=COLUMNS - 1)]
            for name, label in CLOSING
        ),
    ]
    return Block("table", rows=rows, columns=COLUMNS, name="", widths=WIDTHS)


def _yes(value: bool, qualifies: bool = True) -> Cell:
    text = YES if value else ""
    return FillCell(text, "short", fill="yes-no", choices=YES_NO) if qualifies else Cell(text, "short")


def detail_table(report: MonitoringReport, found: Warnings, shown: bool = True) -> Block:
    """指标预警说明: per indicator (in table order; 行 is a finding's row) what else the row says
    and why it has its colour."""
    rows = [[Cell(heading, "heading") for heading in DETAIL_HEADINGS]]
    for warning, progress in zip(found.rows, report.indicators, strict=True):
        tier = progress.tier.value if progress.tier is not None else ""
        rows.append(
            [
                Cell(str(warning.row), "seq"),
                Cell(warning.name),
                # 完成等级 is a 定性 row's to choose
                FillCell(tier, "short", fill="tier", choices=TIER_CHOICES)
                if warning.qualitative
                else Cell(tier, "short"),
                _yes(progress.year_end),
                _fill_text(progress.year_end_reason),
                _yes(progress.stock),
                _fill_text(progress.adjusted_target or "", "short"),
                _fill_text(progress.adjustment_reason),
                Cell(warning.alert.why if shown else ""),
            ]
        )
    return Block(
        "table",
        rows=rows,
        columns=len(DETAIL_HEADINGS),
        widths=DETAIL_WIDTHS,
        head_rows=1,
        row_numbers=[None, *(warning.row for warning in found.rows)],
    )


def monitoring_layout(
    report: MonitoringReport, found: Warnings, profile: Profile, *, shown: bool = True
) -> list[Block]:
    """The whole printed report, in page order: the 监控表, 指标预警说明, and the approved target
    table after :data:`APPENDIX_HEADING`.  ``shown=False``: the computed figures (执行率, warnings,
    why) are left blank (the workbook a department fills)."""
    return [
        Block("title", text=title_of(report)),
        monitoring_table(report, found, profile, shown),
        Block("heading", text=DETAIL_HEADING),
        detail_table(report, found, shown),
        Block("heading", text=APPENDIX_HEADING),
        *layout(report.approved.as_target_table()),
    ]
