"""queue: in a browser, against ``jixiao serve --demo`` (its own worker): a department uploads a
Word 97 file (LibreOffice, seconds); the request answers at once with the job's state, the page's
poller follows it and shows the preview when the worker is done; on a desktop and on a phone.

Screenshots: ``test-artifacts/browser/queue/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, ViewportSize, expect

from web.browsing import ARTIFACTS, CHROMIUM, YEAR, Server, Story, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "queue"
SEED_DOC = Path(__file__).parent.parent / "fixtures" / "office" / "seed.published.doc"
SIZES: dict[str, ViewportSize] = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}


@pytest.mark.parametrize("size", list(SIZES))
def test_an_upload_is_followed_while_the_worker_reads_it(server: Server, browser: Browser, size: str) -> None:
    if size == "desktop":
        fresh_folder(SHOTS)
    context = browser.new_context(viewport=SIZES[size], locale="zh-CN")
    story = Story(context.new_page(), server, shots=SHOTS)
    page = story.page
    story.log_in("yingji_tianbao")  # 应急管理局: its 2024 table not started
    story.goto("/filings/upload/")
    page.get_by_label("文件").set_input_files(str(SEED_DOC))
    with page.expect_navigation():
        page.get_by_role("button", name="读取并预览").click()
    # Answered at once: the job's page, the state in words, a link for a browser without script.
    assert "?job=" in page.url
    status = page.locator("#job-status")
    expect(status).to_contain_text("读取目标表文件")
    label = page.locator("[data-job-label]").text_content() or ""
    assert label in ("排队中", "处理中", "已完成"), label
    if label != "已完成":
        expect(page.get_by_role("link", name="刷新查看结果")).to_be_visible()
        story.shot(f"job-{size}")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES[size]["width"], width
    # The poller reloads the page once the worker is done: the preview, as before the queue.
    expect(page.get_by_role("button", name=f"确认导入为揭阳市应急管理局{YEAR}年度目标表")).to_be_visible(
        timeout=60_000
    )
    expect(page.locator("#job-status")).to_have_count(0)
    story.shot(f"preview-{size}")
    assert story.console_errors == []  # no script refused by the policy
    context.close()
