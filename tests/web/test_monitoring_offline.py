"""A monitoring report worked on offline and its evidence (issue 12, item 3), with what the
self-evaluation shares of it: the department downloads its workbook, fills it as one does in
Excel and uploads it: read by the library, previewed with what it changes, stored only when
confirmed (a confirmation good for this report and this person only); files of another kind, of
another department or month, and hostile files are refused with a clear message.  Evidence is
frozen with each submitted version, removable (audited) while the report may be edited, and
``audit verify`` compares each file's name, type, size and digest with its record."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl.worksheet.worksheet import Worksheet

from jixiao.model import TargetTable
from jixiao.model.monitoring import MonitoringReport
from jixiao.model.selfeval import SelfEvaluation
from jixiao.profile import VARIANTS
from jixiao_web import audit, evidence, monitoring, services
from jixiao_web.audit import Actor
from jixiao_web.models import (
    AuditAction,
    Department,
    Evidence,
    EvidenceRemoval,
    Filing,
    FilingYear,
    Status,
    User,
    VersionEvidence,
)
from jixiao_web.services import ReviewComment

from .conftest import YEAR, approved_target
from .test_monitoring import on_track

#: The seed's five indicators as of July: 1–7月完成值, 全年预计完成值, 完成可能性.
PROGRESS = {
    "提供安全审查、检查项目": ("1", "4", "有可能"),  # ≥4个: 1 of 4×7/12 → red, causes asked
    "编制应急预案率": ("100", "100", "确定能"),
    "应急处置到达时间": ("2.5", "2.8", "确定能"),
    "抢险救灾率": ("100", "100", "确定能"),
    "监测预警时段": ("7*24", "7*24", "确定能"),
}
CAUSE_NOTE = "上半年两家企业停产整改，检查顺延到第三季度。"
MEASURES = "第三季度集中开展检查，按月调度进度。"


@pytest.fixture
def opened(target: Filing, actor: Callable[[str], Actor]) -> Filing:
    """The seed (基本支出 filled) approved, and its monitoring report as of July."""
    deadline = timezone.now() + timedelta(days=20)
    (made,) = monitoring.open_round(actor("reviewer"), YEAR, 7, VARIANTS["默认"], deadline).made
    return made


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _find(sheet: Worksheet, text: str) -> tuple[int, int]:
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row, cell.column
    raise AssertionError(f"{text} not on the sheet")


def _column(sheet: Worksheet, row: int, text: str) -> int:
    return next(cell.column for cell in sheet[row] if cell.value == text)


def filled_workbook(blank: bytes) -> bytes:
    """The page's blank workbook filled in as a department does in Excel: the money on time, the
    first indicator behind (with its causes and measures), the others on target."""
    workbook = openpyxl.load_workbook(io.BytesIO(blank))
    sheet = workbook["监控表"]
    heading, _ = _find(sheet, "调整后预算数")
    total, _ = _find(sheet, "年度资金总额")
    initial = sheet.cell(total, _column(sheet, heading, "年初预算数")).value
    assert initial is not None
    budget = Decimal(str(initial))
    for label, value in (
        ("调整后预算数", budget),
        ("1-7月执行数", (budget * 7 / 12).quantize(Decimal("0.01"))),
        ("全年预计执行数", budget),
    ):
        sheet.cell(total, _column(sheet, heading, label)).value = float(value)
    heading, _ = _find(sheet, "完成可能性")
    columns = {
        name: _column(sheet, heading, name)
        for name in ("1-7月完成值", "全年预计完成值", "完成可能性", "偏差原因", "原因说明", "纠偏措施")
    }
    for name, (to_date, forecast, likelihood) in PROGRESS.items():
        row, _ = _find(sheet, name)
        sheet.cell(row, columns["1-7月完成值"]).value = to_date
        sheet.cell(row, columns["全年预计完成值"]).value = forecast
        sheet.cell(row, columns["完成可能性"]).value = likelihood
        if likelihood != "确定能":
            sheet.cell(row, columns["偏差原因"]).value = "其他"
            sheet.cell(row, columns["原因说明"]).value = CAUSE_NOTE
            sheet.cell(row, columns["纠偏措施"]).value = MEASURES
    for label, text in (("存在的问题", "检查项目进度偏慢。"), ("下一步措施", "第三季度集中开展检查。")):
        row, column = _find(sheet, label)
        sheet.cell(row, column + 1).value = text
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _confirm_token(page: str) -> str:
    found = re.search(r'name="confirm" value="([^"]+)"', page)
    assert found is not None, page[:2000]
    return found.group(1)


def test_a_filled_workbook_is_previewed_with_its_changes_then_imported(
    opened: Filing, people: dict[str, User]
) -> None:
    filer = _client(people["filer"])
    blank = filer.get(reverse("monitoring-workbook", args=[opened.pk]))
    assert blank.status_code == 200
    assert "attachment" in blank["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(blank.content))["监控表"].protection.sheet  # copied parts locked
    url = reverse("monitoring-upload", args=[opened.pk])
    assert filer.get(url).status_code == 200
    preview = filer.post(url, {"file": SimpleUploadedFile("监控表.xlsx", filled_workbook(blank.content))})
    page = preview.content.decode()
    assert preview.status_code == 200, page[:3000]
    assert "确认导入" in page
    # What confirming changes, field by field, and the warnings it would give (colour and word).
    changes = page[page.index('id="upload-changes"') :]
    assert "截至月末完成值" in changes  # the 1–m月完成值, in words (no bare m)
    assert "1–m月" not in page
    assert CAUSE_NOTE in changes
    assert re.search(r'class="warning-red"[^>]*>红</span>', page)
    opened.refresh_from_db()
    assert opened.revision == 1  # nothing stored before confirming
    done = filer.post(url, {"confirm": _confirm_token(page)})
    assert done["Location"] == reverse("monitoring-edit", args=[opened.pk])
    opened.refresh_from_db()
    assert opened.revision == 2
    stored = MonitoringReport.model_validate(opened.data)
    assert [r.to_date for r in stored.indicators] == [p[0] for p in PROGRESS.values()]
    assert stored.indicators[0].measures == MEASURES
    assert stored.funds.total.adjusted_budget == stored.funds.total.initial_budget
    assert opened.errors == 0
    save = opened.audit.filter(action=AuditAction.SAVE).get()
    assert any("原因说明" in key for key in save.after)
    # The department's warning is red, as the form would show it.
    assert monitoring.warnings_for(opened).department.colour is not None
    assert monitoring.warnings_for(opened).department.colour.value == "red"
    assert audit.verify() == []


def test_the_confirmation_is_bound_to_the_report_and_the_person(
    opened: Filing,
    people: dict[str, User],
    department: Department,
    other_department: Department,
    seed_table: TargetTable,
    actor: Callable[[str], Actor],
) -> None:
    filer = _client(people["filer"])
    blank = filer.get(reverse("monitoring-workbook", args=[opened.pk])).content
    url = reverse("monitoring-upload", args=[opened.pk])
    page = filer.post(
        url, {"file": SimpleUploadedFile("监控表.xlsx", filled_workbook(blank))}
    ).content.decode()
    token = _confirm_token(page)
    # The department's head, who may edit the same report, cannot use the filer's preview.
    head = _client(people["head"]).post(url, {"confirm": token}, follow=True)
    assert "不是您为这张监控表读取的" in head.content.decode()
    # Nor can it be used on another report (here: the department's 2023 report).
    FilingYear.objects.update_or_create(
        year=YEAR - 1, defaults={"deadline": timezone.now() + timedelta(days=5), "is_open": True}
    )
    table = seed_table.model_copy(deep=True)
    table.year = YEAR - 1
    table.budget.basic_expenditure = Decimal("1200.5")
    approved_target(services.start_filing(actor("filer"), department, YEAR - 1, table), actor)
    (other,) = monitoring.open_round(
        actor("reviewer"), YEAR - 1, 7, VARIANTS["默认"], timezone.now() + timedelta(days=5)
    ).made
    elsewhere = filer.post(reverse("monitoring-upload", args=[other.pk]), {"confirm": token}, follow=True)
    assert "不是您为这张监控表读取的" in elsewhere.content.decode()
    # A token altered, or a self-evaluation's, is no confirmation.
    tampered = filer.post(url, {"confirm": token[:-3] + "abc"}, follow=True)
    assert "预览已过期" in tampered.content.decode()
    for filing in (opened, other):
        filing.refresh_from_db()
        assert filing.revision == 1
    # The filer's own confirmation still works.
    assert filer.post(url, {"confirm": token})["Location"] == reverse("monitoring-edit", args=[opened.pk])


def test_refused_uploads_say_why_and_store_nothing(
    opened: Filing,
    people: dict[str, User],
    seed_table: TargetTable,
) -> None:
    from jixiao.write import write_bytes
    from jixiao.write.monitoring import write_monitoring_bytes
    from jixiao.write.selfeval import write_selfeval_bytes

    filer = _client(people["filer"])
    url = reverse("monitoring-upload", args=[opened.pk])
    stored = MonitoringReport.model_validate(opened.data)

    def refused(name: str, data: bytes) -> str:
        response = filer.post(url, {"file": SimpleUploadedFile(name, data)})
        assert response.status_code == 400, (name, response.status_code)
        return response.content.decode()

    # Another kind: the department's self-evaluation workbook, and its target table.
    evaluation = SelfEvaluation.from_table(stored.approved.as_target_table())
    assert "是部门整体支出绩效自评表，不是部门整体支出绩效运行监控表" in refused(
        "自评表.xlsx", write_selfeval_bytes(evaluation, ".xlsx", VARIANTS["默认"])
    )
    assert "是部门整体预算绩效目标表，不是部门整体支出绩效运行监控表" in refused(
        "目标表.xlsx", write_bytes(stored.approved.as_target_table(), ".xlsx")
    )
    # Another department's report, another month's, another year's.
    other = stored.approved.as_target_table()
    other.department.name = "揭阳市教育局"
    assert "是“揭阳市教育局”的表" in refused(
        "教育局.xlsx", write_monitoring_bytes(MonitoringReport.from_table(other, 7), ".xlsx")
    )
    june = MonitoringReport.from_table(stored.approved.as_target_table(), 6)
    assert "截至6月末" in refused("6月.xlsx", write_monitoring_bytes(june, ".xlsx"))
    changed = stored.approved.as_target_table()
    changed.indicators = changed.indicators[:2]
    assert "不一致" in refused(
        "改过.xlsx", write_monitoring_bytes(MonitoringReport.from_table(changed, 7), ".xlsx")
    )
    # Hostile or broken files: a zip bomb, an executable named .xlsx, words.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (65 * 1024 * 1024))  # over an entry's cap
    assert "压缩" in refused("监控表.xlsx", bomb.getvalue())
    refused("程序.xlsx", b"MZ\x90\x00" + b"\x00" * 200)
    assert "不是本工具生成的部门整体支出绩效运行监控表" in refused("随便.txt", "这不是监控表".encode())
    opened.refresh_from_db()
    assert opened.revision == 1
    assert opened.audit.filter(action=AuditAction.SAVE).count() == 0


def _pdf(title: str) -> bytes:
    from jixiao.write.pdf import write_pdf

    return write_pdf(TargetTable.model_validate({"title": title, "department": {"name": "揭阳市应急管理局"}}))


def test_evidence_stays_with_the_version_it_was_submitted_with(
    opened: Filing, people: dict[str, User], actor: Callable[[str], Actor], no_renderings: None
) -> None:
    filer, reviewer = _client(people["filer"]), _client(people["reviewer"])
    data = on_track(MonitoringReport.model_validate(opened.data))
    opened, _ = monitoring.save(actor("filer"), opened, monitoring.merged(opened, data), opened.revision)
    add = reverse("monitoring-evidence", args=[opened.pk])
    assert filer.post(add, {"file": SimpleUploadedFile("检查台账.pdf", _pdf("检查台账"))}).status_code == 302
    assert filer.post(add, {"file": SimpleUploadedFile("照片.pdf", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)})
    (first,) = Evidence.objects.filter(filing=opened)
    assert first.name == "检查台账.pdf"
    download = reverse("monitoring-evidence-download", args=[opened.pk, first.pk])
    assert reviewer.get(download).status_code == 404  # a draft's file: the bureau has not received it
    assert filer.post(reverse("monitoring-submit", args=[opened.pk])).status_code == 302
    opened.refresh_from_db()
    assert opened.status == Status.SUBMITTED
    assert reviewer.get(download).status_code == 200
    # Submitted: nothing can be added or removed.
    remove = reverse("monitoring-evidence-remove", args=[opened.pk, first.pk])
    filer.post(remove)
    filer.post(add, {"file": SimpleUploadedFile("补充.pdf", _pdf("补充"))})
    assert not EvidenceRemoval.objects.exists()
    assert Evidence.objects.filter(filing=opened).count() == 1
    services.return_filing(actor("reviewer"), opened, [ReviewComment("indicators", 1, "台账不是本期的")])
    # Returned: the department replaces the file.
    assert filer.post(remove).status_code == 302
    assert (
        filer.post(add, {"file": SimpleUploadedFile("检查台账（7月）.pdf", _pdf("7月"))}).status_code == 302
    )
    services.submit(actor("filer"), opened)
    versions = {v.number: [e.name for e in evidence.of_version(v)] for v in opened.versions.all()}
    assert versions == {1: ["检查台账.pdf"], 2: ["检查台账（7月）.pdf"]}
    # Both versions' files stay readable where they may be: the bureau sees each version's list.
    page = reviewer.get(reverse("monitoring-detail", args=[opened.pk])).content.decode()
    assert "第2版提交时" in page
    assert "第1版提交时" in page
    assert page.index("检查台账（7月）.pdf") < page.index("检查台账.pdf")
    assert reviewer.get(download).status_code == 200
    assert first.file.storage.exists(first.file.name)  # a version holds it: kept
    removal = opened.audit.get(action=AuditAction.EVIDENCE_REMOVE)
    assert removal.before["文件名"] == "检查台账.pdf"
    assert removal.after["保留于已提交版本"] is True
    submits = opened.audit.filter(action=AuditAction.SUBMIT).order_by("seq")
    assert [len(e.after[audit.EVIDENCE_KEY]) for e in submits] == [1, 1]
    assert audit.verify() == []


def test_a_file_removed_before_any_version_is_deleted(
    opened: Filing,
    people: dict[str, User],
    actor: Callable[[str], Actor],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    filer = _client(people["filer"])
    item = evidence.attach(actor("filer"), opened, SimpleUploadedFile("误传.pdf", _pdf("误传")))
    name, storage = item.file.name, item.file.storage
    assert storage.exists(name)
    page = filer.get(reverse("monitoring-detail", args=[opened.pk])).content.decode()
    assert "误传.pdf" in page
    assert "确认删除" in page
    assert (
        _client(people["other_filer"])
        .post(reverse("monitoring-evidence-remove", args=[opened.pk, item.pk]))
        .status_code
        == 404
    )
    with pytest.raises(evidence.EvidenceError):
        evidence.remove(actor("reviewer"), opened, item.pk)
    with django_capture_on_commit_callbacks(execute=True):  # the file goes once the removal is committed
        response = filer.post(reverse("monitoring-evidence-remove", args=[opened.pk, item.pk]), follow=True)
    assert "已删除佐证材料“误传.pdf”" in response.content.decode()
    assert not storage.exists(name)
    assert filer.get(reverse("monitoring-evidence-download", args=[opened.pk, item.pk])).status_code == 404
    assert not VersionEvidence.objects.exists()
    assert evidence.current(opened).count() == 0
    assert audit.verify() == []


def test_verify_compares_each_files_name_type_and_size(
    opened: Filing, actor: Callable[[str], Actor], tampering: None
) -> None:
    item = evidence.attach(actor("filer"), opened, SimpleUploadedFile("台账.pdf", _pdf("台账")))
    assert audit.verify() == []
    for change, word in (({"name": "别的.pdf"}, "文件名"), ({"kind": "png"}, "类型"), ({"size": 1}, "大小")):
        Evidence.objects.filter(pk=item.pk).update(**change)
        messages = [b.message for b in audit.verify()]
        assert any("佐证材料" in m and word in m for m in messages), (word, messages)
        Evidence.objects.filter(pk=item.pk).update(name=item.name, kind=item.kind, size=item.size)
    assert audit.verify() == []
    # A version's evidence changed after it was submitted is found (its submission lists them).
    data = on_track(MonitoringReport.model_validate(opened.data))
    opened, _ = monitoring.save(actor("filer"), opened, monitoring.merged(opened, data), opened.revision)
    services.submit(actor("filer"), opened)
    assert audit.verify() == []
    VersionEvidence.objects.filter(evidence=item).delete()
    assert any("佐证材料与提交时的记录不符" in b.message for b in audit.verify())
    # A removal nobody recorded is found too.
    EvidenceRemoval.objects.create(evidence=item, by=item.uploaded_by)
    assert any("没有删除的操作记录" in b.message for b in audit.verify())
