"""pydantic models of one 部门整体支出绩效自评表 (``shared/spec/CYCLE.md``, "Self-evaluation").

A self-evaluation is made FROM an approved target table (:meth:`SelfEvaluation.from_table`): the
table is kept whole and read-only (:class:`ApprovedTable`, frozen all the way down), and the
department adds what happened beside it, row for row: the funds, the goal's 实际完成情况, each
task's 全年执行数 and 完成情况, each indicator's 实际完成值 (or 定性 tier), 分值, an optional entered
score and its reason, and 偏差原因分析及改进措施.  A value not filled is None, never 0.

Scores are never stored as facts: :func:`jixiao.scoring.score` computes them from this model and a
:class:`jixiao.profile.Profile`.  The ``printed_*`` fields hold what a filled table read from a file
printed, only to be compared with the computed scores (``selfeval-total-mismatch``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Final, Self, TypeVar

from pydantic import ConfigDict, Field, field_validator, model_validator

from jixiao.model.table import (
    Amount,
    Budget,
    Department,
    Indicator,
    Points,
    TargetTable,
    Task,
    Text,
    _Model,
)
from jixiao.model.values import compact, to_halfwidth

_FROZEN: Final = ConfigDict(extra="ignore", frozen=True)


# ---------------------------------------------------------------------------------------------
# The approved table, read-only


class ApprovedDepartment(Department):
    """部门 of the approved table (read-only)."""

    model_config = _FROZEN


class ApprovedBudget(Budget):
    """预算整体情况 of the approved table (read-only)."""

    model_config = _FROZEN


class ApprovedTask(Task):
    """A task of the approved table (read-only)."""

    model_config = _FROZEN


class ApprovedIndicator(Indicator):
    """An indicator of the approved table (read-only)."""

    model_config = _FROZEN


class ApprovedTable(TargetTable):
    """The approved 部门整体预算绩效目标表 a self-evaluation is made from: the target table's canonical
    JSON, frozen (its rows are tuples of frozen models), so the copied parts cannot be edited."""

    model_config = _FROZEN

    # Narrower, immutable types of the target table's fields: the JSON is the same.
    department: ApprovedDepartment = Field(default_factory=ApprovedDepartment, title="部门")
    budget: ApprovedBudget = Field(default_factory=ApprovedBudget, title="预算整体情况")
    tasks: tuple[ApprovedTask, ...] = Field((), title="年度重点工作任务及其他需完成任务")  # type: ignore[assignment]
    indicators: tuple[ApprovedIndicator, ...] = Field((), title="绩效指标")  # type: ignore[assignment]

    @classmethod
    def of(cls, table: TargetTable) -> ApprovedTable:
        """A frozen copy of ``table``."""
        return cls.model_validate(table.model_dump())

    def as_target_table(self) -> TargetTable:
        """An ordinary (editable) copy, e.g. to start next year's table from."""
        return TargetTable.model_validate(self.model_dump())


def initial_total(budget: Budget) -> Decimal | None:
    """年度资金总额 as the approved table shows it: its printed total, else 基本支出 + 项目支出, else
    财政拨款 + 其他资金; None when the table shows neither side whole (never a guess)."""
    if budget.total_expenditure is not None:
        return budget.total_expenditure
    if budget.basic_expenditure is not None and budget.project_expenditure is not None:
        return budget.basic_expenditure + budget.project_expenditure
    if budget.fiscal_appropriation is not None and budget.other_funds is not None:
        return budget.fiscal_appropriation + budget.other_funds
    return None


# ---------------------------------------------------------------------------------------------
# What the department adds


class Tier(StrEnum):
    """完成等级 of a 定性 indicator."""

    ACHIEVED = "达成"
    PARTLY = "部分达成"
    NOT_ACHIEVED = "未达成"

    @property
    def long_name(self) -> str:
        return _TIER_LONG[self]


_TIER_LONG: Final = {
    Tier.ACHIEVED: "达成年度指标",
    Tier.PARTLY: "部分达成年度指标并具有一定效果",
    Tier.NOT_ACHIEVED: "未达成年度指标且效果较差",
}


def parse_tier(text: str | None) -> Tier | None:
    """The tier written short or long (``部分达成``, ``部分达成年度指标并具有一定效果``), else None."""
    if not text:
        return None
    key = compact(to_halfwidth(text))
    for tier in Tier:
        if key in {tier.value, tier.long_name}:
            return tier
    return None


class FundsRow(_Model):
    """One row of the funds block, 万元."""

    initial_budget: Amount | None = Field(None, title="年初预算数", description="取自批复的目标表")
    annual_budget: Amount | None = Field(None, title="全年预算数", description="调整后的全年预算 P")
    executed: Amount | None = Field(None, title="全年执行数", description="全年实际执行 X")


class Funds(_Model):
    """年度资金总额 / 其中：财政拨款 / 其他资金, and the reason for an adjusted budget or a low rate."""

    total: FundsRow = Field(default_factory=FundsRow, title="年度资金总额")
    fiscal: FundsRow = Field(default_factory=FundsRow, title="其中：财政拨款")
    other: FundsRow = Field(default_factory=FundsRow, title="其他资金")
    reason: Text = Field(
        "", title="预算调整及执行偏差说明", description="全年预算数与年初不同、或执行率低于设定值时必填"
    )
    printed_score: Points | None = Field(
        None,
        title="表中印出的预算执行率得分",
        description="只在读取已填写的表时有；只用于核对",
        exclude_if=lambda v: v is None,
    )


