"""The browser as a second wall (journal/security.py) and errors that reveal nothing
(journal/errors.py).

Every response, whatever its kind, carries a Content-Security-Policy that allows scripts from
this site only and nothing inline (SECURITY-NOTES.md 5: a nonce would go stale in pages the
service worker caches), so no page may need inline script, inline style or event handler
attributes. Every state-changing form needs its CSRF token. Errors are friendly pages outside
/api/ and JSON within it, never a stack trace; and no shared cache may keep a personal page.
"""

import re
from html.parser import HTMLParser

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import encode_multipart

from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import Invitation, LearningSet, Meeting, Reflection
from tests.factories import NEW_PASSWORD, make_invitation, table_rows
from tests.helpers import form_token, make_app

NOT_FOUND = "There is nothing here, or it is not shared with you."
TOO_LARGE = "That is more than this app accepts in one go."
BROKEN = "Something went wrong on our side."
LEAKS = ("Traceback", "RuntimeError", "secret-internal-detail", ".py", 'File "', "werkzeug")


def directives(policy: str) -> dict[str, list[str]]:
    parsed = [part.split() for part in policy.split(";") if part.strip()]
    names = [name.lower() for name, *_ in parsed]
    assert len(names) == len(set(names)), f"a directive given twice: {policy}"
    return {name.lower(): sources for name, *sources in parsed}


def assert_browser_wall(response) -> None:
    """The headers every response carries, whatever it is."""
    policy = response.headers.get("Content-Security-Policy")
    assert policy, "no Content-Security-Policy"
    csp = directives(policy)
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-" not in policy  # no 'unsafe-inline', 'unsafe-eval' or 'unsafe-hashes'
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
    # Flask-WTF checks the Referer over HTTPS: never no-referrer (SECURITY-NOTES.md 2).
    assert response.headers.get("Referrer-Policy") == "strict-origin-when-cross-origin"


def assert_not_stored(response) -> None:
    assert "no-store" in response.headers.get("Cache-Control", "")


@pytest.fixture
def cara(make):
    """A candidate in a set, with a reflection of her own."""
    person = make.user("Cara")
    make.set(candidates=[person])
    make.reflection(person)
    return person


# Headers on every kind of response -----------------------------------------------------------

KINDS = [
    # (kind, signed in?, method, path, status, mimetype)
    ("sign-in page", False, "GET", "/login", 200, "text/html"),
    ("journal page", True, "GET", "/reflections", 200, "text/html"),
    ("writing form", True, "GET", "/reflections/new", 200, "text/html"),
    ("redirect to sign in", False, "GET", "/", 302, "text/html"),
    ("redirect after signing in", True, "GET", "/login", 302, "text/html"),
    ("API answer", True, "GET", "/api/v1/me", 200, "application/json"),
    ("API document", False, "GET", "/api/v1/openapi.json", 200, "application/json"),
    ("API error", False, "GET", "/api/v1/me", 401, "application/json"),
    ("API not found", True, "GET", "/api/v1/nothing", 404, "application/json"),
    ("error page", False, "GET", "/no-such-page", 404, "text/html"),
    ("error page, signed in", True, "GET", "/no-such-page", 404, "text/html"),
    ("refused form", False, "POST", "/login", 400, "text/html"),
    ("wrong method", True, "GET", "/logout", 405, "text/html"),
    ("stylesheet", False, "GET", "/static/style.css", 200, "text/css"),
    ("script", False, "GET", "/static/app.js", 200, "text/javascript"),
    ("missing static file", False, "GET", "/static/nothing.js", 404, "text/html"),
]
NOT_STATIC = [kind for kind in KINDS if not kind[3].startswith("/static/")]


def _ask(browser, cara, signed_in: bool, method: str, path: str):
    client = browser(cara.email) if signed_in else browser()
    response = client.open(path, method=method)
    response.close()  # a static file is streamed from an open file
    return response


