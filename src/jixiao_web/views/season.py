"""The filing season's own pages (issue 8): print to sign, the contact details printed on it, the
finance bureau's progress page and the XLSX of a year."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from jixiao.model import TargetTable
from jixiao.write.layout import Signature
from jixiao_web import selectors, services
from jixiao_web.access import Action, is_finance, may, may_print
from jixiao_web.charts import Bar, bar_chart
from jixiao_web.models import City, Filing, FilingYear, Version
from jixiao_web.views.common import actor_of, target_for

# ---------------------------------------------------------------------------------------------
# Print to sign


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
    """单位负责人, 填报人, 联系电话 and 填报日期, as printed on the table to sign."""

    class Meta:
        model = Filing
        fields = ("contact_head", "contact_filer", "contact_phone", "filled_on")
        widgets: ClassVar = {"filled_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def contact_form(filing: Filing, data: Any = None) -> ContactForm:
    return ContactForm(data, instance=filing, prefix="contact")


@login_required
@require_POST
def contact(request: HttpRequest, pk: int) -> HttpResponse:
    """The department sets the contact details printed on its table (audited)."""
    from jixiao_web.views.filing import detail_page  # the page the form is on

    filing = target_for(request, pk, Action.VIEW)
    if not may(request.user, Action.CONTACT, filing):
        messages.error(request, "只有本部门的填报人和负责人可以修改签章联系信息。")
        return redirect("filing-detail", pk=filing.pk)
    form = contact_form(filing, request.POST)
    if not form.is_valid():  # shown again with what was typed, and why it was refused
        return detail_page(request, filing, contact=form, status=400)
    try:
        services.set_contact(actor_of(request), filing, **form.cleaned_data)
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("filing-detail", pk=filing.pk)
    messages.success(request, "已保存签章联系信息，打印的表中会印出。")
    return redirect("filing-detail", pk=filing.pk)


def signature_of(filing: Filing, table: TargetTable, version: Version | None) -> Signature:
    """The lines to sign on: the unit as the table names it, the filing's contact details, and its
    填报日期 (else the version's submission date; a working copy's is left to fill by hand)."""
    when = filing.filled_on or (timezone.localdate(version.created_at) if version is not None else None)
    return Signature(
        unit=table.department.name or filing.department.name,
        head=filing.contact_head,
        filer=filing.contact_filer,
        phone=filing.contact_phone,
        date=f"{when.year}年{when.month}月{when.day}日" if when is not None else "",
    )


#: The word across a printed working copy: it is not what was submitted.
DRAFT_MARK = "草稿"


def _pdf(filing: Filing, version: Version | None) -> HttpResponse:
    from jixiao.write.pdf import write_pdf  # WeasyPrint loads slowly: only when printing

    data = version.data if version is not None else filing.data
    table = TargetTable.model_validate(data)
    pdf = write_pdf(
        table,
        signature=signature_of(filing, table, version),
        watermark=DRAFT_MARK if version is None else "",
    )
    which = f"第{version.number}版" if version is not None else DRAFT_MARK
    name = f"{filing.department.name}{filing.year}年度目标表（{which}）.pdf"
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(False, name) or "inline"
    return response


@login_required
def print_working_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """The department's working copy as a PDF to sign, marked 草稿."""
    filing = target_for(request, pk, Action.VIEW)
    if not may_print(request.user, filing, None):
        raise Http404("没有这张表的工作稿，或您无权打印。")
    return _pdf(filing, None)


@login_required
def print_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """A submitted (approved, published …) version as a PDF to sign."""
    filing = target_for(request, pk, Action.VIEW)
    version = filing.versions.filter(number=number).first()
    if version is None or not may_print(request.user, filing, version):
        raise Http404("没有这个版本，或您无权打印。")
    return _pdf(filing, version)


# ---------------------------------------------------------------------------------------------
# The finance bureau's season: the queue's choices, the progress page, the XLSX of a year


