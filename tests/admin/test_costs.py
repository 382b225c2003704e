"""The administration's set, history and person pages cost the same SQL statements for a new
set as after years of history: more meetings (some cancelled), invitations, members moving in
and out, enrolments, other sets. Each list is a page at a time; nothing is counted."""

from datetime import UTC, datetime

import pytest

from journal.admin import enrolments, members
from journal.auth import accounts
from journal.extensions import db
from journal.models import FailedMail, Framework, LearningSet, Meeting, User

# What each page costs, whatever the history: the signed-in user with their memberships (1),
# then the page's own reads.
PAGES = {
    "/admin/sets/{set}": 7,  # set, members, enrolments, upcoming, past, invitations
    "/admin/sets/{set}/history": 4,  # set, a page of events, the people and sets they name
    "/admin/people/{cara}": 5,  # person, their sets, enrolments, a page of whom they assess
    "/admin/people/{ada}": 5,
    "/admin/sets/{set}/members/{cara}/move": 3,  # membership, a page of sets
    "/admin/sets/{set}/members/{cara}/move?to={other}": 5,  # + the set chosen, her role there
    "/admin/sets/{set}/members/{cara}/remove": 2,
    "/admin/sets/{set}/members/new": 2,
    "/admin/sets/{set}/edit": 2,
    "/admin/sets/new": 1,
    "/admin/people/{cara}/enrol": 3,  # person, frameworks
    "/admin/enrolments/{enrolment}/assessor": 2,
    "/admin/mail": 2,  # a page of messages not delivered
}


@pytest.fixture
def history(app, make):
    """A small set, and a function that gives it (and the installation) years of history."""
    ada, cara = make.user("Ada"), make.user("Cara")
    fran, cal = make.user("Fran"), make.user("Cal")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara])
    other = make.set("Other 1")
    make.meeting(glasgow, days=-7)
    make.meeting(glasgow, days=7)
    with app.app_context():
        framework = Framework(code="L7", title="Level 7")
        db.session.add(framework)
        db.session.flush()
        enrolment = enrolments.enrol(
            None, db.session.get(User, cara.id), framework, db.session.get(User, ada.id)
        )
        learning_set = db.session.get(LearningSet, glasgow.id)
        members.add_member(None, learning_set, db.session.get(User, cal.id), "candidate")
        accounts.invite("new@example.org", "candidate", learning_set, None)
        db.session.commit()
        ids = {"set": glasgow.id, "cara": cara.id, "ada": ada.id, "other": other.id}
        ids["enrolment"] = enrolment.id

    def grow() -> None:
        for n in range(40):
            meeting = make.meeting(glasgow, days=(n - 20) * 28)
            if n % 5 == 0:
                with app.app_context():
                    db.session.get(Meeting, meeting.id).cancelled_at = datetime.now(UTC)
                    db.session.commit()
        with app.app_context():
            learning_set = db.session.get(LearningSet, glasgow.id)
            sets = [LearningSet(name=f"Cohort {n}") for n in range(30)]
            db.session.add_all(sets)
            framework = db.session.get(Framework, enrolment.framework_id)
            judge = db.session.get(User, ada.id)
            for n in range(30):
                person = accounts.create_user(f"p{n}@example.org", f"Person {n}", "x" * 12)
                members.add_member(None, learning_set, person, "candidate")
                enrolments.enrol(None, person, framework, judge)
                accounts.invite(f"i{n}@example.org", "candidate", learning_set, None)
                db.session.add(
                    FailedMail(kind="invitation", recipient=f"i{n}@x.org", subject="S", error="E")
                )
                if n % 2:
                    membership = members.membership(learning_set.id, person.id)
                    members.move_member(None, membership, sets[n])
            db.session.commit()

    return ids, grow


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 5}])
def test_each_page_costs_the_same_with_years_of_history(app, admin, history, count_queries):
    ids, grow = history
    urls = {page: page.format(**ids) for page in PAGES}
    few = {}
    for page, url in urls.items():
        with count_queries() as counted:
            assert admin.get(url).status_code == 200, url
        few[page] = counted.statements

    grow()

    for page, url in urls.items():
        with count_queries() as counted:
            assert admin.get(url).status_code == 200, url
        assert len(counted) == len(few[page]), (page, counted.statements)
        assert len(counted) == PAGES[page], (page, counted.statements)