@pytest.mark.parametrize(
    ("kind", "signed_in", "method", "path", "status", "mimetype"), KINDS, ids=[k[0] for k in KINDS]
)
def test_every_kind_of_response_carries_the_security_headers(
    browser, cara, kind, signed_in, method, path, status, mimetype
):
    response = _ask(browser, cara, signed_in, method, path)

    assert (response.status_code, response.mimetype) == (status, mimetype)
    assert_browser_wall(response)


@pytest.mark.parametrize(
    ("kind", "signed_in", "method", "path", "status", "mimetype"),
    NOT_STATIC,
    ids=[k[0] for k in NOT_STATIC],
)
def test_no_cache_may_store_a_page_or_an_api_answer(
    browser, cara, kind, signed_in, method, path, status, mimetype
):
    response = _ask(browser, cara, signed_in, method, path)

    assert response.status_code == status
    assert_not_stored(response)


# Pages need nothing inline -------------------------------------------------------------------


class InlineCode(HTMLParser):
    """What the policy would block in a page: inline script or style, event handler attributes,
    javascript: URLs."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "style":
                self.found.append(f"<{tag} style=...>")
            elif (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag == "style":
            self.found.append("<style> element")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"inline script: {data.strip()[:60]!r}")


def inline_code(page: str) -> list[str]:
    parser = InlineCode()
    parser.feed(page)
    parser.close()
    return parser.found


@pytest.mark.parametrize(
    ("page", "found"),
    [
        ('<script src="/static/app.js" defer></script>', []),
        ("<script>alert(1)</script>", ["inline script: 'alert(1)'"]),
        ('<button onclick="go()">Go</button>', ["<button onclick=...>"]),
        ('<p style="color: red">x</p>', ["<p style=...>"]),
        ("<style>p { color: red }</style>", ["<style> element"]),
        ('<a href=" JavaScript:go()">x</a>', ["<a href=' JavaScript:go()'>"]),
        ('<img src="/x.png" alt="on this page">', []),
    ],
)
def test_the_inline_code_check_finds_what_it_should(page, found):
    assert inline_code(page) == found


JOURNAL = ["/", "/reflections", "/reflections/new", "/actions", "/shared", "/account", "/sets"]
# Demo person -> what they visit. "own": a reflection of theirs, with its edit and delete pages;
# "shared": one that others shared with them.
VISITS = {
    "cara": [*JOURNAL, "own"],
    "cal": [*JOURNAL, "own"],
    "lee": [*JOURNAL, "own"],
    "fran": [*JOURNAL, "shared"],
    "finn": [*JOURNAL, "shared"],
    "ada": JOURNAL,
    "abe": JOURNAL,
    "admin": ["/admin/", "/admin/invitations", *JOURNAL[1:]],
    None: ["/login", "invitation"],
}
REFLECTION_LINK = re.compile(r'href="(/reflections/[0-9a-f-]{36})"')


def _pages_of(app: Flask, client: FlaskClient, visits: list[str]) -> list[str]:
    pages = []
    for visit in visits:
        if visit in ("own", "shared"):
            listing = client.get("/reflections" if visit == "own" else "/shared").text
            found = REFLECTION_LINK.search(listing)
            assert found, f"no {visit} reflection linked"
            pages.append(found[1])
            if visit == "own":
                pages += [f"{found[1]}/edit", f"{found[1]}/delete"]
        elif visit == "invitation":
            pages.append(f"/invite/{make_invitation(app, 'nina@example.org', 'assessor')}")
        else:
            pages.append(visit)
    return pages


@pytest.mark.parametrize("person", VISITS, ids=[p or "signed out" for p in VISITS])
def test_no_page_needs_inline_code_and_every_page_has_the_csrf_meta_tag(
    app, browser, demo_people, person
):
    client = browser(f"{person}@example.org", DEMO_PASSWORD) if person else browser()
    problems = []

    for path in [*_pages_of(app, client, VISITS[person]), "/no-such-page"]:
        response = client.get(path)
        expected = 404 if path == "/no-such-page" else 200
        if response.status_code != expected:
            problems.append((path, f"status {response.status_code}"))
            continue
        problems += [(path, found) for found in inline_code(response.text)]
        if not re.search(r'<meta name="csrf-token" content="[^"]+">', response.text):
            problems.append((path, "no csrf-token meta tag"))

    assert problems == []


# Every form that changes something needs its CSRF token --------------------------------------


def _world(app: Flask) -> dict[str, str]:
    """Names the form paths and fields use: cara's reflection with an action, an invitation."""
    token = make_invitation(app, "nina@example.org", "assessor")
    with app.app_context():
        own = db.session.scalars(
            select(Reflection).where(Reflection.experience.startswith("A note to myself"))
        ).one()
        (invitation,) = db.session.scalars(select(Invitation)).all()
        glasgow = db.session.scalars(select(LearningSet).filter_by(name="Glasgow 3")).one()
        upcoming = select(Meeting.id).where(Meeting.set_id == glasgow.id)
        meeting = db.session.scalars(upcoming.order_by(Meeting.starts_at.desc())).first()
    return {
        "glasgow": str(glasgow.id),
        "meeting": str(meeting),
        "own": str(own.id),
        "action": f"a{own.id.hex}",
        "invitation": str(invitation.id),
        "token": token,
    }