class TaskResult(_Model):
    """What became of one task (same position as in the approved table)."""

    executed: Amount | None = Field(None, title="全年执行数(万元)")
    progress: Text = Field("", title="完成情况")


class IndicatorResult(_Model):
    """What one indicator achieved (same position as in the approved table)."""

    actual: Text | None = Field(
        None,
        title="实际完成值",
        description="照录的数字（如 97、7*24、2023年12月20日）；定性指标可写完成等级",
    )
    tier: Tier | None = Field(None, title="完成等级", description="定性指标：达成、部分达成 或 未达成")
    points: Points | None = Field(None, title="分值", description="null = 按设定平均分配")
    entered_score: Points | None = Field(
        None,
        title="自评得分",
        description="定性指标在其等级的分数段内自评的得分；定量指标的人工得分（须写明理由才替代计算得分）",
    )
    score_reason: Text = Field("", title="人工得分理由")
    deviation: Text = Field("", title="偏差原因分析及改进措施")
    monitoring_likelihood: Text | None = Field(
        None, title="运行监控时的完成可能性", description="取自当年的运行监控表；没有时为 null"
    )
    printed_score: Points | None = Field(
        None,
        title="表中印出的得分",
        description="只在读取已填写的表时有；只用于核对",
        exclude_if=lambda v: v is None,
    )


class FromApproved(_Model):
    """A document made FROM an approved target table (a self-evaluation, a monitoring report): the
    table kept whole and read-only, and one row of the department's figures per task and per
    indicator (the subclass's ``tasks`` and ``indicators``, checked to match the table's rows)."""

    approved: ApprovedTable = Field(title="批复的目标表", description="所依据的目标表，只读", frozen=True)

    @field_validator("approved", mode="before")
    @classmethod
    def _frozen_copy(cls, value: object) -> object:
        # An ordinary TargetTable is taken as its data, so the copy kept is frozen and its own.
        if isinstance(value, TargetTable) and not isinstance(value, ApprovedTable):
            return value.model_dump()
        return value

    @model_validator(mode="after")
    def _rows_match_the_table(self) -> Self:
        fields = type(self).model_fields
        for name, what in (("tasks", "个任务"), ("indicators", "个指标")):
            rows, approved = len(getattr(self, name)), len(getattr(self.approved, name))
            if rows != approved:
                raise ValueError(f"{fields[name].title}有 {rows} 行，目标表有 {approved} {what}")
        return self

    def to_json(self, *, indent: int | None = 2) -> str:
        """The canonical JSON text (amounts as strings, Chinese unescaped)."""
        return self.model_dump_json(indent=indent)


RowT = TypeVar("RowT")


def paired(
    approved: Sequence[ApprovedIndicator], rows: Sequence[RowT]
) -> list[tuple[int, ApprovedIndicator, RowT]]:
    """(1-based row, the approved indicator, the department's row for it) in table order."""
    return [
        (number, indicator, row)
        for number, (indicator, row) in enumerate(zip(approved, rows, strict=True), 1)
    ]


class SelfEvaluation(FromApproved):
    """部门整体支出绩效自评表 (``shared/spec/CYCLE.md``): the approved table and what was achieved."""

    funds: Funds = Field(default_factory=Funds, title="年度资金")
    goal_actual: Text = Field("", title="实际完成情况", description="年度总体目标的实际完成情况")
    tasks: list[TaskResult] = Field(
        default_factory=list, title="任务完成情况", description="与目标表的任务逐行对应"
    )
    indicators: list[IndicatorResult] = Field(
        default_factory=list, title="指标完成情况", description="与目标表的绩效指标逐行对应"
    )
    conclusion: Text = Field("", title="自评结论")
    problems: Text = Field("", title="存在问题")
    improvements: Text = Field("", title="改进措施")
    printed_total: Points | None = Field(
        None,
        title="表中印出的自评总分",
        description="只在读取已填写的表时有；只用于核对",
        exclude_if=lambda v: v is None,
    )
    printed_grade: Text | None = Field(
        None,
        title="表中印出的等级",
        description="只在读取已填写的表时有；只用于核对",
        exclude_if=lambda v: v is None,
    )

    @classmethod
    def from_table(cls, table: TargetTable) -> SelfEvaluation:
        """A blank self-evaluation of ``table`` (the approved version): 年初预算数 copied, the rest None."""
        budget = table.budget
        return cls(
            approved=ApprovedTable.of(table),
            funds=Funds(
                total=FundsRow(initial_budget=initial_total(budget)),
                fiscal=FundsRow(initial_budget=budget.fiscal_appropriation),
                other=FundsRow(initial_budget=budget.other_funds),
            ),
            tasks=[TaskResult() for _ in table.tasks],
            indicators=[IndicatorResult() for _ in table.indicators],
        )

    def indicator_rows(self) -> list[tuple[int, ApprovedIndicator, IndicatorResult]]:
        """(1-based row, the approved indicator, its result) in table order."""
        return paired(self.approved.indicators, self.indicators)
