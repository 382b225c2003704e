"""Installable and offline, in real Chromium on a phone (issue 15; journal/pwa/, static/pwa/).

One browser and one live server (temporary SQLite, the demo data) for the module; each test
opens a fresh browser context of its own (its own service worker, caches and IndexedDB). The
server sits behind `Faults`, which can answer the next requests to an address itself (a 500, a
captive portal's page) and counts what reached the app. Nothing waits a fixed time: every test
waits for a condition on the page, the device's storage or the server.
"""

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright
from werkzeug.serving import make_server

from journal import demo
from journal.extensions import db
from tests.browser.test_phone import CHROMIUM, CHROMIUM_ARGS, MISSING, PHONE, sign_out
from tests.helpers import make_app

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


@dataclass
class Answer:
    status: int
    body: str
    content_type: str


UNAVAILABLE = Answer(503, "<h1>Service unavailable</h1>", "text/html")
# A captive portal (station wifi) answers every request with its own page, and a 200.
PORTAL = Answer(200, "<html><h1>Welcome! Accept our terms to get online</h1></html>", "text/html")


@dataclass
class Faults:
    """WSGI middleware before the app: scripted answers for the next matching requests, and a
    log of every request that reached the app (method, path, status)."""

    app: Flask
    scripted: list[tuple[str, str, Answer]] = field(default_factory=list)
    reached: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_next(self, method: str, path_pattern: str, *answers: Answer) -> None:
        with self.lock:
            self.scripted += [(method, path_pattern, answer) for answer in answers]

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        with self.lock:
            for index, (wanted, pattern, answer) in enumerate(self.scripted):
                if wanted == method and re.fullmatch(pattern, path):
                    del self.scripted[index]
                    start_response(
                        f"{answer.status} Scripted",
                        [("Content-Type", answer.content_type), ("Cache-Control", "no-store")],
                    )
                    return [answer.body.encode()]

        def recording(status, headers, exc_info=None):
            with self.lock:
                self.reached.append((method, path, int(status.split()[0])))
            return start_response(status, headers, exc_info)

        return self.app(environ, recording)


@dataclass
class Server:
    url: str
    app: Flask
    faults: Faults


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('offline') / 'journal.sqlite'}")
    with app.app_context():
        db.create_all()
        demo.load()
        db.session.remove()
    faults = Faults(app)
    httpd = make_server("127.0.0.1", 0, faults, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="offline-server", daemon=True)
    thread.start()
    yield Server(f"http://127.0.0.1:{httpd.server_port}", app, faults)
    httpd.shutdown()
    thread.join(timeout=10)
    httpd.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def no_scripted_answers_left(server: Server) -> Iterator[None]:
    yield
    server.faults.scripted.clear()


@pytest.fixture(scope="module")
def playwright():
    if not CHROMIUM.exists():
        pytest.fail(MISSING.format(what=f"Chromium ({CHROMIUM})"), pytrace=False)
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@contextmanager
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(**PHONE)
    context.set_default_timeout(WAIT_MS)
    try:
        yield context
    finally:
        context.close()


@dataclass
class Console:
    """Errors a page logs, less the browser's line for each answer `Faults` made up (which
    would be a real error: they are the point of the test)."""

    errors: list[str] = field(default_factory=list)

    def log(self, message, page: Page) -> None:
        if message.type == "error" and "(Scripted)" not in message.text:
            self.errors.append(f"{message.text} ({message.location.get('url')} on {page.url})")

    def watch(self, page: Page) -> Page:
        page.on("console", lambda message: self.log(message, page))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        return page


def sign_in(page: Page, server: Server, person: str) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(f"{person}@example.org")
    page.get_by_label("Password", exact=True).fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def controlled(page: Page) -> None:
    """The service worker controls this page (it takes over on its first install). Polled from
    here: Playwright's wait_for_function may evaluate a string, which the CSP forbids."""
    try:
        wait_for(page, "() => navigator.serviceWorker.controller !== null", what="the worker")
    except AssertionError:
        states = page.evaluate(
            """async () => {
              const r = await navigator.serviceWorker.getRegistration();
              return r ? {installing: r.installing && r.installing.state,
                          waiting: r.waiting && r.waiting.state,
                          active: r.active && r.active.state} : null;
            }"""
        )
        raise AssertionError(f"no worker controls {page.url}: registration {states}") from None


def ready_offline(page: Page) -> None:
    """Controlled, and the signed-in person's storage set up (their key fetched)."""
    controlled(page)
    # The page's deferred scripts may not have run yet when its address has changed.
    wait_for(page, "() => typeof SJ !== 'undefined' && SJ.ready !== undefined", what="page.js")
    assert page.evaluate("SJ.ready") is True


def caches_of(page: Page) -> dict[str, list[str]]:
    return page.evaluate(
        """async () => {
          const found = {};
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            found[name] = (await cache.keys()).map((r) => new URL(r.url).pathname);
          }
          return found;
        }"""
    )


def wait_for(page: Page, script: str, arg=None, what: str = "", seconds: float = 15):
    """Until `script` gives something true in the page; returns it. Polled from here because
    Playwright's wait_for_function neither awaits a promise (an async check is always "true")
    nor works with a string under this CSP (it evaluates it)."""
    deadline = time.monotonic() + seconds
    while True:
        found = page.evaluate(script, arg)
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or script}")
        time.sleep(0.05)


