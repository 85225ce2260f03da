"""What every signed-in request passes first: idle sessions end, and a password to change or a
second factor to set up comes before anything else.

- Idle: a session lives ``settings.SESSION_COOKIE_AGE`` (``JIXIAO_IDLE_MINUTES``) after the last
  request that saved it; every request saves it again, at most once a minute (not every request
  writes to the database).  ``session.js`` asks :func:`remaining` through ``/accounts/session/``
  (a GET there is not activity) and warns before the end; its 「继续」 POSTs there.
- ``User.must_change_password`` (an administrator set the password, or a demo account outside demo
  mode): every page sends the user to the password page until they have changed it.
- ``City.bureau_two_factor_required``: a reviewer or administrator without a second factor is sent
  to set one up.
The API answers these with a JSON 403 instead of a redirect.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from jixiao_web.models import User

#: The session key holding when (Unix seconds) the session was last saved for activity.
SEEN_KEY = "jixiao_seen"
#: Saving a session is a database write: at most once a minute.
TOUCH_SECONDS = 60


def touch(request: HttpRequest) -> None:
    """Counts this request as activity: the session lives on for the idle time from now."""
    request.session[SEEN_KEY] = int(time.time())


def remaining(request: HttpRequest) -> int:
    """Seconds until the session ends for idleness."""
    seen = request.session.get(SEEN_KEY)
    if not isinstance(seen, int):
        return int(settings.SESSION_COOKIE_AGE)
    return max(0, seen + int(settings.SESSION_COOKIE_AGE) - int(time.time()))


def has_second_factor(user: User) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def required_step(user: User) -> str | None:
    """The URL name of what the user must do before anything else, or None."""
    from jixiao_web.services import two_factor_required

    if user.must_change_password:
        return "password-change"
    if two_factor_required(user) and not has_second_factor(user):
        return "two-factor"
    return None


#: Addresses open while a step is pending (besides the step's own page).
OPEN_DURING_STEPS = ("logout", "password-change", "session-ping")

STEP_MESSAGES = {
    "password-change": "请先修改密码：您的密码由管理员设置，或是示例账号的初始密码。",
    "two-factor": "请先设置两步验证：本市要求财政局角色使用两步验证。",
}


class AccountGuard:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return self.get_response(request)
        path = request.path
        ping = path == reverse("session-ping")
        if remaining(request) <= 0:  # the session row outlived its expiry (a clock, a backend)
            from django.contrib.auth import logout

            logout(request)
            return self.get_response(request)
        if not (ping and request.method in ("GET", "HEAD")):
            seen = request.session.get(SEEN_KEY)
            if not isinstance(seen, int) or time.time() - seen >= TOUCH_SECONDS:
                touch(request)
        step = required_step(user)
        if step is not None and not any(path == reverse(name) for name in (step, *OPEN_DURING_STEPS)):
            message = STEP_MESSAGES[step]
            if path.startswith("/api/"):
                return JsonResponse(
                    {"code": f"{step}-required", "detail": message},
                    status=403,
                    json_dumps_params={"ensure_ascii": False},
                )
            from django.contrib import messages

            messages.info(request, message)
            return redirect(step)
        return self.get_response(request)


class UserBackend(ModelBackend):
    """Django's own password backend, except that the signed-in user of each request is loaded
    with their department in the same query (most pages show or use it)."""

    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.select_related("department").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
