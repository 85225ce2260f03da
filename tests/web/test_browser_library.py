"""The indicator library (指标库) in a real browser: a filer types a 三级指标, the library's
suggestions open under the field, the keyboard chooses one and the row is filled (and checked); the
finance bureau marks an entry on its library page, and the filer then sees the bureau's warning.

Screenshots (1280 px and a 390 × 844 phone) go to ``test-artifacts/browser/library/``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from web.browsing import ARTIFACTS, CHROMIUM, Server, Story, checked, fresh_folder, wait_until

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "library"
FILER = "jiaoyu_tianbao"  # 揭阳市教育局: a 2024 draft in the demo
REVIEWER = "shenhe1"
PHONE = {"width": 390, "height": 844}


def _open_draft(story: Story) -> None:
    story.log_in(FILER)
    story.goto("/")
    with story.page.expect_navigation(wait_until="networkidle"):
        story.page.get_by_role("link", name="编辑").first.click()
    expect(story.page.locator("#table-form")).to_be_visible()


def _new_row(page: Page, level1: str, level2: str) -> tuple[Locator, Locator]:
    rows = page.locator("#indicators tr.ind-row")
    index = rows.count()
    page.get_by_role("button", name="＋ 添加指标").click()
    row = rows.nth(index)
    row.get_by_label("一级指标").select_option(level1)
    expect(row.get_by_label("二级指标").locator("option", has_text=level2)).to_have_count(1)
    row.get_by_label("二级指标").select_option(level2)
    return row, row.get_by_label("三级指标", exact=True)


def _no_trouble(story: Story) -> None:
    assert story.console_errors == []
    assert story.failed_requests == []


def test_typing_an_indicator_offers_the_library_and_fills_the_row(server: Server, browser: Browser) -> None:
    fresh_folder(SHOTS)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    story = Story(page, server, shots=SHOTS)
    _open_draft(story)

    # A 质量指标 row: "编制" finds the indicator the city's approved tables use.
    row, name = _new_row(page, "产出指标", "质量指标")
    name.press_sequentially("编制")
    listbox = page.get_by_role("listbox", name="指标库建议")
    expect(listbox).to_be_visible()
    option = listbox.get_by_role("option").filter(has_text="编制应急预案率").first
    expect(option).to_contain_text("个部门使用")
    expect(name).to_have_attribute("aria-expanded", "true")
    story.shot("1-suggestions")

    # The keyboard: down to the option, Enter fills the row (value too: it was empty).
    options = listbox.get_by_role("option")
    target = next(i for i in range(options.count()) if "编制应急预案率" in options.nth(i).inner_text())
    for _ in range(target + 1):
        name.press("ArrowDown")
    expect(options.nth(target)).to_have_attribute("aria-selected", "true")
    expect(name).to_have_attribute("aria-activedescendant", f"ind-suggest-{target}")
    checked(page, lambda: name.press("Enter"))
    expect(listbox).to_be_hidden()
    expect(name).to_have_value("编制应急预案率")
    expect(row.get_by_label("计量单位")).to_have_value("%")
    expect(row.get_by_label("对比符号")).to_have_value("=")
    expect(row.get_by_label("指标值", exact=True)).to_have_value("100")
    expect(page.locator("#save-state")).to_have_text("有未保存的修改")
    story.shot("2-filled")

    # Now the table has it: another row is told so.
    _, again_name = _new_row(page, "产出指标", "质量指标")
    again_name.press_sequentially("编制")
    expect(listbox.get_by_role("option").filter(has_text="编制应急预案率").first).to_contain_text("表中已有")
    again_name.press("Escape")
    again_name.fill("")  # a blank row is not read

    # A 满意度 row whose value is already typed: the suggestion keeps it, and Escape closes the list.
    row, name = _new_row(page, "满意度指标", "服务对象满意度指标")
    row.get_by_label("指标值", exact=True).fill("95")
    name.press_sequentially("服务对象")
    option = listbox.get_by_role("option").filter(has_text="服务对象满意度").first
    expect(option).to_contain_text("建议值")  # a framework's common indicator: its value is a suggestion
    name.press("Escape")
    expect(listbox).to_be_hidden()
    name.press_sequentially("满")
    expect(option).to_be_visible()
    option.click()
    expect(name).to_have_value("服务对象满意度")
    expect(row.get_by_label("对比符号")).to_have_value("≥")
    expect(row.get_by_label("计量单位")).to_have_value("%")
    expect(row.get_by_label("指标值", exact=True)).to_have_value("95")

    # Saved, the chosen rows are in the table.
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="保存", exact=True).click()
    expect(story.message().first).to_contain_text("已保存")
    saved = page.locator("#indicators textarea[name=ind_name]").evaluate_all(
        "fields => fields.map(f => f.value)"
    )
    assert "编制应急预案率" in saved
    assert "服务对象满意度" in saved

    # On a phone the list fits the screen.
    page.set_viewport_size(PHONE)
    row, name = _new_row(page, "产出指标", "质量指标")
    name.press_sequentially("编制")
    # What was typed, not the row's whole 二级 list (shown first, until the query's answer comes).
    expect(listbox.get_by_role("option").first).to_be_visible()
    expect(listbox.get_by_role("option").filter(has_not_text="编制")).to_have_count(0)
    box = listbox.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(SHOTS / "3-suggestions-phone.png"))
    _no_trouble(story)
    page.close()


def test_the_bureau_marks_an_entry_and_the_filer_sees_the_warning(server: Server, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    story = Story(page, server, shots=SHOTS)
    story.log_in(REVIEWER)
    page.locator("header.top").get_by_role("link", name="指标库").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="指标库")).to_be_visible()
    page.get_by_label("搜索指标").fill("应急预案")
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="查找").click()
    entry = page.locator("tr.library-entry", has_text="编制应急预案率")
    expect(entry).to_contain_text("揭阳市应急管理局")
    expect(entry).to_contain_text("个部门")
    story.shot("4-library-page")

    entry.get_by_label("“编制应急预案率”的标记").select_option("discouraged")
    entry.get_by_label("“编制应急预案率”的说明").fill("请写明预案的具体数量，并放在数量指标下")
    with page.expect_navigation(wait_until="networkidle"):
        entry.get_by_role("button", name="保存标记").click()
    expect(story.message().first).to_contain_text("已更新")
    assert "q=" in page.url  # back to the same search
    entry = page.locator("tr.library-entry", has_text="编制应急预案率")
    expect(entry.locator(".lib-mark.discouraged")).to_have_text("不建议")
    expect(entry).to_contain_text("请写明预案的具体数量")

    page.set_viewport_size(PHONE)
    story.goto("/library/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # no sideways scrolling on a phone
    page.screenshot(path=str(SHOTS / "5-library-phone.png"), full_page=False)
    _no_trouble(story)
    story.log_out()

    # The filer: the entry is still offered, with the bureau's warning, after the others.
    page.set_viewport_size({"width": 1280, "height": 900})
    _open_draft(story)
    _, name = _new_row(page, "产出指标", "质量指标")
    name.press_sequentially("编制")
    listbox = page.get_by_role("listbox", name="指标库建议")
    option = listbox.get_by_role("option").filter(has_text="编制应急预案率").first
    expect(option).to_contain_text("不建议")
    expect(option).to_contain_text("财政局不建议使用：请写明预案的具体数量")
    expect(option).to_have_class(re.compile(r"\bdiscouraged\b"))
    story.shot("6-discouraged")
    name.press("Escape")
    wait_until(page, lambda: page.locator("#ind-suggest").is_hidden())
    _no_trouble(story)
    page.close()
