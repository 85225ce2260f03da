"""The public holds the bureau to its history: the portal shows the latest head of the audit chain,
the bureau's checkpoint of the same moment names the same entry and hash, and verify given that
checkpoint finds the history whole.  Screenshots at 1280 px and on a phone (390×844)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
from playwright.sync_api import Browser, expect

from jixiao_web.audit import Checkpoint
from web.browsing import ARTIFACTS, CHROMIUM, JIXIAO, Server, Story

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "audit"


def _jixiao(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run(
        [str(JIXIAO), "audit", *args, "--data-dir", str(server.data_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(("width", "height", "name"), [(1280, 900, "desktop"), (390, 844, "phone")])
def test_the_portal_shows_the_head_the_checkpoint_names(
    server: Server, browser: Browser, width: int, height: int, name: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        story = Story(context.new_page(), server, shots=SHOTS)
        page = story.page
        # The worker's renders of the demo's publications append to the chain: wait for them,
        # then nothing is appended while the portal is only read.
        server.wait_for_jobs()
        story.goto("/public/")
        head = page.locator("aside.chain-head")
        expect(head).to_be_visible()
        shown = re.search(r"操作记录链：第(\d+)条，哈希 ([0-9a-f]{16})…，时间 (\S+ \S+)", head.inner_text())
        assert shown is not None, head.inner_text()
        story.shot(f"public-index-{name}")

        # The bureau's checkpoint of this moment names the same entry (the portal is only read,
        # so nothing was appended since).
        made = _jixiao(server, "checkpoint")
        assert made.returncode == 0, made.stderr
        point = Checkpoint.from_json(made.stdout)
        assert (str(point.seq), point.hash[:16], point.when[:16]) == (
            shown[1],
            shown[2],
            shown[3][:16],
        )
        head.locator("summary").click()
        expect(head.locator("code.chain-hash")).to_have_text(point.hash)

        # Its target table (the index lists its self-evaluation of that year too).
        page.locator("a[href='/public/2023/yingji/']").click()
        page.wait_for_load_state("networkidle")
        expect(page.locator("aside.chain-head")).to_contain_text(f"操作记录链：第{point.seq}条")
        # No sideways scrolling of the page on a phone: the hash wraps.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        story.shot(f"public-table-{name}")
        page.locator("aside.chain-head").screenshot(path=str(SHOTS / f"public-table-head-{name}.png"))
        assert (story.console_errors, story.failed_requests) == ([], [])

        kept = SHOTS / f"checkpoint-{name}.json"
        kept.write_text(made.stdout, encoding="utf-8")
        verified = _jixiao(server, "verify", "--checkpoint", str(kept))
        assert verified.returncode == 0, verified.stderr
        assert f"第{point.seq}条" in verified.stdout
    finally:
        context.close()
