"""The department's to-do notices on its home page, on a desktop and on a phone (390 px), and the
worker that ``jixiao serve`` starts: in the demo it prints the return notices it would send.

Screenshots: ``test-artifacts/browser/reminders/``.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, expect

from web.browsing import ARTIFACTS, CHROMIUM, Server, Story, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "reminders"
WIDTH_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def test_a_returned_table_is_on_the_home_page_with_its_comments(server: Server, browser: Browser) -> None:
    fresh_folder(SHOTS)
    for name, viewport in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 390, "height": 844}),
    ):
        context = browser.new_context(viewport=viewport, is_mobile=name == "phone", locale="zh-CN")
        try:
            story = Story(context.new_page(), server, shots=SHOTS)
            story.log_in("jiaotong_tianbao")
            notices = story.page.locator("#notices")
            expect(notices).to_be_visible()
            item = notices.locator("li.notice.returned")
            expect(item).to_contain_text("2024年度部门整体预算绩效目标表")
            expect(item).to_contain_text("已被退回修改")
            expect(item).to_contain_text("还剩 14 天")
            expect(item.locator(".said li")).to_have_count(3)
            expect(item).to_contain_text("建制村通公交率不可能超过100%")
            scroll, width = story.page.evaluate(WIDTH_JS)
            assert scroll <= width, f"{name}: {scroll} px wide in {width}"
            story.shot(f"filer-home-{name}")
            item.get_by_role("link", name="去修改").click()
            story.page.wait_for_url("**/filings/*/edit/")
            assert story.console_errors == []
            assert story.failed_requests == []
        finally:
            context.close()


def test_serve_runs_a_worker_that_handles_the_return_notices(server: Server) -> None:
    """The demo's returns wrote notices for the departments' people; ``serve``'s worker took them
    (the demo prints mails instead of sending them to its example addresses)."""
    log = server.data_dir / "serve.log"
    deadline = time.monotonic() + 60
    while "已被财政局退回修改" not in log.read_text(encoding="utf-8", errors="replace"):
        assert time.monotonic() < deadline, log.read_text(encoding="utf-8", errors="replace")[-3000:]
        time.sleep(0.5)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "jiaotong.tianbao@example.gov.cn" in text
    assert "后台任务进程已启动" in text
