"""The monitoring round's pages (绩效运行监控): the finance bureau opens a year's round (month,
profile, deadline) and sees every department's report with its warnings (colour and word).

The workflow steps are the shared ones (:func:`jixiao_web.services.transition`, submitted and
withdrawn through :mod:`jixiao_web.views.steps`; the bureau decides here, on the report's page); what a
monitoring report is and how a round is opened lives in :mod:`jixiao_web.monitoring`.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.http import content_disposition_header
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from pydantic import ValidationError

from jixiao.findings import Report
from jixiao.monitoring import WORST_FIRST, month_valid, time_progress
from jixiao.profile import VARIANTS
from jixiao.scoring import rounded
from jixiao_web import evidence as evidence_files
from jixiao_web import monitoring, selectors, selfeval, services
from jixiao_web.access import Action, allowed_actions, is_finance, may
from jixiao_web.charts import Point, dot_chart
from jixiao_web.models import City, Filing, MonitoringRound, Status
from jixiao_web.monitoringform import FUNDS_COLUMNS, FUNDS_ROWS, TIERS, form_values, parse_form, warnings_json
from jixiao_web.views import selfeval as selfeval_views
from jixiao_web.views.common import (
    actor_of,
    monitoring_for,
    posted_comments,
    report_context,
    session_expired,
    typed_deadline,
)
from jixiao_web.views.steps import submitted
from jixiao_web.wording import variant_label
from jixiao_web.workflow import MONITORING


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
            deadline = typed_deadline(typed["deadline"])
            if chosen is None:
                raise monitoring.RoundError("请填写年度（四位数字）。")
            if month is None:
                raise monitoring.RoundError("请选择监控截至月份（1至11月）。")
            if deadline is None:
                raise monitoring.RoundError("请填写提交截止日期（如 2024-08-15）。")
            profile = selfeval.profile_named(typed["variant"], typed["profile"], noun="监控设定")
            opened = monitoring.open_round(actor_of(request), chosen, month, profile, deadline)
        except (monitoring.RoundError, selfeval.RoundError) as error:
            context["error"] = str(error)
            return render(request, "jixiao_web/monitoring_rounds.html", context, status=400)
        made = "、".join(str(f.department) for f in opened.made) or "没有新的部门"
        messages.success(
            request,
            f"已开启{chosen}年度绩效运行监控（截至{month}月，设定：{variant_label(profile.name)}）；新生成监控表：{made}。",
        )
        return redirect(f"{reverse('monitoring-rounds')}?year={chosen}")
    if year is not None:
        context["rows"] = monitoring.round_rows(request.user, year)
        context["current"] = monitoring.round_of(year)
    return render(request, "jixiao_web/monitoring_rounds.html", context)


# ---------------------------------------------------------------------------------------------
# The 监控表 as the pages show it


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
                (
                    f"funds_{name}_{column}",
                    column,
                    column_label.format(month=stored.month),
                    values["funds"][name][column],
                )
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
        "report": report_context(report),
        "check_url": reverse("monitoring-check", args=[filing.pk]),
        "evidence": evidence_files.current(filing),
        **extra,
    }
    return render(request, "jixiao_web/monitoring_edit.html", context, status=status)


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The 监控表 form.  A save names the revision it started from; a newer one is a conflict."""
    filing = monitoring_for(request, pk, Action.VIEW)
    if not may(request.user, Action.EDIT, filing):
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
        return submitted(request, filing)
    return redirect("monitoring-edit", pk=filing.pk)


@require_POST
def check(request: HttpRequest, pk: int) -> JsonResponse:
    """The findings and every warning of the form as it is now, without saving (the page asks as
    one types); signed out it answers a JSON 401 the editor script recognises."""
    if not request.user.is_authenticated:
        return session_expired()
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
        "report": report_context(report),
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


# ---------------------------------------------------------------------------------------------
# The finance bureau's warnings overview of a round (issue 12, item 4)

