"""Header rules: 部门名称 and 基本信息 (填报要求 1, ``shared/spec/RULES.md`` "Header and budget").

Values the reader could not read as whole numbers are reported by the reader with the same codes;
these rules judge the values the model holds.
"""

from __future__ import annotations

from collections.abc import Iterator

from jixiao.catalogue import PHRASES
from jixiao.findings import Finding, Location, finding
from jixiao.model import TargetTable
from jixiao.rules.registry import rule


@rule("department-name-missing")
def department_name_missing(table: TargetTable) -> Iterator[Finding]:
    """部门名称 must be filled (RULES.md)."""
    if not table.department.name.strip():
        yield finding("department-name-missing", Location("department", field="name"))


@rule("staff-count-invalid")
def staff_count_invalid(table: TargetTable) -> Iterator[Finding]:
    """财政供养人员数 must be a whole number ≥ 0 (填报要求 1 says what it counts)."""
    staff_count = table.department.staff_count
    if staff_count is None:
        problem = PHRASES["not-filled"]
    elif staff_count < 0:
        problem = PHRASES["negative"].format(value=staff_count)
    else:
        return
    yield finding("staff-count-invalid", Location("department", field="staff_count"), problem=problem)


@rule("subordinate-units-blank", "subordinate-units-invalid")
def subordinate_units(table: TargetTable) -> Iterator[Finding]:
    """下属二级单位数: blank is read as none (a note); a negative count is an error (RULES.md)."""
    count = table.department.subordinate_unit_count
    location = Location("department", field="subordinate_unit_count")
    if count is None:
        yield finding("subordinate-units-blank", location)
    elif count < 0:
        yield finding("subordinate-units-invalid", location, value=count)
