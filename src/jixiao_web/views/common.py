"""What every page needs: the actor of a request, the filing it names (access-checked)."""

from __future__ import annotations

import ipaddress
from datetime import datetime, time
from functools import cache
from importlib.resources import files
from typing import Any, Final

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import Resolver404, reverse
from django.utils import timezone

from jixiao.findings import Report
from jixiao_web.access import Action, is_admin, is_finance, may
from jixiao_web.audit import Actor
from jixiao_web.models import City, Filing, Kind
from jixiao_web.services import MONITORING_SECTIONS, SECTIONS, SELFEVAL_SECTIONS, Reply, ReviewComment


def client_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the last X-Forwarded-For hop behind a trusted proxy."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def actor_of(request: HttpRequest) -> Actor:
    user = request.user if request.user.is_authenticated else None
    return Actor(user, client_address(request))


def filing_for(request: HttpRequest, pk: int, action: Action, kind: str | None = None) -> Filing:
    """The filing ``pk`` (of ``kind``; None: a target table or a self-evaluation, the kinds whose
    pages are shared) if the user may do ``action`` to it; 404 otherwise (no hint it exists).
    A monitoring report is found only by its own pages (``kind`` monitoring).  The rules are
    judged on the row just loaded (``access.may``); what changes anything is decided again by the
    service, on the row locked."""
    filing = Filing.objects.select_related("department").filter(pk=pk).first()
    if (
        filing is None
        or (kind is not None and filing.kind != kind)
        or (kind is None and filing.kind == Kind.MONITORING)
        or not may(request.user, action, filing)
    ):
        raise Http404("没有这张表，或您无权查看。")
    return filing


def target_for(request: HttpRequest, pk: int, action: Action) -> Filing:
    """The target table ``pk`` (:func:`filing_for`): a self-evaluation has its own pages."""
    return filing_for(request, pk, action, Kind.TARGET)


def selfeval_for(request: HttpRequest, pk: int, action: Action) -> Filing:
    """The self-evaluation ``pk`` (:func:`filing_for`)."""
    filing = filing_for(request, pk, action)
    if filing.kind != Kind.SELFEVAL:
        raise Http404("没有这张自评表，或您无权查看。")
    return filing


def monitoring_for(request: HttpRequest, pk: int, action: Action) -> Filing:
    """The monitoring report ``pk`` (:func:`filing_for`)."""
    return filing_for(request, pk, action, Kind.MONITORING)


_FINDERS: Final = {Kind.TARGET: target_for, Kind.SELFEVAL: selfeval_for, Kind.MONITORING: monitoring_for}


def filing_of_kind(request: HttpRequest, pk: int, action: Action, kind: str) -> Filing:
    """The filing ``pk`` of ``kind`` as that kind's own pages find it (the views shared by every
    kind, :mod:`jixiao_web.views.steps`, name it by the ``kind`` of their address)."""
    return _FINDERS[Kind(kind)](request, pk, action)


def site(request: HttpRequest) -> dict[str, Any]:
    """Template context for every page."""
    user = request.user
    return {
        "city": City.current(),
        "is_finance": is_finance(user),
        "is_admin": is_admin(user),
    }


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in Chinese: the view's own Chinese reason where it gave one, never Django's English."""
    # A view's Http404 carries its Chinese reason; the resolver's carries the URL list: never shown.
    reason = str(exception) if exception is not None and not isinstance(exception, Resolver404) else ""
    if not any("\u4e00" <= char <= "\u9fff" for char in reason):
        reason = "没有这个页面，或您无权查看。"
    return render(request, "jixiao_web/error.html", {"title": "未找到", "message": reason}, status=404)


#: What a refused form's page (editor.js) shows when the CSRF check fails; its code it recognises.
CSRF_EXPIRED = "页面已过期（可能在别的窗口重新登录过），请重新加载页面后再提交。"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF refused (``CSRF_FAILURE_VIEW``): a JSON 403 for the editor's fetches, else a page in the
    site's layout that says what to do.  The JSON carries the current token: only same-origin
    scripts can read it, and the editor needs it after one signed in again elsewhere."""
    if request.headers.get("X-Requested-With") == "fetch":
        body = {"error": "csrf", "message": CSRF_EXPIRED, "csrf_token": get_token(request)}
        return JsonResponse(body, status=403)
    return render(request, "403_csrf.html", {"back": request.path}, status=403)


def comment_field(key: str) -> tuple[str, int | None] | None:
    """The section and row of a comment box's field (``comment:<section>`` or
    ``comment:<section>:<row>``); None for any other field."""
    parts = key.split(":")
    # selfeval: a self-evaluation's parts too (the service checks them against the filing's kind)
    # monitoring: and a monitoring report's
    sections = (*SECTIONS, *SELFEVAL_SECTIONS, *MONITORING_SECTIONS)
    if parts[0] != "comment" or len(parts) not in (2, 3) or parts[1] not in sections:
        return None
    # isdecimal, not isdigit ("²" is a digit int() refuses); 9 digits fit the database's integer.
    row = int(parts[2]) if len(parts) == 3 and parts[2].isdecimal() and len(parts[2]) <= 9 else None
    return parts[1], row


def posted_comments(request: HttpRequest) -> list[ReviewComment]:
    """Comments from the comment boxes (:func:`comment_field`) that hold text."""
    comments = []
    for key in request.POST:
        text = request.POST.get(key, "")
        where = comment_field(key)
        if where is not None and text.strip():
            comments.append(ReviewComment(*where, text))
    return comments


@cache
def _favicon() -> bytes:
    return files("jixiao_web").joinpath("static/jixiao_web/favicon.ico").read_bytes()


def favicon(request: HttpRequest) -> HttpResponse:
    """``/favicon.ico``, which browsers ask for on pages without an icon link (the admin's, files)."""
    response = HttpResponse(_favicon(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


def posted_replies(request: HttpRequest) -> list[Reply]:
    """review: the department's replies to comments, ``reply:<pk>`` and ``fixed:<pk>`` for each
    comment the form listed in ``replied``."""
    pks = {int(v) for v in request.POST.getlist("replied") if v.isdecimal() and len(v) <= 9}
    return [
        Reply(pk, request.POST.get(f"reply:{pk}", ""), f"fixed:{pk}" in request.POST) for pk in sorted(pks)
    ]


def report_context(report: Report | dict[str, Any]) -> dict[str, Any]:
    """A report's findings as a page lists them, with its counts of errors and warnings."""
    data = report.to_dict() if isinstance(report, Report) else report
    issues = data.get("issues", [])
    return {
        "issues": issues,
        "errors": sum(1 for i in issues if i["severity"] == "error"),
        "warnings": sum(1 for i in issues if i["severity"] == "warning"),
    }


#: What a form's page shows when its live check finds the session gone (editor.js knows the code).
SESSION_EXPIRED = "登录已过期，请在新窗口登录后再保存"


def session_expired() -> JsonResponse:
    """A form's live check signed out (the session expired or was ended elsewhere): a JSON 401 the
    page recognises, never the sign-in page."""
    body = {"error": "session-expired", "message": SESSION_EXPIRED, "login_url": reverse("login")}
    return JsonResponse(body, status=401)


def typed_deadline(text: str) -> datetime | None:
    """A typed 提交截止日期 (YYYY-MM-DD), at the end of that day; None when it is no date."""
    try:
        day = datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59)))