def wait_until(condition: Callable[[], object], what: str, seconds: float = 15) -> None:
    """For conditions outside the page (the server's log, its database)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# --- installable ---------------------------------------------------------------------------


def test_chromium_finds_the_app_installable_with_both_icon_sizes(
    playwright, server: Server, tmp_path: Path
):
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, **PHONE
    )
    try:
        context.set_default_timeout(WAIT_MS)
        page = context.pages[0] if context.pages else context.new_page()
        console = Console()
        console.watch(page)
        sign_in(page, server, "cara")
        controlled(page)
        cdp = context.new_cdp_session(page)

        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        manifest = cdp.send("Page.getAppManifest")

        assert errors == []
        assert manifest["errors"] == []
        parsed = json.loads(manifest["data"])
        sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in parsed["icons"]}
        assert sizes == {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")}
        assert (parsed["display"], parsed["start_url"], parsed["scope"]) == ("standalone", "/", "/")
        for icon in parsed["icons"]:
            loaded = page.request.get(server.url + icon["src"])
            assert loaded.status == 200 and loaded.headers["content-type"] == "image/png"
        assert console.errors == []
    finally:
        context.close()


# --- pages offline -------------------------------------------------------------------------

VISITED = ["/", "/reflections", "/actions", "/sets"]


def test_visited_pages_open_offline_and_an_unvisited_one_shows_the_offline_page(
    browser: Browser, server: Server
):
    with phone(browser) as context:
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cara")
        ready_offline(page)
        headings = {}
        for path in VISITED:
            page.goto(server.url + path)
            headings[path] = page.locator("h1").inner_text()

        context.set_offline(True)
        for path in VISITED:
            response = page.goto(server.url + path)
            assert response is not None and response.from_service_worker, path
            expect(page.locator("h1")).to_have_text(headings[path])
            expect(page.locator("#pwa-offline-copy")).to_contain_text("You are offline")
        response = page.goto(server.url + "/shared")

        assert response is not None and response.from_service_worker
        expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
        expect(page.get_by_role("link", name="Write a reflection")).to_be_visible()
        expect(page.get_by_text("This needs a connection")).to_be_hidden()
        assert console.errors == []


# --- a new version ---------------------------------------------------------------------------


@contextmanager
def new_version(monkeypatch) -> Iterator[str]:
    """The server serves a service worker of another version (as after a deploy)."""
    from journal.pwa import views

    real = views.shell
    version = f"v{uuid.uuid4().hex[:8]}"

    def newer():
        urls, _ = real()
        return urls, version

    monkeypatch.setattr(views, "shell", newer)
    try:
        yield version
    finally:
        monkeypatch.setattr(views, "shell", real)


def shells(page: Page) -> list[str]:
    return sorted(name for name in caches_of(page) if name.startswith("sj-shell-"))


def test_a_new_version_waits_for_reload_to_update_never_reloads_under_typing_and_keeps_the_queue(
    browser: Browser, server: Server, monkeypatch
):
    queued = f"Queued {uuid.uuid4().hex[:8]}: waiting while the app updates."
    with phone(browser) as context:
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cara")
        ready_offline(page)
        page.goto(server.url + "/reflections/new")
        server.faults.answer_next("PUT", r"/api/v1/reflections/.*", *[UNAVAILABLE] * 20)
        write(page, queued)
        expect(outbox_card(page, queued)).to_contain_text("Not yet synced")
        (queued_id,) = entry_ids(page)
        page.goto(server.url + "/reflections/new")
        (old_shell,) = shells(page)

        with new_version(monkeypatch) as version:
            page.evaluate("window.stillThisPage = true")
            page.get_by_label("Experience").press_sequentially("Typing while a new version")
            page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
            update = page.get_by_role("button", name="Reload to update")
            expect(update).to_be_visible()
            page.get_by_label("Experience").press_sequentially(" arrives.")

            # Waiting, not taking over: the page and what is typed stay.
            assert page.evaluate("window.stillThisPage") is True
            expect(page.get_by_label("Experience")).to_have_value(
                "Typing while a new version arrives."
            )
            server.faults.scripted.clear()  # the server is back too
            with page.expect_navigation():
                update.click()

            assert page.evaluate("window.stillThisPage === undefined")
            has_cache = "async (name) => (await caches.keys()).includes(name)"
            wait_for(page, has_cache, f"sj-shell-{version}")
            wait_for(page, f"async (name) => !await ({has_cache})(name)", old_shell)
            expect(page.get_by_label("Experience")).to_have_value(
                "Typing while a new version arrives."
            )
            assert on_server(server, "cara", queued_id)["experience"] == queued
        assert console.errors == []


# --- a shared phone --------------------------------------------------------------------------

# Everything a script on the site can open: every cache (names, addresses, bodies), every
# IndexedDB database (names and records, bytes as hex), localStorage, sessionStorage, cookies.
EVERYTHING_READABLE = """async () => {
  const hex = (bytes) =>
    Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
  const plain = (value) => JSON.stringify(value, (key, v) => {
    if (v instanceof ArrayBuffer) return hex(v);
    if (ArrayBuffer.isView(v)) return hex(v.buffer);
    if (typeof CryptoKey !== "undefined" && v instanceof CryptoKey) return "<CryptoKey>";
    return v;
  });
  const found = {caches: {}, databases: {}, localStorage: {...localStorage},
                 sessionStorage: {...sessionStorage}, cookies: document.cookie};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    found.caches[name] = {};
    for (const request of await cache.keys()) {
      found.caches[name][request.url] = await (await cache.match(request)).text();
    }
  }
  for (const {name} of await indexedDB.databases()) {
    const db = await new Promise((ok, fail) => {
      const opening = indexedDB.open(name);
      opening.onsuccess = () => ok(opening.result);
      opening.onerror = () => fail(opening.error);
    });
    found.databases[name] = {};
    for (const store of db.objectStoreNames) {
      const records = await new Promise((ok) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => ok(request.result);
      });
      found.databases[name][store] = plain(records);
    }
    db.close();
  }
  return found;
}"""


def storage_of(page: Page) -> str:
    return page.locator('meta[name="journal-storage"]').get_attribute("content")


def put_reflection(
    page: Page, experience: str, visibility: str = "private", next_action: str = ""
) -> str:
    """A reflection saved through the API from the page (as another device of theirs would)."""
    reflection_id = str(uuid.uuid4())
    status = page.evaluate(
        """async ([id, experience, visibility, next_action]) =>
          (await fetch(`/api/v1/reflections/${id}`, {
            method: "PUT",
            headers: {"Content-Type": "application/json",
                      "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content},
            body: JSON.stringify({experience, insight: "", next_action, action_due: null,
              action_status: "open", action_outcome: "", meeting_id: null, set_id: null,
              visibility, base_version: null})})).status""",
        [reflection_id, experience, visibility, next_action],
    )
    assert status == 201
    return reflection_id


def queue_offline(page: Page, experience: str) -> str:
    """A reflection saved in the outbox while offline (as the writing form does)."""
    reflection_id = str(uuid.uuid4())
    page.evaluate(
        """async ([id, experience]) => SJ.outbox.enqueue(SJ.person, id, {
            experience, insight: "", next_action: "", action_due: null, action_status: "open",
            action_outcome: "", meeting_id: null, set_id: null, visibility: "private",
            base_version: null}, {label: "Not linked to a meeting"})""",
        [reflection_id, experience],
    )
    return reflection_id


def where(found, needle: str, path: str = "") -> list[str]:
    """The places in `found` (nested dicts of text) where `needle` appears."""
    if isinstance(found, dict):
        return [p for key, value in found.items() for p in where(value, needle, f"{path}/{key}")]
    return [path] if needle in str(found) or needle in path else []


def assert_nothing_of(found: dict, person_storage: str, words: list[str]) -> None:
    for needle in (person_storage, *words):
        assert where(found, needle) == [], f"{needle!r} is still readable on the device"


def test_signing_out_leaves_nothing_of_that_person_for_the_next_one(
    browser: Browser, server: Server
):
    with phone(browser) as context:
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cara")
        ready_offline(page)
        caras = storage_of(page)
        secret = f"Private {uuid.uuid4().hex[:8]}: only Cara may ever read this."
        reflection_id = put_reflection(page, secret)
        for path in ["/reflections", f"/reflections/{reflection_id}"]:
            page.goto(server.url + path)
            expect(page.get_by_text(secret)).to_be_visible()
        caras_words = [secret, reflection_id]
        assert wait_for(
            page, "async (name) => (await caches.keys()).includes(name)", f"sj-pages-{caras}"
        )

        sign_out(page)
        expect(page).to_have_url(re.compile(r"/login$"))
        sign_in(page, server, "cal")
        ready_offline(page)
        for path in ["/", "/reflections", "/shared"]:
            page.goto(server.url + path)
            assert_nothing_of({"page": page.content()}, caras, caras_words)
        context.set_offline(True)
        for path in ["/reflections", "/actions"]:
            page.goto(server.url + path)
            assert_nothing_of({"page": page.content()}, caras, caras_words)

        found = page.evaluate(EVERYTHING_READABLE)

        assert_nothing_of(found, caras, caras_words)
        assert found["localStorage"] == {} and found["sessionStorage"] == {}
        assert console.errors == []


def test_signing_out_with_something_unsent_warns_first_and_can_stay_signed_in(
    browser: Browser, server: Server
):
    experience = f"Unsent {uuid.uuid4().hex[:8]}: what I noticed about my questions."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        lees = storage_of(page)
        context.set_offline(True)
        queue_offline(page, experience)

        sign_out(page)
        warning = page.get_by_role("alert")
        expect(warning).to_contain_text("would delete writing that has not reached the server")
        expect(warning).to_contain_text(experience[:60])
        warning.get_by_role("button", name="Stay signed in").click()
        expect(warning).to_have_count(0)
        assert page.evaluate("async () => (await SJ.outbox.list(SJ.person)).length") == 1

        # Offline, signing out cannot reach the server: nothing is deleted, and it says so.
        sign_out(page)
        warning.get_by_role("button", name="Sign out and delete it").click()
        expect(page.locator("#pwa-signout-offline")).to_contain_text("You are still signed in")
        assert page.evaluate("async () => (await SJ.outbox.list(SJ.person)).length") == 1

        # Online, but the server refuses it (a 503 from a proxy): the person chooses to lose it.
        server.faults.answer_next("PUT", r"/api/v1/reflections/.*", *[UNAVAILABLE] * 20)
        context.set_offline(False)
        sign_out(page)
        expect(warning).to_contain_text(experience[:60])
        warning.get_by_role("button", name="Sign out and delete it").click()
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.get_by_role("status")).to_have_text("You are signed out.")

        assert_nothing_of(page.evaluate(EVERYTHING_READABLE), lees, [experience])


# --- writing offline -------------------------------------------------------------------------

JSON = "application/json"
WRITABLE = (
    "experience",
    "insight",
    "next_action",
    "action_due",
    "action_status",
    "action_outcome",
    "meeting_id",
    "set_id",
    "visibility",
)


def api(server: Server, person: str):
    """A second device of the person's, over the JSON API (the Flask test client)."""
    from tests.helpers import AuthActions

    client = server.app.test_client()
    assert AuthActions(client).login(f"{person}@example.org", demo.PASSWORD).status_code == 302
    return client


def on_server(server: Server, person: str, reflection_id: str, seconds: float = 30) -> dict:
    """The reflection as the API gives it, once the server has it (within `seconds`)."""
    client = api(server, person)
    found: dict = {}

    def arrived() -> bool:
        answer = client.get(f"/api/v1/reflections/{reflection_id}")
        found.update(answer.json if answer.status_code == 200 else {})
        return answer.status_code == 200

    wait_until(arrived, f"reflection {reflection_id} on the server", seconds)
    return found


def outbox_ready(page: Page) -> None:
    """Until writing.js has started: before that, Save is the plain form post, which these
    tests are not about (offline, the service worker's 503 page)."""
    expect(page.locator('form.reflection[data-outbox="ready"]')).to_be_attached()


def write(page: Page, experience: str, insight: str = "") -> None:
    outbox_ready(page)
    page.get_by_label("Experience").fill(experience)
    if insight:
        page.get_by_label("Insight").fill(insight)
    page.get_by_role("button", name="Save reflection").click()


def outbox_card(page: Page, text: str):
    return page.locator("#pwa-outbox article", has_text=text[:60])


def entry_ids(page: Page) -> list[str]:
    return page.evaluate("async () => (await SJ.outbox.list(SJ.person)).map((e) => e.id)")


def test_written_offline_kept_through_a_reload_offline_and_synced_when_online(
    browser: Browser, server: Server
):
    experience = f"Offline {uuid.uuid4().hex[:8]}: wrote this in the car park after the set."
    with phone(browser) as context:
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cara")
        ready_offline(page)
        for path in ("/reflections", "/reflections/new"):
            page.goto(server.url + path)

        context.set_offline(True)
        page.goto(server.url + "/reflections/new")
        write(page, experience, insight="Saying less let the others think.")

        expect(page).to_have_url(server.url + "/reflections")
        card = outbox_card(page, experience)
        expect(card).to_contain_text("Not yet synced")
        (reflection_id,) = entry_ids(page)
        page.reload()
        expect(outbox_card(page, experience)).to_contain_text("Not yet synced")
        assert page.evaluate("document.body.dataset.offlineCopy") is not None

        context.set_offline(False)
        saved = on_server(server, "cara", reflection_id)

        assert saved["experience"] == experience
        assert saved["insight"] == "Saying less let the others think."
        assert saved["version"] == 1
        expect(outbox_card(page, experience)).to_contain_text("Synced")
        assert entry_ids(page) == []
        assert console.errors == []


def test_a_tab_closed_mid_sentence_keeps_what_was_typed(browser: Browser, server: Server):
    words = f"Half a thought {uuid.uuid4().hex[:8]} about the way I interrupt when"
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cal")
        ready_offline(page)
        page.goto(server.url + "/reflections/new")
        page.get_by_label("Experience").press_sequentially(words, delay=5)
        wait_for(
            page,
            """async (words) => (await SJ.vault.list(SJ.person, "drafts"))
                 .some((d) => d.fields.experience === words)""",
            words,
            "the draft on the device",
        )
        page.close()

        again = context.new_page()
        again.goto(server.url + "/reflections/new")

        expect(again.get_by_label("Experience")).to_have_value(words)
        expect(again.locator("#pwa-restored")).to_contain_text("Brought back")
        again.goto(server.url + "/reflections")
        expect(outbox_card(again, words)).to_contain_text("not sent until you save it")


def json_answer(status: int, **body) -> Answer:
    return Answer(status, json.dumps({"status": status, **body}), JSON)


def puts_of(server: Server, reflection_id: str) -> list[int]:
    """The statuses the app itself gave to PUTs of this reflection (scripted ones excluded)."""
    path = f"/api/v1/reflections/{reflection_id}"
    return [status for method, at, status in server.faults.reached if (method, at) == ("PUT", path)]


def test_two_server_errors_then_success_saves_it_exactly_once(browser: Browser, server: Server):
    experience = f"Retried {uuid.uuid4().hex[:8]}: the server was busy twice."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        page.goto(server.url + "/reflections/new")
        broken = json_answer(500, error="Something went wrong on our side.")
        server.faults.answer_next("PUT", r"/api/v1/reflections/.*", broken, broken)
        write(page, experience)

        expect(page).to_have_url(server.url + "/reflections")
        card = outbox_card(page, experience)
        expect(card).to_contain_text("Synced")
        reflection_id = card.get_attribute("data-id")

        saved = on_server(server, "lee", reflection_id)
        assert saved["version"] == 1
        assert puts_of(server, reflection_id) == [201]
        assert server.faults.scripted == []  # both errors were answered


def test_a_captive_portal_page_or_a_rotated_token_keeps_it_queued_until_it_is_saved(
    browser: Browser, server: Server
):
    experience = f"Station wifi {uuid.uuid4().hex[:8]}: a login page answered instead."
    rotated = json_answer(400, error="The form expired.", reason="csrf")
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cal")
        ready_offline(page)
        page.goto(server.url + "/reflections/new")
        server.faults.answer_next("PUT", r"/api/v1/reflections/.*", *[PORTAL] * 20)
        write(page, experience)

        card = outbox_card(page, experience)
        expect(card).to_contain_text("Not yet synced")
        expect(card).to_contain_text("did not come from Set Journal")
        reflection_id = card.get_attribute("data-id")
        assert puts_of(server, reflection_id) == []
        # Out of the portal; the session's token has rotated meanwhile (a new sign-in).
        server.faults.scripted.clear()
        server.faults.answer_next("PUT", r"/api/v1/reflections/.*", rotated)
        me_before = server.faults.reached.count(("GET", "/api/v1/me", 200))
        page.evaluate("dispatchEvent(new Event('online'))")
        expect(card).to_contain_text("Synced: saved on the server")

        assert on_server(server, "cal", reflection_id)["experience"] == experience
        assert puts_of(server, reflection_id) == [201]
        # The rotated token was replaced by a fresh one from the API, and the PUT sent again.
        assert server.faults.reached.count(("GET", "/api/v1/me", 200)) > me_before


@dataclass
class BackgroundSync:
    """Chromium's Background Sync, driven through the DevTools protocol from a blank tab (no
    script of the app's): `fire()` sends the worker a `sync` event for the outbox's tag, as the
    browser does when the connection is back or when it retries a failed round."""

    context: BrowserContext
    origin: str
    tab: Page = field(init=False)
    registrations: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.tab = self.context.new_page()
        self.cdp = self.context.new_cdp_session(self.tab)
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self.updated)
        self.cdp.send("ServiceWorker.enable")
        deadline = time.monotonic() + WAIT_MS / 1000
        while not self.registrations:
            if time.monotonic() > deadline:
                raise AssertionError("DevTools reported no service worker registration")
            self.tab.evaluate("0")  # lets Playwright deliver the protocol's events

    def updated(self, event: dict) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == f"{self.origin}/" and not registration["isDeleted"]:
                self.registrations.append(registration["registrationId"])

    def fire(self) -> None:
        self.cdp.send(
            "ServiceWorker.dispatchSyncEvent",
            {
                "origin": self.origin,
                "registrationId": self.registrations[-1],
                "tag": "outbox",
                "lastChance": False,
            },
        )

    def outbox(self) -> list[dict]:
        """The outbox as the service worker itself reads it (its copies of store.js and
        outbox.js, the person's key from IndexedDB)."""
        (worker,) = self.context.service_workers
        return worker.evaluate("async () => SJ.outbox.list(await SJ.device.current())")


