"""Indicator rules: 绩效指标 (``shared/spec/RULES.md`` "Indicators", ``shared/DOMAIN.md``).

An indicator's row is its 1-based position in ``table.indicators`` (filled 三级 rows only).

A value may repeat its row's comparator or unit (``≥95`` under ≥, ``100%`` with unit %); the
rules judge the *bare* value, without that repetition.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Final

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, Severity, finding
from jixiao.model import Comparator, Indicator, TargetTable, format_amount
from jixiao.model.framework import (
    BENEFIT,
    COMPARATOR_SPELLINGS,
    LEVEL1_NAMES,
    OUTPUT,
    QUANTITY,
    SATISFACTION,
    TIMELINESS,
    VALID_PAIRS,
    is_cost_pair,
    split_leading_comparator,
)
from jixiao.model.values import (
    COUNT_UNITS,
    chinese_quantities,
    compact,
    is_number,
    is_product,
    is_quantity,
    parse_number,
    to_halfwidth,
)
from jixiao.rules.common import later_duplicates
from jixiao.rules.registry import rule

_COMPARATORS: Final = frozenset(Comparator)
_NUMERIC_COMPARATORS: Final = frozenset(c for c in Comparator if c.is_numeric)
_QUALITATIVE: Final = Comparator.QUALITATIVE.value
_HUNDRED: Final = 100
_GROWTH_RE: Final = re.compile("增长|提高|提升|同比|环比")
_MONEY_UNITS: Final = frozenset({"元", "千元", "万元", "亿元"})
_TIME_UNIT_RE: Final = re.compile("[年月日天时分秒周季旬]")
# Anything that is not a letter, digit or 汉字: punctuation, symbols, white space.
_PUNCTUATION_RE: Final = re.compile(r"[\W_]+")

# A target written into a name: a comparator right before a number (资金支付率≥95, 不低于90),
# a percentage (支付率100%), or a number and a unit ending the name (培训人数500人).  第3次 is an
# ordinal, not a target.
_COMPARATOR_WORDS: Final = sorted(
    {spelling for spelling in COMPARATOR_SPELLINGS if spelling != _QUALITATIVE} | {"达到", "达"},
    key=len,
    reverse=True,
)
_VALUE_IN_NAME_RE: Final = re.compile(
    "(?:" + "|".join(map(re.escape, _COMPARATOR_WORDS)) + r")\s*\d"
    r"|(?<![前后\d.])\d+(?:\.\d+)?\s*%"
    r"|(?<![\d.第])\d+(?:\.\d+)?\s*(?:" + "|".join(COUNT_UNITS) + ")$"
)


def _bare_value(indicator: Indicator) -> str:
    """The value without a repetition of its row's comparator (``≥95``) or unit (``100%``)."""
    value = to_halfwidth(indicator.value).strip()
    comparator, rest = split_leading_comparator(value)
    if comparator is not None and comparator == indicator.comparator:
        value = rest
    unit = to_halfwidth(indicator.unit).strip()
    if unit and value.endswith(unit) and len(value) > len(unit):
        value = value[: -len(unit)].rstrip()
    return value


def _is_percent(indicator: Indicator) -> bool:
    return to_halfwidth(indicator.unit).strip() == "%"


def _at(row: int, field: str) -> Location:
    return Location("indicators", row=row, field=field)


# ---------------------------------------------------------------------------------------------
# Each row


@rule("indicator-name-missing")
def indicator_name_missing(table: TargetTable) -> Iterator[Finding]:
    """A filled row names its 三级指标 (RULES.md)."""
    for row, indicator in enumerate(table.indicators, start=1):
        if not indicator.name:
            yield finding(
                "indicator-name-missing",
                _at(row, "name"),
                row=row,
                level1=indicator.level1,
                level2=indicator.level2,
            )


@rule("weight-invalid")
def weight_invalid(table: TargetTable) -> Iterator[Finding]:
    """A 指标权重 is a number ≥ 0; the web form reports one it cannot read at all."""
    for row, indicator in enumerate(table.indicators, start=1):
        if indicator.weight is not None and indicator.weight < 0:
            place = PHRASES["indicator-weight-place"].format(row=row, name=indicator.name)
            yield finding(
                "weight-invalid", _at(row, "weight"), place=place, value=format_amount(indicator.weight)
            )


@rule("indicator-category-unknown")
def indicator_category_unknown(table: TargetTable) -> Iterator[Finding]:
    """(一级, 二级) is a pair of the 88号 or 101号 framework (DOMAIN.md)."""
    for row, indicator in enumerate(table.indicators, start=1):
        if (indicator.level1, indicator.level2) not in VALID_PAIRS:
            field = "level2" if indicator.level1 in LEVEL1_NAMES else "level1"
            yield finding(
                "indicator-category-unknown",
                _at(row, field),
                row=row,
                name=indicator.name,
                level1=indicator.level1,
                level2=indicator.level2,
            )


