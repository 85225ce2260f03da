"""The demo city: every department's own table, amounts that add up, the defects planted on purpose."""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path

import pytest

from jixiao.check import check_table
from jixiao.findings import Severity
from jixiao.read import read_bytes
from jixiao_web import audit, demo, monitoring, selfeval
from jixiao_web.models import Department, Filing, Kind, ScoreReview, Status

TABLES = [(code, demo.OPEN_YEAR) for code, _, _, status in demo.DEPARTMENTS if status] + [("yingji", 2023)]
NAMES = {code: name for code, name, _, _ in demo.DEPARTMENTS}


def test_every_demo_file_is_a_department_table() -> None:
    on_disk = sorted(p.name for p in files("jixiao_web").joinpath("demo_data").iterdir())
    assert on_disk == sorted(f"jieyang-{code}-{year}.txt" for code, year in TABLES)


@pytest.mark.parametrize(("code", "year"), TABLES)
def test_demo_table_reads_and_shows_only_its_planted_defects(code: str, year: int) -> None:
    name = f"jieyang-{code}-{year}.txt"
    result = read_bytes(files("jixiao_web").joinpath("demo_data", name).read_bytes(), name)
    table = result.table
    assert (table.department.name, table.year) == (NAMES[code], year)
    assert not [f.code for f in result.findings if f.severity is not Severity.INFO]
    report = check_table(table, name, result.findings)
    shown = {f.code for f in report.findings if f.severity is not Severity.INFO}
    if code == "yingji":  # the real table, as published
        assert report.valid
        assert "budget-overview-incomplete" in shown  # 基本支出 and the sources left blank
        return
    assert shown == demo.PLANTED.get(code, frozenset())
    assert len(table.tasks) >= 5
    assert len(table.indicators) >= 8
    budget = table.budget
    assert None not in (
        budget.basic_expenditure,
        budget.project_expenditure,
        budget.fiscal_appropriation,
        budget.other_funds,
    )


def test_the_demo_tables_are_each_their_departments_own() -> None:
    tables = {code: demo.demo_table(code, year) for code, year in TABLES}
    for one, table in tables.items():
        for other, other_table in tables.items():
            if one != other:
                assert not {t.name for t in table.tasks} & {t.name for t in other_table.tasks}, (one, other)
    # The clean tables add up: 项目支出 = Σ tasks, and both sides of the budget the same money.
    for code, table in tables.items():
        if code in demo.PLANTED or code == "yingji":
            continue
        budget = table.budget
        assert budget.project_expenditure == table.task_total > 0
        assert budget.basic_expenditure is not None
        assert budget.fiscal_appropriation is not None
        assert budget.other_funds is not None
        expenditure = budget.basic_expenditure + budget.project_expenditure
        assert expenditure == budget.fiscal_appropriation + budget.other_funds
    # The draft's typo: 3868.5 printed for the 3886.5 its tasks add up to.
    jiaoyu = tables["jiaoyu"]
    assert (jiaoyu.budget.project_expenditure, jiaoyu.task_total) == (Decimal("3868.5"), Decimal("3886.5"))


@pytest.mark.django_db(transaction=False)
def test_demo_load_puts_each_table_in_its_state(tmp_path: Path) -> None:
    assert demo.load(tmp_path)
    for code, name, _, status in demo.DEPARTMENTS:
        department = Department.objects.get(code=code)
        assert department.name == name
        filing = Filing.objects.filter(department=department, year=demo.OPEN_YEAR, kind=Kind.TARGET).first()
        if not status:
            assert filing is None  # 应急管理局 starts 2024 from blank in the browser story
            continue
        assert filing is not None
        assert filing.status == Status(status)
        assert filing.data["department"]["name"] == name
        errors = 1 if code == "jiaoyu" else 0
        assert (filing.errors, filing.warnings > 0) == (errors, code in demo.PLANTED)
    returned = Filing.objects.get(department__code="jiaotong", kind=Kind.TARGET)
    assert sorted(returned.comments.values_list("row", flat=True)) == [4, 7, 8]
    published = Filing.objects.get(department__code="yingji", year=2023, kind=Kind.TARGET)
    assert published.status == Status.PUBLISHED


