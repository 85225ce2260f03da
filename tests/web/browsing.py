"""What the browser tests share: a real ``jixiao serve --demo`` on a free port with its own data dir,
Debian's Chromium driven by Playwright, and a :class:`Story` that records dialogs, console errors and
failed requests of a page walked through a story.

A test module uses them with ``from web.browsing import browser, server  # noqa: F401`` (the
fixtures) and ``pytestmark = pytest.mark.browser``.  Each module gets its own server, so stories
in different modules never see each other's changes.  Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
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
#: Loading the demo city (17 accounts, the published table's downloads) takes seconds on a quiet
#: machine and more than a minute on a busy one.
START_SECONDS = 240
expect.set_options(timeout=TIMEOUT_MS)

# --- the server -------------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    data_dir: Path
    passwords: dict[str, str]

    def wait_for_jobs(self, seconds: float = START_SECONDS) -> None:
        """Wait until the server's worker has no job waiting or running (the demo's renders, which
        append to the audit chain when they are done), read from its own SQLite database."""
        deadline = time.monotonic() + seconds
        database = f"file:{self.data_dir / 'jixiao.sqlite3'}?mode=ro"
        while True:
            with closing(sqlite3.connect(database, uri=True, timeout=10)) as connection:
                (unfinished,) = connection.execute(
                    "SELECT count(*) FROM jixiao_web_job WHERE state IN ('queued', 'running', 'retrying')"
                ).fetchone()
            if unfinished == 0:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{unfinished} jobs still unfinished after {seconds} s:\n{_log(self.data_dir)}")
            time.sleep(0.5)


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


def serve_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
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
        deadline = time.monotonic() + START_SECONDS
        while not _answers(f"{url}/public/"):
            if process.poll() is not None:
                pytest.fail(f"jixiao serve exited ({process.returncode}):\n{_log(data_dir)}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"jixiao serve did not answer on {url} within {START_SECONDS} s:\n{_log(data_dir)}"
                )
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


def launch_browser() -> Iterator[Browser]:
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
    #: Where ``shot`` keeps its screenshots (a folder per story under ``test-artifacts/browser/``).
    shots: Path = ARTIFACTS

    def __post_init__(self) -> None:
        self.shots.mkdir(parents=True, exist_ok=True)
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
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

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


def checked(page: Page, action: Callable[[], object]) -> None:
    """Do ``action`` and wait for the findings the page fetches after it."""
    with page.expect_response(lambda r: r.url.endswith("/check/") and r.request.method == "POST"):
        action()
    page.wait_for_load_state("networkidle")


def wait_until(page: Page, condition: Callable[[], bool]) -> None:
    """Poll ``condition`` (briefly, letting the page's events run) until it holds."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for a condition"
        page.wait_for_timeout(50)


def issue_beside(page: Page, code: str) -> Locator:
    return page.locator(f"#table-form .field-issue[data-code='{code}']")


def add_task(page: Page, kind: str, name: str, content: str, amount: str) -> None:
    button = "＋ 添加重点工作任务" if kind == "key" else "＋ 添加其他任务"
    body = "#tasks-key" if kind == "key" else "#tasks-other"
    rows = page.locator(f"{body} tr.task-row")
    index = rows.count()
    page.get_by_role("button", name=button).click()
    row = rows.nth(index)
    row.get_by_label("任务名称").fill(name)
    row.get_by_label("主要实施内容").fill(content)
    row.get_by_label("拟投入金额（万元）").fill(amount)


def add_indicator(
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
    row.get_by_label("指标值", exact=True).fill(value)
    row.get_by_label("计量单位").fill(unit)
    return row


def fresh_folder(path: Path) -> Path:
    """``path`` made empty of an earlier run's screenshots and files."""
    path.mkdir(parents=True, exist_ok=True)
    for old in path.iterdir():
        if old.is_file():
            old.unlink()
    return path
