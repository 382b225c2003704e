"""Real Chromium on a 360 x 740 phone: every page of every demo role fits the screen, passes
axe-core, has tap targets of 44 px, logs no error and breaks no CSP rule; the demo scenario
works end to end; a reflection can be written with JavaScript switched off.

Set-up (see ../shared/BROWSER-TESTS.md): Debian's chromium at /usr/bin/chromium and axe-core
from tests/browser (npm ci); `make test` installs both. One browser for the whole module and one
live server on a temporary SQLite database with the demo data. Nothing here is skipped: without
the browser or axe-core the tests fail and say what to run.

Tap targets: every visible link, button and form control is at least 44 px high, and buttons
(and links styled as buttons) at least 44 px wide. A radio button or checkbox counts together
with its label, since tapping the label works the control. Exempt, as WCAG 2.5.8's "inline"
exception allows: a link inside a sentence, i.e. inside people's Markdown (.prose) or inside a
paragraph that holds other text too, whose size is set by the line of text around it.
"""

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask, url_for
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from journal import demo
from journal.auth import accounts
from journal.extensions import db
from journal.models import LearningSet, Reflection, Visibility
from tests.helpers import make_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
MISSING = (
    "{what} is missing: run `make test`, which installs Debian's chromium and runs"
    " `npm ci --prefix tests/browser` for axe-core."
)
PHONE_WIDTH = 360
PHONE = {"viewport": {"width": PHONE_WIDTH, "height": 740}, "is_mobile": True, "has_touch": True}
TARGET_PX = 44
SIGNED_OUT = "signed-out"
ROLES = ["admin", "fran", "cara", "cal", "finn", "lee", "ada", "abe", SIGNED_OUT]
NOT_FOUND = "not found"
NOT_FOUND_PATH = "/no-such-page"

# The pages each role must reach (endpoints); the tour also opens every other page linked from
# the navigation and the home page.
MEMBER_PAGES = {
    "reflections.home",
    "reflections.index",
    "reflections.create",
    "reflections.actions",
    "reflections.shared",
    "reflections.view",
    "sets.index",
    "sets.view",
    "sets.meeting",
    NOT_FOUND,
}
AUTHOR_PAGES = MEMBER_PAGES | {"reflections.edit", "reflections.delete"}
FACILITATOR_PAGES = MEMBER_PAGES | {"sets.schedule", "sets.edit_meeting", "sets.cancel_meeting"}
EXPECTED_PAGES = {
    "admin": {"admin.index", "admin.people", "admin.invitations", "sets.schedule", NOT_FOUND},
    "fran": FACILITATOR_PAGES,
    "cara": AUTHOR_PAGES,
    "cal": AUTHOR_PAGES,
    "finn": FACILITATOR_PAGES,
    "lee": AUTHOR_PAGES,
    "ada": {"reflections.home", "reflections.create", NOT_FOUND},
    "abe": {"reflections.home", "reflections.create", NOT_FOUND},
    SIGNED_OUT: {"auth.login", "auth.accept_invitation", NOT_FOUND},
}

# Long words, long URLs, a long code line and a wide table: what pushes a phone page sideways.
LONG_TEXT = (
    "Notes from https://example.org/programmes/nvq-level-7-leadership/cohort-3/resources/"
    "reading-list/action-learning-questioning-techniques-and-feedback-upwards?session=2&tab=all"
    " and the [handbook](https://example.org/a/really/long/address/without/any/breaks/at/all/"
    "in/it/whatsoever/handbook.pdf).\n\n"
    "Rechtsschutzversicherungsgesellschaftenzusammenschlussvereinbarungsentwurf.\n\n"
    "    a_code_line_that_is_far_too_long_for_a_phone_screen = compute(everything, at_once=1)\n\n"
    "| week | what I tried | what happened | what I learned | what next | who helped |\n"
    "| --- | --- | --- | --- | --- | --- |\n"
    "| 1 | asking for written feedback | two replies | people need time | ask again |"
    " https://example.org/people/the-whole-leadership-team-of-the-service-desk |\n"
)


@dataclass
class LiveServer:
    url: str
    app: Flask
    invitation_path: str

    def endpoint_of(self, url: str) -> str:
        """The Flask endpoint a URL of this server leads to, or NOT_FOUND."""
        try:
            endpoint, _ = self.app.url_map.bind("localhost").match(urlsplit(url).path)
        except HTTPException:
            return NOT_FOUND
        return endpoint


