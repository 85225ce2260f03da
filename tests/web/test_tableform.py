"""The filing form keeps everything the library reads: a table rendered into the form (the page's
own template), posted as a browser posts it and parsed back by :mod:`jixiao_web.tableform`, is the
same table (canonical JSON), for every fixture and for generated tables; and a guard that walks
the model's fields (pydantic ``model_fields``, recursively) fails when one has no form field.

No database: the form's fields are rendered from ``_table_fields.html`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

from jixiao.model import TargetTable
from jixiao.read import read_path
from jixiao_web import services, tableform
from jixiao_web.diff import diff_tables
from jixiao_web.models import Filing, User
from jixiao_web.rows import in_printed_order
from jixiao_web.services import ReviewComment
from jixiao_web.tableform import Parsed, form_context, form_values, parse_form
from strategies import tables

from .pages import fields_of_html, stored, table_form

FIXTURES = Path(__file__).parent.parent / "fixtures"
#: The seed and one table of each layout of the family (LAYOUTS.md), read with the library.
TABLE_FILES = [FIXTURES / "seed.txt", *sorted((FIXTURES / "layouts").glob("*.txt"))]
YEAR = 2024


def rendered_fields(table: TargetTable) -> dict[str, list[str]]:
    """The form for ``table`` as a browser would post it (disabled and unchecked fields left out)."""
    html = render_to_string("jixiao_web/_table_fields.html", form_context(form_values(table)))
    return fields_of_html(f'<form id="table-form">{html}</form>')


def posted(fields: dict[str, list[str]]) -> QueryDict:
    post = QueryDict(mutable=True)
    for name, values in fields.items():
        post.setlist(name, values)
    return post


def through_form(table: TargetTable) -> tuple[TargetTable, Parsed]:
    """``table`` as the web system stores it (printed order), and what the form makes of it."""
    if table.year is None:  # a filing always has its year; the form takes it from the filing
        table = table.model_copy(update={"year": YEAR})
    ordered, _ = in_printed_order(table.model_copy(deep=True))
    return ordered, parse_form(posted(rendered_fields(ordered)), ordered.year or YEAR, ordered)


def assert_identity(table: TargetTable) -> None:
    ordered, parsed = through_form(table)
    assert [f.code for f in parsed.findings] == []
    assert parsed.table.to_json() == ordered.to_json()  # form → table
    assert rendered_fields(parsed.table) == rendered_fields(ordered)  # → form


@pytest.mark.parametrize("path", TABLE_FILES, ids=lambda p: p.stem)
def test_every_fixture_goes_through_the_form_unchanged(path: Path) -> None:
    table = read_path(path).table
    assert_identity(table)


def test_text_that_reads_as_markup_comes_back_as_it_was_and_new_markup_is_cleaned() -> None:
    """A spreadsheet's cell may hold ``R&amp;D`` or ``<A 类>`` as text (only HTML and text exports
    are cleaned when read): the form gives it back unchanged; markup pasted in is reduced to text."""
    table = read_path(FIXTURES / "seed.txt").table
    table.tasks[0].name = "R&amp;D 项目<A 类>"
    table.overall_goal = "第一点<p>不是标签</p>\n第二点 &nbsp; 照录"
    assert_identity(table)
    fields = rendered_fields(table)
    fields["task_name"][1] = "<b>新</b>任务"
    fields["overall_goal"] = ["第一点<p>不是标签</p>\r\n第二点 &nbsp; 照录"]  # as a browser posts it
    parsed = parse_form(posted(fields), YEAR, table).table
    assert parsed.tasks[0].name == "R&amp;D 项目<A 类>"
    assert parsed.tasks[1].name == "新任务"
    assert parsed.overall_goal == table.overall_goal


def test_the_fixtures_cover_the_optional_fields() -> None:
    """The fixtures above are not all seed-like: between them they have optional fields, absent
    comparators, and fields absent (which the form must not add)."""
    dumped = [read_path(path).table.model_dump(mode="json") for path in TABLE_FILES]
    tasks = [task for table in dumped for task in table["tasks"]]
    indicators = [indicator for table in dumped for indicator in table["indicators"]]
    assert any("expected_outcome" in task for task in tasks)
    assert any("expected_outcome" not in task for task in tasks)
    assert any(indicator["comparator"] is None for indicator in indicators)
    assert any("weight" in indicator for indicator in indicators)
    assert any("duties" in table for table in dumped)
    assert any("duties" not in table for table in dumped)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables(optional=True))
def test_generated_tables_go_through_the_form_unchanged(table: TargetTable) -> None:
    assert_identity(table)


# --- the guard: every field of the model has a form field -----------------------------------------


def leaf_fields(model: type[BaseModel], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every field of ``model`` that holds a value, recursively (through parts and lists of rows)."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        inner = get_args(annotation)[0] if get_origin(annotation) is list else annotation
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from leaf_fields(inner, (*path, name))
        else:
            yield (*path, name)


def _some_value(model: type[BaseModel], name: str) -> Any:
    """A value for the field that is not its default, of its type."""
    annotation = model.model_fields[name].annotation

    def options(annotation: Any) -> Iterator[Any]:
        if get_origin(annotation) is Literal:
            yield from get_args(annotation)
        for arg in get_args(annotation):
            yield from options(arg)

    literals = list(options(annotation))
    if literals:
        return literals[-1]
    if tableform._holds(annotation, Decimal):
        return Decimal("12.50")
    if tableform._holds(annotation, int):
        return 2031 if name == "year" else 7
    return f"“{model.model_fields[name].title}”的内容"


def _model_at(path: tuple[str, ...]) -> type[BaseModel]:
    model: type[BaseModel] = TargetTable
    for name in path[:-1]:
        annotation = model.model_fields[name].annotation
        model = get_args(annotation)[0] if get_origin(annotation) is list else annotation
    return model


#: The sections of the form (``tableform.PREFIXES``) by the model's part names.
SECTIONS = {"department": "department", "budget": "budget", "tasks": "tasks", "indicators": "indicators"}


def test_every_field_of_the_model_has_a_form_field() -> None:
    """Each field, given a value of its own, is posted under its form name and comes back; a field
    added to the model that the form cannot carry fails here, not silently in a filer's table."""
    base = {
        "year": YEAR,
        "tasks": [{"seq": 1, "name": "任务"}],
        "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "指标"}],
    }
    leaves = list(leaf_fields(TargetTable))
    assert ("tasks", "expected_outcome") in leaves
    assert ("budget", "total_expenditure") in leaves
    for path in leaves:
        model = _model_at(path)
        value = _some_value(model, path[-1])
        data: dict[str, Any] = {
            **base,
            "tasks": [dict(base["tasks"][0])],
            "indicators": [dict(base["indicators"][0])],
        }
        if len(path) == 1:
            data[path[0]] = value
        elif path[0] in ("tasks", "indicators"):
            data[path[0]][0][path[1]] = value
        else:
            data[path[0]] = {path[1]: value}
        table = TargetTable.model_validate(data)
        section = SECTIONS.get(path[0], "table") if len(path) > 1 else "table"
        fields = rendered_fields(table)
        if path[-1] not in tableform.NOT_TYPED.get(section, ()):
            assert tableform.PREFIXES[section] + path[-1] in fields, f"{'.'.join(path)} has no form field"
        ordered, parsed = through_form(table)
        assert parsed.table.to_json() == ordered.to_json(), f"{'.'.join(path)} is lost by the form"
        got = parsed.table.model_dump()
        for name in path[:-1]:
            got = got[name][0] if isinstance(got[name], list) else got[name]
        assert got[path[-1]] == value or path[-1] in ("seq",), ".".join(path)


