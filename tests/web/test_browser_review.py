"""The review story in a real browser, at 1280 px and on a 390×844 phone: the reviewer opens a
comment box by keyboard, inserts a stock phrase, presses 审核通过 without a grade and gets the page
back with the comment still there, returns the table after a confirmation that says what will
happen; the department replies and marks the row 已修改; the reviewer sees the reply beside the row
on the next version.  The decision bar stays in view; nothing scrolls the page sideways.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from web.browsing import ARTIFACTS, CHROMIUM, YEAR, Server, Story, fresh_folder

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "review"
SIZES = {"desktop": (1280, 900), "phone": (390, 844)}


@dataclass
class ReviewStory(Story):
    """A story that keeps the words of each confirmation and can answer the next one with 取消."""

    confirmations: list[str] = field(default_factory=list)
    cancel_next: bool = False

    def _dialog(self, dialog: Dialog) -> None:
        if dialog.type == "confirm":
            self.dialogs.append(dialog.type)
            self.confirmations.append(dialog.message)
            if self.cancel_next:
                self.cancel_next = False
                dialog.dismiss()
            else:
                dialog.accept()
            return
        super()._dialog(dialog)


def _submitted(server: Server) -> tuple[int, str]:
    """A target table of the demo city waiting for the finance bureau (not a self-evaluation), and
    its filer's user name."""
    database = sqlite3.connect(server.data_dir / "jixiao.sqlite3")
    try:
        rows = database.execute(
            "SELECT f.id, u.username FROM jixiao_web_filing f JOIN jixiao_web_user u "
            "ON u.department_id = f.department_id AND u.role = 'filer' "
            "WHERE f.status = 'submitted' AND f.kind = 'target' AND f.year = ? ORDER BY f.id",
            (YEAR,),
        ).fetchall()
    finally:
        database.close()
    return rows[0][0], rows[0][1]


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"the page scrolls sideways: {width} > {viewport}"


def _numbers_on_one_line(page: Page) -> None:
    """Every amount, count and row number of the official table stands on one line."""
    _on_one_line(page, ".official td.amount, .official td.number, .official td.row-no, .official td.seq")


