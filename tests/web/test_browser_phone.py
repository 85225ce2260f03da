"""The public pages, the home page, the filing page, sign-in and tokens on a phone (390×844), as
a visitor, a filer and a reviewer: the page never scrolls sideways (the official table scrolls in
its own box) and no amount breaks across lines or spills out of its cell.

Screenshots: ``test-artifacts/browser/phone/``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser

from web.browsing import ARTIFACTS, CHROMIUM, Server, Story, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

PHONE = {"width": 390, "height": 844}
SHOTS = ARTIFACTS / "phone"

#: Per amount cell on the page: its text, how many lines it takes, and whether it spills out.
AMOUNTS_JS = """() => [...document.querySelectorAll("td.amount")].map((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
  return [cell.textContent.trim(), lines.size, cell.scrollWidth > cell.clientWidth];
})"""

#: The page's width against the window's, and the widest element that sticks out (for the message).
WIDTH_JS = """() => {
  const width = window.innerWidth;
  let widest = "";
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 0.5 && !element.closest(".official")) {
      widest = element.tagName.toLowerCase() + "." + element.className + " right=" + Math.round(box.right);
      break;
    }
  }
  return [document.documentElement.scrollWidth, width, widest];
}"""


def _check(story: Story, name: str) -> dict[str, Any]:
    """The page as it stands: measured, photographed."""
    page = story.page
    page.wait_for_load_state("networkidle")
    scroll_width, width, widest = page.evaluate(WIDTH_JS)
    amounts = page.evaluate(AMOUNTS_JS)
    story.shot(name)
    return {"page": name, "scroll": scroll_width, "width": width, "widest": widest, "amounts": amounts}


def _problems(seen: list[dict[str, Any]]) -> list[str]:
    problems = []
    for page in seen:
        if page["scroll"] > page["width"]:
            problems.append(f"{page['page']}: {page['scroll']} px wide in {page['width']} ({page['widest']})")
        for text, lines, spills in page["amounts"]:
            if text and (lines > 1 or spills):
                problems.append(f"{page['page']}: amount {text!r} on {lines} lines, spills={spills}")
    return problems


def test_pages_fit_a_phone(server: Server, browser: Browser) -> None:
    fresh_folder(SHOTS)
    seen: list[dict[str, Any]] = []
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, locale="zh-CN")
    try:
        # A visitor: the public index, a published table (its amounts), sign-in.
        visitor = Story(context.new_page(), server, shots=SHOTS)
        visitor.goto("/public/")
        seen.append(_check(visitor, "anon-public-index"))
        visitor.goto("/public/2024/ziran/")
        table = _check(visitor, "anon-public-table")
        assert len(table["amounts"]) >= 10  # 4 budget figures and 7 tasks, at least
        seen.append(table)
        visitor.goto("/public/2023/yingji/")
        seen.append(_check(visitor, "anon-public-table-seed"))
        visitor.goto("/accounts/login/")
        seen.append(_check(visitor, "anon-login"))

        # A filer: home, a filing returned with comments and findings, tokens.
        filer = Story(context.new_page(), server, shots=SHOTS)
        filer.log_in("jiaotong_tianbao")
        seen.append(_check(filer, "filer-home"))
        filer.page.get_by_role("link", name="查看").first.click()
        filer.page.wait_for_url(re.compile(r"/filings/\d+/$"))
        filing = _check(filer, "filer-filing")
        assert filing["amounts"]
        seen.append(filing)
        filer.goto("/accounts/tokens/")
        seen.append(_check(filer, "filer-tokens"))
        filer.log_out()

        # A reviewer: home (the queue), a submitted filing, tokens.
        reviewer = Story(context.new_page(), server, shots=SHOTS)
        reviewer.log_in("shenhe1")
        seen.append(_check(reviewer, "reviewer-home"))
        link = reviewer.page.locator("table.queue tr", has_text="卫生健康局").get_by_role("link")
        href = link.get_attribute("href")
        assert href is not None
        reviewer.goto(href.replace("/review/", "/filings/"))
        seen.append(_check(reviewer, "reviewer-filing"))
        reviewer.goto("/accounts/tokens/")
        seen.append(_check(reviewer, "reviewer-tokens"))

        for story in (visitor, filer, reviewer):
            assert story.console_errors == []
            assert story.failed_requests == []
    finally:
        context.close()
    assert _problems(seen) == []
