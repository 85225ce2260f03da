"""pydantic models of one 部门整体支出绩效运行监控表 (``shared/spec/CYCLE.md``, "Monitoring").

A monitoring report is made FROM an approved target table and a month
(:meth:`MonitoringReport.from_table`): the table is kept whole and read-only
(:class:`jixiao.model.selfeval.ApprovedTable`), and the department adds, as of the end of month m,
how far its money and its indicators have come: per source of funds the 调整后预算数, 1–m月执行数 and
全年预计执行数 (年初预算数 copied); each task's 执行数 and 进展情况; each indicator's 1–m月完成值,
全年预计完成值, 完成可能性, 偏差原因, 原因说明 and 纠偏措施, or 年底测评 with its reason, and a target
adjustment (年初 → 调整后) with its reason; overall 存在的问题 and 下一步措施.  A value not filled is
None, never 0.

Warnings are never stored: :func:`jixiao.monitoring.warnings` computes them from this model and a
:class:`jixiao.profile.Profile`; the rules (:mod:`jixiao.rules.monitoring`) judge both.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from jixiao.model.selfeval import ApprovedIndicator, ApprovedTable, FromApproved, Tier, initial_total, paired
from jixiao.model.table import Amount, TargetTable, Text, _Model


class MonitoringFundsRow(_Model):
    """One row of the funds block as of month m, 万元 (执行率 is computed, never stored)."""

    initial_budget: Amount | None = Field(None, title="年初预算数", description="取自批复的目标表")
    adjusted_budget: Amount | None = Field(None, title="调整后预算数")
    executed: Amount | None = Field(None, title="1–m月执行数", description="截至监控月份末的累计执行数")
    forecast: Amount | None = Field(None, title="全年预计执行数")


class MonitoringFunds(_Model):
    """资金情况: 年度资金总额, by use (基本支出, 项目支出) and by source (财政拨款, 其他资金)."""

    total: MonitoringFundsRow = Field(default_factory=MonitoringFundsRow, title="年度资金总额")
    basic: MonitoringFundsRow = Field(default_factory=MonitoringFundsRow, title="基本支出")
    project: MonitoringFundsRow = Field(default_factory=MonitoringFundsRow, title="项目支出")
    fiscal: MonitoringFundsRow = Field(default_factory=MonitoringFundsRow, title="财政拨款")
    other: MonitoringFundsRow = Field(default_factory=MonitoringFundsRow, title="其他资金")
    reason: Text = Field(
        "",
        title="预算执行偏差原因及纠偏措施",
        description="预算执行出现红色或黄色预警时必填",
    )


class TaskProgress(_Model):
    """How far one task has come (same position as in the approved table)."""

    executed: Amount | None = Field(None, title="1–m月执行数(万元)")
    progress: Text = Field("", title="进展情况")


class IndicatorProgress(_Model):
    """How far one indicator has come (same position as in the approved table)."""

    to_date: Text | None = Field(
        None,
        title="1–m月完成值",
        description="照录的数字（如 4、7*24；日期目标填完成日期）；定性指标可写完成等级",
    )
    tier: Tier | None = Field(None, title="1–m月完成等级", description="定性指标：达成、部分达成 或 未达成")
    forecast: Text | None = Field(
        None, title="全年预计完成值", description="照录的数字；定性指标写预计的完成等级"
    )
    likelihood: Text | None = Field(
        None, title="完成目标可能性", description="取自设定的选项，默认 确定能、有可能、完全不可能"
    )
    causes: list[Text] = Field(
        default_factory=list,
        title="偏差原因",
        description="可多选，取自设定的选项，默认 经费保障、制度保障、人员保障、硬件条件保障、其他",
    )
    cause_note: Text = Field("", title="原因说明")
    measures: Text = Field("", title="纠偏措施")
    year_end: bool = Field(
        False,
        title="年底测评",
        description="年底前无法测量（如满意度调查）：灰色，不预警，仍须填全年预计完成值",
    )
    year_end_reason: Text = Field("", title="年底测评理由")
    stock: bool = Field(
        False,
        title="存量指标",
        description="不随时间累计的指标不按序时进度折算；计量单位为 % 的指标总是按存量处理",
    )
    adjusted_target: Text | None = Field(
        None, title="调整后指标值", description="年初指标值（目标表的指标值）调整后的值；未调整为 null"
    )
    adjustment_reason: Text = Field("", title="指标调整理由")

    @field_validator("causes", mode="before")
    @classmethod
    def _causes_listed(cls, value: object) -> object:
        # A single cause written as text (a form's cell) is a list of one; blanks are no cause.
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            return [item for item in value if not isinstance(item, str) or item.strip()]
        return value


class MonitoringReport(FromApproved):
    """部门整体支出绩效运行监控表 (``shared/spec/CYCLE.md``): the approved table and the progress to
    the end of month ``month`` of ``year``."""

    year: int | None = Field(None, title="监控年度", description="应与目标表的年度相同")
    month: int = Field(title="截至月份", description="数据截至该月末（1–11）")
    funds: MonitoringFunds = Field(default_factory=MonitoringFunds, title="资金情况")
    tasks: list[TaskProgress] = Field(
        default_factory=list, title="任务进展", description="与目标表的任务逐行对应"
    )
    indicators: list[IndicatorProgress] = Field(
        default_factory=list, title="指标完成情况", description="与目标表的绩效指标逐行对应"
    )
    problems: Text = Field("", title="存在的问题")
    next_steps: Text = Field("", title="下一步措施")

    @classmethod
    def from_table(cls, table: TargetTable, month: int) -> MonitoringReport:
        """A blank report of ``table`` (the approved version) as of the end of ``month``: 年初预算数
        copied, the rest None.  A month outside 1–11 is kept and reported by the rules
        (``monitor-month-invalid``), never silently moved."""
        budget = table.budget
        return cls(
            approved=ApprovedTable.of(table),
            year=table.year,
            month=month,
            funds=MonitoringFunds(
                total=MonitoringFundsRow(initial_budget=initial_total(budget)),
                basic=MonitoringFundsRow(initial_budget=budget.basic_expenditure),
                project=MonitoringFundsRow(initial_budget=budget.project_expenditure),
                fiscal=MonitoringFundsRow(initial_budget=budget.fiscal_appropriation),
                other=MonitoringFundsRow(initial_budget=budget.other_funds),
            ),
            tasks=[TaskProgress() for _ in table.tasks],
            indicators=[IndicatorProgress() for _ in table.indicators],
        )

    def indicator_rows(self) -> list[tuple[int, ApprovedIndicator, IndicatorProgress]]:
        """(1-based row, the approved indicator, its progress) in table order."""
        return paired(self.approved.indicators, self.indicators)
