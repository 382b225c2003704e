"""The main navigation shows each person the sections they use (journal/navigation.py): the
first three in the row, the rest with Account and Sign out under "More"; a person with several
roles gets the union; and it costs no SQL statement of its own. How it fits a 360 px phone is
tests/browser/test_navigation.py."""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from journal.auth.views import load_user
from journal.demo import PASSWORD
from journal.extensions import db
from journal.models import Enrolment, LearningSet, Membership, SetRole, User
from journal.navigation import main_navigation
from tests.helpers import AuthActions
from tests.reflections.test_pages import Element, parse

MORE = ["Account", "Sign out"]
CANDIDATE = (["Today", "Journal", "Actions"], ["Shared", "Sets", "Your evidence", "Portfolio"])
FACILITATOR = (["Today", "Shared", "Sets"], ["Journal"])
ASSESSOR = (["Today", "Portfolios", "Journal"], [])
SECTIONS = {
    "cara": CANDIDATE,
    "cal": CANDIDATE,
    "lee": CANDIDATE,
    "fran": FACILITATOR,
    "finn": FACILITATOR,
    "ada": ASSESSOR,
    "abe": ASSESSOR,
    "admin": (["Admin", "Journal"], []),
}


def navigation(client: FlaskClient, path: str = "/account") -> tuple[list[str], list[str]]:
    """The names in the row, and those under "More", as the page shows them."""
    answer = client.get(path)
    assert answer.status_code == 200
    nav = parse(answer.get_data(as_text=True)).one("nav", aria_label="Main")
    more = nav.one("details", cls="more")
    under_more = [item.text for item in more.one("ul").select("li")]
    outer = next(child for child in nav.children if isinstance(child, Element))
    row = [item.text for item in outer.children if isinstance(item, Element)]
    assert row[-1].startswith("More") and more.one("summary").text == "More"
    return row[:-1], under_more


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert AuthActions(client).login(email, PASSWORD).status_code == 302
    return client


@pytest.mark.parametrize("person", SECTIONS)
def test_each_demo_person_sees_the_sections_they_use(app, demo_people, person):
    row, more = SECTIONS[person]
    assert navigation(signed_in(app, f"{person}@example.org")) == (row, more + MORE)


def test_a_person_with_every_role_gets_the_union_in_one_order(app, demo_people):
    """Mo is a candidate in Glasgow 3 (enrolled, ada assesses them), facilitates Leeds 1,
    assesses cal, and administers the installation."""
    with app.app_context():
        mo = User(email="mo@example.org", name="Mo Many", is_admin=True, session_token="mo-token")
        mo.password_hash = db.session.get(User, demo_people["cara"].id).password_hash
        db.session.add(mo)
        sets = {s.name: s for s in db.session.scalars(select(LearningSet))}
        mo.memberships = [
            Membership(set_id=sets["Glasgow 3"].id, role=SetRole.CANDIDATE.value),
            Membership(set_id=sets["Leeds 1"].id, role=SetRole.FACILITATOR.value),
        ]
        cals = db.session.scalar(
            select(Enrolment).where(Enrolment.candidate_id == demo_people["cal"].id)
        )
        cals.assessor = mo
        db.session.add(
            Enrolment(
                candidate=mo, framework_id=cals.framework_id, assessor_id=demo_people["ada"].id
            )
        )
        db.session.commit()
    assert navigation(signed_in(app, "mo@example.org")) == (
        ["Today", "Journal", "Actions"],
        ["Shared", "Sets", "Your evidence", "Portfolios", "Admin", *MORE],
    )


def test_an_assessor_who_is_their_own_candidate_does_not_count_as_assessing(app, demo_people):
    """An administrator's slip (`policy.evidence`): such an enrolment is not assessed by them."""
    with app.app_context():
        enrolment = db.session.scalar(
            select(Enrolment).where(Enrolment.candidate_id == demo_people["lee"].id)
        )
        enrolment.assessor_id = demo_people["lee"].id
        db.session.commit()
    assert navigation(signed_in(app, "lee@example.org")) == (CANDIDATE[0], CANDIDATE[1] + MORE)


def test_the_section_of_the_page_under_more_marks_more(app, demo_people):
    client = signed_in(app, "cara@example.org")
    for path, marked in (("/sets", True), ("/account", True), ("/reflections", False)):
        nav = parse(client.get(path).get_data(as_text=True)).one("nav", aria_label="Main")
        assert nav.one("details").has_class("current") is marked, path
        assert len(nav.select("a", aria_current="page")) == 1, path


def test_the_navigation_costs_no_statement(app, demo_people, count_queries):
    """Every role comes with the signed-in user, in the one statement that loads them."""
    with app.test_request_context():
        for person in SECTIONS:
            token = db.session.get(User, demo_people[person].id).session_token
            db.session.expunge_all()
            with count_queries() as counted:
                user = load_user(token)
                main_navigation(user)
            assert len(counted) == 1, (person, counted.statements)
