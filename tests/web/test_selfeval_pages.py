"""The self-evaluation's pages and API: the round, the form with its live scores, evidence, the
bureau's review with 复核, publication, and the open-data scores."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jixiao.model import TargetTable
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao_web import audit, selfeval, services
from jixiao_web.audit import Actor
from jixiao_web.models import Department, Evidence, Filing, Kind, ScoreReview, Status, User

from .conftest import YEAR, approved_target
from .test_selfeval import filled


def form_post(evaluation: SelfEvaluation, data: dict[str, Any], revision: int) -> dict[str, Any]:
    """The form fields a browser posts for ``data`` (a filled self-evaluation's JSON)."""
    post: dict[str, Any] = {"revision": str(revision)}
    for name in ("total", "fiscal", "other"):
        for column in ("annual_budget", "executed"):
            post[f"funds_{name}_{column}"] = data["funds"][name].get(column) or ""
    post["funds_reason"] = data["funds"].get("reason", "")
    for name in ("goal_actual", "conclusion", "problems", "improvements"):
        post[name] = data.get(name, "")
    post["task_executed"] = [t.get("executed") or "" for t in data["tasks"]]
    post["task_progress"] = [t.get("progress") or "" for t in data["tasks"]]
    for name in ("actual", "tier", "points", "entered_score", "score_reason", "deviation"):
        post[f"ind_{name}"] = [row.get(name) or "" for row in data["indicators"]]
    return post


@pytest.fixture
def opened(target: Filing, login: Callable[[User], Client], people: dict[str, User]) -> Filing:
    client = login(people["reviewer"])
    response = client.post(
        reverse("selfeval-rounds"), {"year": str(YEAR), "variant": "默认", "deadline": "2099-03-31"}
    )
    assert response.status_code == 302
    return Filing.objects.get(kind=Kind.SELFEVAL)


def test_round_page_refuses_bad_input_keeping_it(
    target: Filing, login: Callable[[User], Client], people: dict[str, User]
) -> None:
    client = login(people["reviewer"])
    response = client.post(
        reverse("selfeval-rounds"),
        {
            "year": str(YEAR),
            "variant": "默认",
            "profile": '{"execution_points": 20}',
            "deadline": "2099-03-31",
        },
    )
    assert response.status_code == 400
    assert "execution_points" in response.content.decode()  # what was typed is still there
    assert not Filing.objects.filter(kind=Kind.SELFEVAL).exists()
    assert login(people["filer"]).get(reverse("selfeval-rounds")).status_code == 404


def test_form_scores_live_saves_and_submits(
    opened: Filing, login: Callable[[User], Client], people: dict[str, User]
) -> None:
    client = login(people["filer"])
    page = client.get(reverse("selfeval-edit", args=[opened.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "editor.js" in body
    assert "selfeval.js" in body
    assert (
        reverse("selfeval-edit", args=[opened.pk])
        in login(people["filer"]).get(reverse("home")).content.decode()
    )
    evaluation = SelfEvaluation.model_validate(opened.data)
    data = filled(evaluation)
    post = form_post(evaluation, data, opened.revision)
    checked = client.post(reverse("selfeval-check", args=[opened.pk]), post).json()
    assert checked["scores"]["total"] == "100.00"
    assert checked["scores"]["grade"] == "优"
    assert [i for i in checked["issues"] if i["severity"] == "error"] == []
    # Lowering an actual lowers its score and the total, live.
    first = next(i for i, ind in enumerate(evaluation.approved.indicators) if ind.comparator == "≥")
    lowered = dict(post, ind_actual=[*post["ind_actual"]])
    lowered["ind_actual"][first] = "0"
    checked = client.post(reverse("selfeval-check", args=[opened.pk]), lowered).json()
    assert Decimal(checked["scores"]["total"]) < Decimal(100)
    assert checked["scores"]["rows"][first]["score"] == "0.00"
    assert "selfeval-deviation-unexplained" in {i["code"] for i in checked["issues"]}
    # An unreadable amount: refused, what was typed comes back, nothing stored.
    bad = dict(post, funds_total_executed="五百万")
    refused = client.post(reverse("selfeval-edit", args=[opened.pk]), bad)
    assert refused.status_code == 400
    assert "五百万" in refused.content.decode()
    opened.refresh_from_db()
    assert opened.revision == 1
    # A 分值 or 自评得分 that is no number: refused too, each named beside its field.
    words = dict(post, ind_points=["十分", *post["ind_points"][1:]])
    words["ind_entered_score"] = ["", "满分", *post["ind_entered_score"][2:]]
    refused = client.post(reverse("selfeval-edit", args=[opened.pk]), words)
    assert refused.status_code == 400
    shown = refused.content.decode()
    assert "十分" in shown
    assert "满分" in shown
    checked = client.post(reverse("selfeval-check", args=[opened.pk]), words).json()
    assert {(i["code"], i["location"].get("row"), i["location"].get("field")) for i in checked["issues"]} >= {
        ("selfeval-points-invalid", 1, "points"),
        ("selfeval-score-out-of-range", 2, "entered_score"),
    }
    # Saved and submitted.
    saved = client.post(reverse("selfeval-edit", args=[opened.pk]), {**post, "submit": "1"})
    assert saved.status_code == 302
    opened.refresh_from_db()
    assert opened.status == Status.SUBMITTED
    assert opened.received_version is not None


def test_check_signed_out_is_a_json_401(opened: Filing) -> None:
    response = Client().post(reverse("selfeval-check", args=[opened.pk]), {})
    assert response.status_code == 401
    assert response.json()["error"] == "session-expired"


def _submitted(opened: Filing, actor: Callable[[str], Actor]) -> Filing:
    evaluation = SelfEvaluation.model_validate(opened.data)
    filing, _ = selfeval.save(
        actor("filer"), opened, selfeval.merged(opened, filled(evaluation)), opened.revision
    )
    services.submit(actor("filer"), filing)
    filing.refresh_from_db()
    return filing


def test_review_rescore_approve_publish(
    opened: Filing, actor: Callable[[str], Actor], login: Callable[[User], Client], people: dict[str, User]
) -> None:
    filing = _submitted(opened, actor)
    reviewer = login(people["reviewer"])
    page = reviewer.get(reverse("review", args=[filing.pk]))
    assert page.status_code == 200
    assert "复核得分" in page.content.decode()
    # Without a reason: refused, nothing stored.
    refused = reviewer.post(reverse("selfeval-score-review", args=[filing.pk]), {"row": "1", "score": "1"})
    assert refused.status_code == 400
    assert not ScoreReview.objects.exists()
    done = reviewer.post(
        reverse("selfeval-score-review", args=[filing.pk]),
        {"row": "1", "score": "1", "reason": "佐证材料只覆盖上半年"},
    )
    assert done.status_code == 302
    # The department sees the reviewed score and its reason beside its own.
    own = login(people["filer"]).get(reverse("selfeval-detail", args=[filing.pk])).content.decode()
    assert "佐证材料只覆盖上半年" in own
    # A department cannot review.
    assert (
        login(people["filer"])
        .post(
            reverse("selfeval-score-review", args=[filing.pk]),
            {"row": "1", "score": "0", "reason": "自己改分数"},
        )
        .status_code
        == 404
    )
    approved = reviewer.post(
        reverse("review-decide", args=[filing.pk]), {"decision": "approve", "confirmed": "1"}
    )
    assert approved.status_code == 302
    filing.refresh_from_db()
    assert filing.status == Status.APPROVED
    published = reviewer.post(reverse("review-publish", args=[filing.pk]), {"confirmed": "1"})
    assert published["Location"] == reverse("public-selfeval", args=[YEAR, filing.department.code])
    public = Client().get(published["Location"])
    assert public.status_code == 200
    text = public.content.decode()
    scored = selfeval.scored(filing, filing.received_version)
    assert str(scored.total) in text
    assert scored.total < scored.scores.total  # the reviewed score counts
    # The downloads are the library's writers' files, with the reviewed scores.
    assert f">{scored.total}<" in text or str(scored.total) in text
    code = filing.department.code
    as_json = Client().get(reverse("public-selfeval-download", args=[YEAR, code, "json"]))
    published_evaluation = SelfEvaluation.model_validate_json(b"".join(as_json.streaming_content))  # type: ignore[attr-defined]
    assert published_evaluation.indicators[0].entered_score == Decimal("1.00")
    assert published_evaluation.indicators[0].score_reason.startswith("财政局复核：佐证材料只覆盖上半年")
    from jixiao.scoring import score

    assert score(published_evaluation, VARIANTS["默认"]).total == scored.total
    for fmt in ("html", "xlsx", "pdf", "docx"):
        response = Client().get(reverse("public-selfeval-download", args=[YEAR, code, fmt]))
        assert response.status_code == 200, fmt
        assert "selfeval-v1" in response["Content-Disposition"], fmt
    html = b"".join(
        Client().get(reverse("public-selfeval-download", args=[YEAR, code, "html"])).streaming_content  # type: ignore[attr-defined]
    ).decode()
    assert str(scored.total) in html
    # Found from the public index while its target table is not published (no open data yet).
    index = Client().get(reverse("public-index")).content.decode()
    assert reverse("public-selfeval", args=[YEAR, code]) in index
    assert reverse("public-open-data", args=[YEAR]) not in index
    # The open-data bundle of the year gains the scores; the target table's page links to it.
    services.publish(actor("reviewer"), Filing.objects.get(kind=Kind.TARGET))
    index = Client().get(reverse("public-index")).content.decode()
    assert reverse("public-table", args=[YEAR, code]) in index
    assert reverse("public-open-data", args=[YEAR]) in index
    beside = Client().get(reverse("public-table", args=[YEAR, filing.department.code])).content.decode()
    assert reverse("public-selfeval", args=[YEAR, filing.department.code]) in beside
    bundle = Client().get(reverse("public-open-data", args=[YEAR]))
    with zipfile.ZipFile(io.BytesIO(b"".join(bundle.streaming_content))) as archive:
        scores = archive.read("selfeval-scores.csv").decode("utf-8-sig")
    assert filing.department.name in scores
    assert str(scored.total) in scores
    assert audit.verify() == []


def _pdf() -> bytes:
    from jixiao.model import TargetTable as _Table
    from jixiao.write.pdf import write_pdf

    return write_pdf(_Table.model_validate({"title": "佐证", "department": {"name": "揭阳市应急管理局"}}))


def test_evidence_is_checked_stored_with_its_digest_and_private(
    opened: Filing, login: Callable[[User], Client], people: dict[str, User], no_renderings: None
) -> None:
    client = login(people["filer"])
    url = reverse("selfeval-evidence", args=[opened.pk])
    fake = SimpleUploadedFile("演练记录.pdf", b"MZ\x90\x00 not a pdf at all")
    client.post(url, {"file": fake})
    assert not Evidence.objects.exists()
    png_named_pdf = SimpleUploadedFile("照片.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    client.post(url, {"file": png_named_pdf})
    assert not Evidence.objects.exists()
    data = _pdf()
    client.post(url, {"file": SimpleUploadedFile("演练记录.pdf", data)})
    (item,) = Evidence.objects.all()
    import hashlib

    assert item.sha256 == hashlib.sha256(data).hexdigest()
    assert item.kind == "pdf"
    entry = opened.audit.get(action="evidence_add")
    assert entry.after["哈希"] == item.sha256
    download = reverse("selfeval-evidence-download", args=[opened.pk, item.pk])
    assert client.get(download).status_code == 200
    assert login(people["other_filer"]).get(download).status_code == 404
    assert Client().get(download).status_code == 302  # to the sign-in page
    assert login(people["reviewer"]).get(download).status_code == 404  # a draft: not received yet


def test_api_reads_scores_and_checks(
    opened: Filing, actor: Callable[[str], Actor], login: Callable[[User], Client], people: dict[str, User]
) -> None:
    client = login(people["filer"])
    got = client.get(reverse("api:get_selfeval", args=[opened.pk])).json()
    assert got["source"] == "working_copy"
    assert got["scores"]["total"] == got["scores"]["execution_score"]  # nothing achieved yet
    data = filled(SelfEvaluation.model_validate(opened.data))
    checked = client.post(
        reverse("api:check_selfeval", args=[opened.pk]), json.dumps(data), content_type="application/json"
    ).json()
    assert checked["scores"]["total"] == "100.00"
    assert checked["report"]["valid"] is True
    bad = client.post(
        reverse("api:check_selfeval", args=[opened.pk]),
        json.dumps({**data, "indicators": []}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid-selfeval"
    # The bureau sees it once submitted; the public once published; a target id is not one.
    assert login(people["reviewer"]).get(reverse("api:get_selfeval", args=[opened.pk])).status_code == 404
    filing = _submitted(opened, actor)
    scores = login(people["reviewer"]).get(reverse("api:score_selfeval", args=[filing.pk])).json()
    assert scores["grade"] == "优"
    target = Filing.objects.get(kind=Kind.TARGET)
    assert client.get(reverse("api:get_selfeval", args=[target.pk])).status_code == 404
    assert client.get(reverse("api:get_table", args=[filing.pk])).status_code == 404


def test_rounds_page_lists_departments(
    opened: Filing, actor: Callable[[str], Actor], login: Callable[[User], Client], people: dict[str, User]
) -> None:
    _submitted(opened, actor)
    page = login(people["reviewer"]).get(reverse("selfeval-rounds") + f"?year={YEAR}").content.decode()
    assert "揭阳市应急管理局" in page
    assert "100.00" in page
    assert "揭阳市教育局" in page  # no approved table: no self-evaluation yet
    assert VARIANTS["101号"].name in page
    assert 'value="2099-03-31"' in page  # opening again starts from the round's settings


def test_initial_budget_typed_only_where_the_approved_table_shows_none(
    people: dict[str, User],
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
    login: Callable[[User], Client],
) -> None:
    """The seed shows no 基本支出, so no 年度资金总额: the department types its 年初预算数; the
    财政拨款 row's is the approved table's whatever is posted."""
    seed_table.budget.fiscal_appropriation = Decimal("1000")
    filing = services.start_filing(actor("other_filer"), other_department, YEAR, seed_table)
    approved_target(filing, lambda name: actor("other_filer" if name == "filer" else name))
    (made,) = selfeval.open_round(actor("reviewer"), YEAR, VARIANTS["默认"], timezone.now()).made
    evaluation = SelfEvaluation.model_validate(made.data)
    assert evaluation.funds.total.initial_budget is None
    data = filled(evaluation)
    post = form_post(evaluation, data, made.revision)
    post |= {"funds_total_initial_budget": "1766.08", "funds_fiscal_initial_budget": "1"}
    client = login(people["other_filer"])
    page = client.get(reverse("selfeval-edit", args=[made.pk])).content.decode()
    assert 'name="funds_total_initial_budget"' in page
    assert client.post(reverse("selfeval-edit", args=[made.pk]), post).status_code == 302
    made.refresh_from_db()
    stored = SelfEvaluation.model_validate(made.data)
    assert stored.funds.total.initial_budget == Decimal("1766.08")
    assert stored.funds.fiscal.initial_budget == Decimal("1000")


def test_a_filled_workbook_is_previewed_then_imported(
    opened: Filing, login: Callable[[User], Client], people: dict[str, User]
) -> None:
    from openpyxl import load_workbook

    from jixiao.write.selfeval import write_selfeval_bytes

    client = login(people["filer"])
    blank = client.get(reverse("selfeval-workbook", args=[opened.pk]))
    assert blank.status_code == 200
    assert load_workbook(io.BytesIO(blank.content)).active.protection.sheet  # the copied parts locked
    stored = SelfEvaluation.model_validate(opened.data)
    filled_evaluation = selfeval.merged(opened, filled(stored))
    workbook = write_selfeval_bytes(filled_evaluation, ".xlsx", VARIANTS["默认"])
    url = reverse("selfeval-upload", args=[opened.pk])
    preview = client.post(url, {"file": SimpleUploadedFile("自评表.xlsx", workbook)})
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "确认导入" in page
    assert "100.00" in page  # the scores, recomputed
    opened.refresh_from_db()
    assert opened.revision == 1  # nothing stored before confirming
    confirm = re.search(r'name="confirm" value="([^"]+)"', page)
    assert confirm is not None
    # The preview is the filer's: the department's head cannot confirm it (monup).
    head = login(people["head"]).post(url, {"confirm": confirm.group(1)}, follow=True)
    assert "不是您为这张自评表读取的" in head.content.decode()
    opened.refresh_from_db()
    assert opened.revision == 1
    done = client.post(url, {"confirm": confirm.group(1)})
    assert done["Location"] == reverse("selfeval-edit", args=[opened.pk])
    opened.refresh_from_db()
    assert opened.revision == 2
    imported = SelfEvaluation.model_validate(opened.data)
    assert imported.goal_actual == filled_evaluation.goal_actual
    assert [r.actual for r in imported.indicators] == [r.actual for r in filled_evaluation.indicators]
    assert imported.funds.total.executed == filled_evaluation.funds.total.executed
    # Not a self-evaluation: refused with the reader's reason, nothing stored.
    refused = client.post(url, {"file": SimpleUploadedFile("随便.txt", "这不是自评表".encode())})
    assert refused.status_code == 400
    assert "不是部门整体支出绩效自评表" in refused.content.decode()


def test_another_tables_workbook_is_refused(
    opened: Filing, seed_table: TargetTable, login: Callable[[User], Client], people: dict[str, User]
) -> None:
    from jixiao.write.selfeval import write_selfeval_bytes

    other = seed_table.model_copy(deep=True)
    other.indicators = other.indicators[:2]
    workbook = write_selfeval_bytes(SelfEvaluation.from_table(other), ".xlsx", VARIANTS["默认"])
    client = login(people["filer"])
    refused = client.post(
        reverse("selfeval-upload", args=[opened.pk]), {"file": SimpleUploadedFile("别的表.xlsx", workbook)}
    )
    assert refused.status_code == 400
    assert "不一致" in refused.content.decode()
    # A monitoring workbook of the same table is another kind of form (monup).
    from jixiao.model.monitoring import MonitoringReport
    from jixiao.write.monitoring import write_monitoring_bytes

    stored = SelfEvaluation.model_validate(opened.data)
    monitoring_form = write_monitoring_bytes(
        MonitoringReport.from_table(stored.approved.as_target_table(), 7), ".xlsx"
    )
    wrong = client.post(
        reverse("selfeval-upload", args=[opened.pk]),
        {"file": SimpleUploadedFile("监控表.xlsx", monitoring_form)},
    )
    assert wrong.status_code == 400
    assert "是部门整体支出绩效运行监控表，不是部门整体支出绩效自评表" in wrong.content.decode()
    opened.refresh_from_db()
    assert opened.revision == 1
