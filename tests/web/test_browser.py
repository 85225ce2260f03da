"""The whole story in a real browser: a department files its 2024 table, the finance bureau returns
it with a comment, the department fixes it, the bureau approves and publishes it, the public
downloads it.

Chromium (Debian's ``/usr/bin/chromium``) is driven by Playwright against a real ``jixiao serve
--demo`` started on a free port with its own data dir.  A full-page screenshot of every step is kept
in ``test-artifacts/browser/`` at the repository root.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from playwright.sync_api import Browser, Page, expect

from web.browsing import (  # the helpers; the fixtures browser and server are in conftest
    ARTIFACTS,
    CHROMIUM,
    DEPARTMENT,
    YEAR,
    Server,
    Story,
    add_indicator,
    add_task,
    checked,
    issue_beside,
    wait_until,
)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


GOAL = (
    "1、做好揭阳市重点化工项目安全审查专家技术服务，第三方机构审查不少于4个项目，"
    "确保重点化工项目安全审查全覆盖。\n"
    "2、保障应急指挥信息系统综合运维，系统监测预警时段达7*24小时，应急处置到达时间不超过3小时。\n"
    "3、开展应急管理宣传培训，群众满意度不低于90%。"
)


# --- the story --------------------------------------------------------------------------------------


def test_filing_review_publish_story(server: Server, browser: Browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.pdf")]:
        old.unlink()
    pages: list[Page] = []
    try:
        _walk_the_story(server, browser, pages)
    except BaseException:
        # Keep the page as it was when the story broke off.
        for page in pages:
            if not page.is_closed():
                with contextlib.suppress(Exception):
                    page.screenshot(path=str(ARTIFACTS / "failed.png"), full_page=True)
        raise


def _walk_the_story(server: Server, browser: Browser, pages: list[Page]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    story = Story(context.new_page(), server)
    pages.append(story.page)
    page = story.page

    # 1. The filer starts the 2024 table from a blank one and fills it in.
    story.log_in("yingji_tianbao")
    expect(page.locator("main > h1")).to_contain_text(DEPARTMENT)
    start = page.locator("section.start", has_text=f"{YEAR}年度")
    expect(start).to_be_visible()
    story.shot("01-filer-home")
    with page.expect_navigation(url=re.compile(r"/filings/\d+/edit/$"), wait_until="networkidle"):
        start.get_by_role("button", name="从空白表开始").click()
    edit_url = page.url
    pk = int(re.search(r"/filings/(\d+)/edit/", edit_url).group(1))  # type: ignore[union-attr]
    expect(story.message()).to_contain_text(f"已创建{YEAR}年度目标表")
    expect(page.locator("input[name=department_name]")).to_have_value(DEPARTMENT)
    # A blank table has findings from the start (the page fetches them once loaded).
    expect(page.locator("#findings li.error").first).to_be_visible()
    story.shot("02-blank-table")

    page.locator("input[name=department_staff_count]").fill("43")
    page.locator("input[name=department_subordinate_unit_count]").fill("0")
    page.locator("input[name=budget_basic_expenditure]").fill("800")
    page.locator("input[name=budget_project_expenditure]").fill("300")
    page.locator("input[name=budget_fiscal_appropriation]").fill("1100")
    page.locator("input[name=budget_other_funds]").fill("0")
    page.get_by_label("总体绩效目标").fill(GOAL)
    expect(page.locator("#save-state")).to_have_text("有未保存的修改")

    # A key task of 200 against 项目支出 300: the total line says so as one types, and the
    # finding appears beside 项目支出.
    total = page.locator("#task-total")
    checked(
        page,
        lambda: add_task(
            page,
            "key",
            "揭阳市重点化工项目（企业）安全审查、安全检查专家技术服务",
            "对重点化工项目有关建设项目安全审查、企业安全检查提供专家技术服务。",
            "200",
        ),
    )
    expect(total).to_have_text(re.compile(r"合计 200 万元，项目支出 300 万元，相差 100 万元"))
    expect(total).to_have_class(re.compile(r"\bmismatch\b"))
    mismatch = issue_beside(page, "project-expenditure-mismatch")
    expect(mismatch).to_be_visible()
    expect(mismatch).to_contain_text("相差 100")
    expect(page.locator("input[name=budget_project_expenditure]")).to_have_class(re.compile(r"\bhas-error\b"))
    story.shot("03-task-total-mismatch")

    # An amount that is not one: the total line counts it, the finding sits under the field.
    row = page.locator("#tasks-key tr.task-row").first
    checked(page, lambda: row.get_by_label("拟投入金额（万元）").fill("二百"))
    expect(total).to_contain_text("1 个金额无法识别")
    expect(row.locator(".field-issue[data-code='amount-invalid']")).to_contain_text("不是有效金额")
    checked(page, lambda: row.get_by_label("拟投入金额（万元）").fill("200"))
    expect(row.locator(".field-issue")).to_have_count(0)

    # An 其他任务 of 100 makes it add up.
    checked(
        page,
        lambda: add_task(
            page, "other", "应急指挥信息系统综合运维服务", "保障应急指挥中心信息系统平稳运行。", "100.00"
        ),
    )
    expect(total).to_have_text(re.compile(r"合计 300 万元，项目支出 300 万元，一致"))
    expect(total).to_have_class(re.compile(r"\bmatch\b"))
    expect(mismatch).to_have_count(0)

    # Indicators, one with a value that is no number, after a row left blank for now (the server
    # skips blank rows, so its row 1 is the page's second row).
    indicators = page.locator("#indicators tr.ind-row")
    page.get_by_role("button", name="＋ 添加指标").click()
    add_indicator(page, "产出指标", "数量指标", "安全审查项目数", "≥", "若干", "个")
    add_indicator(page, "产出指标", "质量指标", "应急预案编制率", "=", "100", "%")
    add_indicator(page, "产出指标", "时效指标", "应急处置到达时间", "≤", "3", "小时")
    add_indicator(page, "产出指标", "成本指标", "项目支出控制数", "≤", "300", "万元")
    add_indicator(page, "效益指标", "社会效益指标", "抢险救灾率", "=", "100", "%")
    checked(
        page, lambda: add_indicator(page, "满意度指标", "服务对象满意度指标", "群众满意度", "≥", "90", "%")
    )
    expect(indicators.locator("td.seq")).to_have_text([str(n) for n in range(1, 8)])
    bad = indicators.nth(1)
    invalid = bad.locator(".field-issue[data-code='target-value-invalid']")
    expect(invalid).to_be_visible()
    expect(invalid).to_contain_text("若干")
    expect(bad.get_by_label("指标值", exact=True)).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.locator("#indicators .field-issue")).to_have_count(1)
    story.shot("04-indicator-value-invalid")
    # The blank row goes; the rows are numbered again and the finding stays with its row.
    checked(page, lambda: indicators.first.get_by_role("button", name="删除此行").click())
    expect(indicators.locator("td.seq")).to_have_text([str(n) for n in range(1, 7)])
    bad = indicators.first
    expect(bad.get_by_label("三级指标", exact=True)).to_have_value("安全审查项目数")
    invalid = bad.locator(".field-issue[data-code='target-value-invalid']")
    expect(invalid).to_be_visible()
    checked(page, lambda: bad.get_by_label("指标值", exact=True).fill("4"))
    expect(invalid).to_have_count(0)
    expect(page.locator("#error-count")).to_have_text("0")
    expect(page.locator("#table-form .field-issue.error")).to_have_count(0)

    # Leaving with unsaved changes asks first; staying keeps what was typed.
    story.on_beforeunload = "dismiss"
    page.locator(".toolbar").get_by_role("link", name="返回").click()
    wait_until(page, lambda: story.dialogs.count("beforeunload") == 1)
    assert page.url == edit_url
    expect(page.get_by_label("总体绩效目标")).to_have_value(GOAL)
    story.on_beforeunload = "accept"
    story.shot("05-filled-in")

    # Save: no unsaved-changes dialog on the way.
    with page.expect_navigation(url=edit_url, wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name="保存", exact=True).click()
    expect(story.message()).to_contain_text("已保存（第")
    expect(story.message()).to_contain_text("错误 0 条")
    expect(page.locator("#tasks-key tr.task-row")).to_have_count(1)
    expect(page.locator("#tasks-other tr.task-row")).to_have_count(1)
    expect(page.locator("#indicators tr.ind-row")).to_have_count(6)
    expect(page.locator("input[name=task_amount]").last).to_have_value(re.compile(r"^100(\.0*)?$"))
    expect(total).to_contain_text("一致")
    story.shot("06-saved")
    with page.expect_navigation(url=re.compile(rf"/filings/{pk}/$"), wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name="保存并提交").click()
    expect(story.message().last).to_contain_text("已提交第1版，等待财政局审核")
    expect(page.locator("main > h1 .status")).to_have_text("已提交")
    story.shot("07-submitted")
    assert story.dialogs.count("beforeunload") == 1, story.dialogs

    # 2. The reviewer returns it with a comment on an indicator and grade 中.
    story.log_out()
    story.log_in("shenhe1")
    story.goto(f"/review/?year={YEAR}")
    queue_row = page.locator("table.queue tbody tr", has_text=DEPARTMENT)
    expect(queue_row.locator(".status")).to_have_text("已提交")
    story.shot("08-review-queue")
    with page.expect_navigation(url=re.compile(rf"/review/{pk}/$"), wait_until="networkidle"):
        queue_row.get_by_role("link", name="审核").click()
    expect(page.locator("main > h1")).to_contain_text(DEPARTMENT)
    expect(page.get_by_text("这是第一次提交，没有可比较的版本。")).to_be_visible()
    comment = "数量指标请写明审查项目的具体个数，与总体目标中的“不少于4个”一致，建议不少于5个。"
    page.locator("li.review-row[data-section=indicators][data-row='1'] summary").click()  # review: boxes fold
    page.get_by_label("绩效指标第1行的意见").fill(comment)
    page.locator("fieldset.grades input[name=grade][value='中']").check()
    story.shot("09-review-return")
    with page.expect_navigation(url=re.compile(r"/review/(\?.*)?$"), wait_until="networkidle"):
        page.get_by_role("button", name="退回修改").click()
    expect(story.message()).to_contain_text("已退回部门修改")
    expect(queue_row.locator(".status")).to_have_text("退回修改")
    story.shot("10-returned")

    # 3. The filer sees the comment, fixes the row and resubmits.
    story.log_out()
    story.log_in("yingji_tianbao")
    home_row = page.locator("table.list tbody tr", has_text=str(YEAR))
    expect(home_row.locator(".status")).to_have_text("退回修改")
    with page.expect_navigation(url=edit_url, wait_until="networkidle"):
        home_row.get_by_role("link", name="编辑").click()
    comments = page.locator("ul.comments li")
    expect(comments).to_have_count(1)
    expect(comments.first).to_contain_text(comment)
    expect(comments.first).to_contain_text("第1版")
    story.shot("11-comment-seen")
    first = page.locator("#indicators tr.ind-row").first
    checked(page, lambda: first.get_by_label("指标值", exact=True).fill("5"))
    expect(page.locator("#error-count")).to_have_text("0")
    with page.expect_navigation(url=re.compile(rf"/filings/{pk}/$"), wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name="保存并提交").click()
    expect(story.message().last).to_contain_text("已提交第2版")
    story.shot("12-resubmitted")
    assert story.dialogs.count("beforeunload") == 1, story.dialogs

    # 4. The reviewer sees what changed, approves with 优 and publishes.
    story.log_out()
    story.log_in("shenhe1")
    story.goto(f"/review/{pk}/")
    diff = page.locator("table.diff")
    expect(diff).to_be_visible()
    expect(diff.locator("thead")).to_contain_text("第1版")
    expect(diff.locator("thead")).to_contain_text("第2版")
    changed = diff.locator("tbody tr", has=page.locator("del", has_text="4"))
    expect(changed.first.locator("ins")).to_contain_text("5")
    page.locator("fieldset.grades input[name=grade][value='优']").check()
    story.shot("13-review-diff")
    with page.expect_navigation(url=re.compile(r"/review/(\?.*)?$"), wait_until="networkidle"):
        page.get_by_role("button", name="审核通过").click()
    expect(story.message()).to_contain_text("已审核通过（优）")
    expect(queue_row.locator(".status")).to_have_text("已审核")
    with page.expect_navigation(url=re.compile(rf"/review/{pk}/$"), wait_until="networkidle"):
        queue_row.get_by_role("link", name="查看").click()
    expect(page.locator("main > h1 .grade")).to_contain_text("优")
    story.shot("14-approved")
    with page.expect_navigation(url=re.compile(rf"/public/{YEAR}/yingji/$"), wait_until="networkidle"):
        page.get_by_role("button", name="发布").click()
    expect(story.message()).to_contain_text("已发布")
    story.shot("15-published")
    context.close()

    # 5. Anyone finds it on the portal and downloads the PDF.
    public = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    visitor = Story(public.new_page(), server)
    pages.append(visitor.page)
    page = visitor.page
    visitor.goto("/public/")
    expect(page.locator("header.top")).to_contain_text("登录")
    year_section = page.locator("section", has=page.locator("h2", has_text=f"{YEAR}年度"))
    link = year_section.get_by_role("link", name=DEPARTMENT)
    expect(link).to_be_visible()
    visitor.shot("16-public-index")
    with page.expect_navigation(url=re.compile(rf"/public/{YEAR}/yingji/$"), wait_until="networkidle"):
        link.click()
    official = page.locator("article.official")
    expect(official).to_contain_text(DEPARTMENT)
    expect(official).to_contain_text("安全审查项目数")
    expect(page.locator("p.downloads")).to_contain_text("第2版")
    visitor.shot("17-public-table")
    href = page.locator("p.downloads a[data-format=pdf]").get_attribute("href")
    assert href
    response = page.request.get(server.url + href if href.startswith("/") else href)
    assert response.ok, response.status
    assert response.headers["content-type"].startswith("application/pdf")
    pdf = response.body()
    assert pdf.startswith(b"%PDF"), pdf[:20]
    assert len(pdf) > 5_000, len(pdf)
    (ARTIFACTS / "18-download.pdf").write_bytes(pdf)
    public.close()

    for walker in (story, visitor):
        assert not walker.console_errors, walker.console_errors
        assert not walker.failed_requests, walker.failed_requests
    # review: 退回, 审核通过 and 发布 are each confirmed first.
    assert story.dialogs == ["beforeunload", "confirm", "confirm", "confirm"], story.dialogs