def _on_one_line(page: Page, selector: str) -> None:
    """Every non-empty cell that ``selector`` finds stands on one line."""
    broken = page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
            .filter((cell) => cell.textContent.trim() !== '')
            .filter((cell) => {
              const range = document.createRange();
              range.selectNodeContents(cell);
              // A second line starts a line-height lower; a badge's padding is a pixel or two.
              const tops = Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => r.top);
              return tops.length > 1 && Math.max(...tops) - Math.min(...tops) > 8;
            }).map((cell) => cell.textContent)""",
        selector,
    )
    assert broken == [], broken


def _bar_in_view(page: Page) -> None:
    box = page.locator("#decision-bar").bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None
    assert box["y"] >= 0, box
    assert box["y"] + box["height"] <= height + 1, (box, height)


@pytest.mark.parametrize("size", list(SIZES))
def test_review_story(server: Server, browser: Browser, size: str) -> None:
    shots = fresh_folder(SHOTS / size)
    # The demo's filing waiting for review (the second screen size reviews its next version).
    pk, filer = _submitted(server)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    story = ReviewStory(context.new_page(), server, shots=shots)
    page = story.page
    try:
        _walk(story, page, pk, filer, size)
    finally:
        context.close()
    assert not story.console_errors, story.console_errors
    # The refused approval (400) is the only failed request of the story.
    assert story.failed_requests == [f"400 POST {server.url}/review/{pk}/decide/"], story.failed_requests


def _walk(story: ReviewStory, page: Page, pk: int, filer: str, size: str) -> None:
    # 1. The queue and the review page, on this screen.
    story.log_in("shenhe1")
    story.goto(f"/review/?year={YEAR}")
    _no_sideways_scroll(page)
    _on_one_line(page, "table.queue tbody td")  # names, dates and counts never break
    story.shot("01-queue")
    story.goto(f"/review/{pk}/")
    _no_sideways_scroll(page)
    _numbers_on_one_line(page)
    official = page.locator(".official")
    if size == "phone":  # the official table scrolls in its own box
        assert official.evaluate("(box) => box.scrollWidth > box.clientWidth")
    expect(official.locator("td.row-no").first).to_have_text("1")
    boxes = page.locator("details.comment-box")
    expect(boxes.first).not_to_have_attribute("open", "")
    assert page.locator("textarea[name^='comment:']").first.is_hidden()  # folded until used
    _bar_in_view(page)
    story.shot("02-review")

    # 2. A comment on 绩效指标第2行, opened by keyboard, with a stock phrase inserted.
    row = page.locator("li.review-row[data-section=indicators][data-row='2']")
    row.locator("summary").focus()
    page.keyboard.press("Enter")
    box = page.get_by_label("绩效指标第2行的意见")
    expect(box).to_be_visible()
    expect(box).to_be_focused()
    said = f"指标值请核对（{size}）。"
    box.type(said)
    picker = row.get_by_label("插入常用审核意见")
    phrase = picker.locator("option").nth(1).text_content() or ""
    assert phrase
    picker.select_option(phrase)
    expect(box).to_have_value(f"{said}{phrase}")
    expect(page.locator("#comment-count")).to_have_text("已写 1 条意见")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight / 2)")
    _bar_in_view(page)  # the decision bar is there halfway down a long table
    # Only the rows worth a look (and the one being written in), then all again.
    rows = page.locator("li.review-row")
    total = rows.count()
    page.get_by_label(re.compile("只看有修改、校验提示或意见")).check()
    shown = page.locator("li.review-row:visible")
    assert 0 < shown.count() < total
    expect(row).to_be_visible()
    page.get_by_label(re.compile("只看有修改、校验提示或意见")).uncheck()
    expect(shown).to_have_count(total)

    # 3. 审核通过 without a grade: the page comes back with the comment, open, and the reason.
    with page.expect_navigation(wait_until="networkidle"):
        page.get_by_role("button", name="审核通过").click()
    expect(page.locator("#decision-error")).to_contain_text("请选择审核等级")
    box = page.get_by_label("绩效指标第2行的意见")
    expect(box).to_be_visible()
    expect(box).to_have_value(f"{said}{phrase}")
    _no_sideways_scroll(page)
    story.shot("03-refused-kept")

    # 4. 退回 with grade 中: the confirmation says what will happen; 取消 changes nothing.
    page.locator("#decision-bar input[name=grade][value='中']").check()
    story.cancel_next = True
    page.get_by_role("button", name="退回修改").click()
    expect(page.locator("#decision-error")).to_be_visible()  # still on the same page
    assert story.confirmations[-1].startswith("退回（等级：中）后部门可以修改并重新提交；将发送 1 条意见。")
    with page.expect_navigation(url=re.compile(r"/review/(\?.*)?$"), wait_until="networkidle"):
        page.get_by_role("button", name="退回修改").click()
    expect(story.message()).to_contain_text("已退回部门修改")
    assert len(story.confirmations) == 2
    story.shot("04-returned")

    # 5. The department replies beside the comment and marks it 已修改, then resubmits.
    story.log_out()
    story.log_in(filer)
    story.goto(f"/filings/{pk}/edit/")
    comment = page.locator("ul.comments li", has_text=said)
    expect(comment).to_contain_text("绩效指标第2行")
    comment.get_by_text("回复或标记已修改").click()
    comment.get_by_role("textbox").fill("已补充指标值的测算依据。")
    comment.get_by_label("已修改").check()
    story.shot("05-reply-typed")
    story.on_beforeunload = "accept"
    with page.expect_navigation(url=re.compile(rf"/filings/{pk}/$"), wait_until="networkidle"):
        page.locator(".toolbar").get_by_role("button", name="保存并提交").click()
    expect(story.message().last).to_contain_text(re.compile(r"已提交第\d+版"))
    expect(page.locator("ul.comments li", has_text=said)).to_contain_text("已补充指标值的测算依据。")
    _no_sideways_scroll(page)
    story.shot("06-replied")

    # 6. The reviewer sees the reply and the mark beside the row on version 2.
    story.log_out()
    story.log_in("shenhe1")
    story.goto(f"/review/{pk}/")
    row = page.locator("li.review-row[data-section=indicators][data-row='2']")
    mine = row.locator(".row-comments li", has_text=said)
    expect(mine.locator(".reply")).to_contain_text("已修改")
    expect(mine.locator(".reply")).to_contain_text("已补充指标值的测算依据。")
    _no_sideways_scroll(page)
    story.shot("07-reply-seen")
