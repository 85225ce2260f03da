"""The finance bureau's monitoring warnings overview in Chromium, at desktop width and on a phone
(390 px): the red list before the grid, colours always with their words, the grid scrolling inside its
own box (the page never sideways), the red list stacking, the chart drawn, a filter applied, the
export downloaded.

The demo city's July 2024 round is the one shown: 农业农村局 red (with its cause and measure),
自然资源局 yellow, 民政局 green, 文旅局 not reported.

Screenshots: ``test-artifacts/browser/monitoring-overview/``.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from web.browsing import ARTIFACTS, CHROMIUM, Server, Story, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "monitoring-overview"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

#: The page's width against the window's, and the first element sticking out (outside the grid's
#: scrolling box).
WIDTH_JS = """() => {
  const width = window.innerWidth;
  let widest = "";
  for (const element of document.querySelectorAll("body *")) {
    const box = element.getBoundingClientRect();
    if (box.right > width + 0.5 && !element.closest(".scroll-box")) {
      widest = element.tagName.toLowerCase() + "." + element.className + " right=" + Math.round(box.right);
      break;
    }
  }
  return [document.documentElement.scrollWidth, width, widest];
}"""


def test_the_overview_at_desktop_and_on_a_phone(server: Server, browser: Browser) -> None:
    fresh_folder(SHOTS)
    # The demo's July 2024 round: 农业农村局 red, 自然资源局 yellow (returned), 民政局 green
    # (accepted), 文旅局 not reported; three reports received.
    received = 3
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN")
        try:
            story = Story(context.new_page(), server, shots=SHOTS)
            story.log_in("shenhe1")
            story.goto("/review/monitoring/?year=2024")
            story.page.get_by_role("link", name="预警总览").first.click()
            story.page.wait_for_load_state("networkidle")
            page = story.page
            expect(page.locator("h1")).to_have_text("绩效运行监控预警总览")
            # The red list first, with its cause and measure; every colour with its word.
            red = page.locator("#red-list article")
            expect(red).to_have_count(1)
            expect(red.first).to_contain_text("农业农村局")
            expect(red.first).to_contain_text("汛期持续降雨，揭西县两个片区停工约两个月")
            expect(red.first).to_contain_text("雨季过后增加施工班组")
            order = page.evaluate("() => [...document.querySelectorAll('section[id]')].map((s) => s.id)")
            assert order.index("red-list") < order.index("warning-grid") < order.index("execution-chart")
            grid_rows = page.locator("#warning-grid tbody tr")
            assert grid_rows.count() >= received
            words = page.evaluate(
                "() => [...document.querySelectorAll('#warning-grid tbody span')].map((s) => [s.className, s.textContent])"
            )
            allowed = {"红", "黄", "绿", "蓝", "未定"}
            assert all(text.split("含")[0] in allowed or text.startswith("含蓝") for _, text in words)
            assert any(cls == "warning-red" and text == "红" for cls, text in words)
            expect(page.locator("#execution-chart svg circle")).to_have_count(received)
            expect(page.locator("#execution-chart svg .progress-line")).to_have_count(1)
            # The page never scrolls sideways; the grid scrolls inside its own box.
            scroll_width, width, widest = page.evaluate(WIDTH_JS)
            assert scroll_width <= width, widest
            story.shot(f"{name}-overview")
            if name == "phone":
                box = page.locator("#warning-grid .scroll-box")
                assert box.evaluate("(b) => b.scrollWidth > b.clientWidth")  # scrolls in its box
                # The red list stacks: its cause and measure one under the other, inside the page.
                dt = page.locator("#red-list dt").first.bounding_box()
                dd = page.locator("#red-list dd").first.bounding_box()
                assert dt is not None
                assert dd is not None
                assert dd["y"] > dt["y"]
                assert dd["x"] + dd["width"] <= width
            # Filtering by red leaves the red department alone.
            page.get_by_label("含预警颜色").select_option("red")
            page.get_by_role("button", name="筛选").click()
            page.wait_for_load_state("networkidle")
            expect(page.locator("#warning-grid tbody tr")).to_have_count(1)
            story.shot(f"{name}-filtered-red")
            with page.expect_download() as download:
                page.get_by_role("link", name="导出预警（Excel）").click()
            content = download.value.path().read_bytes()
            book = load_workbook(io.BytesIO(content))
            rows = [r for r in book["预警汇总"].iter_rows(min_row=4, values_only=True) if r[0]]
            assert len(rows) == 1
            assert "红" in rows[0]
            assert story.console_errors == []
            assert story.failed_requests == []
        finally:
            context.close()
