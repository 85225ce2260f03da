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


def seed_evaluation(seed_table: TargetTable) -> SelfEvaluation:
    """The seed's self-evaluation with every field a department fills, filled."""
    made = SelfEvaluation.from_table(seed_table)
    funds = made.funds
    funds.total.initial_budget = Decimal("565.58075")
    funds.total.annual_budget = Decimal("600.1")
    funds.total.executed = Decimal("520.33429")
    funds.fiscal.initial_budget, funds.fiscal.annual_budget, funds.fiscal.executed = (
        Decimal("565.58075"),
        Decimal("580.1"),
        Decimal("510.33429"),
    )
    funds.other.initial_budget, funds.other.annual_budget, funds.other.executed = (
        Decimal("0"),
        Decimal("20"),
        Decimal("10"),
    )
    funds.reason = "年中追加安全生产专项经费34.51925万元；\n部分项目年底验收，尾款次年支付。"
    made.goal_actual = (
        "全年完成安全审查检查5项，编制应急预案100%，应急处置平均2.5小时到达，监测预警全年7*24小时值守。"
    )
    for number, task in enumerate(made.tasks, start=1):
        task.executed = Decimal(number) * 7 + Decimal(
            "0.25"
        )  # no trailing zeros: XLSX keeps numbers, not their text
        task.progress = f"第{number}项已完成" if number % 3 else ""
    actuals = ("5", "100", "3.5", "98", "7*24")
    for result, actual in zip(made.indicators, actuals, strict=True):
        result.actual = actual
    made.indicators[0].points = Decimal("20")
    made.indicators[2].points = Decimal("17.5")
    made.indicators[2].deviation = "偏远乡镇路途远，到达时间超出目标；明年增设两个前置救援点。"
    made.indicators[3].entered_score = Decimal("16")
    made.indicators[3].score_reason = "两次抢险因台风道路中断延误，按实际情况酌减"
    made.indicators[3].deviation = "台风期间道路中断，个别抢险未能及时完成；已与交通部门建立联动机制。"
    made.indicators[4].monitoring_likelihood = "确定能"
    made.conclusion = "全年目标基本完成。\n执行率偏低。"
    made.problems = "预算执行进度前松后紧 <需改进> & 跟踪"
    made.improvements = "加强预算执行监控。"
    return made


def qualitative_evaluation() -> SelfEvaluation:
    """CYCLE.md's worked year (rows in the printed order), with a 定性 row and a manual score."""
    made = evaluation(DRILLS, ROUND_THE_CLOCK, RESPONSE, DRILL_COST, ACCIDENTS, PLANS, SATISFIED)
    for result in made.indicators:
        result.points = None  # the profile's even split
    made.indicators[0].points, made.indicators[1].points = Decimal("20"), Decimal("10")
    made.indicators[0].deviation = "演练场地改造推迟，只完成 9 次；明年一季度补足。"
    made.indicators[5].entered_score = Decimal("11")
    made.indicators[6].actual = None
    made.indicators[6].tier = None
    made.goal_actual = "应急演练、值守、处置和预案建设按计划推进，群众满意度 85%。"
    return made
