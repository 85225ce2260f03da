"""The monitoring story in a real browser (issue 12, item 7): 文化广电旅游体育局's filer opens its July
2024 monitoring report (the demo's one late department: nothing typed yet), fills it in, sees a
row and the department turn red as it types a figure far behind time progress, gives the cause and
the measure, loses its session while typing and loses nothing, and submits; the finance bureau's
reviewer sees the department on the red list and red on the round page, returns the report with a comment on that row;
the department sees the comment, fixes the figure, attaches the evidence and submits again; the
bureau sees it green, with the evidence beside the version it came with, and accepts it.  The form is also checked at 390 px: nothing scrolls the page sideways.
"""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from web.browsing import ARTIFACTS, CHROMIUM, YEAR, Server, Story, checked, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "monitoring"
CODE = "wenlv"
DEPARTMENT = "揭阳市文化广电旅游体育局"
FILER = f"{CODE}_tianbao"
REVIEWER = "shenhe1"
EXPIRED = "登录已过期，请在新窗口登录后再保存"
#: 文化广电旅游体育局's indicators as of July: 1–7月完成值 (or tier), 全年预计完成值.  Row 1 is
#: behind (20 of 120 场 × 7/12 = 70 → v = 28.57: red); row 5 is a date not reached yet.
ON_COURSE = {
    1: ("20", "110"),
    2: ("0.7", "1.2"),
    3: ("4", "6"),
    4: ("100", "100"),
    5: ("", "2024-11-30"),
    6: ("1.4", "1.5"),
    7: ("47", "80"),
    8: ("达成", "达成"),
    9: ("92", "92"),
}
CAUSE_NOTE = "上半年送戏下乡剧团承接多项节庆演出，下乡场次安排不足。"
MEASURES = "第三季度起每月安排不少于15场下乡演出，并增加一个承接剧团。"
COMMENT = "送戏下乡场次落后较多，请核实1–7月实际场次并补充下半年排期。"


def _monitoring_pk(server: Server) -> int:
    database = sqlite3.connect(server.data_dir / "jixiao.sqlite3")
    try:
        (pk,) = database.execute(
            "SELECT f.id FROM jixiao_web_filing f JOIN jixiao_web_department d ON d.id = f.department_id "
            "WHERE d.code = ? AND f.year = ? AND f.kind = 'monitoring'",
            (CODE, YEAR),
        ).fetchone()
    finally:
        database.close()
    return int(pk)


def _evidence(folder: Path) -> Path:
    """A small real PDF, written by the library."""
    from jixiao.model import TargetTable
    from jixiao.write.pdf import write_pdf

    path = folder / "送戏下乡演出台账.pdf"
    path.write_bytes(
        write_pdf(
            TargetTable.model_validate({"title": "送戏下乡演出台账", "department": {"name": DEPARTMENT}})
        )
    )
    return path


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page scrolls sideways: {width} > {viewport}"


def _row(page: Page, number: int) -> Locator:
    return page.locator(f"#indicators tr.ind-row[data-row='{number}']")


def _fill(page: Page) -> None:
    """The money on time (60 % spent in seven months), the tasks, every indicator on course but row
    1's forecast, and the closing texts."""
    for row in page.locator("table.monitoring-funds tbody tr").all():
        initial = Decimal((row.locator("td.amount").text_content() or "0").strip())
        row.locator("input[data-field=adjusted_budget]").fill(str(initial))
        row.locator("input[data-field=executed]").fill(
            str((initial * Decimal("0.6")).quantize(Decimal("0.01")))
        )
        row.locator("input[data-field=forecast]").fill(str(initial))
    for task in page.locator("#tasks-key tr.task-row").all():
        amount = (task.locator("td.amount").text_content() or "").strip()
        executed = Decimal(amount) * Decimal("0.6") if re.fullmatch(r"\d+(\.\d+)?", amount) else Decimal(0)
        task.locator("input[name=task_executed]").fill(str(executed.quantize(Decimal("0.01"))))
        task.locator("textarea[name=task_progress]").fill("按计划推进。")
    for number, (to_date, forecast) in ON_COURSE.items():
        row = _row(page, number)
        tier = row.locator("select[name=ind_tier]")
        if tier.count():
            tier.select_option(to_date)
        elif to_date:
            row.locator("input[name=ind_to_date]").fill(to_date)
        row.locator("input[name=ind_forecast]").fill(forecast)
        row.locator("select[name=ind_likelihood]").select_option("确定能")
    page.locator("textarea[name=problems]").fill("送戏下乡场次进度偏慢。")
    page.locator("textarea[name=next_steps]").fill("第三季度加密下乡演出排期。")


