"""Pages of a department's filing: start, upload, edit, submit, and the table's own page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jixiao.findings import Report
from jixiao.model import TargetTable
from jixiao.write.html import html_body
from jixiao_web import jobs, reminders, selectors, services
from jixiao_web.access import (
    Action,
    allowed_actions,
    departments_filing_for,
    is_finance,
    may,
)
from jixiao_web.models import Department, Filing, Job, JobKind, JobState, Kind
from jixiao_web.rows import keys_for
from jixiao_web.tableform import Parsed, form_context, form_values, parse_form
from jixiao_web.uploads import TooLarge, TooManyUploads, admit, read_limited
from jixiao_web.views import jobs as job_views
from jixiao_web.views.common import (
    actor_of,
    filing_for,
    posted_comments,
    posted_replies,
    report_context,
    session_expired,
    target_for,
)
from jixiao_web.views.review import comment_targets
from jixiao_web.views.steps import opened, submitted
from jixiao_web.workflow import TARGET

UPLOAD_SALT = "jixiao.upload-preview"
#: History entries a table's page shows unless asked for all (a season's saves run to hundreds).
HISTORY_SHOWN = 30


def home(request: HttpRequest) -> HttpResponse:
    """Signed in: the department's tables, or the finance bureau's queue.  Otherwise: the portal."""
    if not request.user.is_authenticated:
        return redirect("public-index")
    if is_finance(request.user):
        return redirect("queue")
    user = request.user
    # One query for every document of the department (the list shows states and counts, never
    # the tables); what may be edited is judged on the rows loaded.
    mine = list(
        selectors.visible_filings(user, kind=None)
        .filter(department_id=getattr(user, "department_id", None))  # type: ignore[misc]
        .defer("data", "row_keys")
    )
    filings, selfevals, monitored = ([f for f in mine if f.kind == kind] for kind in Kind)
    started = {f.year for f in filings}
    can_start = departments_filing_for(user).exists()
    years = [y for y in selectors.open_years() if y.year not in started] if can_start else []
    editable = {f.pk for f in mine if may(user, Action.EDIT, f)}
    return render(
        request,
        "jixiao_web/home.html",
        {
            "filings": filings,
            "years": years,
            "editable": editable,
            "selfevals": selfevals,
            "monitored": monitored,
            # reminders: what is due (days left) and what was returned (with the comments)
            "notices": reminders.notices(user, filings=mine),
            # queue: background work this person started that failed for good
            "failed_jobs": jobs.failed_for(user),
        },
    )


def _own_department(request: HttpRequest) -> Department:
    department = departments_filing_for(request.user).first()
    if department is None:
        raise services.Forbidden("只有部门的填报人和负责人可以填报目标表。")
    return department


@login_required
@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Start a year's table blank or carried forward from last year's approved one."""
    try:
        department = _own_department(request)
        year = int(request.POST.get("year", ""))
        if request.POST.get("mode") == "carry":
            table = services.carried_forward(department, year)
            if table is None:
                raise services.ServiceError(f"没有找到{year - 1}年度已审核的目标表，无法沿用。")
        else:
            table = services.blank_table(department, year)
        filing = services.start_filing(actor_of(request), department, year, table)
    except ValueError:
        messages.error(request, "请选择年度。")
        return redirect("home")
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("home")
    messages.success(request, f"已创建{year}年度目标表。")
    return redirect("filing-edit", pk=filing.pk)


def _years_to_start(department: Department) -> list[int]:
    """The open years ``department`` has no table for yet (a started year is not offered again)."""
    started = set(
        Filing.objects.filter(department=department, kind=Kind.TARGET).values_list("year", flat=True)
    )
    return [y.year for y in selectors.open_years() if y.year not in started]


