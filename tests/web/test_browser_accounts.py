"""Accounts in a real browser: the idle warning (「继续」 keeps the session), the end of a session
that never navigates away from typed work, signing out everywhere, and setting up and using TOTP
two-factor authentication.  The server runs with a short idle time (``JIXIAO_IDLE_MINUTES``)."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from web.browsing import ARTIFACTS, JIXIAO, Server, Story, fresh_folder, serve_demo
from web.conftest import totp

pytestmark = pytest.mark.browser

#: 2¼ minutes: the warning (2 minutes before the end) comes about 15 seconds after a page loads.
IDLE_MINUTES = "2.25"
SHOTS = ARTIFACTS / "accounts"
PHONE = {"width": 390, "height": 844}
WAIT_MS = 45_000


@dataclass
class _Prepared:
    """Hands ``serve_demo`` a data dir with the demo city already loaded: on a busy machine
    loading it (publishing renders PDFs) can take longer than the server's start deadline."""

    path: Path

    def mktemp(self, basename: str) -> Path:
        return self.path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own ``jixiao serve --demo``, with the short idle time."""
    data_dir = tmp_path_factory.mktemp("jixiao-data")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    load = f"from pathlib import Path; from jixiao_web import demo; demo.load(Path({str(data_dir)!r}))"
    for command in (["migrate", "--verbosity", "0"], ["shell", "-c", load]):
        subprocess.run([str(JIXIAO), "manage", "--data-dir", str(data_dir), *command], env=env, check=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JIXIAO_IDLE_MINUTES", IDLE_MINUTES)
        yield from serve_demo(_Prepared(data_dir))  # type: ignore[arg-type]


def test_idle_warning_keep_alive_and_an_ended_session_keeps_typed_work(
    server: Server, browser: Browser
) -> None:
    fresh_folder(SHOTS)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    story = Story(context.new_page(), server, shots=SHOTS)
    page = story.page
    story.log_in("jiaoyu_tianbao")
    story.goto("/")
    hrefs = page.locator("a[href^='/filings/']").evaluate_all("links => links.map(a => a.pathname)")
    draft = next(href for href in hrefs if re.fullmatch(r"/filings/\d+/", href))
    story.goto(draft + "edit/")
    goal = page.locator("textarea[name='overall_goal']")
    expect(goal).to_be_editable()
    edit_url = page.url
    warning = page.locator("#session-warning")
    # Nothing typed: the warning comes 2 minutes before the end, and counts down.
    expect(warning).to_be_visible(timeout=WAIT_MS)
    expect(warning).to_contain_text(re.compile(r"您已较长时间未操作，将于 [12] 分钟后退出登录"))
    expect(warning.get_by_role("button", name="继续")).to_be_focused()
    expect(warning.get_by_role("button", name="退出")).to_be_visible()
    story.shot("01-idle-warning")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / "01-idle-warning-phone.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    # 「继续」: the server gives the session its full idle time again; the warning goes.
    with page.expect_response(lambda r: r.url.endswith("/accounts/session/") and r.request.method == "POST"):
        warning.get_by_role("button", name="继续").click()
    expect(warning).to_have_count(0)
    left = page.evaluate("fetch('/accounts/session/').then(r => r.json()).then(s => s.remaining)")
    assert left > 2.25 * 60 - 10
    # Work typed and not saved; then the session ends elsewhere (signed out everywhere).
    typed = "这段文字尚未保存，会话结束后仍须留在页面上。"
    goal.fill(typed)
    other = browser.new_context(viewport=PHONE, locale="zh-CN")
    phone = Story(other.new_page(), server, shots=SHOTS)
    phone.log_in("jiaoyu_tianbao")
    phone.goto("/accounts/")
    phone.shot("02-account-phone")
    with phone.page.expect_navigation(wait_until="networkidle"):
        phone.page.get_by_role("button", name="退出所有设备").click()
    expect(phone.message()).to_contain_text("已在所有设备上退出登录")
    other.close()
    # The editing page learns it at its next check, says so, and stays where it is with the text.
    ended = page.locator("#session-warning.ended")
    expect(ended).to_be_visible(timeout=WAIT_MS)
    expect(ended).to_contain_text("您已退出登录")
    link = ended.get_by_role("link", name="在新标签页中登录")
    assert link.get_attribute("target") == "_blank"
    assert page.url == edit_url
    assert goal.input_value() == typed
    story.shot("03-session-ended")
    assert story.console_errors == []
    context.close()


def test_two_factor_set_up_and_sign_in_with_a_code(server: Server, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    story = Story(context.new_page(), server, shots=SHOTS)
    page = story.page
    story.log_in("shenhe2")
    story.goto("/")
    with page.expect_navigation(wait_until="networkidle"):
        page.locator("header.top").get_by_role("link", name="账号").click()
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("link", name="启用两步验证").click()
    expect(page.locator(".qr svg")).to_be_visible()
    story.shot("04-two-factor-set-up")
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / "04-two-factor-set-up-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    secret = page.locator("#totp-secret").inner_text()
    now = time.time()
    page.get_by_label("验证码").fill(totp(secret, now))
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="完成设置").click()
    expect(story.message()).to_contain_text("两步验证已启用")
    story.log_out()
    # Signing in again: password, then the code (the next one: a code is accepted only once).
    story.goto("/accounts/login/")
    page.get_by_label("用户名").fill("shenhe2")
    page.get_by_label("密码").fill(server.passwords["shenhe2"])
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/accounts/login/verify/")
    expect(page.locator("header.top .who")).to_have_count(0)
    story.shot("05-login-code")
    page.get_by_label("验证码").fill(totp(secret, now + 30))
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="登录").click()
    expect(page.locator("header.top .who")).to_contain_text("罗俊峰")  # shenhe2 in the demo
    assert page.url.endswith("/review/")
    # A read-only token for 30 days: its end is shown with the key (once).
    page.set_viewport_size(PHONE)
    story.goto("/accounts/tokens/")
    page.get_by_label("用途").fill("只读统计脚本")
    page.get_by_label("有效期").select_option("30")
    page.get_by_label("只读").check()
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="创建令牌").click()
    expect(page.locator("#new-token-expiry")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    expect(page.locator("table.list tbody tr").first).to_contain_text("只读")
    story.shot("06-token-read-only-phone")
    assert story.console_errors == []
    assert story.failed_requests == []
    context.close()