#: The colours one may filter by (a department with a warning of it anywhere: the budget or a row),
#: worst first, and 未定 (nothing received, or no colour yet).
COLOUR_FILTERS: Final = (
    *((colour.value, f"{colour.word}色") for colour in WORST_FIRST),
    (monitoring.NOT_RECEIVED, "未定"),
)
#: The statuses one may filter by: the bureau's, and 未收到 (a draft, or no report yet).
STATUS_FILTERS: Final = (
    *(
        (state.status.value, state.status.label)
        for state in MONITORING.states
        if state.status != Status.DRAFT
    ),
    (monitoring.NOT_RECEIVED, "未收到"),
)
_SEVERITY: Final = {colour.value: index for index, colour in enumerate(WORST_FIRST)}


@dataclass(frozen=True, slots=True)
class Overview:
    """What the overview and its export show: the year's round, the filters, the rows."""

    year: int
    round: MonitoringRound
    colour: str
    status: str
    groups: list[str]
    rows: list[monitoring.GridRow]
    time_progress: Decimal | None

    @property
    def red(self) -> list[monitoring.GridRow]:
        return [r for r in self.rows if r.reds]

    @property
    def query(self) -> str:
        chosen = {"colour": self.colour, "status": self.status}
        return urlencode({"year": self.year, **{k: v for k, v in chosen.items() if v}})


def _overview(request: HttpRequest) -> Overview | None:
    """The asked year's overview (default: the latest round), filtered by colour and status."""
    asked = request.GET.get("year", "")
    rounds = MonitoringRound.objects.order_by("-year")
    if asked:
        rounds = rounds.filter(year=int(asked)) if asked.isdecimal() and len(asked) <= 4 else rounds.none()
    current = rounds.first()
    if current is None:
        return None
    colour = request.GET.get("colour", "")
    colour = colour if colour in dict(COLOUR_FILTERS) else ""
    status = request.GET.get("status", "")
    status = status if status in dict(STATUS_FILTERS) else ""
    rows = monitoring.round_rows(request.user, current.year)
    groups = monitoring.groups_of(rows)
    rows = [r for r in rows if (not colour or colour in r.colours) and (not status or r.status_key == status)]
    rows.sort(key=lambda r: (_SEVERITY.get(r.colour_key, len(_SEVERITY)), r.department.code))
    t = time_progress(current.month) * 100 if month_valid(current.month) else None
    return Overview(
        current.year,
        current,
        colour,
        status,
        groups,
        monitoring.grid(rows, groups),
        rounded(t) if t is not None else None,
    )


def _points(overview: Overview) -> list[Point]:
    """One point per department with a received report: its execution rate, coloured and worded
    by its budget warning."""
    city = City.current().name
    return [
        Point(
            selfeval_views.short_name(r.row.department.name, city),
            r.rate,
            r.budget.css,
            f"{r.rate}%（{r.budget.word}）",
        )
        for r in overview.rows
        if r.rate is not None
    ]


def _span(cell: monitoring.Cell) -> str:
    shown = format_html('<span class="{}" title="{}">{}</span>', cell.css, cell.why, cell.word)
    if cell.blue_rows:
        shown += format_html(
            ' <span class="warning-blue also" title="{}">含蓝{}</span>', cell.blue_why, cell.blue_rows
        )
    return shown


def grid_rows_html(overview: Overview) -> SafeString:
    """The grid's rows: written here rather than in the template, where a hundred departments'
    thousand cells cost most of the page's time (measured by ``bench/web_load.py --overviews``)."""
    lines = []
    for line in overview.rows:
        row = line.row
        name = (
            format_html(
                '<a href="{}">{}</a>', reverse("monitoring-detail", args=[row.filing.pk]), row.department.name
            )
            if row.filing is not None
            else escape(row.department.name)
        )
        rate = f"{line.rate}%" if line.rate is not None else "—"
        cells = "".join(f"<td>{_span(cell)}</td>" for cell in (line.budget, *line.groups, line.department))
        lines.append(
            format_html(
                '<tr><th scope="row">{}</th><td>{}</td><td class="number">{}</td>{}<td>{}</td></tr>',
                name,
                row.status_label,
                rate,
                mark_safe(cells),
                "逾期" if row.late else "",
            )
        )
    return mark_safe("\n".join(lines))