def _preview(
    context: dict[str, Any], table: TargetTable, fitted: services.Fitted, year: int, name: str
) -> None:
    """What the upload page shows before storing: the table as read (``fitted``: as it would
    start the filing), and where the file's 部门名称 and year differ from the filing's, what
    confirming will change (each asked for separately)."""
    context["official"] = html_body(fitted.table, top=2)
    context["fitted"] = fitted
    context["confirm"] = signing.dumps(
        {"table": table.model_dump(mode="json"), "year": year, "name": name}, salt=UPLOAD_SALT
    )


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Start from a file: read it, show the table and its findings; nothing is stored until confirmed.

    The file's 部门名称 and year are compared with the filing's: a file of another department or
    year is imported only when the user agrees to keep the filing's department and to move the
    table to the filing's year (told which texts name another year and are carried over as they are).
    """
    try:
        department = _own_department(request)
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("home")
    years = _years_to_start(department)
    context: dict[str, Any] = {"years": years, "department": department}
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm_upload(request, department, context)
    if request.method != "POST":
        asked_job = request.GET.get("job", "")
        if asked_job.isdecimal():
            return _read_page(request, department, context, job_views.job_for(request, int(asked_job)))
        asked = request.GET.get("year", "")
        context["year"] = int(asked) if asked.isdecimal() and int(asked) in years else None
        return render(request, "jixiao_web/upload.html", context)
    uploaded = request.FILES.get("file")
    year_text = request.POST.get("year", "")
    year = int(year_text) if year_text.isdecimal() and len(year_text) <= 4 else None  # "²".isdigit()
    context["year"] = year  # a refused upload keeps the chosen year
    if year is None or year not in years:
        context["error"] = (
            "请选择年度。" if year is None else f"{year}年度不能再导入：该年度已有目标表或未开放填报。"
        )
        return render(request, "jixiao_web/upload.html", context)
    if uploaded is None:
        context["error"] = "请选择要上传的文件。"
        return render(request, "jixiao_web/upload.html", context)
    name = uploaded.name or "上传文件"
    try:
        data = read_limited(uploaded)
        jobs.admit_reading(request.user)  # type: ignore[arg-type]
        admit(request.user)  # type: ignore[arg-type]
    except TooLarge as error:
        context["error"] = str(error)
        return render(request, "jixiao_web/upload.html", context, status=413)
    except TooManyUploads as error:
        context["error"] = str(error)
        return render(request, "jixiao_web/upload.html", context, status=429)
    # queue: read by the background worker; the page follows the job and then shows the preview.
    job = jobs.start(
        JobKind.READ_TABLE,
        user=request.user,  # type: ignore[arg-type]
        params={"year": year, "department": department.pk},
        name=name,
        data=data,
    )
    if job.finished:  # tests about something else: read at once (JOBS_INLINE)
        return _read_page(request, department, context, job)
    return redirect(f"{reverse('filing-upload')}?job={job.pk}")


def _read_page(
    request: HttpRequest, department: Department, context: dict[str, Any], job: Job
) -> HttpResponse:
    """The upload page for job ``job``: its state while it runs, then the file's preview."""
    if job.kind != JobKind.READ_TABLE or job.params.get("department") != department.pk:
        raise Http404("没有这个后台任务，或您无权查看。")
    year = int(job.params["year"])
    context["year"] = year
    if not job.finished:
        context.update(job_views.job_context(request, job))
        return render(request, "jixiao_web/upload.html", context)
    if job.state == JobState.FAILED or job.result is None:
        context["error"] = "读取文件失败，请稍后重新上传。"
        return render(request, "jixiao_web/upload.html", context, status=500)
    name = job.input_name
    report = job.result["report"]
    table = TargetTable.model_validate(job.result["table"]) if job.result["table"] is not None else None
    context.update(report=report, file_name=name)
    too_long = [i["message"] for i in report["issues"] if i["code"] == "text-too-long"]
    if table is not None and too_long:  # harden: not stored (jixiao.rules.limits)
        context["error"] = f"{too_long[0]}无法保存这份文件，请在原文件中删减后再上传。"
    elif table is not None:
        fitted = services.fitted_to_filing(table, department, year)
        _preview(context, table, fitted, year, name)
    return render(request, "jixiao_web/upload.html", context)


