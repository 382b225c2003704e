"""The writing form with JavaScript, in real Chromium on a 360 px phone (issue 22, item 1).

static/app.js makes the choices follow each other: linked to a meeting, the set is that
meeting's (the others cannot be chosen, and the hint says which set it reaches); "No set" means
private (the wider choices cannot be chosen). Every combination a person can try is saved as the
form then reads, through the page's outbox (static/pwa/writing.js and the JSON API). The same
combinations without JavaScript, and through the API alone: tests/reflections/test_audience.py.
"""

import re
import uuid
from itertools import product

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from journal.extensions import db
from journal.models import LearningSet, Reflection
from tests.browser.test_phone import LiveServer, browser, phone, server, sign_in

__all__ = ["browser", "server"]  # the live server and Chromium of test_phone, for this module

pytestmark = pytest.mark.browser

NO_SET = "No set: only you will read it"
VISIBILITY_LABELS = {
    "private": re.compile(r"^Private"),
    "facilitator": re.compile(r"^Facilitator"),
    "set": re.compile(r"^Set —"),
}
# What the reflection's page says, by the visibility the form shows, when it reaches Glasgow 3.
SAID = {
    "private": "Private: only you can read this.",
    "facilitator": "Shared with the facilitators of Glasgow 3, and you.",
    "set": "Shared with everyone in Glasgow 3: its facilitators and candidates.",
}


def open_form(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/reflections/new")
    # Saving goes through the outbox from here (writing.js), as it does on a phone.
    expect(page.locator("form.reflection[data-outbox=ready]")).to_have_count(1)


def stored(server: LiveServer, path: str) -> Reflection:
    with server.app.app_context():
        reflection = db.session.get(Reflection, uuid.UUID(path.rsplit("/", 1)[1]))
        db.session.expunge(reflection)
        db.session.remove()
        return reflection


def glasgow_id(server: LiveServer) -> int:
    with server.app.app_context():
        found = db.session.scalar(select(LearningSet.id).where(LearningSet.name == "Glasgow 3"))
        db.session.remove()
        return found


@pytest.mark.parametrize(
    ("linked", "set_choice", "visibility"),
    list(product([False, True], ["Glasgow 3", NO_SET], ["private", "facilitator", "set"])),
)
def test_each_choice_a_person_tries_is_saved_as_the_form_then_reads(
    browser: Browser, server: LiveServer, linked: bool, set_choice: str, visibility: str
):
    experience = f"Choices {uuid.uuid4().hex[:8]}: meeting, set, who reads."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        open_form(page, server)
        meeting, chosen_set = page.get_by_label("Meeting"), page.get_by_label("Which set")
        hint = page.locator("#set_id-hint")
        if linked:
            meeting.select_option(index=1)  # a meeting of Glasgow 3, her one set
            # The set follows the meeting and says so; "No set" can no longer be chosen.
            expect(chosen_set.locator("option:checked")).to_have_text("Glasgow 3")
            expect(chosen_set.locator(f"option:text-is('{NO_SET}')")).to_be_disabled()
            expect(hint).to_contain_text("Linked to a meeting of Glasgow 3, it reaches Glasgow 3")
        if not linked or set_choice == "Glasgow 3":
            chosen_set.select_option(label=set_choice)
        wanted = page.get_by_label(VISIBILITY_LABELS[visibility])
        alone = not linked and set_choice == NO_SET
        if alone and visibility != "private":
            # "No set" is private: the wider choices cannot be chosen, private is.
            expect(wanted).to_be_disabled()
            expect(page.get_by_label(VISIBILITY_LABELS["private"])).to_be_checked()
        else:
            wanted.check()
        # What the form reads now is what must be saved.
        shown_set = chosen_set.locator("option:checked").inner_text()
        shown_visibility = page.locator("input[name=visibility]:checked").get_attribute("value")
        page.get_by_label("Experience").fill(experience)
        page.get_by_role("button", name="Save reflection").click()

        expect(page).to_have_url(re.compile(r"/reflections/[0-9a-f-]{36}$"))
        expect(page.get_by_text(experience)).to_be_visible()
        alone_said = "Private: only you can read this."
        said = alone_said if shown_set == NO_SET else SAID[shown_visibility]
        expect(page.locator(".audience")).to_have_text(said)
        saved = stored(server, page.url)
        assert saved.visibility == shown_visibility
        assert saved.set_id == (None if shown_set == NO_SET else glasgow_id(server))
        assert (saved.meeting_id is not None) == linked


def test_a_contradiction_left_by_a_script_is_refused_by_its_field_not_saved(
    browser: Browser, server: LiveServer
):
    """A meeting chosen on the device, or a draft brought back, changes fields without events:
    should "No set" and a shared choice meet at the moment of saving, the form says so by the
    field and keeps what was typed, rather than let the API give the meeting's set."""
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        open_form(page, server)
        page.get_by_label("Experience").fill("Typed before a script changed the choices.")
        page.evaluate(
            """() => {
              const form = document.querySelector("form.reflection");
              form.elements.meeting_id.selectedIndex = 1;
              form.elements.set_id.value = "";
              form.querySelector("input[name=visibility][value=facilitator]").checked = true;
              form.requestSubmit();
            }"""
        )
        error = page.locator("#set_id-error")
        expect(error).to_contain_text("only you will read it")
        expect(page).to_have_url(re.compile(r"/reflections/new$"))
        expect(page.get_by_label("Experience")).to_have_value(
            "Typed before a script changed the choices."
        )
        # Touching the form again makes the set follow the meeting.
        page.get_by_label("Insight").fill("And then I went on.")
        expect(page.get_by_label("Which set").locator("option:checked")).to_have_text("Glasgow 3")
