"""The public portal (no sign-in): published tables by year and department, downloads, open data."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from jixiao.model import TargetTable
from jixiao.write.html import html_body
from jixiao_web import disposition, exports, selectors, selfeval
from jixiao_web.models import City, Filing


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


def download(request: HttpRequest, year: int, code: str, fmt: str) -> FileResponse:
    filing = _published(year, code)
    if fmt not in exports.FORMATS:
        raise Http404("没有这种下载格式。")
    assert filing.published_version is not None
    return exports.file_response(filing.published_version, fmt)


def open_data(request: HttpRequest, year: int) -> HttpResponse:
    filings = selectors.published(year)
    if not filings.exists():
        raise Http404(f"{year}年度还没有发布的目标表。")
    city = City.current().name
    content = exports.open_data_zip(year, city, filings, selfeval.published_scores(year))
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = disposition.header(*exports.open_data_name(year, city), attachment=True)
    return response
