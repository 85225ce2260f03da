"""The monitoring round's pages (绩效运行监控): the finance bureau opens a year's round (month,
profile, deadline) and sees every department's report with its warnings (colour and word).

The workflow steps are the shared ones (:func:`jixiao_web.services.transition`); what a
monitoring report is and how a round is opened lives in :mod:`jixiao_web.monitoring`.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from jixiao.findings import Report
from jixiao.profile import VARIANTS
from jixiao_web import evidence as evidence_files
from jixiao_web import monitoring, selectors, selfeval, services
from jixiao_web.access import Action, allowed, allowed_actions, is_finance
from jixiao_web.models import Filing, Kind, MonitoringRound
from jixiao_web.monitoringform import FUNDS_COLUMNS, FUNDS_ROWS, TIERS, form_values, parse_form, warnings_json
from jixiao_web.views.common import actor_of, filing_for, posted_comments

SESSION_EXPIRED = "登录已过期，请在新窗口登录后再保存"


def _deadline(text: str) -> datetime | None:
    """A typed 提交截止日期 (YYYY-MM-DD), at the end of that day; None when it is no date."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59)))


@login_required
def rounds(request: HttpRequest) -> HttpResponse:
    """绩效运行监控: the finance bureau opens a year's round (as of a month, profile, deadline) and
    sees every department's monitoring report of it: status, warnings, lateness."""
    if not is_finance(request.user):
        raise Http404("只有财政局可以管理绩效运行监控。")
    years = sorted(set(MonitoringRound.objects.values_list("year", flat=True)), reverse=True)
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isdecimal() and len(asked) <= 4 else (years[0] if years else None)
    context: dict[str, Any] = {
        "variants": list(VARIANTS),
        "months": list(monitoring.MONTHS),
        "rounds": MonitoringRound.objects.all(),
        "year": year,
    }
    if request.method == "POST":
        typed = {k: request.POST.get(k, "") for k in ("year", "month", "variant", "profile", "deadline")}
        context["typed"] = typed
        try:
            chosen = int(typed["year"]) if typed["year"].isdecimal() and len(typed["year"]) == 4 else None
            month = int(typed["month"]) if typed["month"].isdecimal() and len(typed["month"]) <= 2 else None
            deadline = _deadline(typed["deadline"])
            if chosen is None:
                raise monitoring.RoundError("请填写年度（四位数字）。")
            if month is None:
                raise monitoring.RoundError("请选择监控截至月份（1至11月）。")
            if deadline is None:
                raise monitoring.RoundError("请填写提交截止日期（如 2024-08-15）。")
            profile = selfeval.profile_named(typed["variant"], typed["profile"])
            opened = monitoring.open_round(actor_of(request), chosen, month, profile, deadline)
        except (monitoring.RoundError, selfeval.RoundError) as error:
            context["error"] = str(error)
            return render(request, "jixiao_web/monitoring_rounds.html", context, status=400)
        made = "、".join(str(f.department) for f in opened.made) or "没有新的部门"
        messages.success(
            request,
            f"已开启{chosen}年度绩效运行监控（截至{month}月，设定：{profile.name}）；新生成监控表：{made}。",
        )
        return redirect(f"{reverse('monitoring-rounds')}?year={chosen}")
    if year is not None:
        context["rows"] = monitoring.round_rows(request.user, year)
        context["current"] = monitoring.round_of(year)
    return render(request, "jixiao_web/monitoring_rounds.html", context)


# ---------------------------------------------------------------------------------------------
# The 监控表 as the pages show it


def monitoring_for(request: HttpRequest, pk: int, action: Action) -> Filing:
    return filing_for(request, pk, action, Kind.MONITORING)


def _cause_rows(report: Report) -> set[int]:
    """The indicator rows whose causes and measures the rules ask for."""
    return {
        f.location.row
        for f in report.findings
        if f.code == "monitor-cause-missing" and f.location is not None and f.location.row is not None
    }


