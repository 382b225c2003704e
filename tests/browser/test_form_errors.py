"""Every form of every role, refused, on a 360 x 740 phone in real Chromium: the page answers 400
with a summary of the problems at the top, which has the focus and links to each field's
message; no block of text is squeezed into a narrow column (a checkbox's message once wrapped a
letter or two a line); nothing scrolls sideways; axe-core finds nothing serious.

The forms are found, not listed: every page of the role's tour (`test_phone.plan_tour`) and
every form on it that posts and has a field. Each is sent with its fields emptied (text cleared,
boxes and radio buttons unticked, a select set to its empty choice or to a value it does not
offer) through `form.submit()`, as the browser sends it without JavaScript; the page that
comes back runs with JavaScript on.
"""

# ruff: noqa: F401, F811 (test_phone's fixtures, imported here and taken as arguments)
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.test_phone import (
    AXE_JS,
    PHONE_WIDTH,
    ROLES,
    SIGNED_OUT,
    LiveServer,
    browser,
    phone,
    plan_tour,
    server,
    sign_in,
)

pytestmark = pytest.mark.browser

NARROW_PX = 120  # a text block narrower than this, with a sentence in it, is squeezed
FORMS = "main form[method='post' i]:has(.field)"

# Empties the fields of the form at `index`, then sends it as the browser would without scripts.
SEND_EMPTY_JS = """
([selector, index]) => {
  const form = document.querySelectorAll(selector)[index];
  for (const el of form.elements) {
    if (el.type === 'hidden' || el.type === 'submit' || el.type === 'button') continue;
    if (el.type === 'checkbox' || el.type === 'radio') el.checked = false;
    else if (el.tagName === 'SELECT') {
      // No empty choice: one no list offers (a form with nothing required is still refused).
      if (![...el.options].some((option) => option.value === '')) el.add(new Option('', 'none'));
      el.value = [...el.options].find((option) => option.value === '') ? '' : 'none';
    } else el.value = '';
  }
  form.submit();
}
"""

# Text blocks of the page with a sentence in them, squeezed narrower than `minimum`.
NARROW_JS = """
([minimum]) => [...document.querySelectorAll('main p, main label, main legend, main li, main h1,'
                                            + ' main h2, main h3, main span, main a')]
  // People's own Markdown (.prose) may hold a wide table, whose cells are narrow by nature.
  .filter((el) => el.getClientRects().length > 0 && !el.closest('.prose'))
  .filter((el) => el.textContent.trim().length > 30)
  .map((el) => ({text: el.textContent.trim().slice(0, 50),
                 width: el.getBoundingClientRect().width}))
  .filter((block) => block.width < minimum)
"""

SUMMARY_JS = """
() => {
  const summary = document.getElementById('error-summary');
  if (!summary) return null;
  const links = [...summary.querySelectorAll('a')];
  return {
    focused: document.activeElement === summary,
    top: summary.getBoundingClientRect().top,
    links: links.length,
    dangling: links.map((a) => a.hash.slice(1)).filter((id) => !document.getElementById(id)),
  };
}
"""


@dataclass
class Refusal:
    where: str
    status: int
    summary: dict | None
    narrow: list[dict]
    scroll_width: int
    axe_violations: list[dict]


def refuse_every_form(page: Page, server: LiveServer, role: str) -> list[Refusal]:
    found = []
    for _, path in plan_tour(page, server, role):
        page.goto(server.url + path)
        for index in range(page.locator(FORMS).count()):
            page.goto(server.url + path)
            with page.expect_navigation() as navigation:
                page.evaluate(SEND_EMPTY_JS, [FORMS, index])
            response = navigation.value
            page.wait_for_load_state("load")
            found.append(
                Refusal(
                    f"{path} form {index + 1}",
                    response.status if response else 0,
                    page.evaluate(SUMMARY_JS),
                    page.evaluate(NARROW_JS, [NARROW_PX]),
                    page.evaluate("() => document.documentElement.scrollWidth"),
                    page.evaluate(AXE_JS),
                )
            )
    return found


@pytest.fixture(scope="module", params=ROLES)
def refusals(request, browser: Browser, server: LiveServer) -> tuple[str, list[Refusal]]:
    role = request.param
    with phone(browser, axe=True) as context:
        page = context.new_page()
        if role != SIGNED_OUT:
            sign_in(page, server, role)
        return role, refuse_every_form(page, server, role)


def test_every_role_has_forms_to_refuse(refusals):
    role, found = refusals
    assert found, f"no form found for {role}"


def test_a_refused_form_answers_400_with_a_focused_summary_at_the_top(refusals):
    _, found = refusals
    wrong = [
        (r.where, r.status, r.summary)
        for r in found
        if r.status != 400
        or r.summary is None
        or not r.summary["focused"]
        or r.summary["links"] == 0
        or r.summary["dangling"]
    ]
    assert not wrong


def test_a_refused_form_squeezes_no_text_and_fits_the_phone(refusals):
    _, found = refusals
    squeezed = {r.where: r.narrow for r in found if r.narrow}
    assert not squeezed
    too_wide = {r.where: r.scroll_width for r in found if r.scroll_width > PHONE_WIDTH}
    assert not too_wide


def test_a_refused_form_has_no_serious_axe_violation(refusals):
    _, found = refusals
    violations = {r.where: [v["id"] for v in r.axe_violations] for r in found if r.axe_violations}
    assert not violations