@dataclass
class Visit:
    name: str
    path: str
    endpoint: str
    status: int
    scroll_width: int
    inner_width: int
    small_targets: list[str]
    axe_violations: list[dict]
    console_errors: list[str] = field(default_factory=list)


@dataclass
class Tour:
    role: str
    visits: list[Visit]


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'journal.sqlite'}")
    with app.app_context():
        db.create_all()
        people = demo.load()
        db.session.add(
            Reflection(
                id=uuid.uuid4(),
                author=people["cara"],
                experience=LONG_TEXT,
                insight="Short words wrap by themselves.",
                next_action="Read the handbook.",
                visibility=Visibility.PRIVATE.value,
            )
        )
        glasgow = db.session.scalar(select(LearningSet).where(LearningSet.name == "Glasgow 3"))
        _, token = accounts.invite(
            "new.candidate@example.org", "candidate", glasgow, people["admin"]
        )
        db.session.commit()
        db.session.remove()
    with app.test_request_context():
        invitation_path = url_for("auth.accept_invitation", token=token)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{httpd.server_port}", app, invitation_path)
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(MISSING.format(what=f"Chromium ({CHROMIUM})"), pytrace=False)
    if not AXE.exists():
        pytest.fail(MISSING.format(what=f"axe-core ({AXE})"), pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def phone(browser: Browser, **options) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE, **options)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def sign_in(page: Page, server: LiveServer, person: str) -> None:
    """Through the real form, as a person would."""
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(f"{person}@example.org")
    page.get_by_label("Password", exact=True).fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


# --- the tour of every page of a role ---------------------------------------------------------


def plan_tour(page: Page, server: LiveServer, role: str) -> list[tuple[str, str]]:
    """(name, path) of the pages to open: the home page, every page its navigation and content
    link to (one per endpoint), and those the set page and a meeting's page link to (scheduling,
    for a facilitator), and the portfolio list and coverage (a portfolio's pages), my newest
    reflection with its edit and delete pages, a 404."""
    if role == SIGNED_OUT:
        return [
            ("sign in", "/login"),
            ("invitation", server.invitation_path),
            (NOT_FOUND, NOT_FOUND_PATH),
        ]
    page.goto(f"{server.url}/")
    plan = {server.endpoint_of(page.url): ("home", _path(page.url))}
    for href in _links(page, "header a[href], main a[href]"):
        plan.setdefault(server.endpoint_of(href), (_path(href), _path(href)))
    for endpoint in ("sets.view", "sets.meeting", "portfolio.index", "portfolio.coverage"):
        if endpoint in plan:
            page.goto(server.url + plan[endpoint][1])
            for href in _links(page, "main a[href]"):
                plan.setdefault(server.endpoint_of(href), (_path(href), _path(href)))
    if "reflections.index" in plan:
        page.goto(f"{server.url}/reflections")
        mine = _links(page, "main article a[href]")
        if mine:
            plan["my reflection"] = ("my reflection", _path(mine[0]))
            page.goto(mine[0])
            for href in _links(page, "main a[href]"):
                plan.setdefault(server.endpoint_of(href), (_path(href), _path(href)))
    plan[NOT_FOUND] = (NOT_FOUND, NOT_FOUND_PATH)
    return list(plan.values())


def _links(page: Page, selector: str) -> list[str]:
    """Absolute URLs of same-site links, in page order, fragments dropped."""
    hrefs = page.eval_on_selector_all(selector, "links => links.map(link => link.href)")
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    return [href.split("#")[0] for href in hrefs if href.startswith(origin)]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


