"""The calendar's pages in real Chromium on a 360 px phone: turning the feed on from *Account*
shows its address on a page that fits the screen, with 44 px tap targets, no serious axe-core
finding and no console error or CSP violation; then back on *Account*, turning it off.

The page with the address answers a POST, so the tour of tests/browser (which opens pages by
their links) never reaches it; its live server, browser and measurements are used here.
"""

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser import test_phone as tour
from tests.browser.test_phone import (
    AXE_JS,
    PHONE_WIDTH,
    SMALL_TARGETS_JS,
    TARGET_PX,
    LiveServer,
    phone,
    sign_in,
)

pytestmark = pytest.mark.browser
# The tour's fixtures, for this module too: a Chromium, and a live server with the demo data.
browser = tour.browser
server = tour.server
FEED = re.compile(r"http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]{43}\.ics")


def turn_on(page: Page, server: LiveServer) -> str:
    page.goto(f"{server.url}/account")
    page.get_by_role("button", name="Turn on the calendar feed").click()
    expect(page.get_by_role("heading", name="Your calendar address")).to_be_visible()
    address = page.get_by_label("Calendar address").input_value()
    assert FEED.fullmatch(address), address
    return address


def test_the_address_page_fits_a_phone_and_reads_well(browser, server: LiveServer):
    with phone(browser, axe=True) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        address = turn_on(page, server)

        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        small = page.evaluate(SMALL_TARGETS_JS, [TARGET_PX])
        violations = page.evaluate(AXE_JS)

        assert widths == [PHONE_WIDTH, PHONE_WIDTH]
        assert small == []
        assert violations == []
        subscribe = page.get_by_role("link", name="Subscribe on this device")
        assert subscribe.get_attribute("href") == "webcal://" + address.split("://", 1)[1]
        assert page.request.get(address).headers["content-type"] == "text/calendar; charset=utf-8"


def test_copy_puts_the_whole_address_on_the_clipboard(browser, server: LiveServer):
    with phone(browser, permissions=["clipboard-read", "clipboard-write"]) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        page.goto(f"{server.url}/account")
        # On, or on already (the live server's demo data lasts for the whole session).
        page.get_by_role(
            "button", name=re.compile("Turn on the calendar feed|Get a new address")
        ).click()
        field = page.get_by_label("Calendar address")
        address = field.input_value()
        assert FEED.fullmatch(address), address
        # Shown whole (wrapped), not cut off: the box is as wide as its text needs lines for.
        box = field.bounding_box()
        assert box is not None and box["width"] <= PHONE_WIDTH
        assert field.evaluate("e => e.scrollHeight <= e.clientHeight + 1")

        page.get_by_role("button", name="Copy").click()

        expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
        assert page.evaluate("() => navigator.clipboard.readText()") == address
        # Share only where the browser has it: no Share button here for the calendar.
        assert page.get_by_role("button", name="Share").count() == 0


def test_turning_the_feed_on_and_off_logs_no_error(browser, server: LiveServer):
    logged: list[str] = []
    with phone(browser) as context:
        page = context.new_page()
        page.on("console", lambda message: _keep_error(message, logged))
        page.on("pageerror", lambda error: logged.append(f"uncaught: {error}"))
        sign_in(page, server, "cal")
        address = turn_on(page, server)

        page.get_by_role("link", name="Back to your account").click()
        page.get_by_role("button", name="Turn off").click()

        expect(page.get_by_text("Your calendar feed is off")).to_be_visible()
        expect(page.get_by_role("button", name="Turn on the calendar feed")).to_be_visible()
        assert page.request.get(address).status == 404
    assert logged == []


def _keep_error(message: ConsoleMessage, logged: list[str]) -> None:
    # Chromium asks for /favicon.ico when a page stays open long enough; the app has none (no
    # page links one), and that 404 is not the calendar's.
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        logged.append(f"{message.text} ({message.location.get('url')})")