def test_deleting_or_updating_an_action_offline_says_it_needs_a_connection_and_changes_nothing(
    browser: Browser, server: Server
):
    experience = f"Needs a connection {uuid.uuid4().hex[:8]}."
    with phone(browser) as context:
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cara")
        ready_offline(page)
        reflection_id = put_reflection(page, experience, next_action="Ask Fran about pacing.")
        delete_page = f"{server.url}/reflections/{reflection_id}/delete"
        for address in (delete_page, f"{server.url}/actions"):
            page.goto(address)
        posts_before = [r for r in server.faults.reached if r[0] == "POST"]
        context.set_offline(True)

        # Delete, from the copy of the confirmation page kept on the phone.
        page.goto(delete_page)
        with page.expect_navigation() as sent:
            page.get_by_role("button", name="Delete for good").click()
        answer = sent.value
        assert answer is not None and answer.from_service_worker and answer.status == 503
        expect(page.get_by_role("heading", level=1)).to_have_text("You are offline")
        expect(page.locator("main")).to_contain_text("This needs a connection")
        expect(page.locator("main")).to_contain_text("nothing was changed")
        expect(page.get_by_text("has not been opened on this phone")).to_be_hidden()
        expect(page.get_by_role("link", name="Try again")).to_be_hidden()
        page.get_by_role("link", name="Back to the page you were on").click()
        expect(page).to_have_url(delete_page)
        expect(page.get_by_role("heading", level=1)).to_have_text("Delete this reflection?")

        # An action's status and outcome, from the copy of /actions.
        outcome = "It went well: Fran suggested pausing after each question."
        page.goto(f"{server.url}/actions")
        action = page.locator(f"#action-{reflection_id}")
        action.get_by_label("Status").select_option(label="Done")
        action.get_by_label("What came of it").fill(outcome)
        with page.expect_navigation() as sent:
            action.get_by_role("button", name="Update").click()
        assert sent.value is not None and sent.value.status == 503
        expect(page.locator("main")).to_contain_text("nothing was changed")
        # Back in the tab's history: the form as it was left, what was typed kept.
        page.get_by_role("link", name="Back to the page you were on").click()
        expect(page).to_have_url(f"{server.url}/actions")
        expect(action.get_by_label("What came of it")).to_have_value(outcome)
        expect(action.get_by_label("Status")).to_have_value("done")

        context.set_offline(False)
        saved = on_server(server, "cara", reflection_id)
        assert (saved["experience"], saved["version"], saved["action_status"]) == (
            experience,
            1,
            "open",
        )
        assert [r for r in server.faults.reached if r[0] == "POST"] == posts_before
        # The browser logs each 503 (the two forms), and nothing else went wrong.
        assert [e for e in console.errors if "with a status of 503" not in e] == []
        assert len(console.errors) == 2


