"""The filing form as people live it, in a real browser: nothing typed is lost when the session
expires (the live check says so, a save is held back, the table is kept in the browser and offered
back), a deleted row can be undone, a submission nobody opened can be withdrawn, and the form
works on a phone.

Each story logs in as a demo account of its own department, so the stories do not depend on
each other's order.  Screenshots go to ``test-artifacts/browser/editor/``.
"""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from web.browsing import (  # the helpers; the fixtures browser and server are in conftest
    ARTIFACTS,
    CHROMIUM,
    YEAR,
    Server,
    Story,
    add_indicator,
    add_task,
    checked,
    fresh_folder,
)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "editor"
EXPIRED = "登录已过期，请在新窗口登录后再保存"

#: Every named field of the filing form with its value, in page order (rows included); a switch of
#: an optional field (a checkbox) with its value when on, blank when off.
FORM_VALUES = """() => Array.from(document.querySelectorAll('#table-form [name]'))
  .filter((f) => !['csrfmiddlewaretoken', 'revision', 'save', 'submit'].includes(f.name))
  .map((f) => [f.name, f.type === 'checkbox' ? (f.checked ? f.value : '') : f.value])"""
KEPT = """(filing) => Object.keys(localStorage).filter((k) => k.startsWith('jixiao-draft:' + filing + ':'))"""


@pytest.fixture(scope="module", autouse=True)
def _shots() -> None:
    fresh_folder(SHOTS)


def _story(browser: Browser, server: Server, width: int = 1280, height: int = 900) -> Story:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    return Story(context.new_page(), server, shots=SHOTS)


def _context(story: Story) -> BrowserContext:
    return story.page.context


def _edit_own_draft(story: Story) -> int:
    """From the department's home page to the edit page of its 2024 table; its pk."""
    page = story.page
    row = page.locator("table.list tbody tr", has_text=str(YEAR))
    with page.expect_navigation(wait_until="networkidle"):
        row.get_by_role("link", name="编辑").click()
    match = re.search(r"/filings/(\d+)/edit/", page.url)
    assert match, page.url
    return int(match.group(1))


def _start_blank(story: Story) -> int:
    page = story.page
    start = page.locator("section.start", has_text=f"{YEAR}年度")
    with page.expect_navigation(url=re.compile(r"/filings/\d+/edit/$"), wait_until="networkidle"):
        start.get_by_role("button", name="从空白表开始").click()
    match = re.search(r"/filings/(\d+)/edit/", page.url)
    assert match
    return int(match.group(1))


def _save(page: Page) -> None:
    with page.expect_navigation(wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name="保存", exact=True).click()


def _values(page: Page) -> list[list[str]]:
    values: list[list[str]] = page.evaluate(FORM_VALUES)
    return values


def _kept(page: Page, pk: int) -> list[str]:
    keys: list[str] = page.evaluate(KEPT, pk)
    return keys


def _clean(story: Story) -> None:
    assert story.console_errors == []
    # A 401 while signed out is the page noticing (the live check, or the idle-session timer's ping
    # when it happens to fire in that window), not a failure.
    noticing = re.compile(r"401 (POST .*/check/|GET .*/accounts/session/)$")
    assert [r for r in story.failed_requests if not noticing.match(r)] == []


# --- nothing typed is lost ----------------------------------------------------------------------