# --- switching optional fields on and off ----------------------------------------------------------


def test_absent_fields_stay_absent_and_switched_on_ones_are_kept_even_blank() -> None:
    table = read_path(FIXTURES / "seed.txt").table
    fields = rendered_fields(table)
    assert "show" not in fields
    assert "duties" not in fields
    assert "task_expected_outcome" not in fields
    plain = parse_form(posted(fields), YEAR).table.model_dump(mode="json")
    assert "duties" not in plain
    assert all("expected_outcome" not in task for task in plain["tasks"])

    # The filer switches on 期望达到的目标 and 部门职能概述 and types into neither: present, empty.
    rows = len(fields["task_name"])
    switched = fields | {"show": ["task_expected_outcome", "duties"], "duties": [""]}
    switched["task_expected_outcome"] = [""] * rows
    table = parse_form(posted(switched), YEAR).table
    assert table.duties == ""
    assert [task.expected_outcome for task in table.tasks] == [""] * rows
    # … and switches 期望达到的目标 off again: its cells are disabled, not posted; absent again.
    del switched["task_expected_outcome"]
    switched["show"] = ["duties"]
    assert {task.expected_outcome for task in parse_form(posted(switched), YEAR).table.tasks} == {None}


def test_a_row_without_the_field_keeps_none_beside_rows_with_it() -> None:
    table = read_path(FIXTURES / "layouts" / "zhanjiang.txt").table
    table.tasks[0].expected_outcome = None
    # 湛江's layout prints no comparator: None where the value holds none either (100%, 全年).
    blank = [row for row, indicator in enumerate(table.indicators) if indicator.comparator is None]
    assert len(blank) >= 2
    fields = rendered_fields(table)
    assert fields["task_absent"][0] == "expected_outcome"
    assert all("comparator" in fields["ind_absent"][row] for row in blank)
    fields["ind_comparator"][blank[0]] = "="  # the filer chooses one: it is there now
    parsed = parse_form(posted(fields), YEAR).table
    assert parsed.tasks[0].expected_outcome is None
    assert parsed.tasks[1].expected_outcome == table.tasks[1].expected_outcome
    assert parsed.indicators[blank[0]].comparator == "="
    assert parsed.indicators[blank[1]].comparator is None


