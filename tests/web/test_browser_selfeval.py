"""The self-evaluation story in a real browser (issue 11, item 8): 文化广电旅游体育局's filer opens
its 2024 self-evaluation (a draft nobody has typed in), fills the actuals, sees a row's score and the
total fall live when an actual is lowered, attaches a PDF as evidence and submits; the finance
bureau's reviewer re-scores one row with a written reason (复核), approves and publishes it (and the
department's target table, so that the year's page exists); an anonymous visitor finds it from
``/public/`` through the target table's page and downloads its PDF.  The form is also checked at
390 px: nothing scrolls the page sideways.
"""

from __future__ import annotations

import io
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest
from playwright.sync_api import Browser, Page, expect

from web.browsing import ARTIFACTS, CHROMIUM, YEAR, Server, Story, checked, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "selfeval"
CODE = "wenlv"
DEPARTMENT = "揭阳市文化广电旅游体育局"
FILER = f"{CODE}_tianbao"
REVIEWER = "shenhe1"
REASON = "场次统计只附了上半年的台账，按佐证不足扣分。"


def _filings(server: Server) -> tuple[int, int]:
    """The department's 2024 target table and self-evaluation (the demo's untouched draft)."""
    database = sqlite3.connect(server.data_dir / "jixiao.sqlite3")
    try:
        rows = dict(
            database.execute(
                "SELECT f.kind, f.id FROM jixiao_web_filing f JOIN jixiao_web_department d "
                "ON d.id = f.department_id WHERE d.code = ? AND f.year = ?",
                (CODE, YEAR),
            ).fetchall()
        )
    finally:
        database.close()
    return rows["target"], rows["selfeval"]


def _number(page: Page, selector: str) -> Decimal:
    return Decimal((page.locator(selector).text_content() or "").strip())


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page scrolls sideways: {width} > {viewport}"


def _evidence(folder: Path) -> Path:
    """A small real PDF, written by the library."""
    from jixiao.model import TargetTable
    from jixiao.write.pdf import write_pdf

    path = folder / "演出场次台账.pdf"
    path.write_bytes(
        write_pdf(TargetTable.model_validate({"title": "演出场次台账", "department": {"name": DEPARTMENT}}))
    )
    return path


