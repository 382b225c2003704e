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

import hashlib
import json
import re
import threading
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
from pypdf import PdfReader
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
# A portfolio's pages: the list of portfolios, one's coverage and its exports page.
PORTFOLIO_PAGES = {"evidence.portfolios", "evidence.coverage", "evidence.request_export"}
# A candidate enrolled on a qualification: their evidence, a claim, offering a reflection.
CANDIDATE_PAGES = (
    AUTHOR_PAGES | PORTFOLIO_PAGES | {"evidence.mine", "evidence.claim", "evidence.offer"}
)
ASSESSOR_PAGES = PORTFOLIO_PAGES | {
    "reflections.home",
    "reflections.create",
    "evidence.claim",
    "evidence.portfolio",
    NOT_FOUND,
}
# Actions are a candidate's (README, navigation); a facilitator's Journal is under More.
FACILITATOR_PAGES = MEMBER_PAGES - {"reflections.actions"} | {
    "sets.schedule",
    "sets.edit_meeting",
    "sets.cancel_meeting",
    "sets.brief",
}
EXPECTED_PAGES = {
    "admin": {
        "admin.index",
        "admin.people",
        "admin.invitations",
        "admin.frameworks",
        "admin.new_set",
        "admin.set_view",
        "admin.edit_set",
        "admin.set_history",
        "admin.add_member",
        "admin.move_member",
        "admin.remove_member",
        "admin.person",
        "admin.enrol",
        "admin.change_assessor",
        "sets.schedule",
        "sets.edit_meeting",
        "sets.cancel_meeting",
        NOT_FOUND,
    },
    "fran": FACILITATOR_PAGES,
    "cara": CANDIDATE_PAGES,
    "cal": CANDIDATE_PAGES,
    "finn": FACILITATOR_PAGES,
    "lee": CANDIDATE_PAGES,
    "ada": ASSESSOR_PAGES,
    "abe": ASSESSOR_PAGES,
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
    console_errors: list[str]


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
def phone(browser: Browser, axe: bool = False, **options) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE, **options)
    if axe:  # axe-core in every page, run by DevTools outside the page's CSP
        context.add_init_script(path=str(AXE))
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


def sign_out(page: Page) -> None:
    """Through "More" in the navigation, as a person would."""
    page.locator("header.site details.more > summary").click()
    page.get_by_role("button", name="Sign out").click()


# --- the tour of every page of a role ---------------------------------------------------------


def plan_tour(page: Page, server: LiveServer, role: str) -> list[tuple[str, str]]:
    """(name, path) of the pages to open: the home page, every page its navigation and content
    link to (one per endpoint), and those the set page, a meeting's page and the evidence pages
    link to (scheduling, for a facilitator; a claim), the portfolio list and coverage (a
    portfolio's pages), a set's administration page and a person's (an admin's), my newest
    reflection with its edit, delete and offer pages, a 404."""
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
    followed = ("sets.view", "sets.meeting", "evidence.portfolios", "evidence.coverage")
    followed += ("evidence.mine", "evidence.portfolio")
    for endpoint in (*followed, "admin.set_view", "admin.person"):
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
    """Open one page on the phone, the CSP on: what it logs while it loads (errors, CSP
    violations), then how it fits the screen and what axe-core finds (`phone(axe=True)`)."""
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
    assert response is not None
    if path == NOT_FOUND_PATH and response.status == 404:
        # The browser logs the page's own 404 status as an error: that one is the point here.
        own_404 = f"the server responded with a status of 404 (NOT FOUND) ({response.url})"
        logged = [line for line in logged if not line.endswith(own_404)]
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    return Visit(
        name,
        path,
        server.endpoint_of(path),
        response.status,
        widths[0],
        widths[1],
        small_targets=page.evaluate(SMALL_TARGETS_JS, [TARGET_PX]),
        axe_violations=page.evaluate(AXE_JS),
        console_errors=logged,
    )


