"""What the administration's tests share: a set, an admin's browser, the demo data's ids."""

from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import Enrolment, Framework, Invitation, LearningSet
from tests.factories import make_invitation


@pytest.fixture
def glasgow(make):
    return make.set(name="Glasgow 3")


@pytest.fixture
def admin(make, browser) -> FlaskClient:
    """The browser of an admin who belongs to no set."""
    return browser(make.user("Alex Admin", is_admin=True).email)


@pytest.fixture
def demo(app, demo_people) -> SimpleNamespace:
    """SPEC.md's demo data: its people (by first name), sets, cara's enrolment and an invitation
    into Glasgow 3 not used yet (`invitation`, with the `token` of its link)."""
    with app.app_context():
        sets = {s.name: s.id for s in db.session.scalars(select(LearningSet))}
        enrolment = db.session.scalar(
            select(Enrolment.id).where(Enrolment.candidate_id == demo_people["cara"].id)
        )
        framework = db.session.scalar(select(Framework.id))
    token = make_invitation(app, "nina@example.org", "candidate", sets["Glasgow 3"])
    with app.app_context():
        invitation = db.session.scalar(select(Invitation.id))
    return SimpleNamespace(
        people=demo_people,
        glasgow=sets["Glasgow 3"],
        leeds=sets["Leeds 1"],
        enrolment=enrolment,
        framework=framework,
        invitation=invitation,
        token=token,
    )


@pytest.fixture
def demo_admin(browser, demo) -> FlaskClient:
    return browser("admin@example.org", DEMO_PASSWORD)
