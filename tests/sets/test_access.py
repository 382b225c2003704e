"""Who may open a set's pages and change its meetings, every cell, through HTTP (GET and POST).

SPEC.md, "schedule / edit meeting": the set's facilitators and admins, nobody else. Seeing a set
and its meetings: its members (candidates and facilitators). Whoever may not know the set gets
404 (admins too unless they are members: they manage sets from the administration and never
read reflections); a candidate of the set, who can see the meeting, gets 403 for changing it; a
visitor who is not signed in is sent to sign in. A refused POST changes nothing. The brief for
the next meeting (its page and its PDF) is reflection text for the set's facilitators alone: its
candidates, who see the set, get 403; everyone else 404, admins included.
"""

import pytest

from journal.extensions import db
from journal.models import User
from tests.factories import PASSWORD, table_rows
from tests.helpers import csrf_token_of

from .common import meetings_of, stored_meeting

OK, FORBIDDEN, NOT_FOUND, SIGN_IN = "ok", "403", "404", "sign in"

# Who plays each role: the set under test is Glasgow, whose author is Cara.
ROLES = {
    "author": "cara",
    "candidate same set": "cal",
    "facilitator of set": "fran",
    "facilitator elsewhere": "finn",
    "candidate elsewhere": "lee",
    "assessor": "ada",
    "admin": "alex",
    "anonymous": None,
}
SEE = {
    "author": OK,
    "candidate same set": OK,
    "facilitator of set": OK,
    "facilitator elsewhere": NOT_FOUND,
    "candidate elsewhere": NOT_FOUND,
    "assessor": NOT_FOUND,
    "admin": NOT_FOUND,
    "anonymous": SIGN_IN,
}
SCHEDULE = {
    "author": FORBIDDEN,
    "candidate same set": FORBIDDEN,
    "facilitator of set": OK,
    "facilitator elsewhere": NOT_FOUND,
    "candidate elsewhere": NOT_FOUND,
    "assessor": NOT_FOUND,
    "admin": OK,
    "anonymous": SIGN_IN,
}
BRIEF = {
    "author": FORBIDDEN,
    "candidate same set": FORBIDDEN,
    "facilitator of set": OK,
    "facilitator elsewhere": NOT_FOUND,
    "candidate elsewhere": NOT_FOUND,
    "assessor": NOT_FOUND,
    "admin": NOT_FOUND,
    "anonymous": SIGN_IN,
}
# route -> (address, whose rule)
ROUTES = {
    "brief": ("/sets/{glasgow}/brief", BRIEF),
    "brief pdf": ("/sets/{glasgow}/brief.pdf", BRIEF),
    "set page": ("/sets/{glasgow}", SEE),
    "meeting page": ("/meetings/{last}", SEE),
    "schedule": ("/sets/{glasgow}/meetings/new", SCHEDULE),
    "edit": ("/meetings/{next}/edit", SCHEDULE),
    "cancel": ("/meetings/{next}/cancel", SCHEDULE),
}
CHANGING = ("schedule", "edit", "cancel")
VALID = {
    "schedule": {"date": "2031-05-06", "start_time": "10:00", "location": "Room 9"},
    "edit": {"date": "2031-05-07", "start_time": "11:00", "location": "Room 10"},
    "cancel": {},
}


def cells(methods: tuple[str, ...]) -> list:
    return [
        pytest.param(route, role, method, rule[role], id=f"{route}-{role}-{method}")
        for route, (_address, rule) in ROUTES.items()
        for role in ROLES
        for method in methods
        if method == "GET" or route in CHANGING
    ]


