"""The assessor sees her own error (issue 22, item 9), in real Chromium on a 360 px phone: a
"not yet" without feedback, far down a claim's page, comes back with 400 and the summary of
problems at the top (focused with JavaScript), whose link brings her to the message by the field,
with JavaScript and without; once corrected, the decision leads on to the next claim waiting.

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


def assert_at_the_error(page: Page, java_script: bool) -> None:
    """The summary at the top names her error (focused, with JavaScript); its link brings the
    message by the field into view; her choice is kept."""
    summary = page.locator("#error-summary")
    expect(summary).to_contain_text(MISSING_FEEDBACK)
    expect(summary).to_be_in_viewport()
    if java_script:
        expect(summary).to_be_focused()
    form = page.locator("form.decision", has_text="3.2")
    expect(form.get_by_label("Not yet")).to_be_checked()
    summary.get_by_role("link").first.click()
    error = form.locator("p.error")
    expect(error).to_have_text(MISSING_FEEDBACK)
    expect(error).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") > 300  # far below the page's top


def test_ada_lands_at_her_error_and_then_goes_on_to_the_next_claim(
    browser: Browser,  # noqa: F811
    server: LiveServer,  # noqa: F811
):
    for java_script in (False, True):
        with phone(browser, java_script_enabled=java_script) as context:
            page = context.new_page()
            claim_path = open_claim_on_3_2(page, server)

            assert send_not_yet_without_feedback(page) == 400
            assert_at_the_error(page, java_script)

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
