"""The whole story in a real browser: a department files its 2024 table, the finance bureau returns
it with a comment, the department fixes it, the bureau approves and publishes it, the public
downloads it.

Chromium (Debian's ``/usr/bin/chromium``) is driven by Playwright against a real ``jixiao serve
--demo`` started on a free port with its own data dir.  A full-page screenshot of every step is kept
in ``test-artifacts/browser/`` at the repository root.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    Response,
    expect,
    sync_playwright,
)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
JIXIAO = Path(sys.executable).with_name("jixiao")
DEPARTMENT = "揭阳市应急管理局"
YEAR = 2024
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)


# --- the server -------------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    data_dir: Path
    passwords: dict[str, str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``jixiao serve --demo`` on a free port; its process group is ended afterwards."""
    data_dir = tmp_path_factory.mktemp("jixiao-data")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(JIXIAO), "serve", "--demo", "--data-dir", str(data_dir), "--port", str(port), "--workers", "2"],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # The server keeps its own SQLite in the data dir, whatever database the test run uses.
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 90
        while not _answers(f"{url}/public/"):
            if process.poll() is not None:
                pytest.fail(f"jixiao serve exited ({process.returncode}):\n{_log(data_dir)}")
            if time.monotonic() > deadline:
                pytest.fail(f"jixiao serve did not answer on {url} within 90 s:\n{_log(data_dir)}")
            time.sleep(0.2)
        accounts = (data_dir / "demo-accounts.txt").read_text(encoding="utf-8")
        passwords = dict(line.split("\t", 1) for line in accounts.splitlines() if "\t" in line)
        yield Server(url, data_dir, passwords)
    finally:
        _stop(process)
        log.close()


def _log(data_dir: Path) -> str:
    return (data_dir / "serve.log").read_text(encoding="utf-8", errors="replace")[-4000:]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


# --- the browser ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # ``launch`` gives every run a fresh, temporary user data dir.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Story:
    """One browser page walked through the story, with what it met on the way."""

    page: Page
    server: Server
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    #: What to do with the next ``beforeunload`` dialog: "accept" (leave) or "dismiss" (stay).
    on_beforeunload: str = "accept"

    def __post_init__(self) -> None:
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.type)
        if dialog.type == "beforeunload" and self.on_beforeunload == "dismiss":
            dialog.dismiss()
        else:
            dialog.accept()

    def _console(self, message: ConsoleMessage) -> None:
        # A failed request is logged as a console error too; those are judged by ``_response``.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _response(self, response: Response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.failed_requests.append(f"{response.status} {response.request.method} {response.url}")

    def goto(self, path: str) -> None:
        self.page.goto(self.server.url + path, wait_until="networkidle")

    def shot(self, name: str) -> None:
        self.page.wait_for_load_state("networkidle")
        # From the top, so that the editor's sticky toolbar is where it belongs in the picture.
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def log_in(self, username: str) -> None:
        self.goto("/accounts/login/")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(self.server.passwords[username])
        with self.page.expect_navigation(wait_until="networkidle"):
            self.page.get_by_role("button", name="登录").click()
        expect(self.page.locator("header.top .who")).to_be_visible()
        assert "/accounts/login/" not in self.page.url

    def log_out(self) -> None:
        with self.page.expect_navigation(wait_until="networkidle"):
            self.page.locator("header.top").get_by_role("button", name="退出").click()
        expect(self.page.locator("header.top")).to_contain_text("登录")

    def message(self) -> Locator:
        return self.page.locator("ul.messages li")


# --- the editor -------------------------------------------------------------------------------------


def _checked(page: Page, action: Callable[[], object]) -> None:
    """Do ``action`` and wait for the findings the page fetches after it."""
    with page.expect_response(lambda r: r.url.endswith("/check/") and r.request.method == "POST"):
        action()
    page.wait_for_load_state("networkidle")


