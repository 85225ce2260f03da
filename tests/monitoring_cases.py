"""Monitoring reports built for tests: CYCLE.md's worked number 8 and what is filled in."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from jixiao.model import Indicator, TargetTable, Task
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import Tier
from selfeval_cases import BEN, OUT, SAT

D = Decimal


class Row(NamedTuple):
    """One indicator row of a test table and its progress as of the month."""

    level1: str
    level2: str
    name: str
    comparator: str
    value: str
    unit: str
    to_date: str | None = None
    tier: Tier | None = None
    forecast: str | None = None


#: Worked number 8's rows (m = 7): 演练 4 of 12 (red), 成本 4.8 ≤ 5 (green), 预案 部分达成 (yellow).
DRILLS = Row(OUT, "数量指标", "开展应急演练次数", "≥", "12", "次", "4", None, "12")
DRILL_COST = Row(OUT, "成本指标", "单次演练成本", "≤", "5", "万元", "4.8", None, "4.9")
PLANS = Row(BEN, "可持续影响指标", "应急预案体系", "定性", "健全", "", None, Tier.PARTLY, "达成")
SATISFIED = Row(SAT, "服务对象满意度指标", "群众满意度", "≥", "90", "%", None, None, "92")
WORKED_8 = (DRILLS, DRILL_COST, PLANS)

BUDGET = D("565.58075")
SPENT = D("254.51134")  # 45.00 % of the budget
CAUSE_NOTE = "受台风影响，上半年两次演练延期到第三季度举行。"
MEASURES = "第三季度每月组织两次综合演练，确保全年完成。"


def table(*rows: Row, year: int = 2023, project: str | None = "565.58075") -> TargetTable:
    """A table with ``rows``, two tasks and 项目支出 = the whole budget."""
    made = TargetTable(
        title=f"揭阳市{year}年市直部门整体预算绩效目标表",
        year=year,
        tasks=[
            Task(seq=1, name="应急演练", amount=D("300")),
            Task(seq=2, name="应急物资储备", amount=D("265.58075")),
        ],
        indicators=[
            Indicator(
                level1=r.level1,
                level2=r.level2,
                name=r.name,
                comparator=r.comparator,
                value=r.value,
                unit=r.unit,
            )
            for r in rows
        ],
    )
    made.budget.basic_expenditure = D(0)
    made.budget.project_expenditure = None if project is None else D(project)
    return made


def report(
    *rows: Row,
    month: int = 7,
    budget: Decimal | None = BUDGET,
    spent: Decimal | None = SPENT,
    likelihood: str = "确定能",
) -> MonitoringReport:
    """A report of a table with ``rows`` as of ``month``: the budget unchanged, ``spent`` of it
    executed, each row's values, forecast and ``likelihood``; nothing explained yet."""
    made = MonitoringReport.from_table(table(*rows), month)
    total = made.funds.total
    total.adjusted_budget, total.executed, total.forecast = budget, spent, budget
    for progress, row in zip(made.indicators, rows, strict=True):
        progress.to_date = row.to_date
        progress.tier = row.tier
        progress.forecast = row.forecast
        progress.likelihood = likelihood
    return made


def explained(made: MonitoringReport) -> MonitoringReport:
    """``made`` with a reason for the budget and causes, a note and measures on every row."""
    made.funds.reason = "上半年采购合同尚未到付款节点，预计第四季度集中支付。"
    for progress in made.indicators:
        progress.causes = ["其他"]
        progress.cause_note = CAUSE_NOTE
        progress.measures = MEASURES
    return made