def sheet(
    filing: Filing, data: dict[str, Any], report: Report, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Everything the 监控表 shows: the copied parts, what the department typed (as text: a refused
    form shows it again), every warning (colour, word, why) and where causes are asked for."""
    stored = monitoring.report_of(data)
    values = values if values is not None else form_values(stored)
    warned = monitoring.warnings_for(filing, data)
    asked = _cause_rows(report)
    funds = [
        {
            "name": name,
            "label": label,
            "initial": getattr(stored.funds, name).initial_budget,
            "fields": [
                (f"funds_{name}_{column}", column, column_label, values["funds"][name][column])
                for column, column_label in FUNDS_COLUMNS
            ],
        }
        for name, label in FUNDS_ROWS
    ]
    tasks = [
        {"row": number, "task": task, **typed}
        for number, (task, typed) in enumerate(zip(stored.approved.tasks, values["tasks"], strict=True), 1)
    ]
    indicators = [
        {
            "row": number,
            "indicator": indicator,
            "values": typed,
            "qualitative": indicator.comparator == "定性",
            "warning": warned.rows[number - 1],
            "asked": number in asked or bool(typed["causes"] or typed["measures"] or typed["cause_note"]),
        }
        for number, (indicator, typed) in enumerate(
            zip(stored.approved.indicators, values["indicators"], strict=True), 1
        )
    ]
    profile = monitoring.profile_of(filing.year)
    return {
        "report": stored,
        "values": values,
        "warned": warned,
        "funds": funds,
        "tasks": tasks,
        "indicators": indicators,
        "causes": profile.deviation_causes,
        "likelihoods": profile.likelihood,
        "tiers": TIERS,
    }


def _report_context(report: Report) -> dict[str, Any]:
    issues = report.to_dict().get("issues", [])
    return {
        "issues": issues,
        "errors": sum(1 for i in issues if i["severity"] == "error"),
        "warnings": sum(1 for i in issues if i["severity"] == "warning"),
    }


# ---------------------------------------------------------------------------------------------
# The department's form


def _editor(
    request: HttpRequest,
    filing: Filing,
    data: dict[str, Any],
    values: dict[str, Any] | None,
    report: Report,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    context = {
        "filing": filing,
        "sheet": sheet(filing, data, report, values),
        "editable": True,
        "report": _report_context(report),
        "check_url": reverse("monitoring-check", args=[filing.pk]),
        "evidence": evidence_files.current(filing),
        **extra,
    }
    return render(request, "jixiao_web/monitoring_edit.html", context, status=status)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The 监控表 form.  A save names the revision it started from; a newer one is a conflict."""
    filing = monitoring_for(request, pk, Action.VIEW)
    if not allowed(request.user, Action.EDIT, filing):
        messages.info(request, f"这张监控表当前为“{filing.get_status_display()}”，不能修改。")
        return redirect("monitoring-detail", pk=filing.pk)
    if request.method != "POST":
        return _editor(
            request, filing, filing.data, None, monitoring.report_for(filing), revision=filing.revision
        )
    parsed = parse_form(request.POST, monitoring.report_of(filing.data))
    revision_text = request.POST.get("revision", "")
    revision = int(revision_text) if revision_text.isdecimal() and len(revision_text) <= 9 else 0
    try:
        report = monitoring.merged(filing, parsed.data)
    except ValidationError:
        messages.error(request, "表单内容无法读取，未保存。请重新打开后再填写。")
        return redirect("monitoring-edit", pk=filing.pk)
    data = report.model_dump(mode="json")
    if parsed.findings:
        found = Report("", [*parsed.findings, *monitoring.report_for(filing, data).findings])
        message = "有金额无法识别，未保存。请改正标出的栏目后再保存；您填写的内容仍在下面。"
        return _editor(request, filing, data, parsed.raw, found, 400, revision=revision, form_error=message)
    try:
        filing, _ = monitoring.save(actor_of(request), filing, report, revision)
    except monitoring.SaveConflict as error:
        found = monitoring.report_for(filing, data)
        return _editor(
            request,
            filing,
            data,
            parsed.raw,
            found,
            409,
            revision=revision,
            form_error=str(error),
            conflict=True,
        )
    except monitoring.SaveError as error:
        messages.error(request, str(error))
        return redirect("monitoring-detail", pk=filing.pk)
    messages.success(
        request, f"已保存（第{filing.revision}次修订）：错误 {filing.errors} 条，警告 {filing.warnings} 条。"
    )
    if "submit" in request.POST:
        return _submit(request, filing)
    return redirect("monitoring-edit", pk=filing.pk)


@require_POST
def check(request: HttpRequest, pk: int) -> JsonResponse:
    """The findings and every warning of the form as it is now, without saving (the page asks as
    one types); signed out it answers a JSON 401 the editor script recognises."""
    if not request.user.is_authenticated:
        body = {"error": "session-expired", "message": SESSION_EXPIRED, "login_url": reverse("login")}
        return JsonResponse(body, status=401)
    filing = monitoring_for(request, pk, Action.DRAFT)
    parsed = parse_form(request.POST, monitoring.report_of(filing.data))
    try:
        data = monitoring.merged(filing, parsed.data).model_dump(mode="json")
    except ValidationError:
        return JsonResponse({"error": "invalid", "message": "表单内容无法读取。"}, status=400)
    report = Report("", [*parsed.findings, *monitoring.report_for(filing, data).findings])
    return JsonResponse(
        {
            "issues": [f.to_dict() for f in report.findings],
            "warnings": warnings_json(monitoring.warnings_for(filing, data)),
            "asked": sorted(_cause_rows(report)),
            "revision": filing.revision,
            "csrf_token": get_token(request),
        }
    )


def _submit(request: HttpRequest, filing: Filing) -> HttpResponse:
    try:
        taken = services.transition(actor_of(request), filing, "submit")
    except services.NotSubmittable as error:
        messages.error(request, str(error))
        return redirect("monitoring-edit", pk=filing.pk)
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("monitoring-detail", pk=filing.pk)
    assert taken.version is not None
    messages.success(request, taken.transition.done.format(number=taken.version.number))
    return redirect("monitoring-detail", pk=filing.pk)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _submit(request, monitoring_for(request, pk, Action.VIEW))


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    filing = monitoring_for(request, pk, Action.VIEW)
    try:
        taken = services.transition(actor_of(request), filing, "withdraw")
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("monitoring-detail", pk=filing.pk)
    assert taken.version is not None
    messages.success(request, taken.transition.done.format(number=taken.version.number))
    return redirect("monitoring-detail", pk=filing.pk)


# ---------------------------------------------------------------------------------------------
# Its page, and the bureau's decision


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The monitoring report as filed (the department its working copy, the bureau the version it
    received), every warning, its findings, review comments and history; the bureau's decision."""
    filing = monitoring_for(request, pk, Action.VIEW)
    can = allowed_actions(request.user, filing)
    shown = selectors.shown_table(request.user, filing, can)
    if shown is None:
        raise Http404("没有这张监控表，或您无权查看。")
    data = shown.data
    report = monitoring.report_for(filing, data)
    context = {
        "filing": filing,
        "sheet": sheet(filing, data, report),
        "editable": False,
        "report": _report_context(report),
        "shown_version": shown.version,
        "can": {str(action) for action in can},
        "can_review": Action.REVIEW in can,
        "comments": selectors.shown_comments(filing, request.user, None, can),
        "history": selectors.history_of(filing, request.user, can),
        "reviewed": filing.received_version.number if filing.received_version is not None else "",
        "evidence": evidence_files.panel(request.user, filing, can),
    }
    return render(request, "jixiao_web/monitoring.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The bureau returns the received version with comments (per row), or accepts it."""
    filing = monitoring_for(request, pk, Action.HISTORY)
    command = request.POST.get("decision", "")
    if command not in ("return", "accept"):
        messages.error(request, "请选择“退回修改”或“审核确认”。")
        return redirect("monitoring-detail", pk=filing.pk)
    reviewed_text = request.POST.get("reviewed", "")
    reviewed = int(reviewed_text) if reviewed_text.isdecimal() and len(reviewed_text) <= 9 else None
    try:
        comments = posted_comments(request)
        taken = services.transition(actor_of(request), filing, command, comments=comments, reviewed=reviewed)
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("monitoring-detail", pk=filing.pk)
    messages.success(request, taken.transition.done)
    return redirect("monitoring-detail", pk=filing.pk)
