"""What the forms of the documents made FROM an approved table share (the self-evaluation's,
:mod:`jixiao_web.selfevalform`, and the monitoring report's, :mod:`jixiao_web.monitoringform`): the
rows are fixed (as many as the approved table has, never added or removed), so a posted form is
read column by column; the funds block is one field per row and column
(``funds_<row>_<column>``), the tasks one ``task_<field>`` per row, each amount read the library's
way and, when it cannot be read, left blank with an ``amount-invalid`` finding saying where.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import QueryDict

from jixiao.findings import Finding, Location, finding
from jixiao.model.table import Task
from jixiao.read.cells import Unreadable, parse_amount

#: A block's rows or columns: (name, label).
Labelled = Sequence[tuple[str, str]]
#: What the department reports of each task: its executed amount and its progress.
TASK_FIELDS = ("executed", "progress")


def text(value: object) -> str:
    """A stored value as a field shows it (a Decimal as written, never in exponent form)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@dataclass(slots=True)
class Parsed:
    """A posted form: the fields as typed (``raw``, shown again when it is refused), the document
    they describe (numbers that could not be read left blank) and the findings of what could not
    be read."""

    raw: dict[str, Any]
    data: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)


def rows(post: QueryDict, prefix: str, names: Sequence[str], count: int) -> list[dict[str, str]]:
    """``count`` rows of the fields ``<prefix><name>`` (one per row, in table order), as typed."""
    columns = {name: post.getlist(f"{prefix}{name}") for name in names}
    return [
        {name: (values[i] if i < len(values) else "").strip() for name, values in columns.items()}
        for i in range(count)
    ]


def funds_values(funds: Any, funds_rows: Labelled, columns: Labelled) -> dict[str, dict[str, str]]:
    """The funds block's fields as text, from a stored document's funds."""
    return {
        name: {column: text(getattr(getattr(funds, name), column)) for column, _ in columns}
        for name, _ in funds_rows
    }


def posted_funds(post: QueryDict, funds_rows: Labelled, columns: Labelled) -> dict[str, dict[str, str]]:
    """The funds block's fields as typed."""
    return {
        name: {column: post.get(f"funds_{name}_{column}", "").strip() for column, _ in columns}
        for name, _ in funds_rows
    }


def parse_funds(
    raw: dict[str, Any], funds_rows: Labelled, columns: Labelled, block: str, findings: list[Finding]
) -> dict[str, Any]:
    """The funds a form's ``raw`` fields describe (its ``funds`` and ``funds_reason``); an amount
    that cannot be read is blank, and a finding in ``findings`` placed in ``block`` (its title)."""
    funds: dict[str, Any] = {"reason": raw["funds_reason"]}
    for number, (name, row_label) in enumerate(funds_rows, 1):
        funds[name] = {}
        for column, column_label in columns:
            amount = parse_amount(raw["funds"][name][column])
            if isinstance(amount, Unreadable):
                findings.append(
                    finding(
                        "amount-invalid",
                        Location("funds", row=number, field=column),
                        place=f"{block}中{row_label}的{column_label}",
                        value=amount,
                    )
                )
                amount = None
            funds[name][column] = amount
    return funds


def parse_tasks(
    raw: list[dict[str, str]], approved: Sequence[Task], executed: str, findings: list[Finding]
) -> list[dict[str, Any]]:
    """The tasks' executed amounts and progress as typed in ``raw`` (one row per approved task);
    an amount that cannot be read is blank, and a finding in ``findings`` naming the task and the
    column (``executed``, its label)."""
    tasks = []
    for number, (row, task) in enumerate(zip(raw, approved, strict=True), 1):
        amount = parse_amount(row["executed"])
        if isinstance(amount, Unreadable):
            findings.append(
                finding(
                    "amount-invalid",
                    Location("tasks", row=number, field="executed"),
                    place=f"任务第{number}行“{task.name}”的{executed}",
                    value=amount,
                )
            )
            amount = None
        tasks.append({"executed": amount, "progress": row["progress"]})
    return tasks
