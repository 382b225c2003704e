"""Administration (journal/admin.py): the sets and their people, and invitations.

Only an admin may use it. Someone signed out is sent to sign in; everyone else gets the 404 of a
page that does not exist, whatever they send. An admin manages people and never reads what
anyone wrote (SPEC.md: least privilege).
"""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import AuditEvent, Invitation, LearningSet, Reflection
from tests.factories import PASSWORD, make_invitation, table_rows
from tests.helpers import accept, csrf_token_of, form_token

NOT_FOUND = "There is nothing here, or it is not shared with you."
CSRF_REFUSED = "The form expired or was sent from elsewhere; nothing was created."
TOKEN = re.compile(r"https?://[^\s\"'<>]+/invite/([A-Za-z0-9_-]{20,})")


def plain(page: str) -> str:
    """A page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def without_csrf_tokens(page: str) -> str:
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"', r'\1"', page)


def sign_in_then(location: str) -> str | None:
    """Where a redirect to the sign-in page will lead afterwards (None: not to sign-in)."""
    parts = urlsplit(location)
    return parse_qs(parts.query)["next"][0] if parts.path == "/login" else None


def email_field(page: str) -> str:
    """What the invitation form's email field holds."""
    match = re.search(r'<input[^>]*name="email"[^>]*>', page)
    assert match, "the page has no email field"
    value = re.search(r'value="([^"]*)"', match[0])
    return html.unescape(value[1]) if value else ""


def invitations(app: Flask) -> list[Invitation]:
    with app.app_context():
        rows = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        db.session.expunge_all()
    return list(rows)


def revoked_events(app: Flask) -> int:
    with app.app_context():
        query = select(func.count()).where(AuditEvent.action == "invitation.revoked")
        return db.session.scalar(query)


@pytest.fixture
def pending(app, glasgow) -> tuple[int, str]:
    """An invitation not used yet: its id and the token of its link."""
    token = make_invitation(app, "nina@example.org", "candidate", glasgow.id)
    (invitation,) = invitations(app)
    return invitation.id, token


# Who may -------------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/admin/"),
    ("GET", "/admin/invitations"),
    ("POST", "/admin/invitations"),
    ("POST", "/admin/invitations/{id}/revoke"),
]
OUTSIDERS = ["cara", "fran", "ada", None]
OUTSIDER_IDS = ["candidate", "facilitator", "assessor", "signed out"]


@pytest.mark.parametrize("person", OUTSIDERS, ids=OUTSIDER_IDS)
def test_only_an_admin_may_use_any_of_it(app, browser, demo_people, person):
    token = make_invitation(app, "nina@example.org", "assessor")
    (pending,) = invitations(app)
    client = browser(f"{person}@example.org", DEMO_PASSWORD) if person else browser()
    csrf = form_token(client)
    unknown = without_csrf_tokens(client.get("/no-such-page").text)
    before = table_rows(app)

    for method, route in ROUTES:
        path = route.format(id=pending.id)
        sent = {"email": "mallory@example.org", "role": "admin", "set_id": ""}
        for tokens in ({"csrf_token": csrf}, {}) if method == "POST" else ({},):
            data = {**sent, **tokens} if method == "POST" else None
            answer = client.open(path, method=method, data=data)
            where = (method, path, "with token" if tokens else "without token")
            if person is None:
                assert answer.status_code == 302, where
                assert sign_in_then(answer.location) == path, where
            else:
                # Exactly the page of an address that does not exist: nothing to learn from it.
                assert answer.status_code == 404, where
                assert without_csrf_tokens(answer.text) == unknown, where

    assert table_rows(app) == before  # nothing created, nothing withdrawn
    assert app.test_client().get(f"/invite/{token}").status_code == 200


def test_signing_in_as_an_admin_leads_back_to_the_administration(browser, make):
    admin = make.user("Alex Admin", is_admin=True)
    client = browser()

    sent_away = client.get("/admin/invitations")
    signed_in = client.post(
        sent_away.location,
        data={"email": admin.email, "password": PASSWORD, "csrf_token": form_token(client)},
    )

    assert signed_in.location == "/admin/invitations"
    assert client.get(signed_in.location).status_code == 200


def test_an_admin_in_a_set_is_still_an_admin_there(app, make, browser):
    admin = make.user("Alex Admin", is_admin=True)
    make.set(name="Glasgow 3", facilitators=[admin])
    client = browser(admin.email)

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/invitations").status_code == 200


# What an admin sees --------------------------------------------------------------------------

MEMBERS = {
    "Glasgow 3": {"fran": "facilitator", "cara": "candidate", "cal": "candidate"},
    "Leeds 1": {"finn": "facilitator", "lee": "candidate"},
}