def test_selfeval_story(server: Server, browser: Browser, tmp_path: Path) -> None:
    shots = fresh_folder(SHOTS)
    target, pk = _filings(server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    story = Story(context.new_page(), server, shots=shots)
    try:
        _walk(story, browser, target, pk, tmp_path)
    finally:
        context.close()
    assert not story.console_errors, story.console_errors
    assert story.failed_requests == [], story.failed_requests


def _fill(page: Page) -> None:
    """Every actual the department reports: money as budgeted, every target met."""
    for kind in ("total", "fiscal", "other"):
        row = page.locator("table.selfeval-funds tbody tr").nth(("total", "fiscal", "other").index(kind))
        initial = (row.locator("td.amount").text_content() or "").strip()
        initial = initial if re.fullmatch(r"\d+(\.\d+)?", initial) else "0"
        page.locator(f"input[name=funds_{kind}_annual_budget]").fill(initial)
        page.locator(f"input[name=funds_{kind}_executed]").fill(initial)
    page.locator("textarea[name=funds_reason]").fill("年度预算按计划执行，未作调整。")
    page.get_by_label("实际完成情况").fill(
        "全年组织送戏下乡、农村公益电影放映和群众文化活动，新建城市书房，按计划完成年度总体目标。"
    )
    for task in page.locator("#tasks-key tr.task-row").all():
        amount = (task.locator("td.amount").text_content() or "").strip()
        task.locator("input[name=task_executed]").fill(
            amount if re.fullmatch(r"\d+(\.\d+)?", amount) else "0"
        )
        task.locator("textarea[name=task_progress]").fill("已按年度计划实施完成。")
    for row in page.locator("#indicators tr.ind-row").all():
        tier = row.locator("select[name=ind_tier]")
        if tier.count():
            tier.select_option("达成")
            continue
        target = (row.locator("td[data-label=年度指标值]").text_content() or "").strip()
        # The value without its comparator and unit (the unit has its own column): 120, 2024-11-30.
        value = re.match(r"[\d.-]+", target.lstrip("≥≤=<>"))
        assert value is not None, target
        row.locator("input[name=ind_actual]").fill(value.group())
    page.locator("textarea[name=conclusion]").fill("年度目标全部完成，资金按计划使用。")
    page.locator("textarea[name=problems]").fill("部分基层场馆利用率仍不均衡。")
    page.locator("textarea[name=improvements]").fill("下一年度加强基层场馆的调度与宣传。")


def _walk(story: Story, browser: Browser, target: int, pk: int, folder: Path) -> None:
    page = story.page
    # 1. The filer opens the draft from the home page and fills it: every row scores in full.
    story.log_in(FILER)
    page.locator("main").get_by_role("link", name="填写").and_(
        page.locator(f"a[href='/selfeval/{pk}/edit/']")
    ).click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text(DEPARTMENT)
    assert _number(page, "#total-score") == 0
    story.shot("01-draft")
    checked(page, lambda: _fill(page))
    first = page.locator("#indicators tr.ind-row").first
    checked(page, lambda: first.locator("input[name=ind_actual]").press("Tab"))
    expect(page.locator("#total-score")).to_have_text("100.00")
    expect(page.locator("#total-grade")).to_have_text("优")
    full = _number(page, "[data-score-row='1']")
    total = _number(page, "#total-score")
    assert full > 0
    story.shot("02-filled")

    # 2. Lowering row 1's actual below its target lowers its score and the total, as one types.
    wanted = Decimal(first.locator("input[name=ind_actual]").input_value())
    lowered = (wanted / 2).quantize(Decimal(1))
    checked(page, lambda: first.locator("input[name=ind_actual]").fill(str(lowered)))
    expect(page.locator("[data-score-row='1']")).not_to_have_text(str(full))
    row_score = _number(page, "[data-score-row='1']")
    assert row_score < full
    assert _number(page, "#total-score") == total - (full - row_score)
    expect(page.locator("[data-why-row='1']")).to_contain_text(str(lowered))
    first.locator("textarea[name=ind_deviation]").fill("受场馆维修影响，下半年演出场次减少；已调整来年排期。")
    story.shot("03-lowered")
    with page.expect_navigation(wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name="保存", exact=True).click()
    expect(story.message().last).to_contain_text("保存")
    _phone(browser, story.server, pk, story.shots)

    # 3. On the self-evaluation's page: the evidence, then 提交.
    story.goto(f"/selfeval/{pk}/")
    page.get_by_label("上传佐证材料").set_input_files(_evidence(folder))
    with page.expect_navigation(wait_until="networkidle"):
        page.locator("#evidence").get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("#evidence li a", has_text="演出场次台账.pdf")).to_be_visible()
    story.shot("04-evidence")
    with page.expect_navigation(wait_until="networkidle"):
        page.locator(".actions").get_by_role("button", name=re.compile("提交")).click()
    expect(story.message().last).to_contain_text(re.compile(r"第\d+版"))
    expect(page.locator("h1 .status")).to_have_text("已提交")
    story.shot("05-submitted")
    story.log_out()

    # 4. The reviewer: 复核 of row 1 with a reason, then 审核通过.
    story.log_in(REVIEWER)
    story.goto(f"/review/{pk}/")
    expect(page.locator("section.box", has_text="佐证材料")).to_contain_text("演出场次台账.pdf")
    before = _number(page, "#total-score")
    row = page.locator("#indicator-1")
    row.get_by_text("复核得分").first.click()
    reviewed = row_score - 1
    row.get_by_label("复核得分", exact=True).fill(str(reviewed))
    row.get_by_label("复核理由（部门可见）").fill(REASON)
    with page.expect_navigation(wait_until="networkidle"):
        row.get_by_role("button", name="保存复核").click()
    expect(page.locator("[data-reviewed-row='1']")).to_contain_text(REASON)
    expect(page.locator("#total-score")).to_have_text(str(before - 1))
    story.shot("06-rescored")
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="审核通过").click()
    expect(story.message().last).to_contain_text("通过")

    # 5. Published, with the department's target table of the year.
    for filing in (pk, target):
        story.goto(f"/review/{filing}/")
        with page.expect_navigation(wait_until="networkidle"):
            page.locator("#publish-form").get_by_role("button").click()
        expect(story.message().last).to_contain_text("发布")
    story.shot("07-published")
    story.log_out()

    # 6. Anyone: /public/ → the target table's page → the self-evaluation → its PDF.  (The index
    # lists the year's self-evaluations too, after its target tables.)
    story.goto("/public/")
    year = page.locator("section", has_text=f"{YEAR}年度")
    expect(year.locator(f"a[href='/public/{YEAR}/{CODE}/selfeval/']")).to_have_text(DEPARTMENT)
    year.locator(f"a[href='/public/{YEAR}/{CODE}/']").click()
    page.wait_for_load_state("networkidle")
    link = page.locator("p.selfeval-link a")
    expect(link).to_contain_text(str(before - 1))
    link.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#total-score")).to_have_text(str(before - 1))
    expect(page.locator("[data-reviewed-row='1']")).to_contain_text(REASON)
    story.shot("08-public")
    # The PDF opens in the browser (served inline): fetched as the page's link gives it.
    link = page.locator("p.downloads").get_by_role("link", name=re.compile("PDF"))
    href = link.get_attribute("href")
    assert href
    response = page.request.get(story.server.url + href)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/pdf")
    pdf = response.body()
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    (story.shots / "09-public.pdf").write_bytes(pdf)
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = "".join(page_.extract_text() or "" for page_ in document.pages)
    assert DEPARTMENT in text
    assert f"自评总分 {before - 1} " in text  # the reviewed score counts in the file too


def _phone(browser: Browser, server: Server, pk: int, shots: Path) -> None:
    """The form at 390 px: the tables scroll in their own boxes, never the page."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    story = Story(context.new_page(), server, shots=shots)
    try:
        story.log_in(f"{CODE}_tianbao")
        story.goto(f"/selfeval/{pk}/edit/")
        expect(story.page.locator("#total-score")).not_to_have_text("0")
        _no_sideways_scroll(story.page)
        story.shot("03b-phone-form")
    finally:
        context.close()
    assert not story.console_errors, story.console_errors
    assert story.failed_requests == [], story.failed_requests