def _save(page: Page, button: str = "保存") -> None:
    with page.expect_navigation(wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name=button, exact=True).click()


def test_monitoring_story(server: Server, browser: Browser, tmp_path: Path) -> None:
    shots = fresh_folder(SHOTS)
    pk = _monitoring_pk(server)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    story = Story(context.new_page(), server, shots=shots)
    try:
        _walk(story, browser, pk, tmp_path)
    finally:
        context.close()
    assert not story.console_errors, story.console_errors
    # A 401 while signed out is the page noticing (the live check, or the idle-session ping).
    noticing = re.compile(r"401 (POST .*/check/|GET .*/accounts/session/)$")
    assert [r for r in story.failed_requests if not noticing.match(r)] == []


def _walk(story: Story, browser: Browser, pk: int, folder: Path) -> None:
    page = story.page
    # 1. The bureau's round page: the department has not reported and the deadline has passed.
    story.log_in(REVIEWER)
    story.goto(f"/review/monitoring/?year={YEAR}")
    line = page.locator("#monitoring-queue tbody tr", has_text=DEPARTMENT)
    expect(line).to_contain_text("草稿")
    expect(line).to_contain_text("逾期")
    story.shot("01-round-late")
    story.log_out()

    # 2. The filer opens the report from the home page and fills it in.
    story.log_in(FILER)
    page.locator("#monitoring").get_by_role("link", name="填写").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_contain_text(DEPARTMENT)
    expect(page.locator("#department-warning")).not_to_have_text("红")
    story.shot("02-blank")
    checked(page, lambda: _fill(page))
    first = _row(page, 1)
    checked(page, lambda: first.locator("input[name=ind_to_date]").press("Tab"))

    # 3. Row 1 is far behind: red as it is typed, the department red, its causes asked for.
    expect(page.locator("[data-warning-row='1']")).to_have_text("红")
    expect(page.locator("[data-warning-row='1']")).to_have_class("warning-red")
    expect(page.locator("[data-why-row='1']")).to_contain_text("20")
    expect(page.locator("#department-warning")).to_have_text("红")
    expect(page.locator("[data-warning-row='2']")).to_have_text("绿")
    cause = page.locator("details[data-cause-row='1']")
    expect(cause).to_have_attribute("open", "")
    story.shot("03-red")
    first.locator("select[name=ind_likelihood]").select_option("有可能")
    cause.get_by_label("经费保障").check()
    cause.locator("textarea[name=ind_cause_note]").fill(CAUSE_NOTE)
    checked(page, lambda: cause.locator("textarea[name=ind_measures]").fill(MEASURES))
    expect(page.locator("#error-count")).to_have_text("0")
    _save(page)
    expect(story.message().last).to_contain_text("已保存")
    _phone(browser, story.server, pk)

    # 4. The session ends while the filer keeps typing: the save is held back, nothing is lost.
    page.context.clear_cookies(name="sessionid")
    checked(
        page, lambda: page.locator("textarea[name=problems]").fill("送戏下乡场次进度偏慢，剧团档期紧张。")
    )
    alert = page.locator("#session-alert")
    expect(alert).to_contain_text(EXPIRED)
    url = page.url
    with page.expect_response(lambda r: r.url.endswith("/check/")):
        page.locator(".toolbar").get_by_role("button", name="保存", exact=True).click()
    expect(alert).to_contain_text("刚才的保存没有发出")
    assert page.url == url
    expect(page.locator("textarea[name=problems]")).to_have_value("送戏下乡场次进度偏慢，剧团档期紧张。")
    story.shot("04-session-expired")
    other = Story(page.context.new_page(), story.server, shots=story.shots)
    other.log_in(FILER)
    other.page.close()
    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(alert).to_contain_text("已重新登录")
    _save(page)
    expect(story.message().last).to_contain_text("已保存")
    expect(page.locator("textarea[name=problems]")).to_have_value("送戏下乡场次进度偏慢，剧团档期紧张。")
    expect(_row(page, 1).locator("textarea[name=ind_measures]")).to_have_value(MEASURES)

    # 5. Submitted (late, but taken).
    _save(page, "保存并提交")
    expect(story.message().last).to_contain_text(re.compile(r"已提交第1版"))
    expect(page.locator("h1 .status")).to_have_text("已提交")
    story.shot("05-submitted")
    story.log_out()

    # 6. The bureau sees it on the red list of the warnings overview, with its cause and measure,
    # and red on the round page; it returns it with a comment on row 1.
    story.log_in(REVIEWER)
    story.goto(f"/review/monitoring/warnings/?year={YEAR}")
    entry = page.locator("#red-list .red-entry", has_text=DEPARTMENT)
    expect(entry.locator(".warning-red").first).to_have_text("红")
    expect(entry).to_contain_text(MEASURES)
    story.shot("06-red-list")
    story.goto(f"/review/monitoring/?year={YEAR}")
    line = page.locator("#monitoring-queue tbody tr", has_text=DEPARTMENT)
    expect(line.locator("td").nth(2)).to_have_text("绿")  # the budget: on time
    expect(line.locator("td").nth(3)).to_have_text("红")  # the department
    expect(line.locator("td").nth(3).locator("span")).to_have_class("warning-red")
    story.shot("06-round-red")
    with page.expect_navigation(wait_until="networkidle"):
        line.get_by_role("link", name="审核").click()
    expect(page.locator("[data-warning-row='1']")).to_have_text("红")
    expect(page.locator("#indicator-1")).to_contain_text(CAUSE_NOTE)
    _row(page, 1).get_by_text("写意见").click()
    _row(page, 1).get_by_label("绩效指标第1行的意见").fill(COMMENT)
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="退回修改").click()
    expect(story.message().last).to_contain_text("已退回")
    expect(page.locator("h1 .status")).to_have_text("退回修改")
    story.log_out()

    # 7. The department sees the return and its comment, fixes row 1 and submits again.
    story.log_in(FILER)
    expect(page.locator("#monitoring")).to_contain_text("退回修改")
    story.goto(f"/monitoring/{pk}/")
    expect(page.locator("ul.comments")).to_contain_text(COMMENT)
    story.shot("07-returned")
    # The 1–7月 performance log as evidence, attached to the version about to be submitted.
    page.get_by_label("上传佐证材料").set_input_files(_evidence(folder))
    with page.expect_navigation(wait_until="networkidle"):
        page.locator("#evidence").get_by_role("button", name="上传", exact=True).click()
    expect(page.locator("#evidence ul.evidence-current")).to_contain_text("送戏下乡演出台账.pdf")
    story.goto(f"/monitoring/{pk}/edit/")
    row = _row(page, 1)
    checked(page, lambda: row.locator("input[name=ind_to_date]").fill("75"))
    row.locator("input[name=ind_forecast]").fill("125")
    checked(page, lambda: row.locator("select[name=ind_likelihood]").select_option("确定能"))
    expect(page.locator("[data-warning-row='1']")).to_have_text("绿")
    expect(page.locator("#department-warning")).to_have_text("绿")
    _save(page, "保存并提交")
    expect(story.message().last).to_contain_text(re.compile(r"已提交第2版"))
    story.log_out()

    # 8. The bureau sees it green now and accepts it.
    story.log_in(REVIEWER)
    story.goto(f"/review/monitoring/?year={YEAR}")
    line = page.locator("#monitoring-queue tbody tr", has_text=DEPARTMENT)
    expect(line.locator("td").nth(3)).to_have_text("绿")
    with page.expect_navigation(wait_until="networkidle"):
        line.get_by_role("link", name="审核").click()
    # The evidence came with the second version only.
    expect(page.locator("#evidence ul[data-version='2']")).to_contain_text("送戏下乡演出台账.pdf")
    expect(page.locator("#evidence ul[data-version='1']")).to_contain_text("没有佐证材料")
    href = page.locator("#evidence ul[data-version='2'] a").get_attribute("href")
    assert href
    response = page.request.get(story.server.url + href)
    assert response.ok, response.status
    assert response.body().startswith(b"%PDF-")
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="审核确认").click()
    expect(story.message().last).to_contain_text("已确认")
    expect(page.locator("h1 .status")).to_have_text("已确认")
    story.shot("08-accepted")


def _phone(browser: Browser, server: Server, pk: int) -> None:
    """The form at 390 px: the tables scroll in their own boxes, never the page."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    story = Story(context.new_page(), server, shots=SHOTS)
    try:
        story.log_in(FILER)
        story.goto(f"/monitoring/{pk}/edit/")
        expect(story.page.locator("[data-warning-row='1']")).to_have_text("红")
        _no_sideways_scroll(story.page)
        story.shot("03b-phone-form")
    finally:
        context.close()
    assert not story.console_errors, story.console_errors
    assert story.failed_requests == [], story.failed_requests
