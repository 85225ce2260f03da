"""Budget rules: 预算整体情况 and the task amounts (填报要求 3, ``shared/spec/RULES.md``).

All arithmetic is exact ``Decimal`` arithmetic in 万元; figures are shown with
:func:`jixiao.model.format_amount`, so ``0.86075`` stays ``0.86075``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Final

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import Budget, TargetTable, format_amount
from jixiao.rules.registry import rule

_BUDGET_FIELDS: Final = ("basic_expenditure", "project_expenditure", "fiscal_appropriation", "other_funds")
#: The fields 填报要求 asks for beside 项目支出 (whose blank is judged against the tasks instead).
_OVERVIEW_FIELDS: Final = ("basic_expenditure", "fiscal_appropriation", "other_funds")
_LABELS: Final = {name: Budget.model_fields[name].title or name for name in _BUDGET_FIELDS}
_ZERO: Final = Decimal(0)


@rule("amount-invalid")
def negative_amount(table: TargetTable) -> Iterator[Finding]:
    """Every amount is a decimal ≥ 0 (RULES.md); the reader reports amounts it cannot read at all."""
    for name in _BUDGET_FIELDS:
        amount: Decimal | None = getattr(table.budget, name)
        if amount is not None and amount < 0:
            place = PHRASES["budget-amount-place"].format(label=_LABELS[name])
            yield finding(
                "amount-invalid", Location("budget", field=name), place=place, value=format_amount(amount)
            )
    for row, task in enumerate(table.tasks, start=1):
        if task.amount is not None and task.amount < 0:
            place = PHRASES["task-amount-place"].format(
                section=PHRASES[f"task-section.{task.kind}"], row=row, name=task.name
            )
            yield finding(
                "amount-invalid",
                Location("tasks", row=row, field="amount"),
                place=place,
                value=format_amount(task.amount),
            )


@rule("project-expenditure-mismatch")
def project_expenditure_mismatch(table: TargetTable) -> Iterator[Finding]:
    """项目支出 equals Σ 拟投入金额 of all tasks, exactly (填报要求 3).

    A blank 项目支出 counts as 0 (shown as 未填); tasks with a blank amount are left out of the sum
    (``task-amount-missing`` reports them).
    """
    declared = table.budget.project_expenditure
    total = table.task_total
    difference = abs((_ZERO if declared is None else declared) - total)
    if not difference:
        return
    shown = PHRASES["blank"] if declared is None else PHRASES["amount"].format(amount=format_amount(declared))
    yield finding(
        "project-expenditure-mismatch",
        Location("budget", field="project_expenditure"),
        declared=shown,
        total=format_amount(total),
        difference=format_amount(difference),
    )


@rule("budget-overview-incomplete")
def budget_overview_incomplete(table: TargetTable) -> Iterator[Finding]:
    """基本支出, 财政拨款 and 其他资金 are filled (RULES.md); one warning per blank field."""
    for name in _OVERVIEW_FIELDS:
        if getattr(table.budget, name) is None:
            yield finding("budget-overview-incomplete", Location("budget", field=name), label=_LABELS[name])


@rule("income-expenditure-mismatch")
def income_expenditure_mismatch(table: TargetTable) -> Iterator[Finding]:
    """基本支出 + 项目支出 = 财政拨款 + 其他资金: both sides describe the same money (DOMAIN.md).

    Judged only when all four are filled; blanks are ``budget-overview-incomplete``.
    """
    budget = table.budget
    basic, project = budget.basic_expenditure, budget.project_expenditure
    fiscal, other = budget.fiscal_appropriation, budget.other_funds
    if basic is None or project is None or fiscal is None or other is None:
        return
    expenditure, income = basic + project, fiscal + other
    if expenditure == income:
        return
    yield finding(
        "income-expenditure-mismatch",
        Location("budget"),
        expenditure=format_amount(expenditure),
        basic=format_amount(basic),
        project=format_amount(project),
        income=format_amount(income),
        fiscal=format_amount(fiscal),
        other=format_amount(other),
        difference=format_amount(abs(expenditure - income)),
    )
