"""Signing in (with throttling) and per-user API tokens."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jixiao_web import audit, services
from jixiao_web.audit import Actor
from jixiao_web.models import ApiToken, AuditAction, LoginFailure, User
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
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            return super().clean()
        except forms.ValidationError:
            LoginFailure.objects.create(username=username, address=address)
            raise


class LoginView(auth_views.LoginView):
    template_name = "jixiao_web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


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
    new_key = None
    if request.method == "POST":
        new_key = services.create_token(actor_of(request), request.POST.get("name") or "")
    return render(
        request,
        "jixiao_web/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=_signed_in(request)).order_by("-created_at"),
            "new_key": new_key,
        },
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=_signed_in(request))
    services.revoke_token(actor_of(request), token)
    messages.success(request, f"已撤销令牌“{token.name}”。")
    return redirect("tokens")