@rule("comparator-unknown")
def comparator_unknown(table: TargetTable) -> Iterator[Finding]:
    """对比符号 is one of ≥ ≤ = > < 定性 (the reader has normalised other spellings); blank is unknown.

    None is a comparator the layout does not print (``comparator-absent``, once for the table).
    """
    for row, indicator in enumerate(table.indicators, start=1):
        if indicator.comparator is not None and indicator.comparator not in _COMPARATORS:
            yield finding(
                "comparator-unknown",
                _at(row, "comparator"),
                row=row,
                name=indicator.name,
                comparator=indicator.comparator or PHRASES["blank"],
            )


@rule("target-value-missing")
def target_value_missing(table: TargetTable) -> Iterator[Finding]:
    """A filled row has a 指标值 (RULES.md)."""
    for row, indicator in enumerate(table.indicators, start=1):
        if not indicator.value:
            yield finding("target-value-missing", _at(row, "value"), row=row, name=indicator.name)


@rule("target-value-invalid")
def target_value_invalid(table: TargetTable) -> Iterator[Finding]:
    """Under ≥ ≤ = > < the value is a number (4, 98.5), a product (7*24) or a date or date range
    (2023.07-2024.01, 2023年12月); words need 定性 (DOMAIN.md)."""
    for row, indicator in enumerate(table.indicators, start=1):
        if (
            indicator.comparator in _NUMERIC_COMPARATORS
            and indicator.value
            and not is_quantity(_bare_value(indicator))
        ):
            yield finding(
                "target-value-invalid",
                _at(row, "value"),
                row=row,
                name=indicator.name,
                comparator=indicator.comparator,
                value=indicator.value,
            )


@rule("unit-missing")
def unit_missing(table: TargetTable) -> Iterator[Finding]:
    """A number or product (not under 定性) has a 计量单位; a date needs none (RULES.md)."""
    for row, indicator in enumerate(table.indicators, start=1):
        if indicator.unit or indicator.comparator == _QUALITATIVE:
            continue
        value = _bare_value(indicator)
        if is_number(value) or is_product(value):
            yield finding(
                "unit-missing", _at(row, "unit"), row=row, name=indicator.name, value=indicator.value
            )


@rule("percent-out-of-range")
def percent_out_of_range(table: TargetTable) -> Iterator[Finding]:
    """A percentage lies in 0–100 (DOMAIN.md: "percentages over 100").

    Where the name speaks of growth (增长 提高 提升 同比 环比) more than 100 % can be meant, so the
    finding is a warning there.
    """
    for row, indicator in enumerate(table.indicators, start=1):
        if not _is_percent(indicator):
            continue
        value = _bare_value(indicator)
        number = parse_number(value)
        if number is None or 0 <= number <= _HUNDRED:
            continue
        found = finding("percent-out-of-range", _at(row, "value"), row=row, name=indicator.name, value=value)
        if _GROWTH_RE.search(indicator.name):
            found = dataclasses.replace(found, severity=Severity.WARNING)
        yield found


@rule("percent-ge-100")
def percent_ge_100(table: TargetTable) -> Iterator[Finding]:
    """``≥ 100 %`` can only mean ``= 100 %`` (DOMAIN.md, defects seen in published tables).

    Not for growth (增长/提高/提升/同比/环比), which may exceed 100 % as ``percent-out-of-range`` allows.
    """
    for row, indicator in enumerate(table.indicators, start=1):
        if (
            indicator.comparator == Comparator.GE
            and _is_percent(indicator)
            and parse_number(_bare_value(indicator)) == _HUNDRED
            and not _GROWTH_RE.search(indicator.name)
        ):
            yield finding("percent-ge-100", _at(row, "comparator"), row=row, name=indicator.name)


@rule("indicator-misclassified")
def indicator_misclassified(table: TargetTable) -> Iterator[Finding]:
    """An indicator filed under the wrong category (DOMAIN.md, defects seen in published tables):
    a 满意 indicator outside 满意度指标, money (元 千元 万元 亿元) as a 数量指标, a 成本 under 效益指标.
    One finding per row, giving every reason that applies.
    """
    for row, indicator in enumerate(table.indicators, start=1):
        reasons: list[tuple[str, str]] = []
        if "满意" in indicator.name and indicator.level1 != SATISFACTION:
            text = PHRASES["misclassified.satisfaction"].format(
                level1=indicator.level1, level2=indicator.level2
            )
            reasons.append(("level1", text))
        unit = to_halfwidth(indicator.unit).strip()
        if indicator.level2 == QUANTITY and unit in _MONEY_UNITS:
            reasons.append(("level2", PHRASES["misclassified.money-quantity"].format(unit=unit)))
        if indicator.level1 == BENEFIT and "成本" in indicator.name:
            reasons.append(("level1", PHRASES["misclassified.cost-benefit"]))
        if reasons:
            reason = PHRASES["misclassified.separator"].join(text for _, text in reasons)
            yield finding(
                "indicator-misclassified",
                _at(row, reasons[0][0]),
                row=row,
                name=indicator.name,
                reason=reason,
            )


