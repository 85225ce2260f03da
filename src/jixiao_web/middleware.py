"""Refusals that come before any view: bodies that are too large, and NUL characters (which
PostgreSQL cannot store) anywhere in a form or query.  Both are answered in Chinese, nothing is read
further and nothing is stored."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

#: Room for the form fields around the largest file accepted.
BODY_MARGIN = 1024 * 1024


def _refuse(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):  # the API answers its own way: {code, detail}
        code = {413: "request-too-large", 405: "method-not-allowed"}.get(status, "request-invalid")
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
            try:
                forms.append(request.POST)
            except RequestDataTooBig:  # harden: form fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE
                megabytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024 // 1024
                return _refuse(request, 413, f"提交的文字超过 {megabytes} MB 的上限，无法读取，已拒绝。")
            except (MultiPartParserError, SuspiciousOperation):  # harden: a broken or endless form
                return _refuse(request, 400, "提交的内容格式有误或字段过多，无法读取，已拒绝。")
        for form in forms:
            for key, items in form.lists():
                if "\x00" in key or any("\x00" in item for item in items):
                    return _refuse(
                        request,
                        400,
                        "提交的内容含有空字符（\\0），无法保存，已拒绝。请检查是否从其他程序粘贴了特殊字符。",
                    )
        return _api_shaped(request, self.get_response(request))


def _api_shaped(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """harden: a method the API does not take is answered in its JSON error shape too."""
    if response.status_code == 405 and request.path.startswith("/api/"):
        allowed = response.get("Allow", "")
        shaped = _refuse(request, 405, f"此地址不接受 {request.method} 请求（可用：{allowed or '无'}）。")
        shaped["Allow"] = allowed
        return shaped
    return response


def _is_form(request: HttpRequest) -> bool:
    kind = request.META.get("CONTENT_TYPE", "")
    return bool(kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")))


# --- harden: the Host header, and the headers of every answer -------------------------------------

#: Scripts and style sheets from our own files only (no inline script can run, whatever is injected).
#: ``style`` attributes are let through: the official table (``jixiao.write.html``) sets its column
#: widths with them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
#: An exported HTML table shown in the browser: its own <style> and nothing else, no script at all.
EXPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'; sandbox"
)
#: django-ninja's Swagger UI (``/api/docs``) and Django's admin set ``style`` attributes of their own.
_STYLED_PREFIXES = ("/api/docs", "/admin/")
_STYLED_POLICY = CONTENT_SECURITY_POLICY.replace("style-src 'self';", "style-src 'self' 'unsafe-inline';")
#: Nothing here needs the browser's devices or sensors.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), usb=()"
)
_BAD_HOST_PAGE = (
    '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>请求有误</title></head>'
    "<body><h1>请求有误</h1><p>请求中的网站地址（Host）不是本系统的地址，已拒绝。请检查输入的网址。</p></body></html>"
)


class HostGuard:
    """A request for a host not in ALLOWED_HOSTS: 400 in Chinese, before any middleware asks for
    the host (Django's own answer rendered the 400 page without a user, which failed as 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.get_host()
        except DisallowedHost:
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"code": "host-invalid", "detail": "请求的 Host 不是本系统的地址，已拒绝。"},
                    status=400,
                    json_dumps_params={"ensure_ascii": False},
                )
            return HttpResponseBadRequest(_BAD_HOST_PAGE)
        return self.get_response(request)


class SecurityHeaders:
    """Content-Security-Policy and Permissions-Policy on every answer; ``Cache-Control: no-store``
    on every answer to someone signed in (a shared computer's cache keeps no one's tables)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        styled = request.path.startswith(_STYLED_PREFIXES)
        response.headers.setdefault(
            "Content-Security-Policy", _STYLED_POLICY if styled else CONTENT_SECURITY_POLICY
        )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