@pytest.mark.django_db(transaction=False)
def test_demo_self_evaluations_are_in_their_states_and_the_audit_chain_verifies(tmp_path: Path) -> None:
    assert demo.load(tmp_path)
    made = Filing.objects.filter(kind=Kind.SELFEVAL).select_related("department")
    states = {(f.department.code, f.year): f.status for f in made}
    assert states == {(code, year): Status(status) for code, year, status in demo.SELFEVALS}
    # Only where the year's target table was approved (or published).
    for code, year, _ in demo.SELFEVALS:
        target = Filing.objects.get(department__code=code, year=year, kind=Kind.TARGET)
        assert target.status in (Status.APPROVED, Status.PUBLISHED)
    for filing in made:
        if filing.status == Status.DRAFT:
            assert filing.received_version is None
            continue
        assert filing.errors == 0, filing.department.code  # submitted: nothing blocked it
        scored = selfeval.scored(filing, filing.received_version)
        assert 0 < scored.total <= 100
        rows = scored.scores.rows
        short = demo.RESULTS[filing.department.code].short
        # Rows short of target score less than their points, and say why.
        for row, (_, deviation) in short.items():
            if deviation:
                assert rows[row - 1].score < rows[row - 1].points, (filing.department.code, row)
        assert any(r.qualitative for r in rows) or filing.department.code == "yingji"
    yingji = made.get(department__code="yingji")
    scored = selfeval.scored(yingji, yingji.published_version)
    assert scored.grade in ("优", "良")
    assert scored.scores.execution.rate_percent == Decimal("95.6")
    assert yingji.published_version is not None
    nongye = made.get(department__code="nongye")
    assert ScoreReview.objects.filter(filing=nongye).count() == 1
    returned = made.get(department__code="minzheng")
    assert returned.comments.count() == len(demo.SELFEVAL_RETURN_COMMENTS)
    # Everything went through the services: the audit chain holds and matches the records.
    assert audit.verify() == []


@pytest.mark.django_db(transaction=False)
def test_demo_monitoring_round_shows_every_colour_and_one_late(tmp_path: Path) -> None:
    """July 2024's monitoring round (monup): a red, a yellow and a green department (the green one
    with a blue row), in the states the demo says, on time; one department has not reported though
    the deadline has passed.  Loading again changes nothing."""
    from jixiao_web.models import MonitoringRound, User

    assert demo.load(tmp_path)
    round_ = MonitoringRound.objects.get(year=demo.OPEN_YEAR)
    assert round_.month == demo.MONITORING_MONTH
    reviewer = User.objects.get(username="shenhe1")
    rows = {r.department.code: r for r in monitoring.round_rows(reviewer, demo.OPEN_YEAR)}
    reports = Filing.objects.filter(kind=Kind.MONITORING, year=demo.OPEN_YEAR)
    assert {f.department.code: f.status for f in reports} == {
        code: Status(progress.state) for code, progress in demo.PROGRESS.items()
    }
    colours = {}
    for code, progress in demo.PROGRESS.items():
        row = rows[code]
        if progress.state == "draft":
            assert (row.late, row.submitted, row.worst) == (True, None, None)
            continue
        assert not row.late, code
        assert row.worst is not None
        colours[code] = row.worst.colour.value if row.worst.colour else None
        filing = reports.get(department__code=code)
        assert filing.errors == 0, code
    assert colours == {code: p.colour for code, p in demo.PROGRESS.items() if p.state != "draft"}
    assert sorted(colours.values()) == ["green", "red", "yellow"]
    # The blue: a row far ahead of time progress (a warning, not an error).
    minzheng = reports.get(department__code="minzheng")
    warned = monitoring.warnings_for(minzheng, minzheng.received_version.data)
    assert warned.rows[0].alert.colour is not None
    assert warned.rows[0].alert.colour.value == "blue"
    assert "monitor-far-ahead" in {i["code"] for i in minzheng.received_version.report["issues"]}
    # Departments without an approved table owe nothing: never late.
    assert [code for code, r in rows.items() if r.late] == ["wenlv"]
    # Loading again: nothing new.
    before = (Filing.objects.count(), MonitoringRound.objects.count(), audit.verify())
    assert not demo.load(tmp_path)
    assert (Filing.objects.count(), MonitoringRound.objects.count(), audit.verify()) == before
    assert before[2] == []