def test_the_overview_shows_every_set_with_its_people_and_their_roles(browser, demo_people):
    page = browser("admin@example.org", DEMO_PASSWORD).get("/admin/")

    assert page.status_code == 200
    sections = re.findall(r"<h3>(.*?)</h3>(.*?)</section>", page.text, re.S)
    shown = {
        plain(name): set(re.findall(r'<li>(.*?) <span class="role">(.*?)</span></li>', body))
        for name, body in sections
    }
    assert shown == {
        set_name: {(demo_people[person].name, role) for person, role in members.items()}
        for set_name, members in MEMBERS.items()
    }


def test_an_admin_never_sees_what_anyone_wrote(app, browser, demo_people):
    with app.app_context():
        written = db.session.scalars(select(Reflection)).all()
        glasgow = db.session.scalar(select(LearningSet.id).where(LearningSet.name == "Glasgow 3"))
        telltales = [str(r.id) for r in written] + [
            plain(text.replace("*", ""))[:30]
            for r in written
            for text in (r.experience, r.insight, r.next_action, r.action_outcome)
            if text
        ]
    assert written  # the demo's reflections, so that their absence means something
    client = browser("admin@example.org", DEMO_PASSWORD)
    csrf = form_token(client)
    invite = {"email": "nina@example.org", "role": "candidate", "csrf_token": csrf}
    pages = {
        "overview": client.get("/admin/"),
        "invitations": client.get("/admin/invitations"),
        "invitation made": client.post(
            "/admin/invitations", data=invite | {"set_id": str(glasgow)}
        ),
        "invitation refused": client.post("/admin/invitations", data=invite | {"set_id": ""}),
    }
    (made,) = invitations(app)
    pages["invitation withdrawn"] = client.post(
        f"/admin/invitations/{made.id}/revoke", data={"csrf_token": csrf}, follow_redirects=True
    )
    assert made.set_id == glasgow
    assert [page.status_code for page in pages.values()] == [200, 200, 200, 400, 200]

    for name, page in pages.items():
        for tell in telltales:
            assert tell not in plain(page.text), (name, tell)


# Creating an invitation ----------------------------------------------------------------------

VALID = [
    pytest.param("candidate", True, id="candidate"),
    pytest.param("facilitator", True, id="facilitator"),
    pytest.param("assessor", False, id="assessor"),
    pytest.param("admin", False, id="admin"),
]


@pytest.mark.parametrize(("role", "in_set"), VALID)
def test_an_invitation_shows_its_link_once_and_the_link_works(app, admin, glasgow, role, in_set):
    answer = admin.post(
        "/admin/invitations",
        data={
            # As pasted from an email: capitals and spaces around it.
            "email": " Nina@Example.org  ",
            "role": role,
            "set_id": str(glasgow.id) if in_set else "",
            "csrf_token": form_token(admin),
        },
    )

    assert answer.status_code == 200
    assert "Invitation created for nina@example.org." in plain(answer.text)
    assert len(set(TOKEN.findall(answer.text))) == 1
    token = TOKEN.search(answer.text)[1]
    assert email_field(answer.text) == ""  # the form is ready for the next person
    (invitation,) = invitations(app)
    assert (invitation.email, invitation.role) == ("nina@example.org", role)
    assert invitation.set_id == (glasgow.id if in_set else None)
    # Shown once: not on the page again, nor anywhere the admin goes next.
    for path in ("/admin/invitations", "/admin/"):
        assert token not in admin.get(path).text

    invited = app.test_client()
    page = invited.get(f"/invite/{token}")
    assert page.status_code == 200
    assert "nina@example.org" in page.text
    assert ("Glasgow 3" in page.text) is in_set
    assert accept(invited, token).status_code == 302
    me = invited.get("/api/v1/me").json
    assert me["email"] == "nina@example.org"
    assert me["is_admin"] is (role == "admin")
    assert me["sets"] == ([{"id": glasgow.id, "name": "Glasgow 3", "role": role}] if in_set else [])