@login_required
def warnings_overview(request: HttpRequest) -> HttpResponse:
    """预警总览: every department × (预算执行, each 一级指标) as colours with words, the red list
    first, execution rate against time progress, filters by colour and status."""
    if not is_finance(request.user):
        raise Http404("只有财政局可以查看运行监控预警。")
    overview = _overview(request)
    context: dict[str, Any] = {
        "overview": overview,
        "rounds": MonitoringRound.objects.all(),
        "colour_filters": COLOUR_FILTERS,
        "status_filters": STATUS_FILTERS,
    }
    if overview is not None:
        points = _points(overview)
        context["points"] = points
        context["grid_rows"] = grid_rows_html(overview)
        if points and overview.time_progress is not None:
            context["chart"] = dot_chart(
                points,
                f"{overview.year}年度各部门预算执行率与序时进度",
                overview.time_progress,
                f"序时进度 {overview.time_progress}%",
                label_width=170,
            )
    return render(request, "jixiao_web/monitoring_warnings.html", context)


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", fgColor=_XLSX_FILLS.get(colour, "FFFFFF"))


_XLSX_FILLS: Final = {
    "red": "F8D7DA",
    "yellow": "FFF3CD",
    "green": "D1E7DD",
    "blue": "CFE2FF",
    "grey": "E2E3E5",
}


def _worded(cell: monitoring.Cell) -> str:
    """A grid cell in the export: its colour's word, and blue rows under it as on the page."""
    if cell.colour is None:
        return ""
    return f"{cell.word}（含蓝{cell.blue_rows}）" if cell.blue_rows else cell.word


def warnings_workbook(overview: Overview, city: str) -> bytes:
    """The overview as an XLSX: the grid (words, cells filled in their colours) and the red list."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "预警汇总"
    filters = "、".join(
        label
        for key, value, choices in (
            ("colour", overview.colour, COLOUR_FILTERS),
            ("status", overview.status, STATUS_FILTERS),
        )
        for code, label in choices
        if value and code == value
    )
    sheet.append(
        [
            f"{city}{overview.year}年度部门整体支出绩效运行监控预警（数据截至{overview.round.month}月末，"
            f"序时进度{overview.time_progress}%{'，筛选：' + filters if filters else ''}，"
            f"导出于{timezone.localtime().strftime('%Y-%m-%d %H:%M')}）"
        ]
    )
    sheet.append([])
    headings = [
        "部门",
        "状态",
        "所附版本",
        "逾期",
        "执行率（%）",
        f"{monitoring.BUDGET_LABEL}预警",
        *(f"{group}预警" for group in overview.groups),
        "部门预警",
        "说明",
    ]
    sheet.append(headings)
    for heading in sheet[3]:
        heading.font = Font(bold=True)
    for line in overview.rows:
        row = line.row
        warned = [line.budget, *line.groups, line.department]
        sheet.append(
            [
                row.department.name,
                row.status_label,
                f"第{row.version}版" if row.version is not None else "",
                "逾期" if row.late else "",
                line.rate,
                *(_worded(cell) for cell in warned),
                line.department.why if row.warned is not None else "",
            ]
        )
        for offset, shown in enumerate(warned):
            if shown.colour is not None:
                sheet.cell(sheet.max_row, 6 + offset).fill = _fill(shown.colour.value)
    for letter, width in zip("ABCDE", (26, 12, 10, 8, 12), strict=True):
        sheet.column_dimensions[letter].width = width
    reds = book.create_sheet("红色预警清单")
    reds.append(["部门", "红色预警项", "预警说明", "偏差原因", "纠偏措施"])
    for heading in reds[1]:
        heading.font = Font(bold=True)
    for line in overview.red:
        for item in line.reds:
            reds.append([line.row.department.name, item.what, item.why, item.cause, item.measure])
    for letter, width in zip("ABCDE", (26, 30, 50, 40, 40), strict=True):
        reds.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@login_required
def warnings_export(request: HttpRequest) -> HttpResponse:
    """The overview (same filters, same figures) as one XLSX."""
    if not is_finance(request.user):
        raise Http404("只有财政局可以导出运行监控预警。")
    overview = _overview(request)
    if overview is None:
        raise Http404("该年度尚未开启绩效运行监控。")
    city = City.current().name
    response = HttpResponse(
        warnings_workbook(overview, city),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"{city}{overview.year}年度运行监控预警.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response
