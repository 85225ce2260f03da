"""The finance bureau's monitoring warnings overview in Chromium, at desktop width and on a phone
(390 px): the red list before the grid, colours always with their words, the grid scrolling inside its
own box (the page never sideways), the red list stacking, the chart drawn, a filter applied, the
export downloaded.

The demo city has no monitoring round; the test opens one (July 2024) and files the departments'
reports through ``jixiao manage shell`` on the server's own data directory, one of them red.

Screenshots: ``test-artifacts/browser/monitoring-overview/``.
"""

from __future__ import annotations

import io
import os
import subprocess

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, expect

from web.browsing import ARTIFACTS, CHROMIUM, JIXIAO, Server, Story, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "monitoring-overview"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

#: Opens July 2024's round and files every report made: on track, the first one's first number
#: row far behind (red) with its cause and measure; prints the departments submitted.
FILE_REPORTS = """
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from jixiao.model.monitoring import MonitoringReport
from jixiao.profile import VARIANTS
from jixiao.scoring import read_target
from jixiao_web import monitoring, services
from jixiao_web.audit import Actor
from jixiao_web.models import Role, User

reviewer = Actor(User.objects.get(username="shenhe1"), "127.0.0.1")
made = monitoring.open_round(reviewer, 2024, 7, VARIANTS["默认"], timezone.now() + timedelta(days=20)).made
red_done = False
for filing in made:
    filer = Actor(User.objects.filter(department=filing.department, role=Role.FILER).first(), "127.0.0.1")
    report = MonitoringReport.model_validate(filing.data)
    data = report.model_dump(mode="json")
    for name in ("total", "basic", "project", "fiscal", "other"):
        row = data["funds"][name]
        if row["initial_budget"] is not None:
            row["adjusted_budget"] = row["forecast"] = row["initial_budget"]
            row["executed"] = str(Decimal(row["initial_budget"]) * Decimal("0.6"))  # exact: sums still add up
    for indicator, row in zip(report.approved.indicators, data["indicators"]):
        target = read_target(indicator, 2024)
        row["likelihood"] = "确定能"
        if target.kind == "qualitative":
            row["tier"], row["forecast"] = "达成", "达成"
        elif target.kind == "number":
            row["to_date"] = row["forecast"] = format(target.value, "f")
            row["stock"] = True
        else:
            row["year_end"], row["year_end_reason"] = True, "该指标年底才能测评。"
            row["forecast"] = indicator.value
    if not red_done:
        for indicator, row in zip(report.approved.indicators, data["indicators"]):
            if row.get("stock") and indicator.comparator in ("≥", "="):
                row.update(to_date="0", likelihood="有可能", causes=["经费保障"],
                           cause_note="上半年检查经费尚未下达，检查推迟到下半年。", measures="经费下达后集中开展检查。")
                red_done = True
                break
    saved, found = monitoring.save(filer, filing, monitoring.merged(filing, data), filing.revision)
    try:
        services.submit(filer, saved)
        print("SUBMITTED", filing.department.name)
    except services.NotSubmittable as refused:
        print("REFUSED", filing.department.name, refused.report.codes())
"""

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


def _file_reports(server: Server) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [str(JIXIAO), "manage", "--data-dir", str(server.data_dir), "shell", "-c", FILE_REPORTS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [line.split(" ", 1)[1] for line in result.stdout.splitlines() if line.startswith("SUBMITTED ")]


def test_the_overview_at_desktop_and_on_a_phone(server: Server, browser: Browser) -> None:
    fresh_folder(SHOTS)
    submitted = _file_reports(server)
    assert len(submitted) >= 2, submitted
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
            expect(red.first).to_contain_text("经费保障：上半年检查经费尚未下达")
            expect(red.first).to_contain_text("经费下达后集中开展检查。")
            order = page.evaluate("() => [...document.querySelectorAll('section[id]')].map((s) => s.id)")
            assert order.index("red-list") < order.index("warning-grid") < order.index("execution-chart")
            grid_rows = page.locator("#warning-grid tbody tr")
            assert grid_rows.count() >= len(submitted)
            words = page.evaluate(
                "() => [...document.querySelectorAll('#warning-grid tbody span')].map((s) => [s.className, s.textContent])"
            )
            allowed = {"红", "黄", "绿", "蓝", "未定"}
            assert all(text.split("含")[0] in allowed or text.startswith("含蓝") for _, text in words)
            assert any(cls == "warning-red" and text == "红" for cls, text in words)
            expect(page.locator("#execution-chart svg circle")).to_have_count(len(submitted))
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