def test_background_sync_sends_the_outbox_from_the_worker_with_no_page_open(
    browser: Browser, server: Server
):
    experience = f"Background {uuid.uuid4().hex[:8]}: sent by the worker, the app closed."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        context.set_offline(True)
        reflection_id = queue_offline(page, experience)
        sync = BackgroundSync(context, server.url)
        page.close()  # the app is closed: no page script can send anything
        assert [open_page.url for open_page in context.pages] == ["about:blank"]
        me_before = server.faults.reached.count(("GET", "/api/v1/me", 200))

        # Back online, behind a captive portal: the worker is answered with its page.
        server.faults.answer_next("PUT", r"/api/v1/reflections/.*", *[PORTAL] * 20)
        context.set_offline(False)
        sync.fire()
        deadline = time.monotonic() + WAIT_MS / 1000
        while not any(
            "did not come from Set Journal" in (e["lastError"] or "") for e in sync.outbox()
        ):
            assert time.monotonic() < deadline, "the worker never tried to send it"
            sync.tab.evaluate("0")
        assert [e["id"] for e in sync.outbox()] == [reflection_id]
        assert puts_of(server, reflection_id) == []

        # Out of the portal: the browser's next round sends it, once, and it leaves the outbox.
        server.faults.scripted.clear()
        sync.fire()
        saved = on_server(server, "lee", reflection_id)

        assert (saved["experience"], saved["version"]) == (experience, 1)
        deadline = time.monotonic() + WAIT_MS / 1000
        while sync.outbox():
            assert time.monotonic() < deadline, "the worker kept an entry the server saved"
            sync.tab.evaluate("0")
        assert puts_of(server, reflection_id) == [201]
        # The worker has no page to read a token from: it asked the API for one.
        assert server.faults.reached.count(("GET", "/api/v1/me", 200)) > me_before
        assert [open_page.url for open_page in context.pages] == ["about:blank"]


def test_a_field_the_server_refuses_is_shown_on_the_form_with_the_text_kept(
    browser: Browser, server: Server
):
    experience = f"Refused {uuid.uuid4().hex[:8]}: a date the server would not take."
    message = "Choose a meeting of one of your sets."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        ready_offline(page)
        page.goto(server.url + "/reflections/new")
        refused = json_answer(
            422, error="Some of what was sent is not valid.", fields={"meeting_id": message}
        )
        server.faults.answer_next("PUT", r"/api/v1/reflections/.*", refused)
        write(page, experience)

        expect(page.locator("#meeting_id-error")).to_have_text(message)
        expect(page).to_have_url(server.url + "/reflections/new")
        expect(page.get_by_label("Experience")).to_have_value(experience)
        assert entry_ids(page) == []  # back in the form, as a draft
        page.get_by_label("Meeting").select_option("")
        page.get_by_role("button", name="Save reflection").click()

        expect(page).to_have_url(re.compile(r"/reflections/[0-9a-f-]{36}$"))
        expect(page.get_by_role("status")).to_have_text("Reflection saved.")
        expect(page.get_by_text(experience)).to_be_visible()


