"""总体绩效目标 rules (填报要求 2, ``shared/spec/RULES.md``).

The model has already removed HTML and holds one point per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import TargetTable, Task
from jixiao.model.values import chinese_quantities, compact, to_halfwidth
from jixiao.rules.registry import rule

GOAL_MINIMUM_LENGTH: Final = 50
_LOCATION: Final = Location("overall_goal", field="overall_goal")

# A point number (1、 2. 3） （4） (5)) at the start of a line or after the end of a sentence; the
# look-ahead keeps decimals such as 2.5 and lists such as 3、4级.  Full-width forms are spelled out
# so that the goal need not be converted first.
_POINT_NUMBER_RE: Final = re.compile(
    r"(?:^|(?<=[。；;！!？?]))\s*(?:[(（]\s*[0-9０-９]{1,2}\s*[)）]|[0-9０-９]{1,2}\s*[、.．)）](?![0-9０-９]))",
    re.MULTILINE,
)
_DIGIT_RE: Final = re.compile("[0-9０-９]")

#: Words that say nothing about what a task is: money and project filler, common to most names.
_FILLER_WORDS: Final = ("专项资金", "项目", "年度", "经费", "专项", "资金", "工作", "服务", "建设")
_YEAR_RE: Final = re.compile(r"(?:19|20)\d{2}\s*年度?", re.ASCII)
_FILLER_RE: Final = re.compile("|".join(sorted(_FILLER_WORDS, key=len, reverse=True)))
# Anything that is not a letter, digit or 汉字 separates the parts of a name.
_SEPARATOR_RE: Final = re.compile(r"[\W_]+")
# The city (or county) at the head of a department's name or a title: 揭阳市, 广东省揭阳市.
_CITY_RE: Final = re.compile(r"^(?:[\u4e00-\u9fff]{2,3}省)?([\u4e00-\u9fff]{2,3}?[市州县区])")
_MARK: Final = "\x00"


@rule("goal-too-short")
def goal_too_short(table: TargetTable) -> Iterator[Finding]:
    """At least 50 characters once white space is removed (填报要求 2)."""
    length = len(compact(table.overall_goal))
    if length < GOAL_MINIMUM_LENGTH:
        yield finding("goal-too-short", _LOCATION, length=length, minimum=GOAL_MINIMUM_LENGTH)


@rule("goal-not-quantified")
def goal_not_quantified(table: TargetTable) -> Iterator[Finding]:
    """The goal holds some figure, not counting its point numbers (细化量化, DOMAIN.md): digits, or a
    count in Chinese numerals (三项, 十余次, 百分之百; 一是, 一体化 and 十四五 count nothing).

    A blank goal is left to ``goal-too-short``.
    """
    goal = table.overall_goal
    if not goal.strip():
        return
    # Most goals hold no digit or a figure early on; only then strip the point numbers.
    has_digit = _DIGIT_RE.search(goal) is not None and _DIGIT_RE.search(_POINT_NUMBER_RE.sub("", goal))
    if not has_digit and not chinese_quantities(goal):
        yield finding("goal-not-quantified", _LOCATION)


@rule("goal-tasks-unlinked")
def goal_tasks_unlinked(table: TargetTable) -> Iterator[Finding]:
    """Every 年度重点工作任务 is reflected in the goal (填报要求 2).

    A task is reflected when its name (white space removed) appears whole in the goal, or when at
    least half of the distinct character bigrams of its *core* occur in the goal.  The core is the
    name without the words every name shares: the department's name (with and without its city),
    the city (揭阳市), years (2023年度, 2023年) and the filler words ``_FILLER_WORDS`` (项目, 年度,
    经费, 专项, 资金, 工作, 服务, 建设); these and punctuation split the name into parts, and bigrams
    do not cross them.  A name with no core left says nothing and counts as reflected.  A blank goal
    is left to ``goal-too-short``.
    """
    key_tasks = table.key_tasks
    goal = compact(to_halfwidth(table.overall_goal))
    if not key_tasks or not goal:
        return
    generic = _generic_words(table)
    unlinked = [task for task in key_tasks if not _reflected(task.name, goal, generic)]
    if unlinked:
        tasks = PHRASES["list-separator"].join(_task_label(task) for task in unlinked)
        yield finding("goal-tasks-unlinked", _LOCATION, tasks=tasks)


def _generic_words(table: TargetTable) -> tuple[str, ...]:
    """The department's name, that name without its city, and the city; longest first."""
    department = compact(to_halfwidth(table.department.name))
    match = _CITY_RE.match(department) or _CITY_RE.match(compact(table.title))
    city = match.group(1) if match else ""
    words = {department, department.removeprefix(city), city}
    return tuple(sorted((word for word in words if len(word) > 1), key=len, reverse=True))


def _reflected(name: str, goal: str, generic: tuple[str, ...]) -> bool:
    name = compact(to_halfwidth(name))
    if not name or name in goal:
        return True
    for word in generic:
        name = name.replace(word, _MARK)
    parts = _SEPARATOR_RE.split(_FILLER_RE.sub(_MARK, _YEAR_RE.sub(_MARK, name)))
    units = {part[i : i + 2] for part in parts for i in range(len(part) - 1)}
    if not units:
        # Only single characters are left (or nothing): judge those.
        units = {char for part in parts for char in part}
        if not units:
            return True
    return 2 * sum(unit in goal for unit in units) >= len(units)


def _task_label(task: Task) -> str:
    if task.name:
        return PHRASES["task-label"].format(seq=task.seq, name=task.name)
    return PHRASES["task-unnamed"].format(seq=task.seq)