VALID_FORM = {"email": "nina@example.org", "role": "candidate", "set_id": "{glasgow}"}
BAD_INPUT = [
    pytest.param({"email": "nina.example.org"}, "Invalid email address.", id="bad email"),
    pytest.param({"email": "nina@"}, "Invalid email address.", id="email without domain"),
    pytest.param({"email": ""}, "This field is required.", id="no email"),
    pytest.param(
        {"set_id": ""}, "A candidate is invited into a set: choose one.", id="candidate, no set"
    ),
    pytest.param(
        {"role": "facilitator", "set_id": ""},
        "A facilitator is invited into a set: choose one.",
        id="facilitator, no set",
    ),
    pytest.param(
        {"role": "assessor"},
        "An assessor is not a member of a set: leave the set empty.",
        id="set for an assessor",
    ),
    pytest.param(
        {"role": "admin"},
        "An admin is not a member of a set: leave the set empty.",
        id="set for an admin",
    ),
    pytest.param({"set_id": "999999"}, "Choose one of the sets.", id="unknown set id"),
    pytest.param({"set_id": "Glasgow 3"}, "Choose one of the sets.", id="set id not a number"),
    pytest.param({"set_id": "1.5"}, "Choose one of the sets.", id="set id not an integer"),
    pytest.param({"role": "superuser"}, "Not a valid choice.", id="unknown role"),
    pytest.param({"csrf_token": None}, CSRF_REFUSED, id="no CSRF token"),
    pytest.param({"csrf_token": "forged"}, CSRF_REFUSED, id="forged CSRF token"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_bad_input_shows_the_form_again_with_a_reason_and_creates_nothing(
    app, admin, glasgow, changes, message
):
    form = {**VALID_FORM, "csrf_token": form_token(admin), **changes}
    form = {
        name: value.format(glasgow=glasgow.id) for name, value in form.items() if value is not None
    }
    before = table_rows(app)

    answer = admin.post("/admin/invitations", data=form)

    assert answer.status_code == 400
    assert message in plain(answer.text)
    assert email_field(answer.text) == form["email"]
    assert not TOKEN.search(answer.text)
    assert table_rows(app) == before
    # The form shown again can be sent as it is once the mistake is put right.
    corrected = {**VALID_FORM, "email": "nina@example.org", "set_id": str(glasgow.id)}
    again = admin.post(
        "/admin/invitations", data={**corrected, "csrf_token": csrf_token_of(answer.text)}
    )
    assert again.status_code == 200
    assert len(invitations(app)) == 1


# Withdrawing an invitation -------------------------------------------------------------------


def test_withdrawing_an_invitation_works_once_and_its_link_then_404s(app, admin, pending):
    invitation_id, token = pending
    path = f"/admin/invitations/{invitation_id}/revoke"

    answer = admin.post(path, data={"csrf_token": form_token(admin)})

    assert answer.status_code == 302
    assert answer.location == "/admin/invitations"
    page = admin.get(answer.location)
    assert "The invitation for nina@example.org is withdrawn" in plain(page.text)
    assert f'action="{path}"' not in page.text  # nothing left to withdraw
    assert "nina@example.org · candidate in Glasgow 3 · withdrawn" in plain(page.text)
    assert app.test_client().get(f"/invite/{token}").status_code == 404
    assert accept(app.test_client(), token).status_code == 404
    (withdrawn,) = invitations(app)
    assert withdrawn.revoked_at is not None
    assert revoked_events(app) == 1

    again = admin.post(path, data={"csrf_token": form_token(admin)})

    assert again.status_code == 302
    (still,) = invitations(app)
    assert still.revoked_at == withdrawn.revoked_at
    assert revoked_events(app) == 1


@pytest.mark.parametrize("invitation_id", ["999999", "0", "-1", "abc"])
def test_withdrawing_an_unknown_invitation_is_404(app, admin, pending, invitation_id):
    before = table_rows(app)

    answer = admin.post(
        f"/admin/invitations/{invitation_id}/revoke", data={"csrf_token": form_token(admin)}
    )

    assert answer.status_code == 404
    assert NOT_FOUND in answer.text
    assert table_rows(app) == before


@pytest.mark.parametrize("csrf_token", [None, "", "forged"], ids=["none", "empty", "forged"])
def test_withdrawing_needs_the_csrf_token(app, admin, pending, csrf_token):
    invitation_id, token = pending
    before = table_rows(app)
    data = {} if csrf_token is None else {"csrf_token": csrf_token}

    answer = admin.post(f"/admin/invitations/{invitation_id}/revoke", data=data)

    assert answer.status_code == 400
    assert "The form expired or was sent from elsewhere" in answer.text
    assert table_rows(app) == before
    assert app.test_client().get(f"/invite/{token}").status_code == 200


def test_a_used_invitation_is_not_withdrawn(app, admin, pending):
    invitation_id, token = pending
    newcomer = app.test_client()
    assert accept(newcomer, token).status_code == 302
    before = table_rows(app)

    answer = admin.post(
        f"/admin/invitations/{invitation_id}/revoke",
        data={"csrf_token": form_token(admin)},
        follow_redirects=True,
    )

    assert answer.status_code == 200
    assert "was already used; it cannot be withdrawn" in plain(answer.text)
    assert "is withdrawn" not in plain(answer.text)
    assert "nina@example.org · candidate in Glasgow 3 · used" in plain(answer.text)
    assert table_rows(app) == before
    (used,) = invitations(app)
    assert used.used_at is not None and used.revoked_at is None
    assert newcomer.get("/api/v1/me").json["sets"][0]["name"] == "Glasgow 3"