def edited_offline(context: BrowserContext, page: Page, server: Server, first: str, words: str):
    """A reflection saved online (version 1), its pages opened, then edited with no signal:
    the edit waits in the outbox with base_version 1. The page is left offline on the journal."""
    reflection_id = put_reflection(page, first, visibility="facilitator")
    for path in (f"/reflections/{reflection_id}", f"/reflections/{reflection_id}/edit"):
        page.goto(server.url + path)
    context.set_offline(True)
    page.goto(f"{server.url}/reflections/{reflection_id}/edit")
    outbox_ready(page)
    page.get_by_label("Experience").fill(words)
    page.get_by_role("button", name="Save reflection").click()
    expect(outbox_card(page, words)).to_contain_text("Not yet synced")
    return reflection_id


def on_the_laptop(server: Server, person: str, method: str, reflection_id: str, **changes):
    """The same person changes (PUT) or deletes (DELETE) the reflection on another device."""
    laptop = api(server, person)
    path = f"/api/v1/reflections/{reflection_id}"
    token = {"X-CSRFToken": laptop.get("/api/v1/me").json["csrf_token"]}
    if method == "DELETE":
        assert laptop.delete(path, headers=token).status_code == 204
        return
    body = laptop.get(path).json
    fields = {**{k: body[k] for k in WRITABLE}, **changes, "base_version": body["version"]}
    assert laptop.put(path, json=fields, headers=token).status_code == 200


def reflections_of(server: Server, person: str) -> list[dict]:
    """All of the person's reflections, as the API lists them (every page)."""
    client = api(server, person)
    found, address = [], "/api/v1/reflections?limit=100"
    while address:
        answer = client.get(address).json
        found += answer["reflections"]
        address = answer["next"]
    return found


@pytest.mark.parametrize("choice", ["Merge by hand", "Keep mine"])
def test_a_conflicting_edit_from_a_second_device_keeps_both_versions_until_the_person_chooses(
    browser: Browser, server: Server, choice: str
):
    first = f"First words {uuid.uuid4().hex[:8]}."
    on_the_phone = f"{first} Then, on the train, more on the phone."
    elsewhere = f"{first} Meanwhile, on the laptop, something else."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        ready_offline(page)
        reflection_id = edited_offline(context, page, server, first, on_the_phone)
        on_the_laptop(server, "cara", "PUT", reflection_id, experience=elsewhere)
        context.set_offline(False)

        card = outbox_card(page, on_the_phone)
        expect(card).to_contain_text("Needs your attention")
        expect(card).to_contain_text("changed somewhere else too")
        assert on_server(server, "cara", reflection_id)["experience"] == elsewhere
        card.get_by_role("link", name="Compare the two versions").click()
        comparison = page.locator("#pwa-conflict")
        expect(comparison.locator(".pwa-version").nth(0)).to_contain_text(on_the_phone)
        expect(comparison.locator(".pwa-version").nth(1)).to_contain_text(elsewhere)
        expect(comparison.locator(".pwa-version").nth(1)).to_contain_text("version 2")

        assert puts_of(server, reflection_id) == [201, 409]  # nothing overwritten yet

        chosen = on_the_phone
        comparison.get_by_role("button", name=choice).click()
        if choice == "Merge by hand":
            chosen = f"{elsewhere} And from the phone: more on the train."
            page.get_by_label("Experience, merged").fill(chosen)
            page.get_by_role("button", name="Save the merged version").click()

        # Sent on top of the server's version 2, as version 3.
        expect(outbox_card(page, chosen)).to_contain_text("Synced")
        saved = on_server(server, "cara", reflection_id)
        assert (saved["experience"], saved["version"]) == (chosen, 3)
        assert entry_ids(page) == []


def test_keeping_the_servers_version_drops_the_phones_and_changes_nothing_on_the_server(
    browser: Browser, server: Server
):
    first = f"Kept as is {uuid.uuid4().hex[:8]}."
    on_the_phone = f"{first} A change on the phone, on second thoughts not wanted."
    elsewhere = f"{first} The laptop's version, the one to keep."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        ready_offline(page)
        reflection_id = edited_offline(context, page, server, first, on_the_phone)
        on_the_laptop(server, "cara", "PUT", reflection_id, experience=elsewhere)
        context.set_offline(False)
        expect(outbox_card(page, on_the_phone)).to_contain_text("Needs your attention")
        page.goto(server.url + "/reflections")
        flag = page.locator(
            f'main article.card:not(.pwa-entry):has(a[href="/reflections/{reflection_id}"])'
        )
        expect(flag.locator(".pwa-state")).to_have_text(
            "Changes on this phone: Needs your attention."
        )

        page.goto(f"{server.url}/reflections/{reflection_id}")
        comparison = page.locator("#pwa-conflict")
        expect(comparison.locator(".pwa-version").nth(0)).to_contain_text(on_the_phone)
        with page.expect_navigation():
            comparison.get_by_role("button", name="Keep the server’s").click()

        expect(page.locator("#pwa-conflict")).to_have_count(0)
        expect(page.locator("main")).to_contain_text(elsewhere)
        assert entry_ids(page) == []
        drafts = "async () => (await SJ.vault.list(SJ.person, 'drafts')).length"
        assert page.evaluate(drafts) == 0
        saved = on_server(server, "cara", reflection_id)
        assert (saved["experience"], saved["version"]) == (elsewhere, 2)
        assert puts_of(server, reflection_id) == [201, 409]  # nothing sent after the choice
        page.goto(server.url + "/reflections")
        ready_offline(page)
        expect(flag).to_contain_text(elsewhere[:60])
        expect(flag.locator(".pwa-state")).to_have_count(0)
        expect(page.locator("#pwa-outbox")).to_have_count(0)
        # The edit form opens on the server's text: nothing of the phone's comes back.
        page.goto(f"{server.url}/reflections/{reflection_id}/edit")
        ready_offline(page)
        expect(page.get_by_label("Experience")).to_have_value(elsewhere)
        expect(page.locator("#pwa-restored")).to_have_count(0)


def test_an_edit_of_a_reflection_deleted_elsewhere_can_be_saved_as_a_new_one(
    browser: Browser, server: Server
):
    first = f"Deleted elsewhere {uuid.uuid4().hex[:8]}."
    on_the_phone = f"{first} Written on the phone while the laptop deleted it."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        ready_offline(page)
        reflection_id = edited_offline(context, page, server, first, on_the_phone)
        on_the_laptop(server, "cara", "DELETE", reflection_id)
        context.set_offline(False)

        card = outbox_card(page, on_the_phone)
        expect(card).to_contain_text("Needs your attention: it was deleted somewhere else.")
        assert entry_ids(page) == [reflection_id]
        card.get_by_role("button", name="Save it as a new reflection").click()

        expect(outbox_card(page, on_the_phone)).to_contain_text("Synced")
        wait_for(page, "async () => (await SJ.outbox.list(SJ.person)).length === 0")
        (saved,) = [r for r in reflections_of(server, "cara") if first in r["experience"]]
        assert saved["id"] != reflection_id
        assert (saved["experience"], saved["version"]) == (on_the_phone, 1)
        assert saved["visibility"] == "facilitator"
        assert api(server, "cara").get(f"/api/v1/reflections/{reflection_id}").status_code == 404


