"""Every framework's demo in headless Chromium: the session cookie as a browser keeps it.

The demo runs under its real server (shared with test_real_servers.py) with the default
answers, so the cookie is Secure; Chromium treats http://localhost as secure and keeps
it there. Chromium is Debian's package, driven by Playwright (no downloaded browser).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from helpers import FRAMEWORKS
from servers import DemoServer

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
EXPIRY_SLACK_SECONDS = 120

RecordProperty = Callable[[str, object], None]
ServeDemo = Callable[[str], DemoServer]


def frameworks() -> list[Any]:
    return [
        pytest.param(framework, marks=pytest.mark.xdist_group(f"demo-{framework}"))
        for framework in FRAMEWORKS
    ]


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium, for one test (Playwright's loop must not outlive it)."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def visit(page: Page, url: str, *, reload: bool = False) -> dict[str, Any]:
    """Navigate (or reload) and return the page's JSON."""
    response = page.reload() if reload else page.goto(url)
    assert response is not None, url
    assert response.status == 200, (url, response.status, response.text())
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("framework", frameworks())
def test_chromium_keeps_the_session_cookie_and_hides_it_from_javascript(
    framework: str,
    demo_server: ServeDemo,
    browser: Browser,
    record_property: RecordProperty,
) -> None:
    server = demo_server(framework)
    answers, name = server.answers, server.cookie_name
    origin = server.url("", host="localhost")
    context = browser.new_context()
    page = context.new_page()

    first = visit(page, f"{origin}/")
    set_at = time.time()
    cart_id, pids = first["cart_id"], {first["worker"]}
    for url, reload in [(f"{origin}/", True), (f"{origin}/session", False), (f"{origin}/", False)]:
        body = visit(page, url, reload=reload)
        assert body.get("cart_id") == cart_id, (url, body)
        pids.add(body.get("worker", first["worker"]))

    page.evaluate("document.cookie = 'visible=1; SameSite=Lax'")
    assert page.evaluate("document.cookie") == "visible=1", "the session cookie is visible"

    stored = [cookie for cookie in context.cookies() if cookie.get("name") == name]
    assert len(stored) == 1, context.cookies()
    cookie = stored[0]
    assert cookie.get("httpOnly") is True
    assert cookie.get("secure") is bool(answers["secure"])
    assert cookie.get("sameSite") == answers["same_site"]
    assert cookie.get("path") == "/"
    assert cookie.get("domain") == "localhost"
    expected_expiry = set_at + int(answers["max_age"])
    assert abs(cookie.get("expires", 0) - expected_expiry) < EXPIRY_SLACK_SECONDS, cookie

    status = page.evaluate("async () => (await fetch('/clear', {method: 'POST'})).status")
    assert status == 200
    assert [c for c in context.cookies() if c.get("name") == name] == []
    after = visit(page, f"{origin}/")
    assert after["cart_id"] != cart_id
    pids.add(after["worker"])
    context.close()

    record_property("demo_framework", framework)
    record_property("demo_requests", 6)
    record_property("demo_worker_pids", sorted(pids))
    print(f"\n{framework} in Chromium: 6 requests, worker pids {sorted(pids)}")