def test_expired_session_holds_the_save_and_keeps_what_was_typed(server: Server, browser: Browser) -> None:
    story = _story(browser, server)
    page = story.page
    story.log_in("yingji_tianbao")
    pk = _start_blank(story)
    checked(page, lambda: page.get_by_label("总体绩效目标").fill("做好重点化工项目安全审查，确保全覆盖。"))
    checked(
        page, lambda: add_task(page, "key", "安全审查专家技术服务", "对重点化工项目提供专家技术服务。", "200")
    )
    _save(page)
    expect(story.message()).to_contain_text("已保存")
    assert _kept(page, pk) == []  # saved: nothing left in the browser

    # The session ends (the cookie is gone) while the filer keeps typing.
    _context(story).clear_cookies(name="sessionid")
    checked(
        page,
        lambda: page.locator("input[name=title]").fill(
            "揭阳市应急管理局2024年部门整体预算绩效目标表（修改）"
        ),
    )
    add_indicator(page, "产出指标", "数量指标", "审查项目数", "≥", "4", "个")
    checked(page, lambda: page.locator("input[name=budget_project_expenditure]").fill("200"))
    alert = page.locator("#session-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(EXPIRED)
    login_link = alert.get_by_role("link", name="在新窗口登录")
    expect(login_link).to_have_attribute("target", "_blank")
    typed = _values(page)
    story.shot("01-session-expired")

    # A save now is held back in the page: no navigation, nothing lost.
    url = page.url
    with page.expect_response(lambda r: r.url.endswith("/check/")):
        page.locator(".toolbar").get_by_role("button", name="保存", exact=True).click()
    expect(alert).to_contain_text("刚才的保存没有发出")
    assert page.url == url
    assert _values(page) == typed
    kept = _kept(page, pk)
    assert len(kept) == 1
    assert re.fullmatch(rf"jixiao-draft:{pk}:2:\d+", kept[0]), kept
    story.shot("02-save-held")

    # Signing in again in another window (which changes the CSRF token) brings the page back.
    other = Story(_context(story).new_page(), server, shots=SHOTS)
    other.log_in("yingji_tianbao")
    other.page.close()
    page.bring_to_front()
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(alert).to_contain_text("已重新登录")
    expect(alert).to_contain_text("请再点一次")
    _save(page)
    expect(story.message()).to_contain_text("已保存（第3次修订）")
    assert _same_table(_values(page), typed)
    assert _kept(page, pk) == []
    _clean(story)
    _context(story).close()


def test_restore_after_signing_in_again(server: Server, browser: Browser) -> None:
    story = _story(browser, server)
    page = story.page
    story.log_in("jiaoyu_tianbao")
    pk = _edit_own_draft(story)
    page.locator("input[name=title]").fill("揭阳市教育局2024年度部门整体预算绩效目标表（恢复测试）")
    page.get_by_label("总体绩效目标").fill("第一行\n第二行：保障义务教育，覆盖率≥100%。")
    add_task(page, "other", "2023年度项目尾款", "支付上年合同尾款。", "12.5")
    add_indicator(page, "效益指标", "社会效益指标", "学生资助覆盖率", "≥", "95", "%")
    add_indicator(page, "满意度指标", "服务对象满意度指标", "家长满意度", "≥", "90", "%")
    # An optional column switched on and filled in (期望达到的目标) is kept like the rest.
    page.locator("input[data-switch][value=task_expected_outcome]").check()
    page.locator("#tasks-other tr.task-row").last.get_by_label("期望达到的目标").fill("按合同付清尾款")
    # A row moved up and a row deleted count too.
    page.locator("#indicators tr.ind-row").last.get_by_role("button", name="上移").click()
    checked(
        page,
        lambda: page.locator("#tasks-key tr.task-row").first.get_by_role("button", name="删除此行").click(),
    )
    typed = _values(page)

    # The server forgets the session (its row is deleted); the next check notices.
    with sqlite3.connect(server.data_dir / "jixiao.sqlite3") as db:
        db.execute("DELETE FROM django_session")
    page.get_by_label("总体绩效目标").press("End")
    checked(page, lambda: page.get_by_label("总体绩效目标").type("。"))
    expect(page.locator("#session-alert")).to_contain_text(EXPIRED)
    typed = _values(page)

    # The filer gives up on this window, signs in again and opens the form: the table is offered.
    story.log_in("jiaoyu_tianbao")
    assert page.evaluate("() => Object.keys(localStorage).length") >= 1
    story.goto(f"/filings/{pk}/edit/")
    offer = page.locator("#draft-offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("发现未保存的修改")
    assert _values(page) != typed  # offered, never applied by itself
    story.shot("03-restore-offered")
    checked(page, lambda: offer.get_by_role("button", name="恢复").click())
    expect(offer).to_be_hidden()
    assert _values(page) == typed
    story.shot("04-restored")
    _save(page)
    expect(story.message()).to_contain_text("已保存")
    assert _same_table(_values(page), typed)
    assert _kept(page, pk) == []
    _clean(story)
    _context(story).close()


def _same_table(saved: list[list[str]], typed: list[list[str]]) -> bool:
    """The saved form is the typed one; the server writes amounts its own way (122.10 as 122.1)
    and gives a new row its key (review: hidden ``task_key``/``ind_key``, never typed)."""

    def canonical(value: list[str]) -> tuple[str, str]:
        name, text = value
        if name.endswith("_key"):
            return name, ""
        if name in ("task_amount",) or name.startswith("budget_"):
            return name, str(Decimal(text).normalize()) if text else ""
        return name, text

    def parts(values: list[list[str]]) -> tuple[list[tuple[str, str]], list[tuple[tuple[str, str], ...]]]:
        """The single fields, and the rows in any order: the server stores rows in the printed
        order (review), so a row moved by hand may come back elsewhere."""
        fields: list[tuple[str, str]] = []
        rows: list[list[tuple[str, str]]] = []
        for value in map(canonical, values):
            if value[0] in ("task_kind", "ind_key"):
                rows.append([])
            if value[0].startswith(("task_", "ind_")):
                rows[-1].append(value)
            else:
                fields.append(value)
        return fields, sorted(tuple(row) for row in rows)

    return parts(saved) == parts(typed)


def test_a_copy_for_an_older_revision_is_offered_to_compare(server: Server, browser: Browser) -> None:
    story = _story(browser, server)
    page = story.page
    story.log_in("jiaoyu_fuze")  # the department's head may edit as well
    pk = _edit_own_draft(story)
    checked(page, lambda: page.locator("input[name=department_staff_count]").fill("77"))
    assert len(_kept(page, pk)) == 1

    # Meanwhile the table is saved from another window: a newer revision.
    second = Story(_context(story).new_page(), server, shots=SHOTS)
    second.goto(f"/filings/{pk}/edit/")
    expect(second.page.locator("#draft-offer")).to_contain_text("发现未保存的修改")
    second.page.locator("input[name=department_subordinate_unit_count]").fill("5")
    _save(second.page)
    expect(second.message()).to_contain_text("已保存")
    saved = _values(second.page)
    second.page.close()

    story.goto(f"/filings/{pk}/edit/")
    offer = page.locator("#draft-offer")
    expect(offer).to_contain_text("基于第")
    compare = offer.locator("table.draft-compare")
    expect(compare.locator("tr", has_text="财政供养人员数")).to_contain_text("77")
    assert _values(page) == saved  # the kept copy is not applied
    story.shot("05-compare-older-copy")
    offer.get_by_role("button", name="放弃这份副本").click()
    expect(offer).to_be_hidden()
    assert _kept(page, pk) == []
    _clean(story)
    _context(story).close()


# --- undo of a deleted row, and where the focus goes ----------------------------------------------


def _focused_row(page: Page) -> Any:
    return page.evaluate(
        """() => { const row = document.activeElement.closest('tr');
          return row ? Array.from(row.parentNode.querySelectorAll('tr.task-row, tr.ind-row')).indexOf(row)
            : document.activeElement.textContent; }"""
    )


def test_undo_deleted_rows(server: Server, browser: Browser) -> None:
    story = _story(browser, server)
    page = story.page
    story.log_in("jiaotong_tianbao")  # a returned table: editable
    _edit_own_draft(story)
    rows = page.locator("#indicators tr.ind-row")
    count = rows.count()
    assert count >= 3
    names = [rows.nth(i).get_by_label("三级指标", exact=True).input_value() for i in range(count)]

    rows.nth(1).get_by_role("button", name="删除此行").click()
    bar = page.locator("#undo-bar")
    expect(bar).to_contain_text("已删除绩效指标第2行")
    # Focus on the next row's first field, now at the deleted row's place.
    assert _focused_row(page) == 1
    assert page.evaluate("document.activeElement.name") == "ind_level1"
    rows.nth(0).get_by_role("button", name="删除此行").click()
    expect(bar.locator("li")).to_have_count(2)  # stacked, latest first
    expect(bar.locator("li").first).to_contain_text("已删除绩效指标第1行")
    assert _focused_row(page) == 0
    story.shot("06-two-rows-deleted")

    # Undo the first deletion: the row is back in its place.
    bar.locator("li", has_text="第2行").get_by_role("button", name="撤销").click()
    expect(bar.locator("li")).to_have_count(1)
    bar.get_by_role("button", name="撤销").click()
    expect(bar).to_be_hidden()
    assert [rows.nth(i).get_by_label("三级指标", exact=True).input_value() for i in range(count)] == names
    expect(page.locator("#indicators tr.ind-row td.seq").nth(1)).to_have_text("2")

    # The last row deleted: focus goes to the row before; the only row of a section: to its add button.
    rows.last.get_by_role("button", name="删除此行").click()
    assert _focused_row(page) == count - 2
    other = page.locator("#tasks-other tr.task-row")
    while other.count() > 1:
        other.last.get_by_role("button", name="删除此行").click()
    if other.count() == 1:
        other.first.get_by_role("button", name="删除此行").click()
        assert page.evaluate("document.activeElement.dataset.target") == "tasks-other"
    _clean(story)
    _context(story).close()


# --- withdraw -------------------------------------------------------------------------------------


def test_withdraw_a_submission_nobody_opened(server: Server, browser: Browser) -> None:
    story = _story(browser, server)
    page = story.page
    story.log_in("weijian_tianbao")  # the demo's submitted table
    row = page.locator("table.list tbody tr", has_text=str(YEAR))
    with page.expect_navigation(wait_until="networkidle"):
        row.get_by_role("link", name="查看").click()
    detail = page.url
    page.get_by_text("撤回提交…").click()
    story.shot("07-withdraw-confirm")
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="确认撤回").click()
    expect(story.message()).to_contain_text("已撤回第1版")
    expect(page.locator("main h1 .status")).to_have_text("草稿")

    # Changed and submitted again (the copy kept in the browser goes with the save), then opened
    # by the finance bureau: no more withdrawing.
    pk = int(re.search(r"/filings/(\d+)/edit/", page.url).group(1))  # type: ignore[union-attr]
    checked(page, lambda: page.locator("input[name=department_subordinate_unit_count]").fill("3"))
    assert len(_kept(page, pk)) == 1
    with page.expect_navigation(wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name="保存并提交").click()
    expect(page.locator("ul.messages li", has_text="已提交第2版")).to_be_visible()
    assert _kept(page, pk) == []
    reviewer = Story(browser.new_context(locale="zh-CN").new_page(), server, shots=SHOTS)
    reviewer.log_in("shenhe1")
    reviewer.goto(detail.replace(server.url, "").replace("/filings/", "/review/"))
    expect(reviewer.page.locator("main h1")).to_be_visible()
    reviewer.page.context.close()
    story.goto(detail.replace(server.url, ""))
    expect(page.get_by_text("撤回提交…")).to_have_count(0)
    expect(page.locator("#opened-note")).to_contain_text("不能再撤回")
    expect(page.locator("#history")).to_contain_text("财政局开始审核")
    expect(page.locator("#history")).to_contain_text("撤回提交")
    story.shot("08-opened-no-withdraw")
    _clean(story)
    _context(story).close()


def test_a_stale_form_elsewhere_gets_the_csrf_page(server: Server, browser: Browser) -> None:
    """Signing in again in another window changes the CSRF token: a form of the old page is
    refused with a page in the site's layout that says what to do."""
    story = _story(browser, server, 390, 844)
    page = story.page
    story.log_in("shuiwu_tianbao")  # the demo's table waiting for the 部门负责人
    row = page.locator("table.list tbody tr", has_text=str(YEAR))
    with page.expect_navigation(wait_until="networkidle"):
        row.get_by_role("link", name="查看").click()
    other = Story(_context(story).new_page(), server, shots=SHOTS)
    other.goto("/")
    other.log_out()
    other.log_in("shuiwu_tianbao")
    other.page.close()
    page.get_by_text("撤回提交…").click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="确认撤回").click()
    expect(page.locator("main h1")).to_have_text("页面已过期，这次提交没有完成")
    expect(page.locator("header.top .who")).to_be_visible()  # the site's layout, still signed in
    expect(page.locator("main")).to_contain_text("重新加载")
    expect(page.locator("main")).not_to_contain_text("CSRF")
    story.shot("11-csrf-page-390")
    assert story.failed_requests == [f"403 POST {page.url}"]
    _context(story).close()


