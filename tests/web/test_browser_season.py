"""The filing season in a real browser: the bureau opens its queue on the work waiting, looks at the
year's progress and downloads the year as one workbook; a department imports last year's file into
this year and prints its draft to sign.  At 1280 px and on a 390 × 844 phone; screenshots in
``test-artifacts/browser/season/``."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, ViewportSize, expect

from web.browsing import ARTIFACTS, CHROMIUM, YEAR, Server, Story, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "season"
SEED_XLSX = Path(__file__).parent.parent / "fixtures" / "office" / "seed.jixiao.xlsx"  # 应急管理局 2023
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def _story(browser: Browser, server: Server, viewport: ViewportSize) -> Story:
    context = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
    return Story(context.new_page(), server, shots=SHOTS)


def _fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling of the whole page."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None
    assert width <= page.viewport_size["width"], width


def test_bureau_queue_progress_and_workbook(server: Server, browser: Browser) -> None:
    fresh_folder(SHOTS)
    story = _story(browser, server, DESKTOP)
    page = story.page
    story.log_in("shenhe1")
    story.goto("/review/")
    # The demo's 2024 has 卫生健康局's table waiting: the queue opens there, what waits first.
    expect(page.locator("h1")).to_have_text(f"{YEAR}年度目标表审核队列")
    expect(page.locator("nav.tabs a.current")).to_have_text("全部（9）")
    expect(page.locator("table.queue tbody tr")).to_have_count(9)
    expect(page.locator("table.queue tbody tr").first).to_contain_text("揭阳市卫生健康局")
    page.get_by_role("link", name="待审核（1）").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody")).to_contain_text("揭阳市卫生健康局")
    story.shot("queue-1280")
    page.get_by_role("link", name="全部（9）").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(9)
    page.get_by_label("部门").fill("农业")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator("table.queue tbody")).to_contain_text("揭阳市农业农村局")

    page.get_by_role("link", name=f"{YEAR}年度填报进度").click()
    expect(page.locator("h1")).to_have_text(f"{YEAR}年度填报进度")
    expect(page.locator("svg.chart rect.bar")).to_have_count(7)
    rows = page.locator("table.figures-table tbody tr")
    expect(rows).to_have_count(7)
    expect(page.locator("table.figures-table tfoot")).to_contain_text("9")
    story.shot("progress-1280")

    with page.expect_download() as download:
        page.get_by_role("link", name="导出全部部门最新收到的目标表（Excel）").click()
    content = Path(download.value.path()).read_bytes()
    book = load_workbook(io.BytesIO(content))
    # Received by the bureau in the demo: 卫生健康局 (submitted), 交通运输局 (returned),
    # 民政局, 农业农村局, 文化广电旅游体育局 (approved), 自然资源局 (published); not the drafts
    # nor the head's.
    assert book.sheetnames == [
        "汇总",
        "揭阳市卫生健康局",
        "揭阳市交通运输局",
        "揭阳市民政局",
        "揭阳市农业农村局",
        "揭阳市文化广电旅游体育局",
        "揭阳市自然资源局",
    ]

    # The year's self-evaluations: sorted by score on the server, two charts, one workbook.
    story.goto(f"/review/selfeval/?year={YEAR}")
    page.get_by_role("link", name="总分").click()
    page.get_by_role("link", name="总分（升序）").click()
    expect(page.locator("th[aria-sort=descending]")).to_have_text("总分（降序）")
    expect(page.locator("#selfeval-queue tbody tr").first).to_contain_text("揭阳市民政局")
    expect(page.locator("#grade-distribution svg.chart rect.bar")).to_have_count(5)
    expect(page.locator("#scores-by-department svg.chart rect.bar")).to_have_count(3)
    story.shot("selfeval-overview-1280")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出全部部门自评结果（Excel）").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    # 民政局 (returned, 99.36), 农业农村局 (approved, 90.74 after the bureau's review), 自然资源局 (submitted, 89.05).
    assert book.sheetnames == ["汇总", "揭阳市民政局", "揭阳市农业农村局", "揭阳市自然资源局"]
    assert story.console_errors == []
    assert story.failed_requests == []

    phone = _story(browser, server, PHONE)
    phone.log_in("shenhe1")
    phone.goto(f"/review/?year={YEAR}&tab=waiting")
    expect(phone.page.locator("table.queue tbody tr")).to_have_count(1)
    _fits(phone.page)
    phone.shot("queue-390")
    phone.goto(f"/review/progress/?year={YEAR}")
    _fits(phone.page)
    phone.shot("progress-390")
    phone.goto(f"/review/selfeval/?year={YEAR}&sort=-total")
    _fits(phone.page)
    # The table keeps its columns and scrolls sideways in its own box.
    box = phone.page.locator("div.scroll-box:has(#selfeval-queue)")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    phone.shot("selfeval-overview-390")
    assert phone.console_errors == []


def test_department_imports_last_years_file_and_prints_to_sign(server: Server, browser: Browser) -> None:
    story = _story(browser, server, PHONE)
    page = story.page
    story.log_in("yingji_tianbao")  # 应急管理局: its 2023 table is published, 2024 not started
    story.goto("/filings/upload/")
    expect(page.get_by_label("年度").locator("option")).to_have_count(1)  # 2023 is closed
    page.get_by_label("文件").set_input_files(str(SEED_XLSX))
    page.get_by_role("button", name="读取并预览").click()
    expect(page.locator(".upload-confirm")).to_contain_text("文件中的目标表是2023年度的")
    expect(page.locator("ul.carried")).to_contain_text("2023年度综合运维服务项目")
    _fits(page)
    story.shot("upload-preview-390")
    confirm = page.get_by_role("button", name=f"确认导入为揭阳市应急管理局{YEAR}年度目标表")
    confirm.click()  # the box is not ticked: the browser itself asks for it
    assert "/filings/upload/" in page.url
    page.get_by_label(f"移到{YEAR}年度").check()
    with page.expect_navigation():
        confirm.click()
    assert page.url.endswith("/edit/")
    filing_page = page.url.removesuffix("edit/")

    page.set_viewport_size(DESKTOP)
    story.goto(filing_page.removeprefix(server.url))
    page.get_by_label("单位负责人").fill("王明")
    page.get_by_label("填报人").fill("李华")
    page.get_by_label("联系电话").fill("0663-8231234")
    page.get_by_role("button", name="保存联系信息").click()
    expect(story.message()).to_contain_text("已保存签章联系信息")
    story.shot("filing-contact-1280")
    link = page.get_by_role("link", name="打印签章（PDF，草稿）")
    response = page.request.get(server.url + (link.get_attribute("href") or ""))
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    (SHOTS / "draft-to-sign.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    for line in (
        "填报单位（盖章）",
        "揭阳市应急管理局",
        "单位负责人",
        "王明",
        "李华",
        "0663-8231234",
        "填报日期",
        "草稿",
    ):
        assert line in text
    # The filing page prints as the table alone.
    page.emulate_media(media="print")
    expect(page.locator("form.contact-form")).to_be_hidden()
    expect(page.locator(".official table").first).to_be_visible()
    assert story.console_errors == []