SMALL_TARGETS_JS = """
([minimum]) => {
  const controls = 'a[href], button, input:not([type="hidden"]), select, textarea, summary';
  const buttonLike = 'button, a.button, input[type="submit"], input[type="button"]';
  const inSentence = (el) => {
    if (el.tagName !== 'A') return false;
    if (el.closest('.prose')) return true;
    const paragraph = el.closest('p');
    return paragraph !== null && paragraph.textContent.trim() !== el.textContent.trim();
  };
  const box = (el) => {
    const rects = [el, ...(el.labels || [])].map((e) => e.getBoundingClientRect());
    if (!['radio', 'checkbox'].includes(el.type)) return rects[0];
    const edge = (pick, side) => pick(...rects.map((r) => r[side]));
    return {
      width: edge(Math.max, 'right') - edge(Math.min, 'left'),
      height: edge(Math.max, 'bottom') - edge(Math.min, 'top'),
    };
  };
  const small = [];
  for (const el of document.querySelectorAll(controls)) {
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    if (el.getClientRects().length === 0 || inSentence(el)) continue;
    const {width, height} = box(el);
    // Sub-pixel layout: 43.99 px is 44 px on screen.
    const tooLow = height < minimum - 0.05;
    const tooNarrow = el.matches(buttonLike) && width < minimum - 0.05;
    if (tooLow || tooNarrow) {
      const text = el.textContent || el.name || el.id || '';
      const name = text.trim().replace(/\\s+/g, ' ').slice(0, 40);
      const size = `${width.toFixed(1)} x ${height.toFixed(1)} px`;
      small.push(`<${el.tagName.toLowerCase()}> "${name}" ${size}`);
    }
  }
  return small;
}
"""

AXE_JS = """
async () => {
  const results = await axe.run(document, {resultTypes: ['violations']});
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map((n) => n.target.join(' ') + ' :: ' + n.failureSummary)}));
}
"""


def inspect(page: Page, server: LiveServer, name: str, path: str) -> Visit:
    """Open one page on the phone and measure it; the context must bypass the CSP (for axe)."""
    response = page.goto(server.url + path)
    assert response is not None
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    small = page.evaluate(SMALL_TARGETS_JS, [TARGET_PX])
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_JS)
    return Visit(
        name,
        path,
        server.endpoint_of(path),
        response.status,
        widths[0],
        widths[1],
        small,
        violations,
    )


def console_errors(page: Page, server: LiveServer, path: str) -> list[str]:
    """Errors and CSP violations logged while one page loads, the CSP on."""
    logged: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            logged.append(f"{message.text} ({message.location.get('url')})")

    def on_page_error(error) -> None:
        logged.append(f"uncaught: {error}")

    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    try:
        response = page.goto(server.url + path, wait_until="load")
        page.evaluate("() => new Promise(requestAnimationFrame)")  # let late messages arrive
    finally:
        page.remove_listener("console", on_console)
        page.remove_listener("pageerror", on_page_error)
    if path == NOT_FOUND_PATH and response is not None and response.status == 404:
        # The browser logs the page's own 404 status as an error: that one is the point here.
        own_404 = f"the server responded with a status of 404 (NOT FOUND) ({response.url})"
        logged = [line for line in logged if not line.endswith(own_404)]
    return logged


@pytest.fixture(scope="module", params=ROLES)
def tour(request, browser: Browser, server: LiveServer) -> Tour:
    """Every page of one role, opened twice: measured and checked by axe-core (with the CSP
    bypassed, so that axe can be injected), then with the CSP on, listening to the console."""
    role = request.param
    with phone(browser, bypass_csp=True) as context:
        page = context.new_page()
        if role != SIGNED_OUT:
            sign_in(page, server, role)
        plan = plan_tour(page, server, role)
        visits = [inspect(page, server, name, path) for name, path in plan]
    with phone(browser) as context:
        page = context.new_page()
        if role != SIGNED_OUT:
            sign_in(page, server, role)
        for visit in visits:
            visit.console_errors = console_errors(page, server, visit.path)
    return Tour(role, visits)


# --- what every page of every role must be ----------------------------------------------------


def _report(found: dict) -> str:
    return "\n".join(
        f"{page}: {problem}" for page, problems in found.items() for problem in problems
    )


def test_the_tour_opens_every_page_of_the_role(tour: Tour):
    assert {visit.endpoint for visit in tour.visits} >= EXPECTED_PAGES[tour.role]
    statuses = {visit.path: visit.status for visit in tour.visits}
    expected = {visit.path: 404 if visit.endpoint == NOT_FOUND else 200 for visit in tour.visits}
    assert statuses == expected


def test_no_page_scrolls_sideways_on_a_360px_phone(tour: Tour):
    too_wide = {
        visit.path: [f"{visit.scroll_width}px of content in a {visit.inner_width}px window"]
        for visit in tour.visits
        if visit.scroll_width > PHONE_WIDTH or visit.inner_width != PHONE_WIDTH
    }
    assert not too_wide, _report(too_wide)


