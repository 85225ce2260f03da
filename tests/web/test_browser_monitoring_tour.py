"""A new user's tour of the monitoring pages in Chromium, as each role, at 1280 px and at 390 px: what
the tour found and what keeps it fixed.

- The bureau's round page names the profile variants in Chinese (no ``linear``/``symmetric``) and
  its long choices never widen the page on a phone.
- The review page of a monitoring report at 390 px: the comment boxes' hidden labels stay inside
  the tables' scrolling boxes, so the page never scrolls sideways.
- A reviewer whose session ends while writing a return loses nothing: the return is held back
  with the notice, and goes once signed in again.
- The department's form: the funds' 1–7月执行数 named with its month (not ``1–m月``), in the header
  and in the message of a refused save; a refused save keeps what was typed; a target table
  uploaded as the monitoring workbook is refused without being called free of problems.
- A report made from a target table with 100 indicators: at 390 px each row is a card of labelled
  fields and nothing scrolls sideways; at 1280 px the causes and measures have room to be written.

Screenshots: ``test-artifacts/browser/monitoring-tour/``.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from web.browsing import ARTIFACTS, CHROMIUM, JIXIAO, Server, Story, fresh_folder
from web.test_words import ALLOWED_WORDS, english_on

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "monitoring-tour"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
REVIEWER = "shenhe1"
COMMENT = "高标准农田建设落后较多，请补充下半年分月施工计划。"
#: Names on the pages that are data, not words: the demo's account and department codes.
DATA_WORDS = ALLOWED_WORDS | {"wenlv_tianbao", "jiaoyu_tianbao", "shenhe1"}

#: 教育局's table becomes a clean one with 100 indicators (文化广电旅游体育局's nine, repeated
#: per 片区), is submitted and approved: the open July round makes its monitoring report.
HUNDRED_ROWS = """
from jixiao_web import demo, services
from jixiao_web.audit import Actor
from jixiao_web.models import Filing, Kind, User

