"""pydantic models of one 部门整体预算绩效目标表: the canonical JSON of ``shared/spec/README.md``.

Field names and meanings are the spec's and must not change; the Chinese label of each field is in
its ``title``.  Amounts are exact ``Decimal`` values in 万元, written to JSON as strings.  Text is
normalised on the way in (outer white space removed, blank lines dropped) so that a table read from
any format compares equal to the same table read from any other.

The models are deliberately lenient where the rules must be able to report a problem: a comparator
is any string (``comparator-unknown`` reports a spelling it cannot read) and an amount may be
negative (``amount-invalid``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)


def _lines(value: object) -> object:
    if not isinstance(value, str):
        return value
    if value.isprintable():  # no line break of any kind (\n, \r, \x0b, \u2028 …)
        return value.strip()
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


def format_amount(amount: Decimal) -> str:
    """An amount as plain decimal text, never in exponent form (``Decimal('1E+2')`` → ``100``)."""
    text = format(amount, "f")
    return "0" if text in {"-0", "+0"} else text


AMOUNT_PATTERN = r"^-?\d+(\.\d+)?$"

Amount = Annotated[
    Decimal,
    PlainSerializer(format_amount, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "description": "万元，精确十进制"}),
]
#: A number that is no money (指标权重, 分值): exact decimal, written as a string like amounts.
Points = Annotated[
    Decimal,
    PlainSerializer(format_amount, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN, "description": "分，精确十进制"}),
]
#: A percentage or threshold (执行率, 预警线): exact decimal, written as a string.
Percent = Annotated[
    Decimal,
    PlainSerializer(format_amount, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": AMOUNT_PATTERN, "description": "百分数（不带 %），精确十进制"}
    ),
]
#: Text as every reader leaves it: lines stripped, blank lines dropped (a cell may hold several lines).
Text = Annotated[str, BeforeValidator(_lines)]


class _Model(BaseModel):
    # Fields a later version adds (spec/README.md: provenance, ids, versions) are left aside.
    model_config = ConfigDict(extra="ignore", validate_assignment=True)


class Department(_Model):
    """部门名称、资金主管部门与基本信息."""

    name: Text = Field("", title="部门名称")
    competent_department: Text = Field("", title="资金主管部门")
    staff_count: int | None = Field(None, title="财政供养人员数", description="含主管部门和下属二级预算单位")
    subordinate_unit_count: int | None = Field(None, title="下属二级单位数", description="null = 未填")


def _absent(value: object) -> bool:
    return value is None


class Budget(_Model):
    """预算整体情况, 万元: by use (基本支出, 项目支出) beside by source (财政拨款, 其他资金)."""

    basic_expenditure: Amount | None = Field(None, title="基本支出")
    project_expenditure: Amount | None = Field(None, title="项目支出")
    fiscal_appropriation: Amount | None = Field(None, title="财政拨款")
    other_funds: Amount | None = Field(None, title="其他资金")
    total_expenditure: Amount | None = Field(
        None,
        title="支出预算总量",
        description="重庆等地的表式只印总量（如“区级支出预算总量”）；没有时不输出",
        exclude_if=_absent,
    )


TaskKind = Literal["key", "other"]


class Task(_Model):
    """One row of 年度重点工作任务 (``key``) or 其他需完成任务 (``other``)."""

    seq: int = Field(title="序号", description="两部分连续编号")
    kind: TaskKind = Field(
        "key", title="任务类别", description="key = 年度重点工作任务，other = 其他需完成任务"
    )
    name: Text = Field("", title="名称")
    content: Text = Field("", title="主要实施内容")
    amount: Amount | None = Field(None, title="拟投入金额(万元)")
    expected_outcome: Text | None = Field(
        None,
        title="期望达到的目标",
        description="湛江等地的表式才有此列；没有时不输出",
        # Left out of the JSON when absent; unlike a wrapping serializer this keeps the field
        # in the serialization schema (``jixiao schema``).
        exclude_if=_absent,
    )


class Indicator(_Model):
    """One filled 三级指标 row of 绩效指标."""

    level1: Text = Field(title="一级指标", description="如 产出指标")
    level2: Text = Field(title="二级指标", description="如 数量指标")
    name: Text = Field("", title="三级指标")
    explanation: Text = Field("", title="三级指标解释")
    comparator: Text | None = Field(
        "",
        title="对比符号",
        description="≥ ≤ = > < 定性 之一（读取时已将 >=、大于等于 等写法统一）；"
        "表式没有对比符号栏、指标值中也没有写时为 null",
    )
    value: Text = Field("", title="指标值", description="照录，如 4、100、7*24、2023.07-2024.01、显著提升")
    unit: Text = Field("", title="计量单位")
    weight: Points | None = Field(
        None, title="指标权重", description="重庆等地的表式才有此列；没有时不输出", exclude_if=_absent
    )
    value_type: Text | None = Field(
        None,
        title="指标值类型",
        description="定量 或 定性（湖南等地的表式）；没有时不输出",
        exclude_if=_absent,
    )
    scoring_standard: Text | None = Field(
        None, title="评(扣)分标准", description="湖南等地的表式才有此列；没有时不输出", exclude_if=_absent
    )


class TargetTable(_Model):
    """部门整体预算绩效目标表 (``shared/spec/README.md``, "Canonical JSON")."""

    title: Text = Field("", title="表名")
    year: int | None = Field(None, title="年度", description="表中无年度栏时取自表名")
    department: Department = Field(default_factory=Department, title="部门")
    preparer: Text | None = Field(
        None, title="填报人", description="湖北等地的表式才有；没有时不输出", exclude_if=_absent
    )
    contact_phone: Text | None = Field(
        None,
        title="联系电话",
        description="填报人的联系电话，湖北等地的表式才有；没有时不输出",
        exclude_if=_absent,
    )
    prepared_on: Text | None = Field(
        None, title="填报日期", description="照录，如 2024年1月15日；没有时不输出", exclude_if=_absent
    )
    budget: Budget = Field(default_factory=Budget, title="预算整体情况")
    overall_goal: Text = Field("", title="总体绩效目标", description="纯文本，每点一行")
    duties: Text | None = Field(
        None,
        title="部门职能概述",
        description="湖北的“部门职能概述”、湖南的“职责”；没有时不输出",
        exclude_if=_absent,
    )
    long_term_goal: Text | None = Field(
        None, title="长期绩效目标", description="湖北等地的表式才有；没有时不输出", exclude_if=_absent
    )
    tasks: list[Task] = Field(default_factory=list, title="年度重点工作任务及其他需完成任务")
    indicators: list[Indicator] = Field(default_factory=list, title="绩效指标")

    def to_json(self, *, indent: int | None = 2) -> str:
        """The canonical JSON text (amounts as strings, Chinese unescaped)."""
        return self.model_dump_json(indent=indent)

    @property
    def key_tasks(self) -> list[Task]:
        return [task for task in self.tasks if task.kind == "key"]

    @property
    def task_total(self) -> Decimal:
        """Σ 拟投入金额 of all tasks (blank amounts count as nothing)."""
        return sum((task.amount for task in self.tasks if task.amount is not None), Decimal(0))