@dataclass(frozen=True, slots=True)
class QueueChoice:
    """What the queue (and its export) shows: a year, a tab and the filters, from the address."""

    year: int
    tab: str
    query: str
    late_only: bool

    def params(self, **changes: Any) -> str:
        """This choice as a query string, with ``changes``."""
        values = {"year": self.year, "tab": self.tab, "q": self.query, "late": "1" if self.late_only else ""}
        values.update(changes)
        return urlencode({key: value for key, value in values.items() if value not in ("", None)})


def _finance_only(request: HttpRequest) -> None:
    if not is_finance(request.user):
        raise Http404("只有财政局的审核人员可以查看。")


def queue_choice(request: HttpRequest) -> QueueChoice:
    """The year (default: the one with work waiting, see ``selectors.queue_year``), tab and filters."""
    text = request.GET.get("year", "")
    if text:
        if not (text.isdecimal() and len(text) <= 4):
            raise Http404("年度有误。")
        year = int(text)
    else:
        year = selectors.queue_year(request.user) or timezone.localdate().year
    tab = request.GET.get("tab", "")
    if tab not in selectors.QUEUE_TABS:
        tab = "all"
    return QueueChoice(year, tab, request.GET.get("q", "").strip()[:50], request.GET.get("late") == "1")


@login_required
def progress(request: HttpRequest) -> HttpResponse:
    """A year at a glance: counts and percentages by state (chart and table), late departments,
    average findings of the tables received."""
    _finance_only(request)
    choice = queue_choice(request)
    season = selectors.season_progress(request.user, choice.year)
    bars = [Bar(s.label, s.count, s.percent, f"state-{s.state}") for s in season.states]
    return render(
        request,
        "jixiao_web/progress.html",
        {
            "season": season,
            "year": choice.year,
            "years": list(FilingYear.objects.all()),
            "chart": bar_chart(bars, f"{choice.year}年度各部门目标表进度"),
            "export_query": choice.params(tab="all", q="", late=""),
        },
    )


SUMMARY_HEADINGS = (
    "部门",
    "状态",
    "逾期",
    "首次收到",
    "所附版本",
    "版本提交时间",
    "等级",
    "错误",
    "警告",
    "项目支出（万元）",
    "任务拟投入合计（万元）",
)


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


@login_required
def queue_export(request: HttpRequest) -> HttpResponse:
    """The queue as it is chosen (year, tab, filters) as one XLSX: a summary sheet, then each
    department's latest table the finance bureau received, in the official layout."""
    from jixiao.write.xlsx import write_workbook

    _finance_only(request)
    choice = queue_choice(request)
    rows = selectors.filtered_queue(
        selectors.review_queue(request.user, choice.year), choice.tab, choice.query, choice.late_only
    )
    # Only what the bureau received: never a working copy (review_queue deferred the contents).
    wanted = [row.filing.received_version_id for row in rows if row.filing and row.filing.received_version_id]
    versions = {v.pk: v for v in Version.objects.filter(pk__in=wanted)}
    tables: list[tuple[str, TargetTable]] = []
    summary: list[list[Any]] = []
    links: list[int | None] = []
    for row in rows:
        received = row.filing.received_version_id if row.filing is not None else None
        version = versions.get(received) if received is not None else None
        table = TargetTable.model_validate(version.data) if version is not None else None
        links.append(len(tables) if table is not None else None)
        if table is not None:
            tables.append((row.department.name, table))
        summary.append(
            [
                row.department.name,
                row.status_label,
                f"逾期 {row.late_days} 天" if row.late else "",
                _when(row.first_submitted),
                f"第{version.number}版" if version is not None else "",
                _when(version.created_at) if version is not None else "",
                row.filing.grade if row.filing is not None else "",
                version.errors if version is not None else None,
                version.warnings if version is not None else None,
                table.budget.project_expenditure if table is not None else None,
                table.task_total if table is not None else None,
            ]
        )
    city = City.current().name
    tab = selectors.QUEUE_TABS[choice.tab]
    title = f"{city}{choice.year}年度部门整体预算绩效目标表（{tab}，{len(rows)}个部门，导出于{_when(timezone.now())}）"
    content = write_workbook(tables, SUMMARY_HEADINGS, summary, title, links)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"{city}{choice.year}年度目标表（{tab}）.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    return response