def end_sessions(server: Server, person: str) -> None:
    """Signed out elsewhere (another device's "Sign out", a password change)."""
    from sqlalchemy import select

    from journal.auth import accounts
    from journal.models import User

    with server.app.app_context():
        user = db.session.scalars(select(User).filter_by(email=f"{person}@example.org")).one()
        accounts.end_all_sessions(user)
        db.session.commit()
        db.session.remove()


def test_a_session_ended_offline_keeps_the_queue_sealed_from_others_and_sends_it_after_sign_in(
    browser: Browser, server: Server
):
    experience = f"Session ended {uuid.uuid4().hex[:8]}: written on the way home."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        lees = storage_of(page)
        page.goto(server.url + "/reflections/new")
        context.set_offline(True)
        write(page, experience)
        expect(outbox_card(page, experience)).to_contain_text("Not yet synced")
        (reflection_id,) = entry_ids(page)
        end_sessions(server, "lee")

        context.set_offline(False)
        card = outbox_card(page, experience)
        expect(card).to_contain_text("Needs your attention")
        expect(page.locator("#pwa-sign-in")).to_contain_text("Your session has ended")

        # Someone else signs in on this phone meanwhile: Lee's words stay sealed, key gone.
        page.locator("#pwa-sign-in").get_by_role("link", name="Sign in").click()
        sign_in(page, server, "cal")
        ready_offline(page)
        found = page.evaluate(EVERYTHING_READABLE)
        # Only the sealed database and the count of what waits in it (outbox.js) keep Lee's
        # opaque name, without a word of Lee's or a key to open it.
        named = ("databases", "cookies")
        assert_nothing_of({k: v for k, v in found.items() if k not in named}, lees, [experience])
        assert_nothing_of({k: found[k] for k in named}, "no key", [experience])
        sealed = found["databases"][f"sj-person-{lees}"]
        assert json.loads(sealed["key"]) == [] and experience not in json.dumps(sealed)
        assert json.loads(sealed["outbox"]) != []
        sign_out(page)
        expect(page).to_have_url(re.compile(r"/login$"))

        sign_in(page, server, "lee")
        saved = on_server(server, "lee", reflection_id)

        assert saved["experience"] == experience
        page.goto(server.url + "/reflections")
        expect(page.locator("#pwa-outbox")).to_have_count(0)


def switch_person_unseen(context: BrowserContext, server: Server, before: str, after: str) -> None:
    """`before` signs out and `after` signs in on this browser without a page or the worker
    seeing it (the browser's cookies, the app's forms): the moment on a shared phone between a
    new sign-in and the device hearing of it."""
    from tests.helpers import csrf_token_of

    me = context.request.get(f"{server.url}/api/v1/me").json()
    assert me["email"] == f"{before}@example.org"
    out = context.request.post(
        f"{server.url}/logout", form={"csrf_token": me["csrf_token"]}, max_redirects=0
    )
    assert out.status == 302
    token = csrf_token_of(context.request.get(f"{server.url}/login").text())
    signed_in = context.request.post(
        f"{server.url}/login",
        form={"email": f"{after}@example.org", "password": demo.PASSWORD, "csrf_token": token},
        max_redirects=0,
    )
    assert signed_in.status == 302


def test_a_queue_is_never_saved_in_the_journal_of_someone_who_signed_in_unseen(
    browser: Browser, server: Server
):
    experience = f"Lee's words {uuid.uuid4().hex[:8]}: never to land in Cal's journal."
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        page.goto(server.url + "/reflections")
        ready_offline(page)
        context.set_offline(True)
        reflection_id = queue_offline(page, experience)
        switch_person_unseen(context, server, "lee", "cal")

        # The page still holds Lee's queue and key; the browser's session is Cal's.
        context.set_offline(False)
        card = outbox_card(page, experience)
        expect(card).to_contain_text("Needs your attention")

        assert 403 in puts_of(server, reflection_id)
        assert [s for s in puts_of(server, reflection_id) if s < 300] == []
        for person in ("lee", "cal"):
            found = api(server, person).get(f"/api/v1/reflections/{reflection_id}")
            assert found.status_code == 404, person
        assert entry_ids(page) == [reflection_id]

        # Its writer signs in again (after Cal signs out): it goes, to Lee's journal.
        page.goto(server.url + "/")
        sign_out(page)
        expect(page).to_have_url(re.compile(r"/login$"))
        sign_in(page, server, "lee")
        saved = on_server(server, "lee", reflection_id)

        assert saved["experience"] == experience


def test_what_waits_for_days_or_was_wiped_by_the_browser_is_said_not_hidden(
    browser: Browser, server: Server
):
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        context.set_offline(True)
        queue_offline(page, "Written on a ferry with no signal for days.")
        page.evaluate(
            """async () => {
              const [entry] = await SJ.outbox.list(SJ.person);
              entry.queuedAt = Date.now() - 3 * 24 * 60 * 60 * 1000;
              await SJ.outbox.save(SJ.person, entry);
            }"""
        )
        page.reload()
        expect(page.locator("#pwa-waiting")).to_contain_text("has waited on this phone since")

        # The browser clears the site's storage (as Safari does after 7 days without a visit).
        page.evaluate(
            """async () => {
              for (const {name} of await indexedDB.databases()) {
                await new Promise((done) => {
                  const request = indexedDB.deleteDatabase(name);
                  request.onsuccess = request.onerror = request.onblocked = done;
                });
              }
            }"""
        )
        context.set_offline(False)
        page.goto(server.url + "/reflections")

        expect(page.locator("#pwa-wiped")).to_contain_text(
            "deleted a reflection saved here that had not reached the server"
        )
        page.reload()
        expect(page.locator("#pwa-wiped")).to_have_count(0)  # said once