def test_no_serious_or_critical_axe_violation(tour: Tour):
    found = {
        visit.path: [
            f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
            for v in visit.axe_violations
        ]
        for visit in tour.visits
        if visit.axe_violations
    }
    assert not found, _report(found)


def test_every_tap_target_is_at_least_44px(tour: Tour):
    found = {visit.path: visit.small_targets for visit in tour.visits if visit.small_targets}
    assert not found, _report(found)


def test_no_console_error_or_csp_violation(tour: Tour):
    found = {visit.path: visit.console_errors for visit in tour.visits if visit.console_errors}
    assert not found, _report(found)


# --- the demo scenario, on the phone ----------------------------------------------------------


def test_cara_shares_a_reflection_that_fran_reads_and_cal_and_finn_never_see(
    browser: Browser, server: LiveServer
):
    experience = f"Scenario {uuid.uuid4().hex[:8]}: I held back advice and asked open questions."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        glasgow = page.get_by_role("region", name=re.compile("^Glasgow 3"))
        last_meeting = glasgow.locator("dt:text-is('Last meeting') + dd").inner_text()
        glasgow.get_by_role("link", name="Reflect on your last meeting").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("New reflection")
        expect(page.get_by_label("Meeting")).to_have_value(re.compile(r"^\d+$"))
        chosen = page.get_by_label("Meeting").locator("option:checked")
        expect(chosen).to_have_text(f"Glasgow 3 — {last_meeting}")
        expect(page.get_by_text("do not name or describe others")).to_be_visible()
        page.get_by_label("Experience").fill(experience)
        page.get_by_label("Insight").fill("Questions helped more than my suggestions.")
        page.get_by_label("Next action").fill("Ask one open question in my next team meeting.")
        page.get_by_label("Action due by").fill((date.today() + timedelta(days=10)).isoformat())
        page.get_by_label(re.compile(r"^Facilitator")).check()
        page.get_by_role("button", name="Save reflection").click()

        expect(page).to_have_url(re.compile(r"/reflections/[0-9a-f-]{36}$"))
        expect(page.get_by_role("status")).to_have_text("Reflection saved.")
        expect(page.get_by_text(experience)).to_be_visible()
        expect(page.locator(".audience")).to_have_text(
            "Shared with the facilitators of Glasgow 3, and you."
        )
        reflection_path = _path(page.url)

    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "fran")
        card = page.get_by_role("region", name=re.compile("^Glasgow 3")).locator(
            "article", has_text=experience
        )
        expect(card).to_have_count(1)
        card.get_by_role("link", name=f"Cara Candidate: Glasgow 3 — {last_meeting}").click()
        expect(page).to_have_url(server.url + reflection_path)
        expect(page.get_by_text(experience)).to_be_visible()
        expect(page.get_by_role("link", name="Edit")).to_have_count(0)

    for person in ("cal", "finn"):
        with phone(browser) as context:
            page = context.new_page()
            sign_in(page, server, person)
            for path in ("/", "/shared"):
                page.goto(server.url + path)
                html = page.content()
                assert experience not in html, f"{person} sees it on {path}"
                assert reflection_path not in html, f"{person} has a link to it on {path}"
            response = page.goto(server.url + reflection_path)
            assert response is not None and response.status == 404, person


# --- without JavaScript -----------------------------------------------------------------------


def test_signing_in_and_saving_a_reflection_work_without_javascript(
    browser: Browser, server: LiveServer
):
    insight = f"Without scripts {uuid.uuid4().hex[:8]}: the form still works."
    with phone(browser, java_script_enabled=False) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        page.get_by_role("link", name="Write a reflection").first.click()
        meeting = page.get_by_label("Meeting")
        meeting.select_option(
            meeting.locator("option", has_text="Leeds 1").first.get_attribute("value")
        )
        page.get_by_label("Insight").fill(insight)
        page.get_by_label(re.compile(r"^Set")).check()
        page.get_by_role("button", name="Save reflection").click()

        expect(page).to_have_url(re.compile(r"/reflections/[0-9a-f-]{36}$"))
        expect(page.get_by_role("status")).to_have_text("Reflection saved.")
        expect(page.get_by_text(insight)).to_be_visible()
        expect(page.locator(".audience")).to_have_text(
            re.compile(r"^Shared with everyone in Leeds 1")
        )
        page.get_by_role("link", name="Journal", exact=True).click()
        expect(page.locator("main article", has_text=insight)).to_have_count(1)
