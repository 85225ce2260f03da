"""Monitoring warnings (CYCLE.md "Warnings") and its worked number 8."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jixiao.model import Comparator
from jixiao.model.selfeval import Tier
from jixiao.monitoring import Colour, budget_warning, department_warning, indicator_warning, time_progress
from jixiao.profile import DEFAULT
from jixiao.scoring import rounded

D = Decimal


def test_worked_8_monitoring_july_budget_yellow_drills_red_cost_green_plans_yellow_department_red() -> None:
    month = DEFAULT.monitoring_month
    assert rounded(time_progress(month) * 100) == D("58.33")
    budget = budget_warning(D("254.51134"), D("565.58075"), month, DEFAULT)
    assert rounded(D("254.51134") / D("565.58075") * 100) == D("45.00")
    assert (budget.colour, budget.v, budget.needs_reason) == (Colour.YELLOW, D("77.14"), True)
    drills = indicator_warning(Comparator.GE, D(12), D(4), month, DEFAULT)
    assert (drills.colour, drills.v, drills.needs_reason) == (Colour.RED, D("57.14"), True)
    cost = indicator_warning(Comparator.LE, D(5), D("4.8"), month, DEFAULT)
    assert (cost.colour, cost.needs_reason) == (Colour.GREEN, False)
    plans = indicator_warning(Comparator.QUALITATIVE, None, Tier.PARTLY, month, DEFAULT)
    assert plans.colour is Colour.YELLOW
    assert department_warning([budget, drills, cost, plans]) is Colour.RED


@pytest.mark.parametrize(
    ("comparator", "target", "value", "stock", "colour"),
    [
        (Comparator.GE, D(12), D(12), False, Colour.BLUE),  # 171 % of the time's share: far ahead
        (Comparator.GE, D(95), D(96), True, Colour.GREEN),  # a rate is not pro-rated
        (Comparator.GE, D(95), D(60), True, Colour.YELLOW),  # 63.16 %
        (Comparator.LE, D(5), D(6), False, Colour.RED),
        (Comparator.EQ, D(0), D(0), False, Colour.GREEN),
        (Comparator.EQ, D(0), D(1), False, Colour.RED),
        (Comparator.EQ, D(168), D(168), True, Colour.GREEN),
    ],
)
def test_indicator_colours(
    comparator: Comparator, target: Decimal, value: Decimal, stock: bool, colour: Colour
) -> None:
    assert indicator_warning(comparator, target, value, 7, DEFAULT, stock=stock).colour is colour


def test_the_department_takes_its_worst_colour() -> None:
    blue = indicator_warning(Comparator.GE, D(1), D(5), 7, DEFAULT)
    green = indicator_warning(Comparator.LE, D(1), D(1), 7, DEFAULT)
    assert department_warning([blue, green]) is Colour.GREEN
    assert department_warning([blue]) is Colour.BLUE
