"""Inviting one person after another on a 360 px phone with JavaScript (issue 22, item 11): the
set is found by name, stays chosen for the next invitation, and each one-time link is copied
with the Copy button; the page fits, with 44 px targets and no serious axe-core finding."""

import re
import uuid

import pytest
from playwright.sync_api import expect

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
browser = tour.browser
server = tour.server
INVITE = re.compile(r"http://127\.0\.0\.1:\d+/invite/[A-Za-z0-9_-]{20,}")


def test_an_admin_invites_two_people_into_a_set_found_by_name_and_copies_each_link(
    browser, server: LiveServer
):
    first, second = (f"{who}.{uuid.uuid4().hex[:6]}@example.org" for who in ("ann", "bo"))
    permissions = ["clipboard-read", "clipboard-write"]
    with phone(browser, axe=True, permissions=permissions) as context:
        page = context.new_page()
        sign_in(page, server, "admin")
        page.goto(f"{server.url}/admin/invitations")
        page.get_by_label("Find a set to invite into").fill("leeds")
        page.get_by_role("button", name="Find", exact=True).click()
        page.get_by_label("Set", exact=True).select_option(label="Leeds 1")
        page.get_by_label("Role").select_option("candidate")
        links = []
        for email in (first, second):
            page.get_by_label("Email").fill(email)
            page.get_by_role("button", name="Create invitation").click()
            expect(page.get_by_role("status").first).to_contain_text(f"created for {email}")
            # Ready for the next one: the set and role as they were.
            expect(page.get_by_label("Set", exact=True)).to_have_value(re.compile(r"^\d+$"))
            selected = page.get_by_label("Set", exact=True).evaluate(
                "s => s.options[s.selectedIndex].text"
            )
            assert selected == "Leeds 1"
            assert page.get_by_label("Role").input_value() == "candidate"
            page.get_by_role("button", name="Copy").click()
            expect(page.get_by_text("Copied.")).to_be_visible()
            copied = page.evaluate("() => navigator.clipboard.readText()")
            assert (
                INVITE.fullmatch(copied)
                and copied == page.get_by_label("Invitation link").input_value()
            )
            links.append(copied)

        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths == [PHONE_WIDTH, PHONE_WIDTH]
        assert page.evaluate(SMALL_TARGETS_JS, [TARGET_PX]) == []
        assert page.evaluate(AXE_JS) == []
        assert links[0] != links[1]
        for link in links:
            page.goto(link)
            expect(page.get_by_text("in Leeds 1")).to_be_visible()
