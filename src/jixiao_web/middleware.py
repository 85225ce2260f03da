"""Refusals that come before any view: bodies that are too large, and NUL characters (which
PostgreSQL cannot store) anywhere in a form or query.  Both are answered in Chinese, nothing is read
further and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

#: Room for the form fields around the largest file accepted.
BODY_MARGIN = 1024 * 1024


def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):  # the API answers its own way: {code, detail}
        code = "request-too-large" if status == 413 else "request-invalid"
        return JsonResponse(
            {"code": code, "detail": message}, status=status, json_dumps_params={"ensure_ascii": False}
        )
    return render(
        request, "jixiao_web/error.html", {"title": "请求被拒绝", "message": message}, status=status
    )


class RequestGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.UPLOAD_MAX_BYTES + BODY_MARGIN
        if length > limit:
            megabytes = settings.UPLOAD_MAX_BYTES // 1024 // 1024
            return _refuse(
                request,
                413,
                f"提交的内容有 {length // 1024 // 1024} MB，超过上限（文件不超过 {megabytes} MB），已拒绝。",
            )
        forms = [request.GET]
        if request.method == "POST" and _is_form(request):
            forms.append(request.POST)
        for form in forms:
            for key, items in form.lists():
                if "\x00" in key or any("\x00" in item for item in items):
                    return _refuse(
                        request,
                        400,
                        "提交的内容含有空字符（\\0），无法保存，已拒绝。请检查是否从其他程序粘贴了特殊字符。",
                    )
        return self.get_response(request)


def _is_form(request: HttpRequest) -> bool:
    kind = request.META.get("CONTENT_TYPE", "")
    return bool(kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")))
