"""What the documents made FROM an approved target table share on their pages, whatever their kind
(a self-evaluation, a monitoring report): evidence files (佐证材料: attach, remove, download), and
working offline (download the workbook, upload it filled: read in the limited child process,
previewed with what it changes, stored only when confirmed, through the same save as the form).

The kind is a parameter (:data:`OFFLINE`, one :class:`Offline` per kind): the addresses of both
kinds name the same views here with their ``kind``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from pydantic import BaseModel, ValidationError

from jixiao.findings import Report
from jixiao_web import disposition, documents, exports, jobs, monitoring, selfeval
from jixiao_web import evidence as evidence_files
from jixiao_web.access import Action, may
from jixiao_web.audit import Actor
from jixiao_web.models import Evidence, Filing, Job, JobKind, JobState, Kind
from jixiao_web.uploads import DocumentUpload as UploadResult
from jixiao_web.uploads import TooLarge, TooManyUploads, admit, read_limited
from jixiao_web.views import jobs as job_views
from jixiao_web.views.common import actor_of, filing_for


def document_for(request: HttpRequest, pk: int, kind: str, action: Action) -> Filing:
    """The filing ``pk`` of ``kind`` if the user may do ``action`` to it; 404 otherwise."""
    return filing_for(request, pk, action, kind)


# ---------------------------------------------------------------------------------------------
# Evidence (佐证材料)


def _detail(filing: Filing) -> HttpResponse:
    return redirect(f"{filing.kind}-detail", pk=filing.pk)


@login_required
@require_POST
def attach(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Attach a file: read in a limited child process by the background worker, its type taken from
    its content; the person follows the job on its page."""
    filing = document_for(request, pk, kind, Action.VIEW)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, "请选择要上传的佐证材料。")
        return _detail(filing)
    try:
        job = evidence_files.attach_later(actor_of(request), filing, uploaded)
    except evidence_files.EvidenceError as error:
        messages.error(request, str(error))
        return _detail(filing)
    if job.state == JobState.DONE:  # tests about something else: done at once (JOBS_INLINE)
        said, failed = job_views.outcome(job)
        (messages.error if failed else messages.success)(request, said)
        return _detail(filing)
    back = reverse(f"{filing.kind}-detail", args=[filing.pk])
    return redirect(f"{reverse('job', args=[job.pk])}?{urlencode({'back': back})}")


@login_required
@require_POST
def remove(request: HttpRequest, pk: int, item: int, kind: str) -> HttpResponse:
    """The department takes a file off its working copy (kept for a version submitted with it)."""
    filing = document_for(request, pk, kind, Action.VIEW)
    try:
        removed = evidence_files.remove(actor_of(request), filing, item)
    except evidence_files.EvidenceError as error:
        messages.error(request, str(error))
        return _detail(filing)
    kept = "（已提交的版本中仍保留）" if removed.versions.exists() else ""
    messages.success(request, f"已删除佐证材料“{removed.name}”{kept}。")
    return _detail(filing)