@rule("indicator-duplicate")
def indicator_duplicate(table: TargetTable) -> Iterator[Finding]:
    """No two indicators share a 三级 name (white space ignored); reported on the later row."""
    for row, first_row in later_duplicates(indicator.name for indicator in table.indicators):
        name = table.indicators[row - 1].name
        yield finding("indicator-duplicate", _at(row, "name"), row=row, name=name, first_row=first_row)


@rule("explanation-repeats-name")
def explanation_repeats_name(table: TargetTable) -> Iterator[Finding]:
    """三级指标解释 says more than the name: equal once white space and punctuation are removed
    (DOMAIN.md, defects seen in published tables)."""
    for row, indicator in enumerate(table.indicators, start=1):
        name = _PUNCTUATION_RE.sub("", to_halfwidth(indicator.name))
        if name and name == _PUNCTUATION_RE.sub("", to_halfwidth(indicator.explanation)):
            yield finding("explanation-repeats-name", _at(row, "explanation"), row=row, name=indicator.name)


@rule("value-in-name")
def value_in_name(table: TargetTable) -> Iterator[Finding]:
    """The 三级 name holds no target (资金支付率100%, 培训人数≥500, 培训人数500人) (DOMAIN.md).

    A count in Chinese numerals ending the name (培训人数五百人) is one too.  Figures that are part of
    a name (12345热线接通率, 2023年度项目, 7*24小时值守, 前10%企业占比, 十四五规划) are fine.
    """
    for row, indicator in enumerate(table.indicators, start=1):
        name = compact(to_halfwidth(indicator.name))
        if _VALUE_IN_NAME_RE.search(name) or chinese_quantities(name, at_end=True):
            yield finding("value-in-name", _at(row, "name"), row=row, name=indicator.name)


@rule("timeliness-unit")
def timeliness_unit(table: TargetTable) -> Iterator[Finding]:
    """A 时效指标 (not 定性) is measured in time (年 月 日 天 时 分 秒 周 季 旬), in %, or by a date.

    A blank unit is left to ``unit-missing`` (a number) and ``target-value-invalid`` (words); with
    a date value it needs none.
    """
    for row, indicator in enumerate(table.indicators, start=1):
        if indicator.level2 != TIMELINESS or indicator.comparator == _QUALITATIVE:
            continue
        unit = to_halfwidth(indicator.unit).strip()
        if unit and unit != "%" and _TIME_UNIT_RE.search(unit) is None:
            yield finding("timeliness-unit", _at(row, "unit"), row=row, name=indicator.name, unit=unit)


# ---------------------------------------------------------------------------------------------
# The table as a whole


@rule("output-indicator-missing")
def output_indicator_missing(table: TargetTable) -> Iterator[Finding]:
    """Some filled 产出指标 row (88号 / 101号: every table states its outputs)."""
    if not any(indicator.level1 == OUTPUT for indicator in table.indicators):
        yield finding("output-indicator-missing", Location("indicators"))


@rule("benefit-indicator-missing")
def benefit_indicator_missing(table: TargetTable) -> Iterator[Finding]:
    """Some filled 效益指标 row (88号 / 101号)."""
    if not any(indicator.level1 == BENEFIT for indicator in table.indicators):
        yield finding("benefit-indicator-missing", Location("indicators"))


@rule("satisfaction-indicator-missing")
def satisfaction_indicator_missing(table: TargetTable) -> Iterator[Finding]:
    """Some filled 满意度指标 row (DOMAIN.md: empty 满意度 rows are a common defect)."""
    if not any(indicator.level1 == SATISFACTION for indicator in table.indicators):
        yield finding("satisfaction-indicator-missing", Location("indicators"))


@rule("cost-indicator-missing")
def cost_indicator_missing(table: TargetTable) -> Iterator[Finding]:
    """Some filled cost row: 产出指标/成本指标 (88号) or 一级 成本指标 (101号)."""
    if not any(is_cost_pair(indicator.level1, indicator.level2) for indicator in table.indicators):
        yield finding("cost-indicator-missing", Location("indicators"))