# --- the edit page on a phone -------------------------------------------------------------------

#: Every number written on the page (in text: 1932.64, 95%, 7*24) that is broken across lines, found
#: with a Range over it; and every amount or number field too narrow for what it holds.
WRAPPED = r"""() => {
  const broken = [];
  const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.parentElement.offsetParent) continue;  // not shown
    for (const match of node.textContent.matchAll(/\d[\d.,%*]*/g)) {
      const range = document.createRange();
      range.setStart(node, match.index); range.setEnd(node, match.index + match[0].length);
      const lines = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.bottom)));
      if (lines.size > 1) broken.push(match[0] + ' in ' + node.parentElement.outerHTML.slice(0, 80));
    }
  }
  for (const field of document.querySelectorAll('#table-form input.amount, #table-form input[inputmode]')) {
    if (!field.offsetParent) continue;  // a switched-off optional field: not shown
    if (field.scrollWidth > field.clientWidth + 1 || field.clientWidth < 80) broken.push('field ' + field.name);
  }
  return broken;
}"""


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_edit_page_fits_the_screen(server: Server, browser: Browser, width: int, height: int) -> None:
    story = _story(browser, server, width, height)
    page = story.page
    story.log_in("jiaotong_tianbao")  # the demo's returned table, with rows and comments beside them
    _edit_own_draft(story)
    page.locator("#tasks-key tr.task-row").first.get_by_label("拟投入金额（万元）").fill("1932.64")
    checked(page, lambda: page.locator("input[name=budget_project_expenditure]").fill("123456.78901"))
    # 期望达到的目标 and 指标权重, columns the filer switches on (the 1280 px run finds them on: the
    # 390 px run saved them), fit too, and are kept when saved.
    outcome_column = page.locator("input[data-switch][value=task_expected_outcome]")
    weight_column = page.locator("input[data-switch][value=ind_weight]")
    outcome_column.check()
    weight_column.check()
    outcome = page.locator("#tasks-key tr.task-row").first.get_by_label("期望达到的目标")
    weight = page.locator("#indicators tr.ind-row").first.get_by_label("指标权重")
    outcome.fill(f"全年完成{width}项改造")
    checked(page, lambda: weight.fill("12.5"))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(WRAPPED) == []
    _save(page)
    expect(story.message()).to_contain_text("已保存")
    expect(outcome_column).to_be_checked()
    expect(outcome).to_have_value(f"全年完成{width}项改造")
    expect(weight).to_have_value("12.5")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(WRAPPED) == []
    # The toolbar stays reachable while scrolled down.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    save = page.locator(".toolbar").get_by_role("button", name="保存", exact=True)
    expect(save).to_be_in_viewport()
    story.shot(f"09-edit-{width}")

    # The undo bar and the session alert fit as well.
    page.locator("#indicators tr.ind-row").first.get_by_role("button", name="删除此行").click()
    expect(page.locator("#undo-bar")).to_be_visible()
    _context(story).clear_cookies(name="sessionid")
    checked(
        page, lambda: page.locator("input[name=title]").fill("揭阳市交通运输局2024年部门整体预算绩效目标表")
    )
    expect(page.locator("#session-alert")).to_contain_text(EXPIRED)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    expect(page.locator("#session-alert")).to_be_in_viewport()
    page.screenshot(path=str(SHOTS / f"10-alert-and-undo-{width}.png"))
    _clean(story)
    _context(story).close()
