"""The library's side of issue 9, item 5: the length limits and the department-name check."""

from __future__ import annotations

import typing

import pytest

from jixiao.check import check_table
from jixiao.model import TargetTable
from jixiao.rules.limits import HEADER_TEXTS, TEXT_LIMITS

SPEC = ("code", "section", "row", "field")


def test_every_text_field_of_the_model_has_a_limit(seed_table: TargetTable) -> None:
    from jixiao.model.table import Department, Indicator, Task

    def is_text(annotation: object) -> bool:  # str, Text (Annotated str), either or None
        return annotation is str or any(is_text(inner) for inner in typing.get_args(annotation))

    text_fields = {("title", "title")}
    for name, info in TargetTable.model_fields.items():
        if name in HEADER_TEXTS:
            text_fields.add(("department", name))  # 填报人 and the like, in the header
        elif name != "title" and is_text(info.annotation):
            text_fields.add(("overall_goal", name))  # the goal and the texts printed beside it
    for section, model in (("department", Department), ("tasks", Task), ("indicators", Indicator)):
        for name, info in model.model_fields.items():
            if is_text(info.annotation):
                text_fields.add((section, name))
    assert {
        ("overall_goal", "duties"),
        ("department", "preparer"),
        ("indicators", "scoring_standard"),
    } <= text_fields
    assert text_fields <= set(TEXT_LIMITS)


def test_the_seed_is_far_inside_every_limit(seed_table: TargetTable) -> None:
    assert "text-too-long" not in [code for code, *_ in check_table(seed_table).flatten()]


@pytest.mark.parametrize(("section", "field"), sorted(TEXT_LIMITS))
def test_one_character_beyond_a_limit_is_an_error_at_its_place(
    seed_table: TargetTable, section: str, field: str
) -> None:
    limit = TEXT_LIMITS[(section, field)]  # type: ignore[index]
    data = seed_table.model_dump()
    if section in ("tasks", "indicators"):
        data[section][1][field] = "字" * (limit + 1)
        where = (section, 2, field)
    elif section == "department" and field not in HEADER_TEXTS:
        data[section][field] = "字" * (limit + 1)
        where = (section, None, field)
    else:
        data[field] = "字" * (limit + 1)
        where = (section, None, field)
    report = check_table(TargetTable.model_validate(data))
    assert ("text-too-long", *where) in report.flatten(SPEC)
    assert not report.valid


def test_a_department_name_other_than_the_filings_is_a_warning(seed_table: TargetTable) -> None:
    assert ("department-name-mismatch", "department", None, "name") not in check_table(seed_table).flatten(
        SPEC
    )
    report = check_table(seed_table, department="揭阳市教育局")
    assert ("department-name-mismatch", "department", None, "name") in report.flatten(SPEC)
    assert report.valid  # a warning: it does not stop a submission
    same = check_table(seed_table, department=" 揭阳市应急管理局 ")
    assert "department-name-mismatch" not in [code for code, *_ in same.flatten()]