def client_of(app, cast, role: str):
    """A browser for the role and a CSRF token of its session."""
    client = app.test_client()
    token = csrf_token_of(client.get("/login").text)
    person = cast.person(ROLES[role])
    if person is not None:
        answer = client.post(
            "/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 302
        token = client.get("/api/v1/me").json["csrf_token"]
    return client, token


def address(route: str, cast) -> str:
    return ROUTES[route][0].format(glasgow=cast.glasgow.id, last=cast.last.id, next=cast.next.id)


@pytest.mark.parametrize(("route", "role", "method", "expected"), cells(("GET", "POST")))
def test_who_may_open_and_change_a_sets_pages(app, cast, route, role, method, expected):
    client, token = client_of(app, cast, role)
    before = table_rows(app)
    if method == "GET":
        answer = client.get(address(route, cast))
    else:
        answer = client.post(address(route, cast), data={"csrf_token": token, **VALID[route]})

    if expected == SIGN_IN:
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login")
    elif expected == OK and method == "POST":
        assert answer.status_code == 302, answer.text
    elif expected == OK:
        assert answer.status_code == 200
    else:
        assert answer.status_code == int(expected)
    if method == "POST" and expected == OK:
        assert_changed(app, cast, route)
    else:
        assert table_rows(app) == before


def assert_changed(app, cast, route: str) -> None:
    if route == "schedule":
        assert [m.location for m in meetings_of(app, cast.glasgow.id)][-1] == "Room 9"
    elif route == "edit":
        assert stored_meeting(app, cast.next.id).location == "Room 10"
    else:
        assert stored_meeting(app, cast.next.id).cancelled_at is not None


@pytest.mark.parametrize("route", CHANGING)
def test_an_admin_outside_the_set_is_sent_back_to_the_sets_administration(app, cast, route):
    client, token = client_of(app, cast, "admin")
    answer = client.post(address(route, cast), data={"csrf_token": token, **VALID[route]})
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/admin/sets/{cast.glasgow.id}"


@pytest.mark.parametrize("route", CHANGING)
def test_a_facilitator_is_sent_to_the_meeting(app, cast, route):
    client, token = client_of(app, cast, "facilitator of set")
    answer = client.post(address(route, cast), data={"csrf_token": token, **VALID[route]})
    newest = max(meetings_of(app, cast.glasgow.id), key=lambda m: m.id)
    shown = newest.id if route == "schedule" else cast.next.id
    assert answer.headers["Location"] == f"/meetings/{shown}"


@pytest.mark.parametrize("route", CHANGING)
def test_a_member_who_is_also_an_admin_may_schedule(app, cast, make, route):
    """Admin is a role on the installation: a candidate who is also an admin may schedule."""
    with app.app_context():
        db.session.get(User, cast.cal.id).is_admin = True
        db.session.commit()
    client, token = client_of(app, cast, "candidate same set")
    answer = client.post(address(route, cast), data={"csrf_token": token, **VALID[route]})
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/meetings/")


@pytest.mark.parametrize(
    "path",
    [
        "/sets/999999",
        "/meetings/999999",
        "/meetings/999999/edit",
        "/meetings/999999/cancel",
        "/sets/999999/meetings/new",
        "/sets/999999/brief",
        "/sets/999999/brief.pdf",
        "/sets/0/brief",
        "/sets/%D9%A3/brief.pdf",
        "/sets/0",
        "/meetings/0",
        "/sets/99999999999999999999",
        "/meetings/%D9%A3",
        "/sets/-1",
    ],
)
@pytest.mark.parametrize("role", ["facilitator of set", "admin"])
def test_what_does_not_exist_is_not_found(app, cast, path, role):
    client, token = client_of(app, cast, role)
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": token}).status_code in (404, 405)


@pytest.mark.parametrize("path", ["/sets/{glasgow}/brief", "/sets/{glasgow}/brief.pdf"])
def test_being_an_admin_too_opens_no_brief_to_a_candidate(app, cast, path):
    """Admin is a role on the installation, not on the set: a candidate who is also an admin
    still may not read the set's brief, which is reflection text."""
    with app.app_context():
        db.session.get(User, cast.cal.id).is_admin = True
        db.session.commit()
    client, _token = client_of(app, cast, "candidate same set")
    assert client.get(path.format(glasgow=cast.glasgow.id)).status_code == 403


def test_the_list_of_my_sets_names_only_mine(app, cast, visit):
    page = visit(cast.fran).page("/sets")
    assert [a.text for a in page.one("ul", cls="set-list").select("a")] == ["Glasgow 3"]
    assert visit(cast.ada).page("/sets").select("p", cls="empty")


def test_a_cancelled_meeting_cannot_be_changed_or_cancelled_again(app, cast, visit):
    fran = visit(cast.fran)
    assert fran.post(f"/meetings/{cast.next.id}/cancel", {}).status_code == 302
    before = table_rows(app)
    for path in (f"/meetings/{cast.next.id}/edit", f"/meetings/{cast.next.id}/cancel"):
        assert fran.get(path).headers["Location"] == f"/meetings/{cast.next.id}"
        answer = fran.post(path, VALID["edit"])
        assert answer.status_code == 302
    assert table_rows(app) == before
    assert "can no longer be changed" in fran.get(f"/meetings/{cast.next.id}").text


@pytest.mark.parametrize(
    "odd", ["\x00", "%00", "%ff", "9" * 25, "-1", "0", "x" * 5_000, "٣", str(2**31 - 1)]
)
def test_odd_page_numbers_are_ignored_or_empty_pages(app, cast, odd):
    client, _token = client_of(app, cast, "facilitator of set")
    for path in (f"/sets/{cast.glasgow.id}", f"/meetings/{cast.last.id}", "/sets"):
        answer = client.get(
            path, query_string={"page": odd, "past_page": odd, "upcoming_page": odd}
        )
        assert answer.status_code == 200, (path, odd[:10])
