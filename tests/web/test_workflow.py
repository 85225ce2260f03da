"""The workflow through the services: draft → submitted → returned → submitted → approved → published."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from jixiao.model import TargetTable
from jixiao_web import audit, services
from jixiao_web.audit import Actor
from jixiao_web.models import City, Comment, Export, Filing, Received, Status, Version
from jixiao_web.services import ReviewComment

from .conftest import YEAR


def test_whole_workflow(draft: Filing, actor: Callable[[str], Actor]) -> None:
    services.submit(actor("filer"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    services.return_filing(actor("reviewer"), draft, [ReviewComment("tasks", 2, "请细化实施内容")], "中")
    draft.refresh_from_db()
    assert (draft.status, draft.grade) == (Status.RETURNED, "中")
    assert [(c.section, c.row) for c in Comment.objects.filter(filing=draft)] == [("tasks", 2)]
    table = TargetTable.model_validate(draft.data)
    table.tasks[1].content += "（已细化）"
    services.save_draft(actor("filer"), draft, table, draft.revision)
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    version = services.publish(actor("reviewer"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.published_version == version
    assert version.number == 2
    assert sorted(Export.objects.filter(version=version).values_list("format", flat=True)) == sorted(
        ["html", "xlsx", "pdf", "docx", "json"]
    )
    actions = list(draft.audit.order_by("seq").values_list("action", flat=True))
    assert actions == ["start", "submit", "return", "save", "submit", "approve", "publish", *["export"] * 5]
    assert audit.verify() == []


def test_errors_block_submitting_not_saving(draft: Filing, actor: Callable[[str], Actor]) -> None:
    table = TargetTable.model_validate(draft.data)
    table.budget.project_expenditure = Decimal("-1")
    filing, report = services.save_draft(actor("filer"), draft, table, draft.revision)
    assert filing.errors >= 1
    assert "amount-invalid" in report.codes()
    with pytest.raises(services.NotSubmittable) as raised:
        services.submit(actor("filer"), filing)
    assert "amount-invalid" in raised.value.report.codes()
    assert not Version.objects.filter(filing=filing).exists()


def test_later_save_of_same_revision_is_a_conflict(draft: Filing, actor: Callable[[str], Actor]) -> None:
    loaded = draft.revision
    first = TargetTable.model_validate(draft.data)
    first.overall_goal += "\n4、第一位同事的修改"
    second = TargetTable.model_validate(draft.data)
    second.overall_goal += "\n4、第二位同事的修改"
    services.save_draft(actor("filer"), draft, first, loaded)
    with pytest.raises(services.Conflict):
        services.save_draft(actor("head"), draft, second, loaded)
    draft.refresh_from_db()
    assert "第一位同事" in draft.data["overall_goal"]
    assert "第二位同事" not in draft.data["overall_goal"]


def test_submitter_cannot_approve(draft: Filing, actor: Callable[[str], Actor], people: dict) -> None:
    # An admin files for nobody, so make the head submit and then try to approve as head.
    City.objects.update(head_approval_required=True)
    services.submit(actor("head"), draft)  # a head's own submission goes straight to the bureau
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    with pytest.raises(services.Forbidden):
        services.head_approve(actor("head"), draft)


def test_head_approval_when_the_city_asks_for_it(draft: Filing, actor: Callable[[str], Actor]) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.HEAD_REVIEW
    with pytest.raises(services.Forbidden):
        services.approve(actor("reviewer"), draft, "优")
    services.head_approve(actor("head"), draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_versions_cannot_be_changed(draft: Filing, actor: Callable[[str], Actor]) -> None:
    version = services.submit(actor("filer"), draft)
    version.data = {}
    with pytest.raises(Exception, match="不可修改"):
        version.save()
    with pytest.raises(Exception, match="不可删除"):
        version.delete()


def test_carry_forward_takes_last_years_approved_table(
    people: dict, department, seed_table: TargetTable, actor: Callable[[str], Actor]
) -> None:
    from jixiao_web.models import FilingYear

    FilingYear.objects.filter(year=YEAR - 1).update(is_open=True)
    last = seed_table.model_copy(deep=True)
    last.year = YEAR - 1
    last.title = last.title.replace(str(YEAR), str(YEAR - 1))
    filing = services.start_filing(actor("filer"), department, YEAR - 1, last)
    assert services.carried_forward(department, YEAR) is None  # a draft is not carried forward
    services.submit(actor("filer"), filing)
    services.approve(actor("reviewer"), filing, "良")
    carried = services.carried_forward(department, YEAR)
    assert carried is not None
    assert carried.year == YEAR
    assert str(YEAR) in carried.title
    assert carried.tasks == last.tasks


def test_verify_finds_an_altered_version_or_export(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    version = services.publish(actor("reviewer"), draft)
    assert audit.verify() == []
    # A bulk update passes by the model's guard: the digest recorded at submission catches it.
    changed = dict(version.data, overall_goal="改写过的总体目标")
    Version.objects.filter(pk=version.pk).update(data=changed)
    assert [b.message for b in audit.verify()] == [
        f"“{draft}”第1版的内容与提交时记录的哈希值不符（版本被改动）"
    ]
    Version.objects.filter(pk=version.pk).update(data=version.data)
    pdf = Export.objects.get(version=version, format="pdf")
    with open(pdf.file.path, "ab") as handle:
        handle.write(b"%tampered")
    problems = audit.verify()
    assert len(problems) == 1
    assert "被改动" in problems[0].message
    assert pdf.file.name in problems[0].message


def test_the_database_refuses_to_change_the_append_only_tables(
    draft: Filing, actor: Callable[[str], Actor]
) -> None:
    from django.db import DatabaseError, connection, transaction

    from jixiao_web.models import AuditEntry

    services.submit(actor("filer"), draft)
    services.return_filing(actor("reviewer"), draft, [ReviewComment("overall_goal", None, "请量化")], "中")
    for model in (AuditEntry, Version, Received, Comment):
        table = model._meta.db_table
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with (
                pytest.raises(DatabaseError, match="只能追加"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
    assert audit.verify() == []


def test_verify_finds_a_comment_changed_or_removed(
    draft: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    services.submit(actor("filer"), draft)
    services.return_filing(actor("reviewer"), draft, [ReviewComment("tasks", 1, "请细化")], "中")
    assert audit.verify() == []
    Comment.objects.filter(filing=draft).update(text="改写的意见")
    assert [b.seq for b in audit.verify()] == [None, None]  # a comment not in the log, and one gone
    Comment.objects.filter(filing=draft).delete()
    assert len(audit.verify()) == 1


def test_a_version_passed_through_the_head_verifies(draft: Filing, actor: Callable[[str], Actor]) -> None:
    City.objects.update(head_approval_required=True)
    services.submit(actor("filer"), draft)
    services.head_approve(actor("head"), draft)
    assert audit.verify() == []


def test_a_status_change_is_not_an_edit_of_the_working_copy(
    draft: Filing, actor: Callable[[str], Actor]
) -> None:
    edited = Filing.objects.get(pk=draft.pk).updated_at
    services.submit(actor("filer"), draft)
    services.approve(actor("reviewer"), draft, "优")
    assert Filing.objects.get(pk=draft.pk).updated_at == edited


def test_the_workflow_table_is_well_formed() -> None:
    """Every transition goes between states of its workflow, once per audit action; each command
    is gated by one access action; a command's transitions from one state are told apart."""
    from jixiao_web.workflow import TARGET, WORKFLOWS

    # Every status is some kind's (the target table has all but monitoring's 已确认).
    assert {state.status for workflow in WORKFLOWS.values() for state in workflow.states} == set(Status)
    assert {state.status for state in TARGET.states} == set(Status) - {Status.ACCEPTED}
    for workflow in WORKFLOWS.values():
        statuses = {state.status for state in workflow.states}
        audits = [step.audit for step in workflow.transitions]
        assert len(audits) == len(set(audits)), workflow.kind
        for step in workflow.transitions:
            assert set(step.sources) <= statuses, step.audit
            assert step.target in statuses, step.audit
            assert all((step.verb, step.done, step.button)), step.audit
        for command in workflow.commands:
            steps = workflow.by_command(command)
            assert len({step.gate for step in steps}) == 1, command
            for status in statuses:
                routes = [s.head_first for s in steps if status in s.sources]
                assert len(routes) == len(set(routes)), command
                assert None not in routes or len(routes) == 1, command
    # The city's choice routes a 填报人's submission through the 部门负责人, and only a 填报人's.
    to_head = TARGET.step("submit", Status.DRAFT, head_first=True)
    to_bureau = TARGET.step("submit", Status.RETURNED, head_first=False)
    assert to_head is not None
    assert to_head.target == Status.HEAD_REVIEW
    assert to_bureau is not None
    assert to_bureau.target == Status.SUBMITTED
    assert TARGET.step("submit", Status.SUBMITTED) is None
    assert not TARGET.permits("submit", Status.DRAFT, "head", own=False, submitter=False)
