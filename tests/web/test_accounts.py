"""Accounts (issue 9, item 4): API tokens that expire, can be read-only and die with a password
change; the user's own password change and the forced one; idle sessions; signing out everywhere;
TOTP two-factor authentication (with the city's rule for the finance bureau); failed logins in the
audit chain."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jixiao_web import audit, demo, services
from jixiao_web.accounts import SEEN_KEY
from jixiao_web.audit import Actor
from jixiao_web.models import ApiToken, AuditEntry, City, User

from .conftest import PASSWORD, api_token, totp

NEW_PASSWORD = "Zhe-shi-xin-mima-2024"


# --- helpers -------------------------------------------------------------------------------------


def sign_in(username: str, password: str = PASSWORD, address: str = "198.51.100.7") -> tuple[Client, str]:
    """Signs in through the real login page; the client and where it was sent."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response.get("Location", str(response.status_code))


def enrol(client: Client) -> str:
    """Sets up two-factor authentication as a user would: reads the key off the page, types a code."""
    page = client.get(reverse("two-factor")).content.decode()
    found = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page)
    assert found, page[:3000]
    secret = found.group(1)
    response = client.post(reverse("two-factor"), {"code": totp(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("account")
    return secret


def signed_in_as(client: Client) -> str | None:
    response = client.get(reverse("account"))
    if response.status_code != 200:
        return None
    return str(response.context["user"].username)


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def actions(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


# --- API tokens ------------------------------------------------------------------------------------


def test_a_new_token_lives_90_days_by_default_or_as_chosen_and_says_so(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    client = login(people["filer"])
    page = client.post(reverse("tokens"), {"name": "默认"}).content.decode()
    token = ApiToken.objects.get(name="默认")
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    shown = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    assert f'<strong id="new-token-expiry">{shown}</strong>' in page
    client.post(reverse("tokens"), {"name": "一个月", "days": "30", "read_only": "on"})
    month = ApiToken.objects.get(name="一个月")
    assert abs(month.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert month.read_only
    entry = actions("token_create")[-1]
    assert entry.after["只读"] is True
    assert entry.after["有效期至"].startswith(timezone.localtime(month.expires_at).strftime("%Y-%m-%d"))


def test_an_expired_token_is_refused(people: dict[str, User]) -> None:
    key, token = api_token(people["filer"])
    assert Client().get(reverse("api:list_tables"), **bearer(key)).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(reverse("api:list_tables"), **bearer(key))
    assert response.status_code == 401
    assert response.json()["code"] == "token-expired"
    assert "过期" in response.json()["detail"]


def test_a_read_only_token_reads_but_is_refused_on_writing_endpoints(people: dict[str, User]) -> None:
    key, token = api_token(people["filer"])
    ApiToken.objects.filter(pk=token.pk).update(read_only=True)
    assert Client().get(reverse("api:list_tables"), **bearer(key)).status_code == 200
    response = Client().post(reverse("api:validate_file"), {"file": b"x"}, **bearer(key))
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "token-read-only"
    assert "只读" in response.json()["detail"]
    # The same user's read-write token is let through (422: no file posted).
    other, _ = api_token(people["filer"], "读写")
    assert Client().post(reverse("api:validate_file"), **bearer(other)).status_code == 422


def test_tokens_die_when_the_user_changes_the_password(people: dict[str, User]) -> None:
    key, _ = api_token(people["filer"])
    client, _ = sign_in("filer")
    response = client.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    refused = Client().get(reverse("api:list_tables"), **bearer(key))
    assert refused.status_code == 401
    assert refused.json()["code"] == "token-expired"
    # A token made after the change works, and the page says why the old one is dead.
    assert "创建后密码已修改" in client.get(reverse("tokens")).content.decode()
    client.post(reverse("tokens"), {"name": "新的"})
    fresh = ApiToken.objects.get(name="新的")
    assert fresh.dead_because() == ""


def test_tokens_die_when_an_admin_resets_the_password(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    key, _ = api_token(people["filer"])
    admin = login(people["admin"])
    url = f"/admin/jixiao_web/user/{people['filer'].pk}/password/"
    response = admin.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 302
    assert Client().get(reverse("api:list_tables"), **bearer(key)).status_code == 401
    # ... and so does a reset on the command line (``jixiao manage changepassword`` calls set_password).
    key2, _ = api_token(people["head"])
    head = User.objects.get(username="head")
    head.set_password(NEW_PASSWORD)
    head.save()
    assert Client().get(reverse("api:list_tables"), **bearer(key2)).status_code == 401


# --- passwords ---------------------------------------------------------------------------------------


def test_a_user_changes_their_own_password_audited_and_other_sessions_end(people: dict[str, User]) -> None:
    here, _ = sign_in("filer")
    elsewhere, _ = sign_in("filer", address="203.0.113.9")
    page = here.get(reverse("password-change")).content.decode()
    assert "当前密码" in page
    assert "新密码" in page
    wrong = here.post(
        reverse("password-change"),
        {"old_password": "not-it", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert wrong.status_code == 200
    assert "旧密码不正确" in wrong.content.decode()
    response = here.post(
        reverse("password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert User.objects.get(username="filer").check_password(NEW_PASSWORD)
    assert signed_in_as(here) == "filer"  # this session stays
    assert signed_in_as(elsewhere) is None  # the other one ended
    entry = actions("password_change")[-1]
    assert entry.actor_id == people["filer"].pk
    assert entry.address == "198.51.100.7"
    assert NEW_PASSWORD not in str(entry.after)
    assert PASSWORD not in str(entry.after)


def test_a_password_set_by_an_admin_must_be_changed_at_first_login(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    admin = login(people["admin"])
    admin.post(
        reverse("admin:jixiao_web_user_add"),
        {
            "username": "xinren",
            # words: name, department and role are asked for on the first page
            "full_name": "新人",
            "department": people["filer"].department_id,
            "role": "filer",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "usable_password": "true",
        },
    )
    assert User.objects.get(username="xinren").must_change_password
    client, _ = sign_in("xinren", NEW_PASSWORD)
    # Every page (and the API, with the session) sends the user to change the password first.
    home = client.get(reverse("home"))
    assert home.status_code == 302
    assert home["Location"] == reverse("password-change")
    assert client.get(reverse("tokens"))["Location"] == reverse("password-change")
    api = client.get(reverse("api:list_tables"))
    assert api.status_code == 403
    assert api.json()["code"] == "password-change-required"
    page = client.get(reverse("password-change")).content.decode()
    assert "请先设置一个只有您知道的新密码" in page
    final = "Wo-de-mima-zhi-wo-zhidao-1"
    done = client.post(
        reverse("password-change"),
        {"old_password": NEW_PASSWORD, "new_password1": final, "new_password2": final},
    )
    assert done["Location"] == reverse("home")  # on to the work the user came for
    assert not User.objects.get(username="xinren").must_change_password
    assert client.get(reverse("home")).status_code == 200


def test_demo_accounts_must_change_their_printed_passwords_outside_demo_mode(
    db: None, tmp_path: Path, no_renderings: None
) -> None:
    assert demo.load(tmp_path)
    printed = dict(line.split("\t") for line in (tmp_path / "demo-accounts.txt").read_text().splitlines())
    assert not User.objects.filter(must_change_password=True).exists()  # in demo mode: as printed
    # One demo user changed theirs already: not asked again, and no longer printed.
    changed = User.objects.get(username="shenhe2")
    services.change_password(Actor(changed), NEW_PASSWORD)
    marked = demo.require_password_changes(tmp_path)
    assert "shenhe2" not in marked
    assert set(marked) == set(printed) - {"shenhe2"}
    assert set(User.objects.filter(must_change_password=True).values_list("username", flat=True)) == set(
        marked
    )
    assert "shenhe2" not in {username for username, _, _ in demo.accounts(tmp_path)}
    assert actions("password_change_required")[-1].after == {"用户": sorted(marked)}
    assert demo.require_password_changes(tmp_path) == []  # once
    client, _ = sign_in("yingji_tianbao", printed["yingji_tianbao"])
    assert client.get(reverse("home"))["Location"] == reverse("password-change")


# --- idle sessions and signing out everywhere ------------------------------------------------------------


def test_an_idle_session_ends_after_the_idle_time(people: dict[str, User]) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60  # JIXIAO_IDLE_MINUTES unset: 30 minutes
    client, _ = sign_in("filer")
    client.get(reverse("home"))
    session = Session.objects.get(session_key=client.session.session_key)
    left = session.expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)
    # Activity keeps it alive (saved at most once a minute): a request 5 minutes later moves the end.
    stored = client.session
    stored[SEEN_KEY] = int(time.time()) - 5 * 60
    stored.save()
    client.get(reverse("home"))
    assert client.session[SEEN_KEY] >= int(time.time()) - 2
    # 31 minutes without a request: signed out, whatever the session row says.
    stored = client.session
    stored[SEEN_KEY] = int(time.time()) - 31 * 60
    stored.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("public-index"))
    assert signed_in_as(client) is None


def test_the_session_ping_tells_the_time_left_and_keep_alive_extends_it(people: dict[str, User]) -> None:
    client, _ = sign_in("filer")
    stored = client.session
    stored[SEEN_KEY] = int(time.time()) - 29 * 60
    stored.save()
    state = client.get(reverse("session-ping")).json()
    assert state["signed_in"]
    assert 0 < state["remaining"] <= 60
    assert client.get(reverse("session-ping")).json()["remaining"] <= 60
    kept = client.post(reverse("session-ping")).json()  # 「继续」
    assert kept["remaining"] >= 30 * 60 - 2
    assert Client().get(reverse("session-ping")).status_code == 401


def test_every_signed_in_page_loads_the_warning_script_without_inline_script(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    page = login(people["filer"]).get(reverse("account")).content.decode()
    tag = re.search(r"<script [^>]*session\.js[^>]*></script>", page)
    assert tag is not None
    assert 'data-ping="/accounts/session/"' in tag.group(0)
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None  # no inline script anywhere
    assert "session.js" not in Client().get(reverse("public-index")).content.decode()
    script = (Path(settings.BASE_DIR) / "static/jixiao_web/session.js").read_text()
    assert "您已较长时间未操作，将于 " in script
    assert "继续" in script
    assert "退出" in script
    assert "location" not in script  # never navigates away by itself


def test_sign_out_everywhere_ends_every_session_of_the_user(people: dict[str, User]) -> None:
    laptop, _ = sign_in("filer")
    phone, _ = sign_in("filer", address="203.0.113.9")
    someone_else, _ = sign_in("head")
    key, _ = api_token(people["filer"])
    response = laptop.post(reverse("sign-out-everywhere"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert signed_in_as(laptop) is None
    assert signed_in_as(phone) is None
    assert signed_in_as(someone_else) == "head"
    entry = actions("sign_out_everywhere")[-1]
    assert entry.actor_id == people["filer"].pk
    # Tokens are not sessions: they stay (the page says so); signing in again works.
    assert Client().get(reverse("api:list_tables"), **bearer(key)).status_code == 200
    again, _ = sign_in("filer")
    assert signed_in_as(again) == "filer"


# --- two-factor authentication -------------------------------------------------------------------------


def test_two_factor_set_up_then_required_at_login(people: dict[str, User]) -> None:
    client, _ = sign_in("filer")
    other, _ = sign_in("filer", address="203.0.113.9")
    page = client.get(reverse("two-factor")).content.decode()
    assert "<svg" in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>")[0]
    wrong = client.post(reverse("two-factor"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "验证码不正确" in wrong.content.decode()
    secret = enrol(client)
    assert actions("two_factor_enable")[-1].actor_id == people["filer"].pk
    assert signed_in_as(client) == "filer"
    assert signed_in_as(other) is None
    # Signing in: the password alone is not enough.
    fresh, where = sign_in("filer")
    assert where == reverse("login-verify")
    assert signed_in_as(fresh) is None
    refused = fresh.post(reverse("login-verify"), {"code": "000000"})
    assert refused.status_code == 200
    assert signed_in_as(fresh) is None
    failed = actions("login_failed")[-1]
    assert failed.after["用户名"] == "filer"
    assert failed.after["原因"] == "两步验证码不正确"
    # Right after a wrong code django-otp waits a moment (doubling with each wrong code) ...
    early = fresh.post(reverse("login-verify"), {"code": totp(secret, time.time() + 30)})
    assert "请稍等片刻" in early.content.decode()
    assert signed_in_as(fresh) is None
    time.sleep(1.1)
    # ... then: the code just used to set up cannot be used again; the next one can.
    done = fresh.post(reverse("login-verify"), {"code": totp(secret, time.time() + 30)})
    assert done.status_code == 302
    assert done["Location"] == reverse("home")
    assert signed_in_as(fresh) == "filer"
    assert actions("login")[-1].actor_id == people["filer"].pk


def test_two_factor_can_be_turned_off_with_a_code_unless_the_city_requires_it(
    people: dict[str, User], city: City
) -> None:
    client, _ = sign_in("reviewer")
    secret = enrol(client)
    City.objects.update(bureau_two_factor_required=True)
    kept = client.post(reverse("two-factor-disable"), {"code": "000000"})
    assert kept["Location"] == reverse("two-factor")
    assert client.get(reverse("two-factor")).context["enabled"]
    City.objects.update(bureau_two_factor_required=False)
    wrong = client.post(reverse("two-factor-disable"), {"code": "000000"})
    assert wrong["Location"] == reverse("two-factor")
    assert client.get(reverse("two-factor")).context["enabled"]
    time.sleep(1.1)  # django-otp's back-off after a wrong code
    client.post(reverse("two-factor-disable"), {"code": totp(secret, time.time() + 30)})
    assert not client.get(reverse("two-factor")).context["enabled"]
    assert actions("two_factor_disable")[-1].actor_id == people["reviewer"].pk


def test_the_city_can_require_two_factor_for_the_bureau_roles(people: dict[str, User], city: City) -> None:
    City.objects.update(bureau_two_factor_required=True)
    reviewer, _ = sign_in("reviewer")
    queue = reviewer.get(reverse("queue"))
    assert queue.status_code == 302
    assert queue["Location"] == reverse("two-factor")
    api = reviewer.get(reverse("api:list_tables"))
    assert api.status_code == 403
    assert api.json()["code"] == "two-factor-required"
    admin, _ = sign_in("admin")
    assert admin.get("/admin/")["Location"] == reverse("two-factor")
    filer, _ = sign_in("filer")  # a department's roles are not asked
    assert filer.get(reverse("home")).status_code == 200
    enrol(reviewer)
    assert reviewer.get(reverse("queue")).status_code == 200


def test_an_admin_removes_a_lost_second_factor_audited_and_never_sees_the_key(
    people: dict[str, User], login: Callable[[User], Client]
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client, _ = sign_in("reviewer")
    secret = enrol(client)
    device = TOTPDevice.objects.get(user=people["reviewer"])
    admin = login(people["admin"])
    listed = admin.get("/admin/otp_totp/totpdevice/").content.decode()
    assert "两步验证设备" in listed
    assert "reviewer" in listed
    shown = admin.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert device.key not in shown
    assert secret.replace(" ", "") not in shown
    assert admin.get("/admin/otp_totp/totpdevice/add/").status_code == 403
    response = admin.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=people["reviewer"]).exists()
    assert actions("admin_delete")[-1].actor_id == people["admin"].pk
    _, where = sign_in("reviewer")  # the password alone again; set up anew when next asked
    assert where == reverse("home")


# --- failed logins ---------------------------------------------------------------------------------------


def test_failed_logins_are_in_the_audit_chain_without_the_password(people: dict[str, User]) -> None:
    _, where = sign_in("filer", "a-wrong-password-123", address="192.0.2.55")
    assert where == "200"
    sign_in("nobody-like-this", "another-wrong-one", address="192.0.2.56")
    first, second = actions("login_failed")[-2:]
    assert (first.target, first.address, first.actor_id) == ("用户名“filer”", "192.0.2.55", None)
    assert first.actor_name == "未登录"
    assert first.after == {"用户名": "filer", "原因": "用户名或密码不正确"}
    assert second.after["用户名"] == "nobody-like-this"
    every = str(list(AuditEntry.objects.values_list("after", "target")))
    assert "a-wrong-password-123" not in every
    assert "another-wrong-one" not in every
    # Throttled attempts (the password is not even tried) are recorded too.
    for _ in range(settings.LOGIN_MAX_FAILURES + 1):
        sign_in("filer", "guess", address="192.0.2.57")
    assert actions("login_failed")[-1].after["原因"] == "失败次数过多，未校验密码"
    assert audit.verify() == []
