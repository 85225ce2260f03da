"""The printed 部门整体支出绩效自评表, described once (``shared/spec/CYCLE.md``, "Self-evaluation").

:func:`selfeval_layout` turns a self-evaluation and its scores into the same :class:`Block` values
the target table's layout gives (:mod:`jixiao.write.layout`), so every writer draws it the same way:

1. the 自评表 in the national 10号 layout on one grid of :data:`COLUMNS` columns: 部门, 自评总分 and
   等级; 年度资金 (年初预算数, 全年预算数, 全年执行数, 分值, 执行率, 得分) and the reason for an
   adjustment; 年度总体目标 (预期目标 beside 实际完成情况); 年度主要任务 (拟投入金额 beside 全年执行数
   and 完成情况); 绩效指标 (年度指标值, 实际完成值, 分值, 得分, 偏差原因分析及改进措施); 总分; 自评结论,
   存在问题, 改进措施;
2. 得分计算说明: per indicator its row, 完成等级, the department's 自评得分, the computed score, the
   reason for a manual score, the monitoring's likelihood and how the score was computed;
3. 附：the approved target table in its own layout, so the file carries the whole self-evaluation
   (:mod:`jixiao.read.selfeval` reads it back exactly).

Scores are computed values, never formulas.  Labels here are the ones the self-evaluation reader
looks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from jixiao.model import format_amount
from jixiao.model.framework import Comparator
from jixiao.model.selfeval import ApprovedIndicator, FundsRow, SelfEvaluation
from jixiao.scoring import RowScore, Scores
from jixiao.write.layout import Block, Cell, Role, layout, printed_order

#: The 自评表's grid: a label column and eight more (the indicator table's).
COLUMNS: Final = 9
WIDTHS: Final = (10, 10, 11, 15, 12, 12, 8, 9, 13)
TITLE_SUFFIX: Final = "部门整体支出绩效自评表"
FUNDS_LABEL: Final = "年度资金（万元）"
FUNDS_HEADINGS: Final = ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
FUNDS_ROWS: Final = (("total", "年度资金总额"), ("fiscal", "其中：财政拨款"), ("other", "其他资金"))
REASON_LABEL: Final = "预算调整及执行偏差说明"
GOAL_LABEL: Final = "年度总体目标"
GOAL_HEADINGS: Final = ("预期目标", "实际完成情况")
TASKS_LABEL: Final = "年度主要任务"
TASK_HEADINGS: Final = ("序号", "任务名称", "拟投入金额(万元)", "全年执行数(万元)", "完成情况")
INDICATORS_LABEL: Final = "绩效指标"
INDICATOR_HEADINGS: Final = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
)
TOTAL_LABEL: Final = "总分"
CLOSING: Final = (("conclusion", "自评结论"), ("problems", "存在问题"), ("improvements", "改进措施"))
SCORING_HEADING: Final = "得分计算说明"
SCORING_HEADINGS: Final = (
    "行",
    "三级指标",
    "分值",
    "完成等级",
    "自评得分",
    "计算得分",
    "人工得分理由",
    "运行监控完成可能性",
    "计分说明",
)
SCORING_WIDTHS: Final = (5, 14, 7, 9, 8, 8, 16, 10, 23)
APPENDIX_HEADING: Final = "附：批复的部门整体预算绩效目标表"


#: What a cell the department fills holds: an amount, a text, a score, or a 定性 tier (a list).
FillKind = Literal["amount", "text", "score", "tier"]


@dataclass(frozen=True, slots=True)
class FillCell(Cell):
    """A cell the department fills in the blank workbook (``jixiao selfeval new``): unlocked and
    marked there; every other writer draws it as an ordinary cell."""

    fill: FillKind = "text"


def _number(value: Decimal | None) -> Cell:
    return Cell("" if value is None else format_amount(value), "amount", amount=value)


def _fill_number(value: Decimal | None, kind: FillKind = "amount") -> Cell:
    text = "" if value is None else format_amount(value)
    return FillCell(text, "amount", amount=value, fill=kind)


def _fill_text(text: str, role: Role = "text", colspan: int = 1) -> Cell:
    return FillCell(text, role, colspan=colspan, fill="text")


def _computed(value: Decimal | None, shown: bool) -> Cell:
    """A computed score: blank in the workbook to fill (no formulas: the tool computes it)."""
    return _number(value if shown else None)


def target_text(indicator: ApprovedIndicator) -> str:
    """年度指标值 as a 10号 form prints it: the comparator, the value and its unit (``≥12次``); a
    定性 target is its words."""
    comparator = indicator.comparator or ""
    if comparator == Comparator.QUALITATIVE:
        return indicator.value
    return f"{comparator}{indicator.value}{indicator.unit}"


def title_of(evaluation: SelfEvaluation) -> str:
    """The form's title: the year's and department's 部门整体支出绩效自评表."""
    approved = evaluation.approved
    year = f"{approved.year}年度" if approved.year is not None else ""
    return f"{approved.department.name}{year}{TITLE_SUFFIX}"


