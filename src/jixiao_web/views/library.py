"""The indicator library (指标库): suggestions while a filer types, and the finance bureau's page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from jixiao.library import indicator_key
from jixiao_web import jobs, library, services
from jixiao_web.access import may_manage_library, may_use_library
from jixiao_web.models import JobKind, LibraryEntry, LibraryMark
from jixiao_web.tableform import LEVELS
from jixiao_web.views.common import actor_of
from jixiao_web.views.jobs import outcome as job_outcome

PAGE_SIZE = 50
#: Departments named in a row of the page before the rest are folded away.
DEPARTMENTS_SHOWN = 5
SORTS = {
    "usage": ("-usage", "level1", "level2", "key"),
    "departments": ("-department_count", "-usage", "key"),
    "name": ("key",),
}


@login_required
@require_GET
def suggest(request: HttpRequest) -> JsonResponse:
    """Suggestions for the 三级指标 being typed: ``q`` (the text), ``level1``, ``level2``."""
    if not may_use_library(request.user):
        return JsonResponse({"error": "您不能使用指标库。"}, status=403)
    found = library.suggestions(
        request.GET.get("q", ""), request.GET.get("level1", ""), request.GET.get("level2", "")
    )
    return JsonResponse({"suggestions": found})


def _manager(request: HttpRequest) -> None:
    if not may_manage_library(request.user):
        raise Http404("没有这个页面，或您无权查看。")


@login_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    """The library as the bureau reads it: search, filters, counts, units, value ranges, marks."""
    _manager(request)
    library.index()  # built on first use
    query = request.GET.get("q", "").strip()[:100]
    level1 = request.GET.get("level1", "")
    level2 = request.GET.get("level2", "")
    mark = request.GET.get("mark", "")
    sort = request.GET.get("sort", "usage")
    entries = LibraryEntry.objects.all()
    if query:
        key = indicator_key(query)
        entries = entries.filter(Q(key__contains=key) | Q(name__icontains=query))
    if level1 in LEVELS:
        entries = entries.filter(level1=level1)
    if level2:
        entries = entries.filter(level2=level2)
    if mark == "none":
        entries = entries.filter(mark="")
    elif mark in (LibraryMark.RECOMMENDED, LibraryMark.DISCOURAGED):
        entries = entries.filter(mark=mark)
    entries = entries.order_by(*SORTS.get(sort, SORTS["usage"]))
    pages = Paginator(entries, PAGE_SIZE)
    shown = pages.get_page(request.GET.get("page"))
    filters = {"q": query, "level1": level1, "level2": level2, "mark": mark, "sort": sort}
    context: dict[str, Any] = {
        "page": shown,
        "rows": [_row(entry) for entry in shown],
        "filters": filters,
        "levels": LEVELS,
        "level2_choices": LEVELS.get(level1) or [l2 for l2s in LEVELS.values() for l2 in dict.fromkeys(l2s)],
        "marks": [(m.value, m.label) for m in LibraryMark],
        "total": pages.count,
        "query_string": urlencode({k: v for k, v in filters.items() if v}),
        "back": request.get_full_path(),
    }
    return render(request, "jixiao_web/library.html", context)


def _row(entry: LibraryEntry) -> dict[str, Any]:
    departments = list(entry.departments or [])
    return {
        "entry": entry,
        "units": sorted((entry.units or {}).items(), key=lambda item: -item[1]),
        "comparators": sorted((entry.comparators or {}).items(), key=lambda item: -item[1]),
        "ranges": sorted((entry.ranges or {}).items(), key=lambda item: -item[1]["count"]),
        "departments": departments[:DEPARTMENTS_SHOWN],
        "more_departments": departments[DEPARTMENTS_SHOWN:],
    }


@login_required
@require_POST
def mark(request: HttpRequest, pk: int) -> HttpResponse:
    """The bureau marks one entry recommended or discouraged, with a note."""
    _manager(request)
    entry = LibraryEntry.objects.filter(pk=pk).first()
    if entry is None:
        raise Http404("指标库中没有这个指标。")
    try:
        services.mark_library_entry(
            actor_of(request), entry, request.POST.get("mark", ""), request.POST.get("note", "")
        )
    except services.ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已更新“{entry.name}”的标记。")
    back = request.POST.get("back", "")
    if back.startswith("/library/") and not back.startswith("//"):
        return redirect(back)
    return redirect("library")


@login_required
@require_POST
def rebuild(request: HttpRequest) -> HttpResponse:
    """The bureau has the 指标库 built again from every approved table, by the background worker
    (queue: a job it follows on its page, then back to the library)."""
    _manager(request)
    actor = actor_of(request)
    job = jobs.start(JobKind.LIBRARY, user=actor.user, address=actor.address)
    if job.finished:  # tests about something else: done at once (JOBS_INLINE)
        said, failed = job_outcome(job)
        (messages.error if failed else messages.success)(request, said)
        return redirect("library")
    return redirect(f"{reverse('job', args=[job.pk])}?{urlencode({'back': reverse('library')})}")