def _confirm_upload(request: HttpRequest, department: Department, context: dict[str, Any]) -> HttpResponse:
    try:
        payload = signing.loads(request.POST["confirm"], salt=UPLOAD_SALT, max_age=3600)
        table = TargetTable.model_validate(payload["table"])
        year = int(payload["year"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        messages.error(request, "预览已过期，请重新上传文件。")
        return redirect("filing-upload")
    fitted = services.fitted_to_filing(table, department, year)
    missing = []
    if fitted.department_from is not None and not request.POST.get("keep_department"):
        missing.append(f"按本部门“{department.name}”导入")
    if fitted.year_from is not None and not request.POST.get("move_year"):
        missing.append(f"移到{year}年度")
    if missing:
        context.update(year=year, file_name=payload.get("name", "上传文件"))
        context["error"] = "文件与要创建的目标表不符，请确认" + "、".join(missing) + "后再导入。"
        _preview(context, table, fitted, year, context["file_name"])
        return render(request, "jixiao_web/upload.html", context, status=400)
    try:
        filing = services.start_filing(actor_of(request), department, year, fitted.table)
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("filing-upload")
    messages.success(request, f"已从文件创建{filing.year}年度目标表。")
    return redirect("filing-edit", pk=filing.pk)


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The table as filed, its findings, comments, versions and history, and what one may do next."""
    filing = filing_for(request, pk, Action.VIEW)
    if filing.kind == Kind.SELFEVAL:  # selfeval: its own page
        return redirect("selfeval-detail", pk=filing.pk)
    return detail_page(request, filing)


def detail_page(request: HttpRequest, filing: Filing, contact: Any = None, status: int = 200) -> HttpResponse:
    """The filing's page; ``contact``: the contact form as posted, when it was refused."""
    from jixiao_web.views.season import contact_form

    can = allowed_actions(request.user, filing)
    shown = selectors.shown_table(request.user, filing, can)
    if Action.HISTORY not in can or shown is None:
        return redirect("public-table", year=filing.year, code=filing.department.code)
    table = TargetTable.model_validate(shown.data)
    report = (
        shown.version.report
        if shown.version is not None
        else services.report_of(table, department=filing.department.name).to_dict()
    )
    history = selectors.history_of(filing, request.user, can)
    # One query for the list and the print button's latest version (each with its 撤回, if any).
    versions = list(selectors.versions_of(filing, request.user, can).select_related("withdrawal"))
    whole_history = request.GET.get("history") == "all"
    return render(
        request,
        "jixiao_web/filing.html",
        {
            "filing": filing,
            "shown": shown,
            "official": html_body(table, top=2, numbered=True),
            "report": report_context(report),
            "comments": selectors.shown_comments(filing, request.user, _keys_of(filing, shown), can),
            # review: the 部门负责人's comment boxes, a section or a row each
            "targets": comment_targets(table) if Action.HEAD_REVIEW in can else [],
            "versions": versions,
            "history": history if whole_history else history[:HISTORY_SHOWN],
            "history_count": history.count(),
            "whole_history": whole_history,
            "can": {action.value: action in can for action in Action},
            # The workflow table's words: the buttons, and what withdrawing from here would do.
            "buttons": TARGET.buttons(),
            "withdrawal": TARGET.step("withdraw", filing.status) if Action.WITHDRAW in can else None,
            "public": TARGET.state(filing.status).public,
            "opened": opened(filing) if Action.WITHDRAW in can else None,
            "contact": contact or (contact_form(filing) if Action.CONTACT in can else None),
            "last_version": versions[-1] if versions else None,
        },
        status=status,
    )


def _keys_of(filing: Filing, shown: selectors.Shown) -> dict[str, list[str]]:
    """review: the row keys of the state a page shows (a version's, or the working copy's)."""
    if shown.version is not None:
        return keys_for(shown.version.data, shown.version.row_keys)
    return keys_for(filing.data, filing.row_keys)


def _editor(
    request: HttpRequest,
    filing: Filing,
    values: dict[str, Any],
    report: Report,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "filing": filing,
        **form_context(values),
        "report": report_context(report),
        # review: comments placed on the form's rows (by key), with the replies typed or stored
        "comments": selectors.typed_replies(
            selectors.shown_comments(filing, request.user, _form_keys(values)), request.POST
        ),
        "can_reply": True,
        "check_url": reverse("filing-check", args=[filing.pk]),
        **extra,
    }
    return render(request, "jixiao_web/edit.html", context, status=status)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The filing form.  A save names the revision it started from; a newer one is a conflict."""
    filing = target_for(request, pk, Action.VIEW)
    if not may(request.user, Action.EDIT, filing):
        messages.info(request, f"这张表当前为“{filing.get_status_display()}”，不能修改。")
        return redirect("filing-detail", pk=filing.pk)
    if request.method != "POST":
        table = TargetTable.model_validate(filing.data)
        values = form_values(table, keys_for(filing.data, filing.row_keys))
        report = services.report_of(table, department=filing.department.name)
        return _editor(request, filing, values, report, revision=filing.revision)
    parsed = parse_form(request.POST, filing.year, TargetTable.model_validate(filing.data))
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:  # not a number (a tampered form): 0 is never current, so a conflict
        revision = 0
    if parsed.findings:
        too_long = services.too_long(parsed.findings)
        message = (
            f"{too_long}未保存；您填写的内容仍在下面，删减后再保存。"
            if too_long is not None
            else "有金额、人数或指标权重无法识别，未保存。请改正标出的栏目后再保存。"
        )
        report = _form_report(parsed, filing)
        return _editor(request, filing, parsed.raw, report, 400, revision=revision, form_error=message)
    try:
        filing, _ = services.save_draft(
            actor_of(request), filing, parsed.table, revision, row_keys=parsed.row_keys
        )
        services.reply_to_comments(actor_of(request), filing, posted_replies(request))
    except services.Conflict as error:
        report = _form_report(parsed, filing)
        return _editor(
            request, filing, parsed.raw, report, 409, revision=revision, form_error=str(error), conflict=True
        )
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("filing-detail", pk=filing.pk)
    messages.success(
        request, f"已保存（第{filing.revision}次修订）：错误 {filing.errors} 条，警告 {filing.warnings} 条。"
    )
    if "submit" in request.POST:
        return submitted(request, filing)
    return HttpResponseRedirect(reverse("filing-edit", args=[filing.pk]))


@require_POST
def check(request: HttpRequest, pk: int) -> JsonResponse:
    """The findings for the form as it is now, without saving (the page calls it as one types).

    Signed out (the session expired or was ended elsewhere) it answers a JSON 401 the page can
    recognise, never the sign-in page; it also hands the page the current CSRF token, which
    changes when one signs in again in another window.  It stores nothing, so the department may
    check its form in any state (a check sent just before the table was submitted still answers).
    """
    if not request.user.is_authenticated:
        return session_expired()
    filing = target_for(request, pk, Action.DRAFT)
    parsed = parse_form(request.POST, filing.year, TargetTable.model_validate(filing.data))
    issues = [f.to_dict() for f in _form_report(parsed, filing).findings]
    return JsonResponse(
        {
            "issues": issues,
            "task_total": str(parsed.table.task_total),
            "revision": filing.revision,
            "csrf_token": get_token(request),
        }
    )


def _form_keys(values: dict[str, Any]) -> dict[str, list[str]]:
    """review: the row keys of the form's rows, as the page shows them."""
    return {section: [row.get("key", "") for row in values[section]] for section in ("tasks", "indicators")}


def _form_report(parsed: Parsed, filing: Filing) -> Report:
    """The findings for a posted form: what could not be read, then the rules'."""
    return services.report_of(parsed.table, read_findings=parsed.findings, department=filing.department.name)


@login_required
@require_POST
def head_review(request: HttpRequest, pk: int) -> HttpResponse:
    """部门负责人: send on to the finance bureau, or return with a comment."""
    filing = target_for(request, pk, Action.VIEW)
    command = "head_approve" if request.POST.get("decision") == "approve" else "head_return"
    try:
        taken = services.transition(actor_of(request), filing, command, comments=posted_comments(request))
        messages.success(request, taken.transition.done)
    except services.ServiceError as error:
        typed = request.POST.get("comment:overall_goal", "").strip()
        # What was typed is not lost with the refusal (the filer may have withdrawn meanwhile).
        kept = f"您填写的意见没有保存，原文如下：“{typed}”" if typed else ""
        messages.error(request, f"{error}{kept}")
    return redirect("filing-detail", pk=filing.pk)