def _wait_until(page: Page, condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (briefly, letting the page's events run) until it holds."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for a condition"
        page.wait_for_timeout(50)


def _issue_beside(page: Page, code: str) -> Locator:
    return page.locator(f"#table-form .field-issue[data-code='{code}']")


def _add_task(page: Page, kind: str, name: str, content: str, amount: str) -> None:
    button = "＋ 添加重点工作任务" if kind == "key" else "＋ 添加其他任务"
    body = "#tasks-key" if kind == "key" else "#tasks-other"
    rows = page.locator(f"{body} tr.task-row")
    index = rows.count()
    page.get_by_role("button", name=button).click()
    row = rows.nth(index)
    row.get_by_label("任务名称").fill(name)
    row.get_by_label("主要实施内容").fill(content)
    row.get_by_label("拟投入金额（万元）").fill(amount)


def _add_indicator(
    page: Page, level1: str, level2: str, name: str, comparator: str, value: str, unit: str
) -> Locator:
    rows = page.locator("#indicators tr.ind-row")
    index = rows.count()
    page.get_by_role("button", name="＋ 添加指标").click()
    row = rows.nth(index)  # not ``.last``: the locator is kept and must stay on this row
    row.get_by_label("一级指标").select_option(level1)
    # 二级 choices follow 一级.
    expect(row.get_by_label("二级指标").locator("option", has_text=level2)).to_have_count(1)
    row.get_by_label("二级指标").select_option(level2)
    row.get_by_label("三级指标", exact=True).fill(name)
    row.get_by_label("三级指标解释").fill(f"{name}（{YEAR}年度）")
    row.get_by_label("对比符号").select_option(comparator)
    row.get_by_label("指标值").fill(value)
    row.get_by_label("计量单位").fill(unit)
    return row


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
    _checked(
        page,
        lambda: _add_task(
            page,
            "key",
            "揭阳市重点化工项目（企业）安全审查、安全检查专家技术服务",
            "对重点化工项目有关建设项目安全审查、企业安全检查提供专家技术服务。",
            "200",
        ),
    )
    expect(total).to_have_text(re.compile(r"合计 200 万元，项目支出 300 万元，相差 100 万元"))
    expect(total).to_have_class(re.compile(r"\bmismatch\b"))
    mismatch = _issue_beside(page, "project-expenditure-mismatch")
    expect(mismatch).to_be_visible()
    expect(mismatch).to_contain_text("相差 100")
    expect(page.locator("input[name=budget_project_expenditure]")).to_have_class(re.compile(r"\bhas-error\b"))
    story.shot("03-task-total-mismatch")

    # An amount that is not one: the total line counts it, the finding sits under the field.
    row = page.locator("#tasks-key tr.task-row").first
    _checked(page, lambda: row.get_by_label("拟投入金额（万元）").fill("二百"))
    expect(total).to_contain_text("1 个金额无法识别")
    expect(row.locator(".field-issue[data-code='amount-invalid']")).to_contain_text("不是有效金额")
    _checked(page, lambda: row.get_by_label("拟投入金额（万元）").fill("200"))
    expect(row.locator(".field-issue")).to_have_count(0)

    # An 其他任务 of 100 makes it add up.
    _checked(
        page,
        lambda: _add_task(
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
    _add_indicator(page, "产出指标", "数量指标", "安全审查项目数", "≥", "若干", "个")
    _add_indicator(page, "产出指标", "质量指标", "应急预案编制率", "=", "100", "%")
    _add_indicator(page, "产出指标", "时效指标", "应急处置到达时间", "≤", "3", "小时")
    _add_indicator(page, "产出指标", "成本指标", "项目支出控制数", "≤", "300", "万元")
    _add_indicator(page, "效益指标", "社会效益指标", "抢险救灾率", "=", "100", "%")
    _checked(
        page, lambda: _add_indicator(page, "满意度指标", "服务对象满意度指标", "群众满意度", "≥", "90", "%")
    )
    expect(indicators.locator("td.seq")).to_have_text([str(n) for n in range(1, 8)])
    bad = indicators.nth(1)
    invalid = bad.locator(".field-issue[data-code='target-value-invalid']")
    expect(invalid).to_be_visible()
    expect(invalid).to_contain_text("若干")
    expect(bad.get_by_label("指标值")).to_have_class(re.compile(r"\bhas-error\b"))
    expect(page.locator("#indicators .field-issue")).to_have_count(1)
    story.shot("04-indicator-value-invalid")
    # The blank row goes; the rows are numbered again and the finding stays with its row.
    _checked(page, lambda: indicators.first.get_by_role("button", name="删除此行").click())
    expect(indicators.locator("td.seq")).to_have_text([str(n) for n in range(1, 7)])
    bad = indicators.first
    expect(bad.get_by_label("三级指标", exact=True)).to_have_value("安全审查项目数")
    invalid = bad.locator(".field-issue[data-code='target-value-invalid']")
    expect(invalid).to_be_visible()
    _checked(page, lambda: bad.get_by_label("指标值").fill("4"))
    expect(invalid).to_have_count(0)
    expect(page.locator("#error-count")).to_have_text("0")
    expect(page.locator("#table-form .field-issue.error")).to_have_count(0)

    # Leaving with unsaved changes asks first; staying keeps what was typed.
    story.on_beforeunload = "dismiss"
    page.locator(".toolbar").get_by_role("link", name="返回").click()
    _wait_until(page, lambda: story.dialogs.count("beforeunload") == 1)
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
    _checked(page, lambda: first.get_by_label("指标值").fill("5"))
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
    assert story.dialogs == ["beforeunload"], story.dialogs