def test_an_unreadable_weight_is_reported_at_its_field_and_not_saved() -> None:
    table = read_path(FIXTURES / "layouts" / "chongqing.txt").table
    fields = rendered_fields(table)
    assert "ind_weight" in fields["show"]
    fields["ind_weight"][0] = "十分"
    fields["ind_weight"][1] = "１５分"  # full-width digits and 分 are read
    parsed = parse_form(posted(fields), YEAR)
    assert [(f.code, f.location.section, f.location.row, f.location.field) for f in parsed.findings] == [
        ("weight-invalid", "indicators", 1, "weight")
    ]
    assert parsed.table.indicators[1].weight == Decimal("15")


# --- through the web system (SQLite, and PostgreSQL with JIXIAO_TEST_POSTGRES=1) -----------------


@pytest.mark.django_db
def test_a_zhanjiang_table_saved_through_the_edit_page_keeps_its_fields(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    client = login(people["filer"])
    url = reverse("filing-edit", args=[draft.pk])
    table = read_path(FIXTURES / "layouts" / "zhanjiang.txt").table
    table.year = YEAR
    table.budget.total_expenditure = Decimal("5060.60")
    table.duties = "负责全市文化、广电、旅游、体育工作。"
    table.indicators[0].weight = Decimal("10")
    ordered, _ = in_printed_order(table)
    response = client.post(url, table_form(ordered, draft.revision))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(draft).to_json() == ordered.to_json()
    # The page shows it again, and posting it back changes nothing.
    shown = client.get(url)
    before = (draft.revision, draft.data)
    response = client.post(url, fields_of_html(shown.content.decode()))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.revision, draft.data) == before
    assert draft.data["tasks"][0]["expected_outcome"] == ordered.tasks[0].expected_outcome
    assert draft.data["budget"]["total_expenditure"] == "5060.60"