def test_every_state_reads_in_words_and_passes_axe_with_44px_targets(
    browser: Browser, server: Server
):
    from tests.browser.test_phone import AXE, AXE_JS, SMALL_TARGETS_JS, TARGET_PX

    context = browser.new_context(**PHONE)
    context.add_init_script(path=str(AXE))  # run by DevTools, outside the page's CSP
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        sign_in(page, server, "cal")
        ready_offline(page)
        reflection_id = put_reflection(page, "On the server: version one.")
        for path in ("/reflections", f"/reflections/{reflection_id}"):
            page.goto(server.url + path)
        context.set_offline(True)
        page.evaluate(
            """async (id) => {
              const body = (experience, base_version) => ({experience, insight: "",
                next_action: "", action_due: null, action_status: "open", action_outcome: "",
                meeting_id: null, set_id: null, visibility: "private", base_version});
              const about = {label: "Not linked to a meeting", isNew: true,
                             path: "/reflections/new"};
              const put = (entry) => SJ.outbox.save(SJ.person, {attempts: 0, nextTry: 0,
                queuedAt: Date.now(), lastError: null, problem: null, state: "queued",
                about, ...entry});
              const server = {id, version: 2, updated_at: new Date().toISOString(),
                experience: "Changed on the laptop.", insight: "", next_action: ""};
              await put({id: crypto.randomUUID(), body: body("Waiting for a signal.", null)});
              await put({id: crypto.randomUUID(), body: body("Session ended.", null),
                         state: "attention", problem: {kind: "signin"}});
              await put({id: crypto.randomUUID(), body: body("Refused field.", null),
                         state: "attention", problem: {kind: "invalid", error: "Not valid.",
                         fields: {meeting_id: "Choose a meeting of one of your sets."}}});
              await put({id: crypto.randomUUID(), body: body("Deleted elsewhere.", 1),
                         state: "attention", problem: {kind: "conflict", current: null}});
              await put({id, body: body("Changed on the phone.", 1), state: "attention",
                         problem: {kind: "conflict", current: server},
                         about: {...about, isNew: false}});
              await SJ.vault.write(SJ.person, "drafts", "d", {id: "d", isNew: true,
                fields: {experience: "Half written."}, savedAt: Date.now()});
            }""",
            reflection_id,
        )
        expected = {
            "Waiting for a signal.": "Not yet synced: saved on this phone",
            "Session ended.": "Needs your attention: your session has ended. Sign in again",
            "Refused field.": "Needs your attention: the server could not accept it: Choose",
            "Deleted elsewhere.": "Needs your attention: it was deleted somewhere else.",
            "Changed on the phone.": "Needs your attention: it was changed somewhere else too.",
            "Half written.": "A draft on this phone",
        }

        page.goto(server.url + "/reflections")
        for words, state in expected.items():
            expect(outbox_card(page, words)).to_contain_text(state)
        checks = {}
        views = [("journal", "/reflections"), ("conflict", f"/reflections/{reflection_id}")]
        for name, path in views:
            page.goto(server.url + path)
            page.locator("#pwa-outbox").wait_for()
            if name == "conflict":
                page.get_by_role("button", name="Merge by hand").click()
                merged = page.get_by_label("Experience, merged")
                expect(merged).to_have_value("Changed on the phone.")
            checks[name] = (page.evaluate(AXE_JS), page.evaluate(SMALL_TARGETS_JS, [TARGET_PX]))

        assert checks == {"journal": ([], []), "conflict": ([], [])}
    finally:
        context.close()


# --- a reflection on a meeting, with no signal -----------------------------------------------


def kept_form(page: Page) -> str | None:
    """The writing form this phone keeps for its person, as the service worker would serve it."""
    return page.evaluate(
        """async () => {
          const found = await caches.match("/reflections/new", {
            cacheName: "sj-pages-" + SJ.person, ignoreVary: true});
          return found ? found.text() : null;
        }"""
    )


