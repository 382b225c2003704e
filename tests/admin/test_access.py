"""Who may use the administration of sets, members, assessors and invitations: admins only.

Every page and form below answers an admin; to anyone else it is exactly the page of an address
that does not exist (404, with or without a CSRF token), and someone signed out is sent to sign
in. Nothing changes for anyone but the admin.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from journal.demo import PASSWORD as DEMO_PASSWORD
from tests.factories import table_rows
from tests.helpers import form_token

# (method, address, form sent, what an admin gets). {set}: Glasgow 3; {leeds}: Leeds 1;
# {cara}: a candidate of Glasgow 3; {finn}: someone enrolled nowhere.
ROUTES = [
    ("GET", "/admin/sets/new", None, 200),
    ("POST", "/admin/sets/new", {"name": "Dundee 2", "programme": "Cohort 4"}, 302),
    ("GET", "/admin/sets/{set}", None, 200),
    ("GET", "/admin/sets/{set}/edit", None, 200),
    ("POST", "/admin/sets/{set}/edit", {"name": "Glasgow 4", "programme": ""}, 302),
    ("GET", "/admin/sets/{set}/history", None, 200),
    ("GET", "/admin/sets/{set}/members/new", None, 200),
    (
        "POST",
        "/admin/sets/{set}/members/new",
        {"email": "abe@example.org", "role": "candidate"},
        302,
    ),
    ("GET", "/admin/sets/{set}/members/{cara}/move", None, 200),
    ("GET", "/admin/sets/{set}/members/{cara}/move?to={leeds}", None, 200),
    ("POST", "/admin/sets/{set}/members/{cara}/move", {"to_set_id": "{leeds}"}, 302),
    ("GET", "/admin/sets/{set}/members/{cara}/remove", None, 200),
    ("POST", "/admin/sets/{set}/members/{cara}/remove", {}, 302),
    ("GET", "/admin/people/{cara}", None, 200),
    ("GET", "/admin/people/{finn}/enrol", None, 200),
    (
        "POST",
        "/admin/people/{finn}/enrol",
        {"framework_id": "{framework}", "assessor": "abe@example.org"},
        302,
    ),
    ("GET", "/admin/enrolments/{enrolment}/assessor", None, 200),
    ("POST", "/admin/enrolments/{enrolment}/assessor", {"assessor": "abe@example.org"}, 302),
    ("POST", "/admin/invitations/{invitation}/resend", {}, 200),
    ("GET", "/admin/mail", None, 200),
]
IDS = [f"{method} {path}" for method, path, _, _ in ROUTES]
OUTSIDERS = ["cara", "fran", "ada", None]
OUTSIDER_IDS = ["candidate", "facilitator of the set", "assessor", "signed out"]


def names(demo) -> dict[str, int]:
    return {
        "set": demo.glasgow,
        "leeds": demo.leeds,
        "cara": demo.people["cara"].id,
        "finn": demo.people["finn"].id,
        "framework": demo.framework,
        "enrolment": demo.enrolment,
        "invitation": demo.invitation,
    }


def without_csrf_tokens(page: str) -> str:
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"', r'\1"', page)


def sign_in_then(location: str) -> str | None:
    parts = urlsplit(location)
    return parse_qs(parts.query)["next"][0] if parts.path == "/login" else None


@pytest.mark.parametrize("person", OUTSIDERS, ids=OUTSIDER_IDS)
def test_nobody_but_an_admin_may_use_any_of_it(app, browser, demo, person):
    client = browser(f"{person}@example.org", DEMO_PASSWORD) if person else browser()
    csrf = form_token(client)
    unknown = without_csrf_tokens(client.get("/no-such-page").text)
    before = table_rows(app)

    for method, route, form, _admin_gets in ROUTES:
        path = route.format(**names(demo))
        sent = {key: value.format(**names(demo)) for key, value in (form or {}).items()}
        for tokens in ({"csrf_token": csrf}, {}) if method == "POST" else ({},):
            answer = client.open(path, method=method, data={**sent, **tokens} if form else None)
            where = (method, path, "with token" if tokens else "without token")
            if person is None:
                assert answer.status_code == 302, where
                assert sign_in_then(answer.location) == path, where
            else:
                assert answer.status_code == 404, where
                assert without_csrf_tokens(answer.text) == unknown, where

    assert table_rows(app) == before
    assert app.test_client().get(f"/invite/{demo.token}").status_code == 200


@pytest.mark.parametrize(("method", "route", "form", "status"), ROUTES, ids=IDS)
def test_an_admin_may(app, demo, demo_admin, method, route, form, status):
    path = route.format(**names(demo))
    before = table_rows(app)
    data = {key: value.format(**names(demo)) for key, value in (form or {}).items()}

    if method == "POST":
        answer = demo_admin.post(path, data={**data, "csrf_token": form_token(demo_admin)})
    else:
        answer = demo_admin.get(path)

    assert answer.status_code == status, answer.text[:2000]
    assert (table_rows(app) != before) is (method == "POST")


MISSING = [
    ("GET", "/admin/sets/999999"),
    ("GET", "/admin/sets/999999/history"),
    ("GET", "/admin/people/999999"),
    *(
        (method, path)
        for path in (
            "/admin/sets/999999/edit",
            "/admin/sets/999999/members/new",
            "/admin/sets/{set}/members/999999/move",
            "/admin/sets/{set}/members/{finn}/move",  # finn is in Leeds 1, not Glasgow 3
            "/admin/sets/{set}/members/{finn}/remove",
            "/admin/sets/{leeds}/members/{cara}/remove",
            "/admin/people/999999/enrol",
            "/admin/enrolments/999999/assessor",
        )
        for method in ("GET", "POST")
    ),
]


@pytest.mark.parametrize(("method", "path"), MISSING, ids=[" ".join(m) for m in MISSING])
def test_an_admin_gets_404_for_what_does_not_exist(app, demo, demo_admin, method, path):
    before = table_rows(app)
    data = {"csrf_token": form_token(demo_admin), "to_set_id": str(demo.leeds)}

    answer = demo_admin.open(path.format(**names(demo)), method=method, data=data)

    assert answer.status_code == 404
    assert table_rows(app) == before


@pytest.mark.parametrize("invitation_id", ["999999", "0", "99999999999999999999", "abc"])
def test_sending_a_new_link_for_an_unknown_invitation_is_404(app, demo, demo_admin, invitation_id):
    before = table_rows(app)
    answer = demo_admin.post(
        f"/admin/invitations/{invitation_id}/resend", data={"csrf_token": form_token(demo_admin)}
    )
    assert answer.status_code == 404
    assert table_rows(app) == before


def test_sending_a_new_link_needs_post(demo, demo_admin):
    assert demo_admin.get(f"/admin/invitations/{demo.invitation}/resend").status_code == 405