@login_required
def download(request: HttpRequest, pk: int, item: int, kind: str) -> FileResponse:
    """A file of the evidence: for the department and the finance bureau only."""
    filing = document_for(request, pk, kind, Action.VIEW)
    found = Evidence.objects.filter(filing=filing, pk=item).select_related("removal").first()
    if found is None or not evidence_files.may_download(request.user, filing, found):
        raise Http404("没有这份佐证材料，或您无权查看。")
    try:
        handle = found.file.open("rb")
    except OSError:
        raise Http404("没有这份佐证材料，或您无权查看。") from None
    response = FileResponse(handle, as_attachment=True, filename=found.name)
    response["Content-Type"] = evidence_files.CONTENT_TYPES.get(found.kind, "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------------------------------------
# Working offline: the workbook, and a filled one read back


@dataclass(frozen=True, slots=True)
class Offline:
    """How one kind of document is worked on offline."""

    kind: str
    #: 自评表, 监控表; the form's full name (in messages).
    noun: str
    title: str
    #: The blank workbook of the working copy (the copied parts locked).
    blank: Callable[[Filing], bytes]
    #: The working copy's profile's JSON, for the reading child.
    profile: Callable[[Filing], dict[str, Any]]
    #: The uploaded document as it would be stored (copied parts from the working copy).
    merge: Callable[[Filing, dict[str, Any]], BaseModel]
    save: Callable[[Actor, Filing, Any, int], tuple[Filing, Report]]
    save_errors: tuple[type[Exception], ...]
    #: The preview: the sheet's template and its context.
    sheet_template: str
    sheet: Callable[[Filing, dict[str, Any]], dict[str, Any]]
    labels: dict[str, str]
    #: What the upload page says may be uploaded.
    accepts: str


def _selfeval_sheet(filing: Filing, data: dict[str, Any]) -> dict[str, Any]:
    from jixiao_web.views.selfeval import sheet

    return {"sheet": sheet(selfeval.scored(filing, data=data)), "editable": False}


def _monitoring_sheet(filing: Filing, data: dict[str, Any]) -> dict[str, Any]:
    from jixiao_web.views.monitoring import sheet

    return {"sheet": sheet(filing, data, monitoring.report_for(filing, data)), "editable": False}


def _selfeval_blank(filing: Filing) -> bytes:
    from jixiao.write.selfeval import blank_workbook

    return blank_workbook(selfeval.evaluation_of(filing.data), selfeval.profile_of(filing.year))


def _monitoring_blank(filing: Filing) -> bytes:
    from jixiao.write.monitoring import blank_workbook

    return blank_workbook(monitoring.report_of(filing.data), monitoring.profile_of(filing.year))


OFFLINE: Final[dict[str, Offline]] = {
    Kind.SELFEVAL: Offline(
        kind=Kind.SELFEVAL,
        noun="自评表",
        title="部门整体支出绩效自评表",
        blank=_selfeval_blank,
        profile=lambda f: selfeval.profile_of(f.year).model_dump(mode="json"),
        merge=selfeval.merged,
        save=selfeval.save,
        save_errors=(selfeval.SaveError,),
        sheet_template="jixiao_web/_selfeval_sheet.html",
        sheet=_selfeval_sheet,
        labels=selfeval.LABELS,
        accepts="也可上传本系统导出的自评表（Excel、Word、网页、PDF、JSON）或按财预〔2020〕10号样式填好的自评表。"
        "得分由系统重新计算，表中印出的得分与计算不符时列为校验结果。",
    ),
    Kind.MONITORING: Offline(
        kind=Kind.MONITORING,
        noun="监控表",
        title="部门整体支出绩效运行监控表",
        blank=_monitoring_blank,
        profile=lambda f: monitoring.profile_of(f.year).model_dump(mode="json"),
        merge=monitoring.merged,
        save=monitoring.save,
        save_errors=(monitoring.SaveError,),
        sheet_template="jixiao_web/_monitoring_sheet.html",
        sheet=_monitoring_sheet,
        labels=monitoring.LABELS,
        accepts="也可上传本系统导出的监控表（Excel、Word、网页、PDF、JSON）。"
        "执行率和预警由系统重新计算，表中印出的不会读入。",
    ),
}


@login_required
def workbook(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """The workbook to fill offline (``jixiao selfeval new``'s or ``jixiao monitor new``'s): the
    working copy, the copied parts locked."""
    filing = document_for(request, pk, kind, Action.DRAFT)
    offline = OFFLINE[kind]
    response = HttpResponse(offline.blank(filing), content_type=exports.FORMATS["xlsx"][0])
    response["Content-Disposition"] = disposition.header(
        f"{filing.department.name}-{filing.year}年度{offline.title}-待填写.xlsx",
        f"{filing.year}-{filing.department.code}-{kind}-form.xlsx",
        attachment=True,
    )
    return response


def _upload_page(request: HttpRequest, filing: Filing, status: int = 200, **context: Any) -> HttpResponse:
    offline = OFFLINE[filing.kind]
    return render(
        request,
        "jixiao_web/document_upload.html",
        {
            "filing": filing,
            "offline": offline,
            "workbook_url": f"{filing.kind}-workbook",
            "edit_url": f"{filing.kind}-edit",
            **context,
        },
        status=status,
    )


def _report_context(report: dict[str, Any]) -> dict[str, Any]:
    issues = report.get("issues", [])
    return {
        "issues": issues,
        "errors": sum(1 for i in issues if i["severity"] == "error"),
        "warnings": sum(1 for i in issues if i["severity"] == "warning"),
    }


_FOUND: Final = {
    "selfeval": "部门整体支出绩效自评表",
    "monitoring": "部门整体支出绩效运行监控表",
    "table": "部门整体预算绩效目标表",
}


def not_this_one(filing: Filing, read: dict[str, Any]) -> str:
    """Why a read document is not a filled copy of ``filing``'s (another department's, another
    year's or month's, or its copied rows changed), in Chinese; "" when it is."""
    stored = filing.data
    approved, mine = read.get("approved") or {}, stored.get("approved") or {}
    theirs = (approved.get("department") or {}).get("name") or ""
    ours = (mine.get("department") or {}).get("name") or ""
    again = "请下载本页的工作簿填写后再上传。"
    if theirs != ours:
        return f"文件是“{theirs or '未写部门名称'}”的表，不是“{ours}”的，不能导入。{again}"
    if approved.get("year") != mine.get("year"):
        return f"文件是{approved.get('year') or '未写年度'}年度的表，本表是{mine.get('year')}年度的，不能导入。{again}"
    if "month" in stored and read.get("month") != stored.get("month"):
        return (
            f"文件的数据截至{read.get('month')}月末，本期监控截至{stored.get('month')}月末，不能导入。{again}"
        )

    def names(rows: Any) -> list[str]:
        return [row.get("name", "") for row in rows or [] if isinstance(row, dict)]

    for part, label in (("tasks", "任务"), ("indicators", "绩效指标")):
        if names(approved.get(part)) != names(mine.get(part)):
            return (
                f"文件中的{label}与本表所依据的批复目标表不一致（可能改动了复制的{label}），不能导入。{again}"
            )
    return ""


def _changes(filing: Filing, data: dict[str, Any], labels: dict[str, str]) -> list[tuple[str, Any, Any]]:
    """What confirming would change in the working copy: (field in Chinese, now, then)."""
    old, new = documents.flat(filing.data), documents.flat(data)
    return [
        (documents.labelled(path, labels), old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path) and not path.startswith("approved")
    ]


def _salt(kind: str) -> str:
    return f"jixiao.{kind}.upload"


@login_required
def upload(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Upload a filled document (our workbook, or any format the library reads of this kind): read
    in the limited child process, shown with what it changes and its findings; stored only when
    confirmed (a confirmation is good for this document and this person only)."""
    filing = document_for(request, pk, kind, Action.VIEW)
    offline = OFFLINE[kind]
    if not may(request.user, Action.EDIT, filing):
        messages.info(request, f"这张{offline.noun}当前为“{filing.get_status_display()}”，不能导入。")
        return _detail(filing)
    if request.method != "POST":
        asked = request.GET.get("job", "")
        if asked.isdecimal():
            return _read_page(request, filing, job_views.job_for(request, int(asked)))
        return _upload_page(request, filing)
    if "confirm" in request.POST:
        return _confirm(request, filing)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _upload_page(request, filing, 400, error="请选择要上传的文件。")
    name = uploaded.name or "上传文件"
    try:
        data = read_limited(uploaded)
        jobs.admit_reading(request.user)  # type: ignore[arg-type]
        admit(request.user)  # type: ignore[arg-type]
    except TooLarge as error:
        return _upload_page(request, filing, 413, error=str(error))
    except TooManyUploads as error:
        return _upload_page(request, filing, 429, error=str(error))
    # queue: read by the background worker; the page follows the job and then shows the preview.
    job = jobs.start(
        JobKind.READ_DOCUMENT,
        user=request.user,  # type: ignore[arg-type]
        filing=filing,
        params={"kind": kind, "profile": offline.profile(filing)},
        name=name,
        data=data,
    )
    if job.finished:  # tests about something else: read at once (JOBS_INLINE)
        return _read_page(request, filing, job)
    return redirect(f"{reverse(f'{kind}-upload', args=[filing.pk])}?job={job.pk}")


def _read_page(request: HttpRequest, filing: Filing, job: Job) -> HttpResponse:
    """The upload page for job ``job``: its state while it runs, then the file's preview."""
    if job.kind != JobKind.READ_DOCUMENT or job.filing_id != filing.pk:
        raise Http404("没有这个后台任务，或您无权查看。")
    if not job.finished:
        return _upload_page(request, filing, **job_views.job_context(request, job))
    if job.state == JobState.FAILED or job.result is None:
        return _upload_page(request, filing, 500, error="读取文件失败，请稍后重新上传。")
    kind, name = filing.kind, job.input_name
    offline = OFFLINE[kind]
    result = UploadResult(job.result["document"], job.result["report"], job.result["found"])
    context: dict[str, Any] = {"report": _report_context(result.report), "file_name": name}
    if result.document is None:
        if result.found in _FOUND and result.found != kind:
            context["error"] = (
                f"“{name}”是{_FOUND[result.found]}，不是{offline.title}，不能导入。请上传本表的工作簿。"
            )
        return _upload_page(request, filing, 400, **context)
    problem = not_this_one(filing, result.document)
    if problem:
        return _upload_page(request, filing, 400, error=problem, **context)
    try:
        document = offline.merge(filing, result.document)
    except ValidationError:
        return _upload_page(request, filing, 400, error="文件内容无法读取，未导入。", **context)
    data_json = document.model_dump(mode="json")
    context.update(
        offline.sheet(filing, data_json),
        changes=_changes(filing, data_json, offline.labels),
        confirm=signing.dumps(
            {
                "document": data_json,
                "revision": filing.revision,
                "name": name,
                "filing": filing.pk,
                "user": request.user.pk,
            },
            salt=_salt(kind),
            compress=True,
        ),
    )
    return _upload_page(request, filing, **context)


def _confirm(request: HttpRequest, filing: Filing) -> HttpResponse:
    offline = OFFLINE[filing.kind]
    again = redirect(f"{filing.kind}-upload", pk=filing.pk)
    try:
        payload = signing.loads(request.POST["confirm"], salt=_salt(filing.kind), max_age=3600)
        bound = payload["filing"] == filing.pk and payload["user"] == request.user.pk
        document = offline.merge(filing, payload["document"]) if bound else None
        revision = int(payload["revision"])
    except (signing.BadSignature, KeyError, TypeError, ValueError, ValidationError):
        messages.error(request, "预览已过期，请重新上传文件。")
        return again
    if document is None:
        messages.error(request, f"这份预览不是您为这张{offline.noun}读取的，未导入。请重新上传文件。")
        return again
    try:
        filing, _ = offline.save(actor_of(request), filing, document, revision)
    except offline.save_errors as error:
        messages.error(request, str(error))
        return again
    messages.success(
        request,
        f"已从“{payload.get('name', '文件')}”导入（第{filing.revision}次修订）："
        f"错误 {filing.errors} 条，警告 {filing.warnings} 条。",
    )
    return redirect(f"{filing.kind}-edit", pk=filing.pk)
