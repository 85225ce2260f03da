"""The Content-Security-Policy in a real browser: pages run only scripts from files, and nothing
they need is refused (the queue's year choice, the editor, the API docs page of django-ninja)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from web.browsing import ARTIFACTS, CHROMIUM, Server, Story

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

SHOTS = ARTIFACTS / "harden"


def _refusals(story: Story) -> list[str]:
    """What the browser refused or could not read in our headers (CSP, Permissions-Policy)."""
    return [m for m in story.console_errors if "Content Security Policy" in m or "Permissions-Policy" in m]


def test_the_api_docs_page_renders_under_its_policy(server: Server, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    story = Story(page, server, shots=SHOTS)
    story.goto("/api/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("jixiao API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.locator(".opblock-summary").first.click()  # an operation opens (Swagger's own script runs)
    expect(page.locator(".opblock-body").first).to_be_visible()
    story.shot("api-docs")
    assert _refusals(story) == []
    assert story.failed_requests == []
    page.close()


def test_pages_run_their_scripts_and_nothing_is_refused(server: Server, browser: Browser) -> None:
    for width, height in ((1280, 900), (390, 844)):
        page = browser.new_page(viewport={"width": width, "height": height})
        story = Story(page, server, shots=SHOTS)
        story.goto("/public/")
        story.log_in("shenhe1")
        story.goto("/review/")
        years = page.locator("select[name=year]")
        options = years.locator("option").all_inner_texts()
        if len(options) > 1:  # choosing another year reloads the queue (autosubmit.js, not onchange=)
            other = next(option for option in options if option != years.input_value())
            with page.expect_navigation():
                years.select_option(other)
            assert f"year={other}" in page.url
        story.shot(f"queue-{width}")
        story.log_out()
        story.log_in("yingji_tianbao")
        story.goto("/")
        story.shot(f"home-{width}")
        assert _refusals(story) == [], _refusals(story)
        page.close()
