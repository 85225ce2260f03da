"""queue: a background job's page and its status as JSON (polled by ``static/jixiao_web/job.js``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from jixiao_web import jobs
from jixiao_web.models import Job, JobKind, JobState


def job_for(request: HttpRequest, pk: int) -> Job:
    """Job ``pk`` if it is the signed-in person's (or they administer the site); 404 otherwise."""
    job = Job.objects.filter(pk=pk).first()
    if job is None or not jobs.may_see(request.user, job):
        raise Http404("没有这个后台任务，或您无权查看。")
    return job


def job_context(request: HttpRequest, job: Job) -> dict[str, Any]:
    """What ``_job.html`` shows of ``job``."""
    return {"job": job, "job_status": jobs.status(job), "status_url": reverse("job-status", args=[job.pk])}


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> JsonResponse:
    response = JsonResponse(jobs.status(job_for(request, pk)))
    response["Cache-Control"] = "no-store"
    return response


def outcome(job: Job) -> tuple[str, bool]:
    """What a finished job did, in words, and whether it failed."""
    if job.state == JobState.FAILED:
        return "处理失败，请稍后重新操作；管理员可在后台任务中查看原因。", True
    result = job.result or {}
    if job.kind == JobKind.EVIDENCE:
        if "refused" in result:
            return str(result["refused"]), True
        return f"已上传佐证材料“{result.get('name', job.input_name)}”。", False
    if job.kind == JobKind.LIBRARY:
        return (
            f"指标库已重建：{result.get('filings', 0)} 张目标表，{result.get('uses', 0)} 个指标行，"
            f"{result.get('entries', 0)} 个指标。",
            False,
        )
    if job.kind == JobKind.RENDER:
        return f"已生成 {len(result.get('formats', []))} 种格式的下载文件。", False
    return "已完成。", False


@login_required
@require_GET
def page(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_for(request, pk)
    back = request.GET.get("back", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    said, failed = outcome(job) if job.finished else ("", False)
    if job.finished and back:  # done: back where the person was, told what happened
        (messages.error if failed else messages.success)(request, said)
        return redirect(back)
    context = {**job_context(request, job), "outcome": said, "failed": failed, "back": back}
    return render(request, "jixiao_web/job.html", context)
