"""The self-evaluation round under a hostile review: a published score cannot be rescored by a new
profile, by tampering with the round, or by reordering reviews; the department sees the 复核
everywhere; odd numbers are refused cleanly; evidence takes its share of the readers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jixiao.profile import VARIANTS
from jixiao_web import audit, selfeval
from jixiao_web.audit import Actor
from jixiao_web.models import Filing, ScoreReview, SelfEvalRound, User

from . import test_selfeval_pages as pages
from .conftest import YEAR

# The pages' fixture: its year's round opened through the page (from conftest's approved target).
opened = pages.opened
_submitted = pages._submitted


def _review(
    client: Client, filing: Filing, row: str, score: str, reason: str = "佐证材料不足以证明完成"
) -> int:
    url = reverse("selfeval-score-review", args=[filing.pk])
    return client.post(url, {"row": row, "score": score, "reason": reason}).status_code


def test_the_profile_cannot_change_once_a_department_has_submitted(
    opened: Filing, actor: Callable[[str], Actor], no_renderings: None
) -> None:
    filing = _submitted(opened, actor)
    later = timezone.now() + timedelta(days=60)
    with pytest.raises(selfeval.RoundError, match="评分设定不能再改"):
        selfeval.open_round(actor("reviewer"), YEAR, VARIANTS["101号"], later)
    assert SelfEvalRound.objects.get(year=YEAR).profile == VARIANTS["默认"].model_dump(mode="json")
    # The deadline may still move.
    selfeval.open_round(actor("reviewer"), YEAR, VARIANTS["默认"], later)
    assert selfeval.scored(filing, filing.received_version).profile.name == VARIANTS["默认"].name
    assert audit.verify() == []


def test_verify_catches_a_profile_or_deadline_changed_in_the_database(
    opened: Filing, tampering: None
) -> None:
    assert audit.verify() == []
    other = VARIANTS["101号"].model_dump(mode="json")
    SelfEvalRound.objects.filter(year=YEAR).update(profile=other)
    assert any("评分设定" in b.message for b in audit.verify())


def test_verify_catches_reviews_reordered_so_an_earlier_one_counts(
    opened: Filing,
    actor: Callable[[str], Actor],
    login: Callable[[User], Client],
    people: dict[str, User],
    tampering: None,
    no_renderings: None,
) -> None:
    filing = _submitted(opened, actor)
    reviewer = login(people["reviewer"])
    assert _review(reviewer, filing, "1", "1") == 302
    assert _review(reviewer, filing, "1", "0") == 302
    assert selfeval.reviews_of(filing.received_version)[1].score == Decimal("0.00")
    assert audit.verify() == []
    first, last = ScoreReview.objects.order_by("pk")
    # Swap the two rows' contents, as an owner of the database could: the earlier score now counts.
    ScoreReview.objects.filter(pk=last.pk).update(score=first.score, reason=first.reason + " ")
    ScoreReview.objects.filter(pk=first.pk).update(score=last.score)
    ScoreReview.objects.filter(pk=last.pk).update(reason=first.reason)
    assert selfeval.reviews_of(filing.received_version)[1].score == Decimal("1.00")
    assert any("最后一次复核" in b.message for b in audit.verify())


@pytest.mark.parametrize("typed", ["-0", "NaN", "sNaN", "Infinity"])
def test_odd_numbers_for_a_review_are_stored_plainly_or_refused_in_chinese(
    opened: Filing,
    actor: Callable[[str], Actor],
    login: Callable[[User], Client],
    people: dict[str, User],
    typed: str,
    no_renderings: None,
) -> None:
    filing = _submitted(opened, actor)
    status = _review(login(people["reviewer"]), filing, "1", typed)
    if typed == "-0":
        assert status == 302
        assert str(ScoreReview.objects.get().score) == "0.00"
    else:
        assert status == 400
        assert not ScoreReview.objects.exists()
    assert audit.verify() == []


def test_the_department_sees_the_review_in_the_api_as_on_its_page(
    opened: Filing,
    actor: Callable[[str], Actor],
    login: Callable[[User], Client],
    people: dict[str, User],
    no_renderings: None,
) -> None:
    filing = _submitted(opened, actor)
    assert _review(login(people["reviewer"]), filing, "1", "0") == 302
    as_bureau = login(people["reviewer"]).get(f"/api/selfevals/{filing.pk}/scores").json()
    as_department = login(people["filer"]).get(f"/api/selfevals/{filing.pk}/scores").json()
    assert as_department["total"] == as_bureau["total"]
    assert Decimal(as_department["total"]) < Decimal("100")


def test_evidence_takes_the_uploads_share_of_readers(
    opened: Filing, actor: Callable[[str], Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jixiao_web import evidence, uploads

    monkeypatch.setattr(uploads, "UPLOADS_PER_MINUTE", 1)
    first = SimpleUploadedFile("记录.txt", b"not a pdf")
    with pytest.raises(evidence.EvidenceError):
        evidence.attach(actor("filer"), opened, first)  # refused for its content, but counted
    with pytest.raises(evidence.EvidenceError, match="上传过于频繁"):
        evidence.attach(actor("filer"), opened, SimpleUploadedFile("记录2.txt", b"again"))


def test_a_refused_review_comes_back_with_what_was_typed(
    opened: Filing,
    actor: Callable[[str], Actor],
    login: Callable[[User], Client],
    people: dict[str, User],
    no_renderings: None,
) -> None:
    filing = _submitted(opened, actor)
    url = reverse("selfeval-score-review", args=[filing.pk])
    reason = "抽查的两份记录与申报数不符，<b>需核实</b>"
    response = login(people["reviewer"]).post(url, {"row": "2", "score": "99", "reason": reason})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="99"' in page
    assert "抽查的两份记录与申报数不符，&lt;b&gt;需核实&lt;/b&gt;" in page
    assert "须在 0 到该指标分值" in page


def test_a_review_posted_without_opening_the_page_still_ends_withdrawal(
    opened: Filing,
    actor: Callable[[str], Actor],
    login: Callable[[User], Client],
    people: dict[str, User],
    no_renderings: None,
) -> None:
    filing = _submitted(opened, actor)
    # Straight to 复核, as a script (or a second tab) would, never through the review page.
    assert _review(login(people["reviewer"]), filing, "1", "0") == 302
    response = login(people["filer"]).post(reverse("selfeval-withdraw", args=[filing.pk]), follow=True)
    filing.refresh_from_db()
    assert filing.status == "submitted"
    assert "不能再撤回" in response.content.decode()
    assert ScoreReview.objects.filter(filing=filing).count() == 1
    assert audit.verify() == []
