"""The public portal (no sign-in): published tables by year and department, downloads, open data."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from jixiao.model import TargetTable
from jixiao.write.html import html_body
from jixiao_web import disposition, exports, selectors, selfeval
from jixiao_web.models import City, Filing, JobState


def index(request: HttpRequest) -> HttpResponse:
    years = [
        (year, selectors.published(year), selectors.published_selfevals(year))
        for year in selectors.published_years()
    ]
    return render(request, "jixiao_web/public_index.html", {"years": years})


def _published(year: int, code: str) -> Filing:
    filing = selectors.published(year).filter(department__code=code).first()
    if filing is None or filing.published_version is None:
        raise Http404("没有找到这张已发布的目标表。")
    return filing


def table(request: HttpRequest, year: int, code: str) -> HttpResponse:
    filing = _published(year, code)
    version = filing.published_version
    assert version is not None
    return render(
        request,
        "jixiao_web/public_table.html",
        {
            "filing": filing,
            "version": version,
            "official": html_body(TargetTable.model_validate(version.data)),
            "formats": exports.FORMATS,
            "selfeval": selfeval.published_of(filing),
        },
    )


def pending(request: HttpRequest, what: str) -> HttpResponse:
    """queue: the file is being made by the background worker: come back (the page asks again by
    itself, without script, and names the link)."""
    response = render(request, "jixiao_web/pending.html", {"what": what}, status=503)
    response["Retry-After"] = str(PENDING_RETRY_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


#: How soon a reader waiting for a file being made asks again.
PENDING_RETRY_SECONDS = 3


def download(request: HttpRequest, year: int, code: str, fmt: str) -> HttpResponseBase:
    filing = _published(year, code)
    if fmt not in exports.FORMATS:
        raise Http404("没有这种下载格式。")
    assert filing.published_version is not None
    try:
        return exports.file_response(filing.published_version, fmt)
    except exports.NotReady:
        return pending(request, f"{exports.FORMATS[fmt][1]}下载文件")


def open_data(request: HttpRequest, year: int) -> HttpResponseBase:
    """The year's open data: the bundle the worker built for what is published now (queue)."""
    filings = selectors.published(year)
    if not filings.exists():
        raise Http404(f"{year}年度还没有发布的目标表。")
    city = City.current().name
    ready = exports.open_data_ready(year)
    if ready is None:
        job = exports.building_open_data(year)
        ready = job if job.state == JobState.DONE else None
    if ready is None or ready.result is None:
        return pending(request, f"{year}年度开放数据")
    response = FileResponse(default_storage.open(ready.result["file"], "rb"), content_type="application/zip")
    response["Content-Disposition"] = disposition.header(*exports.open_data_name(year, city), attachment=True)
    return response