def _funds_rows(evaluation: SelfEvaluation, scores: Scores, shown: bool) -> list[list[Cell]]:
    funds, execution = evaluation.funds, scores.execution
    rows: list[list[Cell]] = [
        [
            Cell(FUNDS_LABEL, "label", rowspan=5),
            Cell("", "heading", colspan=2),
            *(Cell(heading, "heading") for heading in FUNDS_HEADINGS),
        ]
    ]
    for name, label in FUNDS_ROWS:
        row: FundsRow = getattr(funds, name)
        rate = (
            row.executed / row.annual_budget
            if row.executed is not None and row.annual_budget is not None and row.annual_budget > 0
            else None
        )
        shown_rate = "" if rate is None or not shown else f"{format_amount(_percent(rate))}%"
        total = name == "total"
        rows.append(
            [
                Cell(label, "label", colspan=2),
                # 年初预算数 is the approved table's; the department fills it only where that shows none
                _number(row.initial_budget) if row.initial_budget is not None else _fill_number(None),
                _fill_number(row.annual_budget),
                _fill_number(row.executed),
                _number(execution.points) if total else Cell("", "amount"),
                Cell(shown_rate, "short"),
                _computed(execution.score, shown) if total else Cell("", "amount"),
            ]
        )
    rows.append([Cell(REASON_LABEL, "label", colspan=2), _fill_text(funds.reason, "goal", colspan=6)])
    return rows


def _percent(rate: Decimal) -> Decimal:
    from jixiao.scoring import rounded

    return rounded(rate * 100)


def _task_rows(evaluation: SelfEvaluation) -> list[list[Cell]]:
    tasks = list(zip(evaluation.approved.tasks, evaluation.tasks, strict=True))
    heading = [
        Cell(TASKS_LABEL, "label", rowspan=1 + len(tasks)),
        Cell(TASK_HEADINGS[0], "heading"),
        Cell(TASK_HEADINGS[1], "heading", colspan=2),
        Cell(TASK_HEADINGS[2], "heading"),
        Cell(TASK_HEADINGS[3], "heading"),
        Cell(TASK_HEADINGS[4], "heading", colspan=3),
    ]
    rows = [heading]
    for task, result in tasks:
        rows.append(
            [
                Cell(str(task.seq), "seq"),
                Cell(task.name, colspan=2),
                _number(task.amount),
                _fill_number(result.executed),
                _fill_text(result.progress, colspan=3),
            ]
        )
    return rows


def _spans(values: list[str]) -> list[int]:
    """Each run of equal consecutive values: its length at its first position, 0 elsewhere."""
    spans = [0] * len(values)
    start = 0
    for index in range(1, len(values) + 1):
        if index == len(values) or values[index] != values[start]:
            spans[start] = index - start
            start = index
    return spans


def indicator_order(evaluation: SelfEvaluation) -> list[int]:
    """0-based positions of the indicators in the order the 自评表 prints them (the target
    table's printed order, grouped by the framework)."""
    return printed_order(evaluation.approved.as_target_table())


def _indicator_rows(evaluation: SelfEvaluation, scores: Scores, shown: bool) -> list[list[Cell]]:
    order = indicator_order(evaluation)
    approved = evaluation.approved.indicators
    level1s = [approved[i].level1 for i in order]
    groups = [f"{approved[i].level1}\t{approved[i].level2}" for i in order]
    level1_spans, level2_spans = _spans(level1s), _spans(groups)
    rows: list[list[Cell]] = [
        [
            Cell(INDICATORS_LABEL, "label", rowspan=1 + len(order)),
            *(Cell(heading, "heading") for heading in INDICATOR_HEADINGS),
        ]
    ]
    for position, index in enumerate(order):
        indicator, result, scored = approved[index], evaluation.indicators[index], scores.rows[index]
        row: list[Cell] = []
        if level1_spans[position]:
            row.append(Cell(indicator.level1, "label", rowspan=level1_spans[position]))
        if level2_spans[position]:
            row.append(Cell(indicator.level2, "label", rowspan=level2_spans[position]))
        actual = result.actual
        if actual is None and result.tier is not None:
            actual = result.tier.value  # a 定性 row's tier stands in 实际完成值, as filled tables have it
        row += [
            Cell(indicator.name),
            Cell(target_text(indicator), "short"),
            _fill_text(actual or "", "short"),
            _fill_number(scored.points, "score"),
            _computed(scored.score, shown),
            _fill_text(result.deviation),
        ]
        rows.append(row)
    rows.append(
        [
            Cell(TOTAL_LABEL, "label", colspan=6),
            _computed(scores.points_total, shown),
            _computed(scores.total, shown),
            Cell(""),
        ]
    )
    return rows