REFLECTION_FIELDS = {
    "experience": "Something new happened.",
    "insight": "",
    "next_action": "",
    "action_due": "",
    "meeting_id": "",
    "visibility": "private",
}
FORMS = [
    # (form, who, path, fields, status when the token is there)
    ("sign in", None, "/login", {"email": "cara@example.org", "password": DEMO_PASSWORD}, 302),
    ("sign out", "cara", "/logout", {}, 302),
    ("write", "cara", "/reflections/new", REFLECTION_FIELDS, 302),
    ("edit", "cara", "/reflections/{own}/edit", {**REFLECTION_FIELDS, "base_version": "1"}, 302),
    ("delete", "cara", "/reflections/{own}/delete", {}, 302),
    (
        "action",
        "cara",
        "/actions/{own}",
        {
            "{action}-action_status": "done",
            "{action}-action_outcome": "Booked.",
            "{action}-base_version": "1",
        },
        302,
    ),
    (
        "invite",
        "admin",
        "/admin/invitations",
        {"email": "nora@example.org", "role": "assessor", "set_id": ""},
        200,
    ),
    ("withdraw", "admin", "/admin/invitations/{invitation}/revoke", {}, 302),
    (
        "schedule a meeting",
        "fran",
        "/sets/{glasgow}/meetings/new",
        {"date": "2031-05-06", "start_time": "10:00", "end_time": "", "location": "", "agenda": ""},
        302,
    ),
    (
        "change a meeting",
        "fran",
        "/meetings/{meeting}/edit",
        {"date": "2031-05-06", "start_time": "10:00", "end_time": "", "location": "", "agenda": ""},
        302,
    ),
    ("cancel a meeting", "fran", "/meetings/{meeting}/cancel", {}, 302),
    ("turn the calendar feed on", "cara", "/calendar/feed", {}, 200),
    (
        "change password",
        "cara",
        "/account",
        {"current_password": DEMO_PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        302,
    ),
    (
        "accept an invitation",
        None,
        "/invite/{token}",
        {"name": "Nina", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        302,
    ),
]


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("with_token", [False, True], ids=["without token", "with token"])
@pytest.mark.parametrize(
    ("form", "person", "path", "fields", "status"), FORMS, ids=[f[0] for f in FORMS]
)
def test_a_form_that_changes_something_needs_its_csrf_token(
    app, browser, demo_people, form, person, path, fields, status, with_token
):
    names = _world(app)
    client = browser(f"{person}@example.org", DEMO_PASSWORD) if person else browser()
    data = {key.format(**names): value for key, value in fields.items()}
    if with_token:
        data["csrf_token"] = form_token(client)
    before, was_signed_in = table_rows(app), _signed_in(client)

    response = client.post(path.format(**names), data=data)

    if with_token:
        # The same form with its token goes through: the token alone made the difference.
        assert response.status_code == status
        assert table_rows(app) != before or _signed_in(client) != was_signed_in
    else:
        assert response.status_code == 400
        assert "The form expired or was sent from elsewhere" in response.text
        assert table_rows(app) == before
        assert _signed_in(client) == was_signed_in


# Errors: friendly pages, JSON under /api/, never a trace -------------------------------------


@pytest.mark.parametrize(
    ("person", "path"),
    [
        (None, "/login"),
        ("cara", "/reflections/new"),
        ("admin", "/admin/invitations"),
    ],
)
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_body_over_the_limit_is_a_friendly_413_page(app, browser, make, person, path, encoding):
    user = make.user("Cara") if person == "cara" else make.user("Admin", is_admin=True)
    make.set(candidates=[user])
    client = browser(user.email) if person else browser()
    too_much = "x" * app.config["MAX_CONTENT_LENGTH"]
    form = {"csrf_token": form_token(client), "experience": too_much, "email": too_much}
    before = table_rows(app)

    if encoding == "multipart":
        # Encoded here, in memory: the test client would spool it to a file nobody closes.
        boundary, body = encode_multipart(form)
        content_type = f"multipart/form-data; boundary={boundary}"
        response = client.post(path, data=body, content_type=content_type)
    else:
        response = client.post(path, data=form)

    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert TOO_LARGE in response.text
    assert not any(leak in response.text for leak in LEAKS)
    assert_browser_wall(response)
    assert table_rows(app) == before


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed out", "signed in"])
@pytest.mark.parametrize(
    "path",
    ["/no-such-page", "/reflections/not-an-id", "/admin/no-such-page", "/static/nothing.css"],
)
def test_an_unknown_page_is_a_friendly_404_page(browser, cara, signed_in, path):
    client = browser(cara.email) if signed_in else browser()

    response = client.get(path)

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert NOT_FOUND in response.text
    assert 'href="/"' in response.text  # a way back
    assert "The requested URL was not found" not in response.text  # Werkzeug's own page
    assert not any(leak in response.text for leak in LEAKS)


@pytest.fixture
def broken_app(app) -> Flask:
    """Another instance of the app, on the same database, with views that fail as a bug would."""
    broken = make_app(app.config["SQLALCHEMY_DATABASE_URI"])

    def fail():
        raise RuntimeError("secret-internal-detail in /work/main/journal/reflections/views.py")

    broken.add_url_rule("/broken", "broken", fail, methods=["GET", "POST"])
    broken.add_url_rule("/api/v1/broken", "api_broken", fail, methods=["GET", "POST"])
    yield broken
    with broken.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unexpected_error_is_a_friendly_500_page_without_a_trace(broken_app, method):
    client = broken_app.test_client()
    data = {"csrf_token": form_token(client)} if method == "POST" else None

    response = client.open("/broken", method=method, data=data)

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    assert BROKEN in response.text
    assert not any(leak in response.text for leak in LEAKS)
    assert_browser_wall(response)
    assert_not_stored(response)


def test_an_unexpected_error_under_api_is_json_without_a_trace(broken_app):
    response = broken_app.test_client().get("/api/v1/broken")

    assert response.status_code == 500
    assert response.mimetype == "application/json"
    assert response.json == {"error": response.json["error"], "status": 500}
    assert BROKEN in response.json["error"]
    assert not any(leak in response.text for leak in LEAKS)
    assert_browser_wall(response)
    assert_not_stored(response)


def test_an_unexpected_error_in_a_page_of_someone_signed_in(app, browser, cara, monkeypatch):
    client = browser(cara.email)

    def fail():
        raise RuntimeError("secret-internal-detail in /work/main/journal/reflections/views.py")

    monkeypatch.setitem(app.view_functions, "reflections.index", fail)
    response = client.get("/reflections")

    assert response.status_code == 500
    assert BROKEN in response.text
    assert not any(leak in response.text for leak in LEAKS)
    assert 'name="csrf-token"' in response.text
    assert _signed_in(client)  # the error ended nothing
