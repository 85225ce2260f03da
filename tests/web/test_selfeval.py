"""The self-evaluation round in the web system: opened by the bureau, made from approved tables,
filled, scored, submitted, reviewed (复核), approved and published through the shared workflow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao_web import audit, selfeval, services
from jixiao_web.audit import Actor
from jixiao_web.models import AuditAction, Department, Filing, Kind, ScoreReview, Status, User
from jixiao_web.services import ReviewComment

from .conftest import YEAR, approved_target


def _deadline() -> Any:
    return timezone.now() + timedelta(days=30)


def filled(evaluation: SelfEvaluation) -> dict[str, Any]:
    """``evaluation`` filled so that every row meets its target (no error): its JSON."""
    data = evaluation.model_dump(mode="json")
    total = data["funds"]["total"]
    total["annual_budget"] = total["initial_budget"]
    total["executed"] = total["initial_budget"]
    data["goal_actual"] = "全年完成应急演练、值守和培训等各项工作任务，安全生产形势总体平稳，群众满意度较高。"
    for indicator, row in zip(evaluation.approved.indicators, data["indicators"], strict=True):
        if indicator.comparator == "定性":
            row["tier"] = "达成"
        else:
            row["actual"] = indicator.value.split("-")[-1]
    data["conclusion"] = "完成年度目标。"
    return data


@pytest.fixture
def opened(target: Filing, actor: Callable[[str], Actor]) -> Filing:
    result = selfeval.open_round(actor("reviewer"), YEAR, VARIANTS["默认"], _deadline())
    (made,) = result.made
    return made


def test_opening_makes_a_filing_from_the_approved_version(
    target: Filing, opened: Filing, actor: Callable[[str], Actor]
) -> None:
    assert (opened.kind, opened.status, opened.year) == (Kind.SELFEVAL, Status.DRAFT, YEAR)
    assert opened.department_id == target.department_id
    assert target.received_version is not None
    assert (
        opened.data["approved"]
        == SelfEvaluation.from_table(
            SelfEvaluation.model_validate(opened.data).approved.as_target_table()
        ).model_dump(mode="json")["approved"]
    )
    assert opened.data["approved"]["overall_goal"] == target.received_version.data["overall_goal"]
    # Opening again makes nothing new.
    again = selfeval.open_round(actor("admin"), YEAR, VARIANTS["101号"], _deadline())
    assert again.made == []
    assert Filing.objects.filter(kind=Kind.SELFEVAL).count() == 1
    assert selfeval.profile_of(YEAR).name == "101号"
    assert audit.verify() == []


def test_never_from_a_draft_and_made_on_later_approval(
    funded_draft: Filing, people: dict[str, User], actor: Callable[[str], Actor]
) -> None:
    draft = funded_draft
    result = selfeval.open_round(actor("reviewer"), YEAR, VARIANTS["默认"], _deadline())
    assert result.made == []  # the target table is still a draft
    # A working copy changed after approval never reaches the self-evaluation.
    approved_target(draft, actor)
    (made,) = Filing.objects.filter(kind=Kind.SELFEVAL)
    assert made.data["approved"]["overall_goal"] == draft.received_version.data["overall_goal"]  # type: ignore[union-attr]
    actions = list(made.audit.values_list("action", flat=True))
    assert actions == [AuditAction.SELFEVAL_START]
    assert audit.verify() == []


def test_only_the_bureau_opens_a_round(target: Filing, actor: Callable[[str], Actor]) -> None:
    with pytest.raises(selfeval.RoundError):
        selfeval.open_round(actor("filer"), YEAR, VARIANTS["默认"], _deadline())


def test_whole_round(opened: Filing, actor: Callable[[str], Actor]) -> None:
    evaluation = SelfEvaluation.model_validate(opened.data)
    # Blank: errors block submitting, never saving.
    with pytest.raises(services.NotSubmittable) as refused:
        services.submit(actor("filer"), opened)
    assert "selfeval-actual-missing" in refused.value.report.codes()
    data = filled(evaluation)
    saved, report = selfeval.save(actor("filer"), opened, selfeval.merged(opened, data), opened.revision)
    assert [f.code for f in report.findings if f.severity == "error"] == []
    assert saved.errors == 0
    version = services.submit(actor("filer"), saved)
    saved.refresh_from_db()
    assert saved.status == Status.SUBMITTED
    assert saved.received_version == version
    # The bureau reviews one row's score, with a reason; it counts, the department's stays.
    before = selfeval.scored(saved, version)
    assert before.total == Decimal("100.00")
    assert before.grade == "优"
    with pytest.raises(selfeval.SaveError):
        selfeval.review_score(actor("reviewer"), saved, 1, "1", "")  # no reason
    with pytest.raises(selfeval.SaveError):
        selfeval.review_score(actor("filer"), saved, 1, "1", "佐证材料不足以证明完成")
    first = before.scores.rows[0]
    selfeval.review_score(actor("reviewer"), saved, 1, "0", "佐证材料不足以证明完成")
    after = selfeval.scored(saved, version)
    assert after.total == before.total - first.points
    assert after.scores.rows[0].score == first.score  # the department's own, kept beside
    assert after.reviewed[1].score == Decimal("0.00")
    services.return_filing(actor("reviewer"), saved, [ReviewComment("indicators", 1, "请补充佐证材料")])
    saved.refresh_from_db()
    assert saved.status == Status.RETURNED
    services.submit(actor("filer"), saved)
    services.approve(actor("reviewer"), saved, "")
    services.publish(actor("reviewer"), saved)
    saved.refresh_from_db()
    assert saved.status == Status.PUBLISHED
    assert saved.published_version is not None
    actions = list(saved.audit.order_by("seq").values_list("action", flat=True))
    assert actions == [
        "selfeval_start",
        "save",
        "submit",
        "review_open",  # a review is a reading: the department can no longer withdraw
        "score_review",
        "return",
        "submit",
        "approve",
        "publish",
        *["export"] * 5,  # its downloads, rendered on publishing (the library's writers)
    ]
    assert audit.verify() == []


def test_copied_parts_cannot_change(opened: Filing, actor: Callable[[str], Actor]) -> None:
    data = filled(SelfEvaluation.model_validate(opened.data))
    data["approved"]["overall_goal"] = "改过的目标"
    data["funds"]["total"]["initial_budget"] = "1"
    evaluation = selfeval.merged(opened, data)
    assert evaluation.approved.overall_goal == opened.data["approved"]["overall_goal"]
    assert str(evaluation.funds.total.initial_budget) == opened.data["funds"]["total"]["initial_budget"]


def test_another_department_cannot_save(
    opened: Filing, other_department: Department, actor: Callable[[str], Actor]
) -> None:
    data = filled(SelfEvaluation.model_validate(opened.data))
    with pytest.raises(selfeval.SaveError):
        selfeval.save(actor("other_filer"), opened, selfeval.merged(opened, data), opened.revision)
    with pytest.raises(selfeval.SaveError):
        selfeval.save(actor("reviewer"), opened, selfeval.merged(opened, data), opened.revision)
    assert not ScoreReview.objects.exists()


def test_target_tables_are_unaffected(target: Filing, opened: Filing, people: dict[str, User]) -> None:
    from jixiao_web import selectors

    assert list(selectors.visible_filings(people["reviewer"], YEAR)) == [target]
    assert selectors.published(YEAR).count() == 0


def test_verify_finds_an_altered_reviewed_score_and_evidence(
    opened: Filing, actor: Callable[[str], Actor], tampering: None, no_renderings: None
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jixiao.write.pdf import write_pdf
    from jixiao_web import evidence
    from jixiao_web.models import Evidence

    pdf = write_pdf(TargetTable.model_validate({"title": "佐证", "department": {"name": "揭阳市应急管理局"}}))
    item = evidence.attach(actor("filer"), opened, SimpleUploadedFile("记录.pdf", pdf))
    data = filled(SelfEvaluation.model_validate(opened.data))
    saved, _ = selfeval.save(actor("filer"), opened, selfeval.merged(opened, data), opened.revision)
    services.submit(actor("filer"), saved)
    selfeval.review_score(actor("reviewer"), saved, 1, "0", "佐证材料不足以证明完成")
    assert audit.verify() == []
    ScoreReview.objects.update(score=Decimal("5"))
    with item.file.open("wb") as handle:
        handle.write(b"%PDF-1.4 replaced")
    messages = [b.message for b in audit.verify()]
    assert any("复核得分" in m for m in messages)
    assert any("佐证材料" in m and "哈希" in m for m in messages)
    assert Evidence.objects.count() == 1
