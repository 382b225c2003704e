"""The main navigation on a 360 x 740 phone, in real Chromium: one row for every role (the header
at most 64 px high, no section's name broken over two lines), and "More" opening over the page,
every entry in it a full tap target on the screen, with JavaScript and without. Which sections
each person gets is tests/test_navigation.py."""

# ruff: noqa: F401, F811 (test_phone's fixtures, imported here and taken as arguments)
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_phone import (
    PHONE_WIDTH,
    ROLES,
    SIGNED_OUT,
    TARGET_PX,
    LiveServer,
    browser,
    phone,
    server,
    sign_in,
)

pytestmark = pytest.mark.browser

HEADER_PX = 64  # one 44 px row and its padding; two rows (the old header) were 132 px

# Each entry of the header: its height and how many lines its words take.
ENTRIES_JS = """
() => [...document.querySelectorAll('header.site nav > ul > li > a, header.site summary')]
  .map((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
    return {text: el.textContent.trim(), height: el.getBoundingClientRect().height,
            lines: lines.size};
  })
"""

# Every link and button under "More": where it is on the screen.
MORE_JS = """
() => [...document.querySelectorAll('details.more li > a, details.more button')].map((el) => {
  const box = el.getBoundingClientRect();
  return {text: el.textContent.trim(), left: box.left, right: box.right, height: box.height};
})
"""

MAIN_TOP_JS = "() => document.getElementById('main').getBoundingClientRect().top"


def header_height(page: Page) -> float:
    return page.evaluate("() => document.querySelector('header.site').offsetHeight")


@pytest.mark.parametrize("role", ROLES)
def test_the_header_is_one_row_on_every_page_of_the_navigation(
    browser: Browser, server: LiveServer, role: str
):
    with phone(browser) as context:
        page = context.new_page()
        if role == SIGNED_OUT:
            page.goto(f"{server.url}/login")
            assert header_height(page) <= HEADER_PX
            return
        sign_in(page, server, role)
        hrefs = page.eval_on_selector_all("header.site a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            page.goto(href)
            assert header_height(page) <= HEADER_PX, href
            entries = page.evaluate(ENTRIES_JS)
            assert entries and entries[-1]["text"] == "More", href
            broken = [e for e in entries if e["lines"] != 1 or e["height"] > TARGET_PX + 1]
            assert not broken, (href, broken)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= PHONE_WIDTH, href


@pytest.mark.parametrize("scripts", [True, False], ids=["javascript", "no-javascript"])
def test_more_opens_over_the_page_with_every_entry_on_the_screen(
    browser: Browser, server: LiveServer, scripts: bool
):
    with phone(browser, java_script_enabled=scripts) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        main_top = page.evaluate(MAIN_TOP_JS)
        more = page.locator("details.more")
        account = page.get_by_role("link", name="Account")
        expect(account).to_be_hidden()
        more.locator("summary").click()
        expect(account).to_be_visible()
        # Over the page: nothing below the header moves.
        assert header_height(page) <= HEADER_PX
        assert page.evaluate(MAIN_TOP_JS) == main_top
        entries = page.evaluate(MORE_JS)
        assert [e["text"] for e in entries] == [
            "Shared",
            "Sets",
            "Your evidence",
            "Portfolio",
            "Account",
            "Sign out",
        ]
        for entry in entries:
            assert entry["left"] >= 0 and entry["right"] <= PHONE_WIDTH, entry
            assert entry["height"] >= TARGET_PX - 0.05, entry
        more.get_by_role("link", name="Your evidence").click()
        expect(page).to_have_url(f"{server.url}/evidence")
        expect(page.locator("details.more")).to_have_class("more current")
        if scripts:  # a tap elsewhere, or Escape, closes it as a menu closes
            more.locator("summary").click()
            expect(account).to_be_visible()
            page.mouse.click(10, 700)
            expect(account).to_be_hidden()
            more.locator("summary").click()
            page.keyboard.press("Escape")
            expect(account).to_be_hidden()
            expect(more.locator("summary")).to_be_focused()
