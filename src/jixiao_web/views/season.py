"""The filing season's own pages (issue 8): print to sign, the contact details printed on it, the
finance bureau's progress page and the XLSX of a year."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_POST

from jixiao.model import TargetTable
from jixiao.write.layout import Signature
from jixiao_web import services
from jixiao_web.access import Action, allowed, may_print
from jixiao_web.models import Filing, Version
from jixiao_web.views.common import actor_of, filing_for

# ---------------------------------------------------------------------------------------------
# Print to sign


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
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

    filing = filing_for(request, pk, Action.VIEW)
    if not allowed(request.user, Action.CONTACT, filing):
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
    filing = filing_for(request, pk, Action.VIEW)
    if not may_print(request.user, filing, None):
        raise Http404("没有这张表的工作稿，或您无权打印。")
    return _pdf(filing, None)


@login_required
def print_version(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """A submitted (approved, published …) version as a PDF to sign."""
    filing = filing_for(request, pk, Action.VIEW)
    version = filing.versions.filter(number=number).first()
    if version is None or not may_print(request.user, filing, version):
        raise Http404("没有这个版本，或您无权打印。")
    return _pdf(filing, version)