@pytest.fixture(scope="module", params=ROLES)
def tour(request, browser: Browser, server: LiveServer) -> Tour:
    """Every page of one role, opened once with the CSP on: listened to, measured, and checked
    by axe-core."""
    role = request.param
    with phone(browser, axe=True) as context:
        page = context.new_page()
        if role != SIGNED_OUT:
            sign_in(page, server, role)
        plan = plan_tour(page, server, role)
        return Tour(role, [inspect(page, server, name, path) for name, path in plan])


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
        # Titled by its first words, the rest of them in the excerpt under the title.
        card = page.get_by_role("region", name=re.compile("^Glasgow 3")).locator(
            "article", has_text=experience[:40]
        )
        expect(card).to_have_count(1)
        expect(card).to_contain_text(f"Glasgow 3 — {last_meeting}")  # titled by first words
        card.get_by_role("link", name=f"Cara Candidate: {experience[:40]}").click()
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


def test_fran_prepares_from_the_brief_prints_it_and_downloads_the_pdf(
    browser: Browser, server: LiveServer, tmp_path: Path
):
    with phone(browser, accept_downloads=True) as context:
        page = context.new_page()
        sign_in(page, server, "fran")
        glasgow = page.get_by_role("region", name=re.compile("^Glasgow 3"))
        glasgow.get_by_role("link", name="Brief for the next meeting").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("Brief for Glasgow 3")
        next_meeting = page.locator("dl.meetings dt:text-is('Next meeting') + dd")
        expect(next_meeting).to_have_text(re.compile(r"\d{4}, \d\d:\d\d$"))
        round_ = page.get_by_role("region", name="The report-back round")
        expect(round_.locator("ol > li").first).to_contain_text("Cal Candidate")
        expect(round_).to_contain_text("Map the stakeholders with the two team leads.")
        # (Cara is listed there unless the scenario above, which may run first, made her reflect.)
        expect(page.get_by_role("region", name=re.compile("^Not reflected since"))).to_be_visible()
        expect(page.get_by_text("Overdue by", exact=False).first).to_be_visible()
        assert "Private worries" not in page.content()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH

        # The Print button (app.js) hands over to the browser's own printing.
        page.evaluate("() => { window.printed = 0; window.print = () => { window.printed++; }; }")
        page.get_by_role("button", name="Print").click()
        assert page.evaluate("() => window.printed") == 1
        # Printed: no navigation or buttons, black on white, a member never split.
        page.emulate_media(media="print")
        expect(page.locator("header.site")).to_be_hidden()
        expect(page.get_by_role("link", name="Download PDF")).to_be_hidden()
        blocks = page.eval_on_selector_all(
            "section.member", "blocks => blocks.map(b => getComputedStyle(b).breakInside)"
        )
        assert blocks == ["avoid", "avoid"]
        colours = page.evaluate(
            "() => [getComputedStyle(document.body).color,"
            " getComputedStyle(document.body).backgroundColor]"
        )
        assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"]
        page.emulate_media(media="screen")

        with page.expect_download() as downloading:
            page.get_by_role("link", name="Download PDF").click()
        download = downloading.value
        assert re.fullmatch(r"brief-glasgow-3-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        text = "\n".join(p.extract_text() for p in PdfReader(saved).pages)
        assert "Brief for Glasgow 3" in text and "Cal Candidate" in text
        assert "Private worries" not in text

    with phone(browser, java_script_enabled=False) as context:
        page = context.new_page()
        sign_in(page, server, "fran")
        page.get_by_role("link", name="Brief for the next meeting").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Brief for Glasgow 3")
        # Without JavaScript no button that could do nothing; the browser's Print remains.
        expect(page.get_by_role("button", name="Print")).to_have_count(0)
        expect(page.get_by_role("link", name="Download PDF")).to_be_visible()


def test_an_admin_invites_a_candidate_who_signs_up_and_appears_in_the_set(
    browser: Browser, server: LiveServer
):
    email = f"nell.{uuid.uuid4().hex[:6]}@example.org"
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "admin")
        page.get_by_role("link", name="Glasgow 3", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Glasgow 3")
        page.get_by_role("link", name="Invite someone into Glasgow 3").click()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Role").select_option("candidate")
        expect(page.get_by_label("Set", exact=True)).to_have_value(re.compile(r"^\d+$"))
        page.get_by_role("button", name="Create invitation").click()
        expect(page.get_by_role("status").first).to_contain_text(f"Invitation created for {email}")
        link = page.get_by_label("Invitation link").input_value()
        admin_page = page

        with phone(browser) as newcomer_context:
            newcomer = newcomer_context.new_page()
            newcomer.goto(link)
            expect(newcomer.get_by_text("in Glasgow 3")).to_be_visible()
            newcomer.get_by_label("Your name").fill("Nell Newcomer")
            newcomer.get_by_label("Choose a password").fill("a-good-long-passphrase")
            newcomer.get_by_label(re.compile("again")).fill("a-good-long-passphrase")
            newcomer.get_by_role("button", name="Create my account").click()
            expect(newcomer.get_by_role("status").first).to_contain_text("Welcome, Nell Newcomer")

        admin_page.get_by_role("link", name="Sets", exact=True).click()
        admin_page.get_by_role("link", name="Glasgow 3", exact=True).click()
        members = admin_page.get_by_role("region", name="Members")
        expect(members.get_by_role("link", name="Nell Newcomer", exact=True)).to_be_visible()
        expect(
            admin_page.get_by_role("region", name="Invited, not joined yet")
        ).not_to_contain_text(email)


def test_fran_comments_on_a_reflection_and_cara_answers(browser: Browser, server: LiveServer):
    comment = f"Comment {uuid.uuid4().hex[:8]}: what would make it safer to speak up?"
    answer = f"Answer {uuid.uuid4().hex[:8]}: I will ask the quieter ones first."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "fran")
        page.get_by_role("link", name="Shared", exact=True).click()
        card = page.locator("article.card", has_text="I brought my problem")
        card.get_by_role("link").click()
        reflection_path = _path(page.url)
        page.get_by_label("Your comment").fill(comment)
        page.get_by_role("button", name="Comment", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Comment added.")
        expect(page.locator("article.comment", has_text=comment)).to_contain_text("You, ")

    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        note = page.get_by_role("region", name="Recent comments on your reflections")
        note.get_by_role("link").first.click()
        expect(page).to_have_url(re.compile(re.escape(reflection_path) + "#comment-[0-9]+$"))
        expect(page.locator("article.comment", has_text=comment)).to_contain_text(
            "Fran Facilitator, "
        )
        page.get_by_label("Your answer").fill(answer)
        page.get_by_role("button", name="Answer", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("Answer added.")
        expect(page.locator("article.comment").last).to_contain_text(answer)

    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cal")
        response = page.goto(server.url + reflection_path)
        assert response is not None and response.status == 404
        assert comment not in page.content() and answer not in page.content()


def test_cara_reviews_her_action_after_the_meeting(browser: Browser, server: LiveServer):
    """The report-back round, the candidate's side: once the meeting has met, Today asks what
    came of the action she took away from the one before; carried forward, it goes on to the
    next meeting and leaves the list."""
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        review = page.get_by_role("region", name="Review your actions")
        card = review.locator("article.card", has_text="Ask for feedback in writing")
        card.get_by_label("Status").select_option("carried")
        card.get_by_label("What came of it").fill("Asked two of the five; the rest next month.")
        card.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").first).to_contain_text("Action carried forward")
        expect(page.locator("article.card", has_text="Ask for feedback in writing")).to_have_count(
            0
        )
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH


def test_fran_schedules_the_next_meeting(browser: Browser, server: LiveServer):
    day = date.today() + timedelta(days=60)
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "fran")
        page.get_by_role("link", name="Sets", exact=True).click()
        page.get_by_role("link", name="Glasgow 3", exact=True).click()
        page.get_by_role("link", name="Schedule a meeting").click()
        page.get_by_label("Date", exact=True).fill(day.isoformat())
        page.get_by_label("Starts at").fill("18:00")
        page.get_by_label("Ends at").fill("20:00")
        page.get_by_label("Place or call link").fill("Room 4, George Square")
        page.get_by_role("button", name="Schedule it").click()
        expect(page.get_by_role("status").first).to_have_text("Meeting scheduled.")
        expect(page.get_by_text("Room 4, George Square").first).to_be_visible()
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH


def test_cara_offers_evidence_ada_decides_cara_reads_the_feedback_and_abe_sees_nothing(
    browser: Browser, server: LiveServer
):
    """The issue's walk-through, on a phone without JavaScript: cara offers a reflection
    against two criteria; ada accepts one and asks for more on the other; cara is told and
    reads the feedback; abe sees nothing of it."""
    asked = f"Say how you used questions with your own team ({uuid.uuid4().hex[:6]})."
    with phone(browser, java_script_enabled=False) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        page.get_by_role("link", name="Journal", exact=True).click()
        page.locator("main article h3 a").first.click()
        page.get_by_role("link", name="Offer as evidence").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Offer as evidence")
        expect(page.get_by_text("Ada Assessor will read a copy")).to_be_visible()
        offered = page.locator("section.copy .prose").first.inner_text().strip().splitlines()[0]
        page.get_by_label(re.compile(r"^1\.2 ")).check()
        page.get_by_label(re.compile(r"^3\.1 ")).check()
        page.get_by_role("button", name="Offer as evidence").click()
        # Without the declaration it is refused, the choices kept.
        expect(page.locator("#declaration-error")).to_contain_text("Confirm that this is your own")
        expect(page.get_by_label(re.compile(r"^3\.1 "))).to_be_checked()
        page.get_by_label(re.compile(r"^This reflection is my own work")).check()
        page.get_by_role("button", name="Offer as evidence").click()
        expect(page).to_have_url(re.compile(r"/evidence/claims/\d+$"))
        expect(page.get_by_role("status")).to_contain_text("Offered as evidence to Ada Assessor.")
        claim_path = _path(page.url)

    with phone(browser, java_script_enabled=False) as context:
        page = context.new_page()
        sign_in(page, server, "ada")
        queue = page.get_by_role("region", name="Evidence to assess")
        queue.locator(f"a[href='{claim_path}']").click()
        expect(page.locator("section[aria-labelledby=copy]")).to_contain_text(offered)
        first = page.locator("ul.claimed > li").first
        first.get_by_label("Accepted").check()
        first.get_by_label("Feedback").fill("Clear and current.")
        first.get_by_role("button", name="Save decision on 1.2").click()
        expect(page.get_by_role("status")).to_contain_text("Decision on 1.2 saved.")
        second = page.locator("ul.claimed > li").nth(1)
        second.get_by_label("Not yet").check()
        second.get_by_label("Feedback").fill(asked)
        second.get_by_role("button", name="Save decision on 3.1").click()
        expect(page.get_by_role("status")).to_contain_text("Decision on 3.1 saved.")

    with phone(browser, java_script_enabled=False) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        page.get_by_role("link", name=re.compile(r"^\d+ decisions? .*on your evidence")).click()
        page.locator(f"main a[href='{claim_path}']").click()
        expect(page.locator("ul.claimed")).to_contain_text("✓ Accepted")
        expect(page.locator("ul.claimed")).to_contain_text("↺ Not yet")
        expect(page.get_by_text(asked)).to_be_visible()

    with phone(browser, java_script_enabled=False) as context:
        page = context.new_page()
        sign_in(page, server, "abe")
        assert claim_path not in page.content()
        response = page.goto(server.url + claim_path)
        assert response is not None and response.status == 404


def test_ada_exports_caras_portfolio_downloads_the_pdf_and_the_zip_and_abe_gets_404(
    browser: Browser, server: LiveServer, tmp_path: Path
):
    """The rest of the issue's walk-through, on a phone with JavaScript: ada opens cara's
    portfolio, asks for a PDF and a ZIP, sees each export's page turn to ready (the live server
    has no REDIS_URL, so the job runs inline) and downloads both; abe, another assessor, gets
    404 at every one of those addresses."""
    with phone(browser, accept_downloads=True) as context:
        page = context.new_page()
        sign_in(page, server, "ada")
        page.get_by_role("link", name="Portfolios", exact=True).click()
        page.get_by_role("link", name="Cara Candidate", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Cara Candidate’s portfolio")
        expect(page.locator("li.cov-accepted", has_text="1.2")).to_contain_text("Accepted")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH
        addresses = [_path(page.url)]
        page.get_by_role("navigation", name="Portfolio").get_by_role("link", name="Export").click()
        addresses.append(_path(page.url))

        saved = {}
        for kind in ("PDF", "ZIP"):
            page.get_by_role("button", name=f"Make a {kind}").click()
            expect(page).to_have_url(re.compile(r"/exports/\d+$"))
            expect(page.get_by_role("heading", level=1)).to_have_text(
                f"{kind} of Cara Candidate’s portfolio"
            )
            expect(page.get_by_role("status")).to_contain_text("Ready, ", timeout=60_000)
            addresses.append(_path(page.url))
            link = page.get_by_role("link", name=re.compile(r"^Download portfolio-"))
            addresses.append(_path(link.get_attribute("href") or ""))
            with page.expect_download() as downloading:
                link.click()
            download = downloading.value
            pattern = rf"portfolio-cara-candidate-\d{{4}}-\d{{2}}-\d{{2}}\.{kind.lower()}"
            assert re.fullmatch(pattern, download.suggested_filename)
            saved[kind] = tmp_path / download.suggested_filename
            download.save_as(saved[kind])
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE_WIDTH
            page.get_by_role("link", name="Back to the exports").click()
        # Both are listed among ada's exports of this portfolio.
        expect(page.locator("main li a[href^='/exports/']")).to_have_count(2)

    text = " ".join("\n".join(p.extract_text() for p in PdfReader(saved["PDF"]).pages).split())
    assert "Portfolio of Cara Candidate" in text
    assert "✓ Accepted — 1.2" in text and "◐ Claimed — 3.2" in text
    assert "Cara Candidate confirmed: “This reflection is my own work" in text
    # Ada's question on cara's first claim (the demo's), with its author.
    assert "Ada Assessor, " in text
    assert "could you say what you changed so that your team felt safe to speak up?" in text
    assert "Private worries" not in text  # cal's private reflection, never offered

    with zipfile.ZipFile(saved["ZIP"]) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        listed = {entry["path"]: entry for entry in manifest["files"]}
        assert listed.keys() == set(archive.namelist()) - {"manifest.json"}
        assert "portfolio.pdf" in listed and any(p.endswith(".md") for p in listed)
        for path, entry in listed.items():
            data = archive.read(path)
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (entry["sha256"], entry["size"])
        assert manifest["candidate"] == "Cara Candidate"

    with phone(browser, accept_downloads=True) as context:
        page = context.new_page()
        sign_in(page, server, "abe")
        page.get_by_role("link", name="Portfolios", exact=True).click()
        expect(page.get_by_role("link", name="Cara Candidate")).to_have_count(0)
        for address in addresses:
            response = page.goto(server.url + address)
            assert response is not None and response.status == 404, address
            expect(page.get_by_role("heading", level=1)).to_contain_text("There is nothing here")
            assert "Cara" not in page.content(), address


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
