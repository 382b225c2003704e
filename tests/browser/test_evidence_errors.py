"""The assessor sees her own error (issue 22, item 9), in real Chromium on a 360 px phone: a
"not yet" without feedback, far down a claim's page, comes back with 400 at that form, the error
in view and the focus there, with JavaScript and without; once corrected, the decision leads on
to the next claim waiting for her.

Its own live server with the demo data (tests/browser/test_phone.py's fixtures), where ada's
queue holds cara's claim on 1.2 (accepted) and 3.2 (awaiting her decision), then two more.
"""

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_phone import (  # noqa: F401 - server and browser are fixtures
    LiveServer,
    _path,
    browser,
    phone,
    server,
    sign_in,
)

pytestmark = __import__("pytest").mark.browser

MISSING_FEEDBACK = "Say what is missing: “not yet” needs feedback."


def open_claim_on_3_2(page: Page, live: LiveServer) -> str:
    sign_in(page, live, "ada")
    queue = page.get_by_role("region", name="Evidence to assess")
    queue.locator("article.claim", has_text="3.2").locator("h3 a").click()
    expect(page).to_have_url(re.compile(r"/evidence/claims/\d+$"))
    return _path(page.url)


def send_not_yet_without_feedback(page: Page) -> int:
    """On the 3.2 form, far below the page's top: "not yet", no feedback; the answer's status."""
    item = page.locator("ul.claimed > li", has_text="3.2")
    item.get_by_label("Not yet").check()
    item.get_by_label("Feedback").fill("")
    with page.expect_navigation() as navigation:
        item.get_by_role("button", name="Save decision on 3.2").click()
    return navigation.value.status


def assert_at_the_error(page: Page) -> None:
    form = page.locator("form.decision", has_text="3.2")
    form_id = form.get_attribute("id")
    assert page.url.endswith(f"#{form_id}")
    error = form.locator("p.error")
    expect(error).to_have_text(MISSING_FEEDBACK)
    expect(error).to_be_in_viewport()
    expect(form.get_by_label("Not yet")).to_be_checked()  # her choice kept
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == form_id
    assert page.evaluate("() => window.scrollY") > 300  # not the page's top


def test_ada_lands_at_her_error_and_then_goes_on_to_the_next_claim(
    browser: Browser,  # noqa: F811
    server: LiveServer,  # noqa: F811
):
    for java_script in (False, True):
        with phone(browser, java_script_enabled=java_script) as context:
            page = context.new_page()
            claim_path = open_claim_on_3_2(page, server)

            assert send_not_yet_without_feedback(page) == 400
            assert_at_the_error(page)

    with phone(browser) as context:
        page = context.new_page()
        claim_path = open_claim_on_3_2(page, server)
        send_not_yet_without_feedback(page)
        form = page.locator("form.decision", has_text="3.2")
        form.get_by_label("Feedback").fill("Say what you changed so that your team spoke up.")
        form.get_by_role("button", name="Save decision on 3.2").click()

        expect(page.get_by_role("status")).to_contain_text("Decision on 3.2 saved. Next waiting: ")
        assert _path(page.url) != claim_path
        expect(page).to_have_url(re.compile(r"/evidence/claims/\d+#main$"))
        # The workspace's first claim is the one it led to.
        next_path = _path(page.url)
        page.goto(f"{server.url}/")
        first = page.get_by_role("region", name="Evidence to assess").locator("h3 a").first
        assert first.get_attribute("href") == next_path
