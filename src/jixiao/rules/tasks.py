"""Task rules: 年度重点工作任务 and 其他需完成任务 (``shared/spec/RULES.md`` "Tasks").

A task's row is its 1-based position in ``table.tasks`` (both sections together, in table order),
in the location and in the message; the message also names the section.
"""

from __future__ import annotations

from collections.abc import Iterator

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import TargetTable, Task
from jixiao.rules.common import later_duplicates
from jixiao.rules.registry import rule


def _section(task: Task) -> str:
    return PHRASES[f"task-section.{task.kind}"]


def _name(task: Task) -> str:
    return task.name or PHRASES["task-unnamed"].format(seq=task.seq)


@rule("task-name-missing")
def task_name_missing(table: TargetTable) -> Iterator[Finding]:
    """Every task row has a 名称 (RULES.md)."""
    for row, task in enumerate(table.tasks, start=1):
        if not task.name:
            yield finding(
                "task-name-missing",
                Location("tasks", row=row, field="name"),
                section=_section(task),
                row=row,
                seq=task.seq,
            )


def _blank(table: TargetTable, code: str, field: str) -> Iterator[Finding]:
    """``code`` for every task whose ``field`` is blank."""
    for row, task in enumerate(table.tasks, start=1):
        if getattr(task, field) in (None, ""):
            yield finding(
                code,
                Location("tasks", row=row, field=field),
                section=_section(task),
                row=row,
                name=_name(task),
            )


@rule("task-amount-missing")
def task_amount_missing(table: TargetTable) -> Iterator[Finding]:
    """Every task row has a 拟投入金额: 项目支出 is their sum (填报要求 3)."""
    return _blank(table, "task-amount-missing", "amount")


@rule("task-content-missing")
def task_content_missing(table: TargetTable) -> Iterator[Finding]:
    """Every task row says what will be done: 主要实施内容 (RULES.md)."""
    return _blank(table, "task-content-missing", "content")


@rule("task-duplicate")
def task_duplicate(table: TargetTable) -> Iterator[Finding]:
    """No two tasks share a name (white space ignored); reported on the later row (RULES.md)."""
    for row, first_row in later_duplicates(task.name for task in table.tasks):
        name = table.tasks[row - 1].name
        yield finding(
            "task-duplicate",
            Location("tasks", row=row, field="name"),
            row=row,
            name=name,
            first_row=first_row,
        )


@rule("task-numbering")
def task_numbering(table: TargetTable) -> Iterator[Finding]:
    """序号 runs 1..n on across both sections (DOMAIN.md, the printed form)."""
    seqs = [task.seq for task in table.tasks]
    if seqs != list(range(1, len(seqs) + 1)):
        yield finding(
            "task-numbering",
            Location("tasks", field="seq"),
            found=PHRASES["list-separator"].join(map(str, seqs)),
            count=len(seqs),
        )