def selfeval_table(evaluation: SelfEvaluation, scores: Scores, shown: bool = True) -> Block:
    """The 自评表 itself: header, funds, goal, tasks, indicators, total and conclusions; without
    the computed figures when not ``shown`` (the workbook to fill)."""
    department = evaluation.approved.department
    rows: list[list[Cell]] = [
        [
            Cell("部门名称", "label"),
            Cell(department.name, colspan=4),
            Cell("资金主管部门", "label", colspan=2),
            Cell(department.competent_department, colspan=2),
        ],
        [
            Cell("自评总分", "label"),
            _computed(scores.total, shown),
            Cell("", colspan=3),
            Cell("等级", "label", colspan=2),
            Cell(scores.grade if shown else "", "short", colspan=2),
        ],
        *_funds_rows(evaluation, scores, shown),
        [
            Cell(GOAL_LABEL, "label", rowspan=2),
            Cell(GOAL_HEADINGS[0], "heading", colspan=4),
            Cell(GOAL_HEADINGS[1], "heading", colspan=4),
        ],
        [
            Cell(evaluation.approved.overall_goal, "goal", colspan=4),
            _fill_text(evaluation.goal_actual, "goal", colspan=4),
        ],
        *_task_rows(evaluation),
        *_indicator_rows(evaluation, scores, shown),
        *(
            [Cell(label, "label"), _fill_text(getattr(evaluation, name), "goal", colspan=COLUMNS - 1)]
            for name, label in CLOSING
        ),
    ]
    return Block("table", rows=rows, columns=COLUMNS, name="", widths=WIDTHS)


def _scoring_row(evaluation: SelfEvaluation, scored: RowScore, shown: bool) -> list[Cell]:
    result = evaluation.indicators[scored.row - 1]
    tier = result.tier.value if result.tier is not None else ""
    return [
        Cell(str(scored.row), "seq"),
        Cell(scored.name),
        _computed(scored.points, shown),
        # 完成等级 is a 定性 row's to choose; a quantitative row's is computed from its value
        FillCell(tier, "short", fill="tier") if scored.qualitative else Cell(tier, "short"),
        _fill_number(result.entered_score, "score"),
        _computed(scored.computed, shown),
        _fill_text(result.score_reason),
        _fill_text(result.monitoring_likelihood or "", "short"),
        Cell(scored.why if shown else ""),
    ]


def scoring_table(evaluation: SelfEvaluation, scores: Scores, shown: bool = True) -> Block:
    """得分计算说明: how each row's score came about, in table order (行 is a finding's row)."""
    rows = [[Cell(heading, "heading") for heading in SCORING_HEADINGS]]
    rows += [_scoring_row(evaluation, scored, shown) for scored in scores.rows]
    return Block(
        "table",
        rows=rows,
        columns=len(SCORING_HEADINGS),
        widths=SCORING_WIDTHS,
        head_rows=1,
        row_numbers=[None, *(scored.row for scored in scores.rows)],
    )


def selfeval_layout(evaluation: SelfEvaluation, scores: Scores, *, shown: bool = True) -> list[Block]:
    """The whole printed self-evaluation, in page order: the 自评表, 得分计算说明, and the approved
    target table after :data:`APPENDIX_HEADING`.  ``shown=False``: the computed figures are left
    blank (the workbook a department fills; the tool computes them when it reads it back)."""
    return [
        Block("title", text=title_of(evaluation)),
        selfeval_table(evaluation, scores, shown),
        Block("heading", text=SCORING_HEADING),
        scoring_table(evaluation, scores, shown),
        Block("heading", text=APPENDIX_HEADING),
        *layout(evaluation.approved.as_target_table()),
    ]