# --- the review page, the diff and the public page show them ---------------------------------------


def _with_optional_fields(table: TargetTable) -> TargetTable:
    changed = table.model_copy(deep=True)
    changed.duties = "负责全市应急管理工作。"
    changed.budget.total_expenditure = Decimal("1200.5")
    changed.tasks[0].expected_outcome = "全年无重大安全事故"
    changed.indicators[0].weight = Decimal("10")
    changed.indicators[0].scoring_standard = "每少一次扣1分"
    return changed


def test_the_diff_names_the_optional_fields() -> None:
    before = read_path(FIXTURES / "seed.txt").table
    after = _with_optional_fields(before)
    changes = diff_tables(before.model_dump(mode="json"), after.model_dump(mode="json"))
    assert [(c.section, c.row, c.field, c.label, c.before, c.after) for c in changes] == [
        ("overall_goal", None, "duties", "部门职能概述", "", "负责全市应急管理工作。"),
        ("budget", None, "total_expenditure", "预算整体情况·支出预算总量", "", "1200.5"),
        ("tasks", 1, "expected_outcome", "任务第1行·期望达到的目标", "", "全年无重大安全事故"),
        ("indicators", 1, "weight", "绩效指标第1行·指标权重", "", "10"),
        ("indicators", 1, "scoring_standard", "绩效指标第1行·评(扣)分标准", "", "每少一次扣1分"),
    ]


@pytest.mark.usefixtures("no_renderings")
def test_review_and_public_pages_show_the_optional_fields(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client], actor: Callable[[str], Any]
) -> None:
    services.submit(actor("filer"), draft)
    services.return_filing(
        actor("reviewer"), draft, [ReviewComment("tasks", 1, "请写明期望达到的目标")], "中"
    )
    draft.refresh_from_db()
    filer = login(people["filer"])
    changed = _with_optional_fields(stored(draft))
    response = filer.post(
        reverse("filing-edit", args=[draft.pk]), table_form(changed, draft.revision) | {"submit": "1"}
    )
    assert response.status_code == 302
    assert stored(draft).to_json() == changed.to_json()

    reviewer = login(people["reviewer"])
    page = reviewer.get(reverse("review", args=[draft.pk])).content.decode()
    for text in (
        "部门职能概述",
        "负责全市应急管理工作。",
        "支出预算总量",
        "1200.5",
        "全年无重大安全事故",
        "指标权重",
    ):
        assert text in page, text
    assert "None" not in page

    services.approve(actor("reviewer"), draft, "良")
    services.publish(actor("reviewer"), draft)
    public = Client().get(reverse("public-table", args=[YEAR, draft.department.code])).content.decode()
    assert "全年无重大安全事故" in public  # the printed table (jixiao.write) has 期望达到的目标


@pytest.mark.django_db
def test_a_refused_form_shows_the_switched_on_fields_as_typed(
    draft: Filing, people: dict[str, User], login: Callable[[User], Client]
) -> None:
    client = login(people["filer"])
    url = reverse("filing-edit", args=[draft.pk])
    data = table_form(stored(draft), draft.revision)
    rows = len(data["ind_name"])
    data |= {"show": ["ind_weight", "long_term_goal"], "long_term_goal": "三年内建成应急指挥体系。"}
    data["ind_weight"] = ["十分", *[""] * (rows - 1)]
    response = client.post(url, data)
    assert response.status_code == 400
    fields = fields_of_html(response.content.decode())
    assert sorted(fields["show"]) == ["ind_weight", "long_term_goal"]
    assert fields["ind_weight"][0] == "十分"
    assert fields["long_term_goal"] == ["三年内建成应急指挥体系。"]
    assert "duties" not in fields  # switched off: disabled, not posted
    draft.refresh_from_db()
    assert draft.revision == 1
