"""Self-evaluations built for tests: CYCLE.md's worked rows, and the seed's blank one."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from jixiao.model import Indicator, TargetTable
from jixiao.model.selfeval import SelfEvaluation, Tier


class Row(NamedTuple):
    """One indicator row of a test table and what was achieved."""

    level1: str
    level2: str
    name: str
    comparator: str
    value: str
    unit: str
    points: str | None = None
    actual: str | None = None
    tier: Tier | None = None


def evaluation(
    *rows: Row,
    planned: str | None = "565.58075",
    executed: str | None = "520.33429",
    year: int = 2023,
) -> SelfEvaluation:
    """A self-evaluation of a table with ``rows``; 年初预算数 = 全年预算数 = ``planned``."""
    table = TargetTable(
        title=f"揭阳市{year}年市直部门整体预算绩效目标表",
        year=year,
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
    made = SelfEvaluation.from_table(table)
    money = None if planned is None else Decimal(planned)
    made.funds.total.initial_budget = money
    made.funds.total.annual_budget = money
    made.funds.total.executed = None if executed is None else Decimal(executed)
    for result, row in zip(made.indicators, rows, strict=True):
        result.points = None if row.points is None else Decimal(row.points)
        result.actual = row.actual
        result.tier = row.tier
    return made


OUT, BEN, SAT = "产出指标", "效益指标", "满意度指标"

#: CYCLE.md's worked rows (numbers 2–7), as worked number 7's year has them.
DRILLS = Row(OUT, "数量指标", "开展应急演练次数", "≥", "12", "次", "15", "9")
ROUND_THE_CLOCK = Row(OUT, "时效指标", "应急值守", "=", "7*24", "小时", "15", "168")
DRILL_COST = Row(OUT, "成本指标", "单次演练成本", "≤", "5", "万元", "10", "5.5")
RESPONSE = Row(OUT, "时效指标", "处置及时率", "≥", "95", "%", "10", "97")
ACCIDENTS = Row(BEN, "社会效益指标", "安全生产事故起数", "=", "0", "起", "15", "0")
PLANS = Row(BEN, "可持续影响指标", "应急预案体系", "定性", "健全", "", "15", None, Tier.PARTLY)
SATISFIED = Row(SAT, "服务对象满意度指标", "群众满意度", "≥", "90", "%", "10", "85")
A_YEAR = (DRILLS, ROUND_THE_CLOCK, DRILL_COST, RESPONSE, ACCIDENTS, PLANS, SATISFIED)
