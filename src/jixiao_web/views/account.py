"""Signing in (with throttling and an optional second factor), the account page (password,
sessions, two-factor authentication) and per-user API tokens."""

from __future__ import annotations

import time
import unicodedata
from base64 import b32encode
from binascii import unhexlify
from datetime import timedelta
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from jixiao_web import audit, services
from jixiao_web.accounts import has_second_factor, remaining, touch
from jixiao_web.audit import Actor
from jixiao_web.models import TOKEN_DAYS, TOKEN_DEFAULT_DAYS, ApiToken, AuditAction, LoginFailure, User
from jixiao_web.views.common import actor_of, client_address


def _too_many_failures(username: str, address: str | None) -> bool:
    """Guessing one account from one address stops after a few tries; spraying many accounts from
    one address, or one account from many, after more.  A stranger alone cannot lock a colleague
    out by mistyping their name a few times."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_WINDOW_SECONDS)
    LoginFailure.objects.filter(at__lt=since).delete()  # keep the table small
    recent = LoginFailure.objects.filter(at__gte=since)
    return (
        recent.filter(username=username, address=address).count() >= settings.LOGIN_MAX_FAILURES
        or recent.filter(username=username).count() >= settings.LOGIN_MAX_FAILURES_SPREAD
        or (
            address is not None
            and recent.filter(address=address).count() >= settings.LOGIN_MAX_FAILURES_SPREAD
        )
    )


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses to even try a password after too many failures for the account or the address."""

    error_messages = {  # noqa: RUF012 - Django's own pattern
        **AuthenticationForm.error_messages,
        "invalid_login": "用户名或密码不正确。",
        "throttled": f"登录失败次数过多，请 {settings.LOGIN_WINDOW_SECONDS // 60} 分钟后再试。",
    }

    def clean(self) -> dict[str, Any]:
        # As Django's username field reads it (stripped, NFKC), so spellings cannot dodge the count.
        username = unicodedata.normalize("NFKC", (self.data.get("username") or "").strip())[:150]
        address = client_address(self.request) if self.request else None
        if _too_many_failures(username, address):
            services.record_login_failure(_stranger(address), username, "失败次数过多，未校验密码")
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except forms.ValidationError as error:
            reason = "账号已停用" if error.code == "inactive" else "用户名或密码不正确"
            services.record_login_failure(_stranger(address), username, reason)
            raise


def _stranger(address: str | None) -> Actor:
    """Whoever is trying to sign in (nobody is signed in yet)."""
    return Actor(None, address, name="未登录")


#: The session key of a log-in waiting for its two-factor code: user, backend, when, where next.
PENDING_KEY = "jixiao_pending_login"
#: How long the code may take to type after the password.
PENDING_SECONDS = 5 * 60


class LoginView(auth_views.LoginView):
    template_name = "jixiao_web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        """A user with a second factor is not signed in yet: the code comes first."""
        user = form.get_user()
        if not has_second_factor(user):
            return super().form_valid(form)
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[0]),
            "at": int(time.time()),
            "next": self.get_redirect_url(),
        }
        return redirect("login-verify")


class CodeForm(forms.Form):
    code = forms.CharField(
        label="验证码",
        min_length=6,
        max_length=8,
        error_messages={"required": "请填写验证码。", "min_length": "验证码是 6 位数字。"},
    )

    def clean_code(self) -> str:
        code = unicodedata.normalize("NFKC", self.cleaned_data["code"]).replace(" ", "")
        if not code.isdecimal() or len(code) != 6:
            raise forms.ValidationError("验证码是手机验证器应用中显示的 6 位数字。")
        return code


def login_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the user's authenticator app."""
    if request.user.is_authenticated:
        return redirect("home")
    stored = request.session.get(PENDING_KEY)
    pending: dict[str, Any] = stored if isinstance(stored, dict) else {}
    user = None
    if pending and time.time() - int(pending.get("at", 0)) <= PENDING_SECONDS:
        user = User.objects.filter(pk=int(pending["user"]), is_active=True).first()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() if user is not None else None
    if user is None or device is None:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, "登录已超时，请重新输入用户名和密码。")
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if _too_many_failures(user.username, address):
            services.record_login_failure(_stranger(address), user.username, "失败次数过多，未校验验证码")
            form.add_error(None, ThrottledAuthenticationForm.error_messages["throttled"])
        elif not device.verify_is_allowed()[0]:  # django-otp's back-off after wrong codes
            form.add_error("code", "验证码错误次数较多，请稍等片刻，再输入验证器应用中当前显示的验证码。")
        elif device.verify_token(form.cleaned_data["code"]):
            del request.session[PENDING_KEY]
            login(request, user, backend=pending["backend"])
            target = str(pending.get("next") or "")
            if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
                target = resolve_url(settings.LOGIN_REDIRECT_URL)
            return redirect(target)
        else:
            services.record_login_failure(_stranger(address), user.username, "两步验证码不正确")
            form.add_error("code", "验证码不正确或已用过，请输入验证器应用中当前显示的验证码。")
    return render(request, "jixiao_web/login_verify.html", {"form": form})


@receiver(user_logged_in)
def _record_login(sender: object, request: HttpRequest | None, user: User, **kwargs: object) -> None:
    audit.record(
        Actor(user, client_address(request) if request is not None else None),
        AuditAction.LOGIN,
        target=str(user),
    )