def meeting_options(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("#meeting_id option")]
             .filter((o) => o.value).map((o) => [o.value, o.textContent.trim()]))"""
    )


def test_reflect_on_a_meeting_offline_opens_the_kept_form_on_that_meeting_and_syncs_the_link(
    browser: Browser, server: Server
):
    experience = f"Meeting {uuid.uuid4().hex[:8]}: what the set asked me about my team."
    with phone(browser) as context:
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cara")
        ready_offline(page)
        # Only the meeting's page is opened: the form comes from signing in (one kept form).
        wait_until(lambda: kept_form(page) is not None, "the writing form kept after sign-in")
        page.goto(server.url + "/reflections/new")
        linkable = meeting_options(page)
        oldest = min(linkable, key=int)
        page.goto(f"{server.url}/meetings/{oldest}")
        reflect = page.get_by_role("link", name="Reflect on this meeting")
        assert reflect.get_attribute("href") == f"/reflections/new?meeting_id={oldest}"

        context.set_offline(True)
        page.reload()
        expect(page.locator("#pwa-offline-copy")).to_contain_text("You are offline")
        reflect.click()

        expect(page).to_have_url(f"{server.url}/reflections/new?meeting_id={oldest}")
        expect(page.get_by_role("heading", level=1)).to_have_text("New reflection")
        expect(page.get_by_label("Meeting")).to_have_value(oldest)
        # Every meeting the form offers opens it the same way, each on its own meeting.
        for meeting_id in linkable:
            page.goto(f"{server.url}/reflections/new?meeting_id={meeting_id}")
            expect(page.get_by_label("Meeting")).to_have_value(meeting_id)
        page.goto(f"{server.url}/reflections/new?meeting_id={oldest}")
        # The set follows the meeting on the phone as it does when a person chooses it.
        expect(page.get_by_label("Which set").locator("option:checked")).to_have_text("Glasgow 3")
        glasgow = page.get_by_label("Which set").input_value()
        write(page, experience)
        expect(page).to_have_url(server.url + "/reflections")
        card = outbox_card(page, experience)
        expect(card).to_contain_text("Not yet synced")
        expect(card.get_by_role("heading")).to_have_text(linkable[oldest])
        (reflection_id,) = entry_ids(page)
        sent = page.evaluate(
            "async (id) => (await SJ.outbox.get(SJ.person, id)).body", reflection_id
        )
        assert sent["meeting_id"] == int(oldest) and sent["set_id"] == int(glasgow)

        context.set_offline(False)
        saved = on_server(server, "cara", reflection_id)

        assert saved["meeting_id"] == int(oldest)
        assert saved["experience"] == experience
        assert console.errors == []


def test_a_meeting_the_kept_form_does_not_offer_is_said_and_nothing_is_linked(
    browser: Browser, server: Server
):
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        ready_offline(page)
        wait_until(lambda: kept_form(page) is not None, "the writing form kept after sign-in")
        page.goto(server.url + "/reflections/new")
        linkable = meeting_options(page)
        not_hers = str(max(int(m) for m in linkable) + 1000)

        context.set_offline(True)
        page.goto(f"{server.url}/reflections/new?meeting_id={not_hers}")

        expect(page.get_by_role("heading", level=1)).to_have_text("New reflection")
        expect(page.locator("#pwa-meeting")).to_contain_text("not among the meetings")
        expect(page.get_by_label("Meeting")).to_have_value("")


def test_a_meeting_scheduled_after_the_form_was_kept_is_offered_offline_once_its_page_is_seen(
    browser: Browser, server: Server
):
    from journal.models import LearningSet, Meeting

    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        page.goto(server.url + "/reflections/new")
        wait_until(lambda: kept_form(page) is not None, "the writing form kept")
        lees_set = page.evaluate(
            """() => document.querySelector("#set_id option[value]:not([value=''])").value"""
        )
        with server.app.app_context():
            learning_set = db.session.get(LearningSet, int(lees_set))
            earlier = min(m.starts_at for m in learning_set.meetings if m.cancelled_at is None)
            meeting = Meeting(set_id=learning_set.id, starts_at=earlier, location="Room 9")
            db.session.add(meeting)
            db.session.commit()
            added = str(meeting.id)
            db.session.remove()
        assert f'value="{added}"' not in kept_form(page)

        page.goto(f"{server.url}/meetings/{added}")
        wait_until(lambda: f'value="{added}"' in kept_form(page), "a fresh copy of the form")
        context.set_offline(True)
        page.get_by_role("link", name="Reflect on this meeting").click()

        expect(page.get_by_label("Meeting")).to_have_value(added)
        expect(page.locator("#pwa-meeting")).to_have_count(0)


# --- when the connection returns -------------------------------------------------------------


def test_once_synced_the_journal_says_the_connection_is_back_not_that_it_is_offline(
    browser: Browser, server: Server
):
    experience = f"Back online {uuid.uuid4().hex[:8]}: written on the train."
    with phone(browser) as context:
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cara")
        ready_offline(page)
        page.goto(server.url + "/reflections")
        context.set_offline(True)
        page.goto(server.url + "/reflections/new")
        write(page, experience)
        expect(page).to_have_url(server.url + "/reflections")
        banner = page.locator("#pwa-offline-copy")
        heading = page.locator("#pwa-outbox-title")
        expect(banner).to_contain_text("You are offline")
        expect(heading).to_have_text("On this phone, not yet on the server")

        context.set_offline(False)

        expect(outbox_card(page, experience)).to_contain_text("Synced")
        expect(banner).not_to_contain_text("You are offline")
        expect(banner).to_contain_text("You are online again")
        expect(heading).to_have_text("Sent from this phone: now on the server")
        banner.get_by_role("button", name="Reload").click()
        expect(banner).to_have_count(0)
        expect(page.locator("main article.card", has_text=experience[:40])).to_be_visible()
        assert console.errors == []


# A phone that believes it is online throughout (a weak signal, a dead wifi): the browser never
# says `offline` or `online`, while no request reaches the server.
LIE_FI = """
Object.defineProperty(Navigator.prototype, "onLine", {get: () => true});
for (const name of ["online", "offline"]) {
  addEventListener(name, (event) => event.stopImmediatePropagation(), true);
}
"""


def test_a_copy_opened_on_a_signal_that_lies_says_online_again_once_the_server_answers(
    browser: Browser, server: Server
):
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cal")
        ready_offline(page)
        page.goto(server.url + "/actions")
        context.add_init_script(LIE_FI)
        context.set_offline(True)
        page.goto(server.url + "/actions")
        banner = page.locator("#pwa-offline-copy")
        expect(banner).to_contain_text("You are offline")
        assert page.evaluate("navigator.onLine") is True
        probes = manifest_probes(server)

        context.set_offline(False)

        expect(banner).to_contain_text("You are online again", timeout=WAIT_MS)
        assert manifest_probes(server) > probes


def manifest_probes(server: Server) -> int:
    return server.faults.reached.count(("GET", "/manifest.webmanifest", 200))


def test_the_offline_page_reloads_itself_once_the_server_answers_not_a_portal(
    browser: Browser, server: Server
):
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        ready_offline(page)
        context.set_offline(True)
        page.goto(server.url + "/shared")
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("You are offline")
        # The wifi is back but answers with its portal: `online` fires, and the page stays.
        server.faults.answer_next("GET", r"/manifest\.webmanifest", PORTAL)

        context.set_offline(False)
        wait_until(lambda: not server.faults.scripted, "the probe the portal answered")
        expect(heading).to_have_text("You are offline")

        expect(heading).not_to_have_text("You are offline", timeout=WAIT_MS)
        expect(page).to_have_url(server.url + "/shared")
        assert page.evaluate("document.body.dataset.offlineCopy") is None
        assert manifest_probes(server) >= 1


def test_after_a_form_that_could_not_be_sent_the_page_says_online_again_and_sends_nothing(
    browser: Browser, server: Server
):
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "cara")
        ready_offline(page)
        reflection_id = put_reflection(page, f"Kept {uuid.uuid4().hex[:8]}.")
        delete_page = f"{server.url}/reflections/{reflection_id}/delete"
        page.goto(delete_page)
        posts_before = [r for r in server.faults.reached if r[0] == "POST"]
        context.set_offline(True)
        page.goto(delete_page)
        with page.expect_navigation():
            page.get_by_role("button", name="Delete for good").click()
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_text("You are offline")

        context.set_offline(False)

        expect(heading).to_have_text("You are online again")
        expect(page.locator("main")).to_contain_text("nothing was changed")
        expect(page.get_by_role("link", name="Back to the page you were on")).to_be_visible()
        assert [r for r in server.faults.reached if r[0] == "POST"] == posts_before
        assert on_server(server, "cara", reflection_id)["version"] == 1


# --- telling a candidate, once -----------------------------------------------------------------

# What Chromium hands a page it could install (beforeinstallprompt), as a page can make it: the
# headless browser of these tests never offers to install. `prompt()` is recorded.
OFFER_TO_INSTALL = """(outcome) => {
  const offer = new Event("beforeinstallprompt", {cancelable: true});
  window.promptedToInstall = 0;
  offer.prompt = async () => { window.promptedToInstall += 1; };
  offer.userChoice = Promise.resolve({outcome, platform: "web"});
  dispatchEvent(offer);
  return offer.defaultPrevented;
}"""


def install_note(page: Page):
    return page.get_by_role("region", name="Set Journal on this phone")


def test_a_candidate_hears_once_on_today_that_it_installs_and_writes_with_no_signal(
    browser: Browser, server: Server
):
    from tests.browser.test_phone import AXE, AXE_JS, SMALL_TARGETS_JS, TARGET_PX

    with phone(browser) as context:
        context.add_init_script(path=str(AXE))  # run by DevTools, outside the page's CSP
        console = Console()
        page = console.watch(context.new_page())
        sign_in(page, server, "cal")
        ready_offline(page)
        note = install_note(page)

        expect(note).to_contain_text("write a reflection with no signal")
        expect(note).to_contain_text("Add to Home Screen")  # no offer from this browser
        expect(note.get_by_role("button", name="Install Set Journal")).to_have_count(0)
        assert page.evaluate(OFFER_TO_INSTALL, "dismissed") is True
        expect(note.get_by_role("button", name="Install Set Journal")).to_be_visible()
        checks = (page.evaluate(AXE_JS), page.evaluate(SMALL_TARGETS_JS, [TARGET_PX]))
        assert checks == ([], [])
        note.get_by_role("button", name="Install Set Journal").click()
        wait_for(page, "() => window.promptedToInstall === 1", what="the browser's prompt")
        expect(note).to_be_visible()  # not installed: still said, until dismissed

        note.get_by_role("button", name="Got it").click()

        expect(note).to_have_count(0)
        for path in ("/", "/reflections", "/"):
            page.goto(server.url + path)
            expect(page.locator("main h1")).to_be_visible()
            expect(install_note(page)).to_have_count(0)
        assert console.errors == []


def test_installing_from_the_note_ends_it_on_this_phone(browser: Browser, server: Server):
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, "lee")
        ready_offline(page)
        expect(install_note(page)).to_be_visible()
        page.evaluate(OFFER_TO_INSTALL, "accepted")

        install_note(page).get_by_role("button", name="Install Set Journal").click()

        expect(install_note(page)).to_have_count(0)
        page.reload()
        expect(page.locator("main h1")).to_be_visible()
        expect(install_note(page)).to_have_count(0)


@pytest.mark.parametrize(("person", "path"), [("fran", "/"), ("cara", "/reflections")])
def test_the_note_is_only_for_candidates_on_today(
    browser: Browser, server: Server, person: str, path: str
):
    with phone(browser) as context:
        page = context.new_page()
        sign_in(page, server, person)
        ready_offline(page)
        page.goto(server.url + path)

        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate("typeof SJ.ready") == "object"
        expect(install_note(page)).to_have_count(0)


def test_without_scripts_nothing_promises_writing_offline(browser: Browser, server: Server):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, server, "cara")

        expect(page.locator("main h1")).to_contain_text("Hello")
        assert "no signal" not in page.locator("main").inner_text()
    finally:
        context.close()