filer = Actor(User.objects.get(username="jiaoyu_tianbao"), "127.0.0.1")
reviewer = Actor(User.objects.get(username="shenhe1"), "127.0.0.1")
filing = Filing.objects.get(department__code="jiaoyu", year=2024, kind=Kind.TARGET)
base = demo.demo_table("wenlv", 2024)
rows = [
    base.indicators[n % len(base.indicators)].model_copy(
        update={"name": f"{base.indicators[n % len(base.indicators)].name}（片区{n + 1:03d}）"}
    )
    for n in range(100)
]
table = base.model_copy(
    update={"department": base.department.model_copy(update={"name": filing.department.name}), "indicators": rows}
)
filing, _ = services.save_draft(filer, filing, table, filing.revision)
services.submit(filer, filing)
filing.refresh_from_db()
services.approve(reviewer, filing, "优")
report = Filing.objects.get(department__code="jiaoyu", year=2024, kind=Kind.MONITORING)
print("MONITORING", report.pk, len(report.data["indicators"]))
"""

#: The page's width against the window's (no exclusion: what is inside a scrolling box counts too
#: when it widens the page).
WIDTH_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"


def _monitoring_pk(server: Server, code: str) -> int:
    database = sqlite3.connect(server.data_dir / "jixiao.sqlite3")
    try:
        (pk,) = database.execute(
            "SELECT f.id FROM jixiao_web_filing f JOIN jixiao_web_department d ON d.id = f.department_id "
            "WHERE d.code = ? AND f.year = 2024 AND f.kind = 'monitoring'",
            (code,),
        ).fetchone()
    finally:
        database.close()
    return int(pk)


def _hundred_rows(server: Server) -> int:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [str(JIXIAO), "manage", "--data-dir", str(server.data_dir), "shell", "-c", HUNDRED_ROWS],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    made = re.search(r"^MONITORING (\d+) (\d+)$", result.stdout, re.MULTILINE)
    assert made is not None, result.stdout
    assert made.group(2) == "100"
    return int(made.group(1))


def _no_sideways_scroll(page: Page) -> None:
    width, window = page.evaluate(WIDTH_JS)
    assert width <= window, f"{page.url} scrolls sideways: {width} > {window}"


def _no_english(page: Page) -> None:
    words = english_on(page.content(), DATA_WORDS)
    assert words == set(), f"{page.url}: {sorted(words)}"


def _target_table_file(folder: Path) -> Path:
    """A target table written by the library: the wrong kind of file for a monitoring upload."""
    from jixiao.read import read_path
    from jixiao.write import write_path

    seed = Path(__file__).parents[1] / "fixtures" / "seed.txt"
    path = folder / "目标表.xlsx"
    table = read_path(seed).table
    assert table is not None
    write_path(table, path)
    return path


def test_monitoring_tour(server: Server, browser: Browser, tmp_path: Path) -> None:
    shots = fresh_folder(SHOTS)
    hundred = _hundred_rows(server)
    submitted = _monitoring_pk(server, "nongye")  # 农业农村局: red, submitted, on the bureau's desk
    late = _monitoring_pk(server, "wenlv")  # 文化广电旅游体育局: not reported yet
    stories: list[Story] = []

    def story_at(viewport: dict[str, int], username: str | None) -> Story:
        context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN")
        story = Story(context.new_page(), server, shots=shots)
        stories.append(story)
        if username is not None:
            story.log_in(username)
        return story

    try:
        # 1. Anonymous: the form asks for a login first.
        anonymous = story_at(PHONE, None)
        anonymous.goto(f"/monitoring/{late}/edit/")
        assert "/accounts/login/" in anonymous.page.url

        # 2. The bureau on a phone: the round page in Chinese, the review page never sideways.
        phone = story_at(PHONE, REVIEWER)
        page = phone.page
        phone.goto("/review/monitoring/?year=2024")
        expect(page.locator("select[name=variant] option[value=linear]")).to_contain_text("线性扣分")
        _no_english(page)
        _no_sideways_scroll(page)
        phone.shot("01-round-phone")
        phone.goto(f"/monitoring/{submitted}/")
        expect(page.locator("details.comment-box").first).to_be_attached()
        _no_english(page)
        _no_sideways_scroll(page)
        phone.shot("02-review-phone")

        # 3. The bureau at the desk writes a return; its session ends before it is sent: the return
        # is held back with what was written, and goes once the reviewer has signed in again.
        desk = story_at(DESKTOP, REVIEWER)
        page = desk.page
        desk.goto(f"/monitoring/{submitted}/")
        first = page.locator("#indicators tr.ind-row").first
        first.get_by_text("写意见").click()
        first.get_by_label("绩效指标第1行的意见").fill(COMMENT)
        page.context.clear_cookies(name="sessionid")
        page.get_by_role("button", name="退回修改").click()
        expect(page.locator("#session-warning")).to_contain_text("本页填写的内容仍在")
        assert page.url.endswith(f"/monitoring/{submitted}/")
        expect(first.get_by_label("绩效指标第1行的意见")).to_have_value(COMMENT)
        desk.shot("03-return-held")
        again = Story(page.context.new_page(), server, shots=shots)
        again.log_in(REVIEWER)
        again.page.close()
        page.locator("#session-warning").get_by_role("button", name="已重新登录").click()
        with page.expect_navigation(wait_until="networkidle"):
            page.get_by_role("button", name="退回修改").click()
        expect(desk.message().last).to_contain_text("已退回")
        expect(page.locator("ul.comments")).to_contain_text(COMMENT)

        # 4. The late department's filer at the desk: bad numbers refused, nothing typed lost.
        desk = story_at(DESKTOP, "wenlv_tianbao")
        page = desk.page
        desk.goto(f"/monitoring/{late}/edit/")
        funds = page.locator("table.monitoring-funds")
        expect(funds.locator("thead")).to_contain_text("1–7月执行数")
        expect(funds.locator("thead")).not_to_contain_text("1–m月")
        total = funds.locator("tbody tr").first
        total.locator("input[data-field=executed]").fill("一百")
        first = page.locator("#indicators tr.ind-row").first
        first.locator("input[name=ind_to_date]").fill("≥5场")
        page.locator("textarea[name=problems]").fill("送戏下乡场次进度偏慢。")
        with page.expect_navigation(wait_until="networkidle"):
            page.locator(".toolbar").get_by_role("button", name="保存", exact=True).click()
        expect(page.locator("main")).to_contain_text("有金额无法识别，未保存")
        expect(page.locator("main")).to_contain_text("年度资金总额的1–7月执行数“一百”不是有效金额")
        expect(total.locator("input[data-field=executed]")).to_have_value("一百")
        expect(first.locator("input[name=ind_to_date]")).to_have_value("≥5场")
        expect(page.locator("textarea[name=problems]")).to_have_value("送戏下乡场次进度偏慢。")
        _no_english(page)
        desk.shot("04-refused")
        # A target table is no monitoring workbook: refused, and not called free of problems.
        desk.goto(f"/monitoring/{late}/upload/")
        page.locator("input[type=file]").set_input_files(_target_table_file(tmp_path))
        with page.expect_navigation(wait_until="networkidle"):
            page.get_by_role("button", name="读取并预览").click()
        expect(page.locator("#upload-error")).to_contain_text("不是部门整体支出绩效运行监控表，不能导入")
        expect(page.locator("main")).not_to_contain_text("没有发现问题")
        desk.shot("05-upload-refused")

        # 5. One hundred indicators: at the desk the causes have room; on a phone, cards.
        big = story_at(DESKTOP, "jiaoyu_tianbao")
        page = big.page
        big.goto(f"/monitoring/{hundred}/edit/")
        expect(page.locator("#indicators tr.ind-row")).to_have_count(100)
        row = page.locator("#indicators tr.ind-row").first
        with page.expect_response(lambda r: r.url.endswith("/check/")):
            row.locator("input[name=ind_to_date]").fill("1")
        expect(page.locator("[data-warning-row='1']")).to_have_text("红")
        cause = page.locator("details[data-cause-row='1']")
        expect(cause).to_have_attribute("open", "")
        note = cause.locator("textarea[name=ind_cause_note]")
        assert (note.bounding_box() or {"width": 0})["width"] >= 200
        label = cause.get_by_text("硬件条件保障")
        assert (label.bounding_box() or {"height": 99})["height"] < 30  # one line, not a letter a line
        _no_sideways_scroll(page)
        big.shot("06-hundred-desk")
        pocket = story_at(PHONE, "jiaoyu_tianbao")
        page = pocket.page
        pocket.goto(f"/monitoring/{hundred}/edit/")
        _no_sideways_scroll(page)
        expect(page.locator("table.monitoring-indicators thead")).to_be_hidden()
        row = page.locator("#indicators tr.ind-row").nth(99)
        row.scroll_into_view_if_needed()
        expect(row).to_contain_text("片区")
        forecast = row.locator("input[name=ind_forecast]")
        assert (forecast.bounding_box() or {"width": 0})["width"] >= 250  # the card's width
        _no_english(page)
        pocket.shot("07-hundred-phone")
    finally:
        for story in stories:
            story.page.context.close()
    for story in stories:
        assert not story.console_errors, story.console_errors
        # The refused save and upload answer 400, as they should (the upload once the worker has
        # read it: the job's page); the page asking after an ended session is answered 401.
        refused = re.compile(
            r"(400 POST .*/monitoring/\d+/(edit|upload)/|400 GET .*/monitoring/\d+/upload/\?job=\d+"
            r"|401 GET .*/accounts/session/)$"
        )
        assert [r for r in story.failed_requests if not refused.match(r)] == []