@receiver(user_logged_out)
def _record_logout(sender: object, request: HttpRequest | None, user: User | None, **kwargs: object) -> None:
    if request is not None and user is not None:
        audit.record(Actor(user, client_address(request)), AuditAction.LOGOUT, target=str(user))


def _signed_in(request: HttpRequest) -> User:
    """The user of a request that ``login_required`` let through."""
    assert isinstance(request.user, User)
    return request.user


@login_required
def tokens(request: HttpRequest) -> HttpResponse:
    """The user's API tokens; a new one is shown once, right after it is made."""
    user = _signed_in(request)
    new_key = new_token = None
    if request.method == "POST":
        days = request.POST.get("days") or ""
        new_key = services.create_token(
            actor_of(request),
            request.POST.get("name") or "",
            days=int(days) if days.isdecimal() and int(days) in TOKEN_DAYS else TOKEN_DEFAULT_DAYS,
            read_only=request.POST.get("read_only") == "on",
        )
        new_token = ApiToken.objects.get(digest=ApiToken.digest_of(new_key))
    listed = list(ApiToken.objects.filter(user=user).order_by("-created_at"))
    for token in listed:
        token.dead = token.dead_because(user)  # type: ignore[attr-defined]
    return render(
        request,
        "jixiao_web/tokens.html",
        {
            "tokens": listed,
            "new_key": new_key,
            "new_token": new_token,
            "day_choices": TOKEN_DAYS,
            "default_days": TOKEN_DEFAULT_DAYS,
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=_signed_in(request))
    services.revoke_token(actor_of(request), token)
    messages.success(request, f"已撤销令牌“{token.name}”。")
    return redirect("tokens")


# --- accounts: the account page, password, sessions, two-factor authentication ------------------


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """账号与安全: password, two-factor authentication, signing out everywhere, API tokens."""
    user = _signed_in(request)
    return render(
        request,
        "jixiao_web/account.html",
        {
            "has_second_factor": has_second_factor(user),
            "two_factor_required": services.two_factor_required(user),
            "idle_minutes": settings.IDLE_MINUTES,
        },
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    """The user's own password; a forced change (``must_change_password``) ends here too."""

    template_name = "jixiao_web/password_change.html"

    def get_success_url(self) -> str:
        return resolve_url("account")

    def form_valid(self, form: Any) -> HttpResponse:
        forced = form.user.must_change_password  # then on to the work the user came for
        services.change_password(actor_of(self.request), form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)  # this session stays; the others end
        messages.success(self.request, "密码已修改。其他设备上的登录和此前创建的 API 令牌已失效。")
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL) if forced else self.get_success_url())


@login_required
@require_POST
def sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    """退出所有设备: every session of the user ends, this one too."""
    services.sign_out_everywhere(actor_of(request))
    request.session.flush()
    request.user = AnonymousUser()
    messages.success(request, "已在所有设备上退出登录。API 令牌不受影响，可在“API 令牌”页面撤销。")
    return redirect("login")


def session_ping(request: HttpRequest) -> JsonResponse:
    """For ``session.js``: GET says how long the session has left (and is not activity);
    POST (「继续」) keeps it alive."""
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False, "remaining": 0}, status=401)
    if request.method == "POST":
        touch(request)
    elif request.method not in ("GET", "HEAD"):
        return JsonResponse({"signed_in": True, "remaining": remaining(request)}, status=405)
    return JsonResponse({"signed_in": True, "remaining": remaining(request)})


#: The session key of an authenticator key being set up (kept once the user proves a code).
ENROL_KEY = "jixiao_totp_key"


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Setting up two-factor authentication: scan the QR code (or type the key), prove a code."""
    user = _signed_in(request)
    if has_second_factor(user):
        return render(
            request,
            "jixiao_web/two_factor.html",
            {"enabled": True, "form": CodeForm(), "required": services.two_factor_required(user)},
        )
    key = request.session.get(ENROL_KEY)
    if not isinstance(key, str) or len(key) != 40:
        key = request.session[ENROL_KEY] = random_hex(20)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        totp = TOTP(unhexlify(key))
        if totp.verify(int(form.cleaned_data["code"]), tolerance=1):
            services.enable_two_factor(actor_of(request), key, totp.t())
            del request.session[ENROL_KEY]
            update_session_auth_hash(request, user)  # this session stays; the others end
            messages.success(request, "两步验证已启用：以后登录时，输入密码后还须输入验证器应用中的验证码。")
            return redirect("account")
        form.add_error("code", "验证码不正确：请确认手机时间准确，并输入验证器应用中当前显示的验证码。")
    device = TOTPDevice(user=user, key=key)
    secret = b32encode(unhexlify(key)).decode()
    return render(
        request,
        "jixiao_web/two_factor.html",
        {
            "enabled": False,
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_svg": mark_safe(segno.make(device.config_url, error="m").svg_inline(scale=4)),
            "required": services.two_factor_required(user),
        },
    )


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turning two-factor authentication off takes a current code (not just an open session)."""
    user = _signed_in(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    form = CodeForm(request.POST)
    if device is None:
        return redirect("two-factor")
    if services.two_factor_required(user):  # before the code is checked (and used up)
        messages.error(request, "本市要求财政局角色使用两步验证，不能停用。")
        return redirect("two-factor")
    if not form.is_valid() or not device.verify_token(form.cleaned_data["code"]):
        messages.error(request, "验证码不正确，两步验证未停用。")
        return redirect("two-factor")
    services.disable_two_factor(actor_of(request))
    messages.success(request, "两步验证已停用。")
    return redirect("account")
