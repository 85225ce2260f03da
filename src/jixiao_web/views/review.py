"""The finance bureau's pages: the queue, the review page, return / approve, publish."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from jixiao.findings import SECTION_TITLES
from jixiao.model import TargetTable
from jixiao.write.html import html_body
from jixiao_web import selectors, services
from jixiao_web.access import Action, allowed_actions, is_finance
from jixiao_web.diff import diff_tables
from jixiao_web.models import FilingYear, Grade
from jixiao_web.services import SECTIONS
from jixiao_web.views.common import actor_of, filing_for, posted_comments


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Every department for a year: status, submitted at, findings, late; tabs 待审核 / 已审核 /
    全部 and filters.  Opened plainly, on the year with work waiting, every department (what waits
    is listed first; after a decision the reviewer comes back here and sees the table just decided)."""
    from jixiao_web.views.season import queue_choice  # season: the queue's choices, shared with its export

    if not is_finance(request.user):
        raise Http404("只有财政局的审核人员可以查看审核队列。")
    choice = queue_choice(request)
    years = list(FilingYear.objects.all())
    filing_year = next((y for y in years if y.year == choice.year), None)
    every = selectors.review_queue(request.user, choice.year)
    counts = {tab: len(selectors.filtered_queue(every, tab)) for tab in selectors.QUEUE_TABS}
    rows = selectors.filtered_queue(every, choice.tab, choice.query, choice.late_only)
    return render(
        request,
        "jixiao_web/queue.html",
        {
            "rows": rows,
            "years": years,
            "year": choice.year,
            "choice": choice,
            "tabs": [
                (key, label, counts[key], choice.params(tab=key))
                for key, label in selectors.QUEUE_TABS.items()
            ],
            "deadline": filing_year.deadline if filing_year else None,
            "late_count": sum(1 for r in every if r.late),
            "waiting": counts["waiting"],
        },
    )


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    """The table under review: the official layout, findings, the diff, comment boxes, grade."""
    filing = filing_for(request, pk, Action.HISTORY)
    can = allowed_actions(request.user, filing)
    latest = selectors.reviewed_version(request.user, filing, can)
    if latest is None:
        raise Http404("这张表还没有提交过。")
    previous = selectors.previous_version(latest, request.user, can)
    table = TargetTable.model_validate(latest.data)
    return render(
        request,
        "jixiao_web/review.html",
        {
            "filing": filing,
            "version": latest,
            "previous": previous,
            "table": table,
            "official": html_body(table, top=2),
            "issues": latest.report.get("issues", []),
            "changes": diff_tables(previous.data, latest.data) if previous else None,
            "comments": selectors.comments_of(filing, request.user, can),
            "grades": Grade.choices,
            "can_review": Action.REVIEW in can,
            "can_publish": Action.PUBLISH in can,
            # A comment box per section; the task and indicator rows have one each too.
            "sections": [(key, SECTION_TITLES[key]) for key in SECTIONS],
        },
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Return (with comments) or approve (with a grade) the submitted version."""
    filing = filing_for(request, pk, Action.HISTORY)
    grade = request.POST.get("grade", "")
    version_text = request.POST.get("version", "")
    reviewed = int(version_text) if version_text.isdecimal() and len(version_text) <= 9 else None
    try:
        if request.POST.get("decision") == "approve":
            services.approve(actor_of(request), filing, grade, posted_comments(request), reviewed)
            messages.success(request, f"已审核通过（{grade}）。")
        else:
            services.return_filing(
                actor_of(request), filing, posted_comments(request), grade, reviewed=reviewed
            )
            messages.success(request, "已退回部门修改。")
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("review", pk=filing.pk)
    return redirect("queue")


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    filing = filing_for(request, pk, Action.HISTORY)
    try:
        services.publish(actor_of(request), filing)
    except services.ServiceError as error:
        messages.error(request, str(error))
        return redirect("review", pk=filing.pk)
    messages.success(request, f"已发布“{filing}”，公众可在公开页面查看和下载。")
    return redirect("public-table", year=filing.year, code=filing.department.code)
