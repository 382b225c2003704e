"""The permission matrix over time: people join, leave and move between sets.

A reflection's audience set is fixed when it is saved; memberships are read when it is read. So
a later change can only remove readers: joining another set never widens an audience, and
leaving a set ends what its author shared there (SPEC.md, "Audience set"; SECURITY-NOTES 12).
"""

import uuid

import pytest
from flask import Flask
from sqlalchemy import delete, select

from journal.extensions import db
from journal.models import LearningSet, Membership, User
from tests.factories import PASSWORD, Factory
from tests.helpers import csrf_token_of, new_body


def join(app: Flask, person: User, learning_set: LearningSet, role: str = "candidate") -> None:
    with app.app_context():
        db.session.add(Membership(set_id=learning_set.id, user_id=person.id, role=role))
        db.session.commit()


def leave(app: Flask, person: User, learning_set: LearningSet) -> None:
    with app.app_context():
        db.session.execute(
            delete(Membership).where(
                Membership.set_id == learning_set.id, Membership.user_id == person.id
            )
        )
        db.session.commit()


def change_role(app: Flask, person: User, learning_set: LearningSet, role: str) -> None:
    with app.app_context():
        membership = db.session.scalar(
            select(Membership).where(
                Membership.set_id == learning_set.id, Membership.user_id == person.id
            )
        )
        membership.role = role
        db.session.commit()


class People:
    """Glasgow 3: fran facilitates, cara and cal are candidates. Leeds 1: finn and lee."""

    def __init__(self, app: Flask, make: Factory):
        self.app = app
        self.fran, self.finn = make.user("Fran"), make.user("Finn")
        self.cara, self.cal, self.lee = make.user("Cara"), make.user("Cal"), make.user("Lee")
        self.glasgow = make.set(
            "Glasgow 3", facilitators=[self.fran], candidates=[self.cara, self.cal]
        )
        self.leeds = make.set("Leeds 1", facilitators=[self.finn], candidates=[self.lee])
        self.glasgow_meeting = make.meeting(self.glasgow)
        self.leeds_meeting = make.meeting(self.leeds)
        self._clients: dict[int, object] = {}

    def client(self, person: User):
        if person.id not in self._clients:
            client = self.app.test_client()
            token = csrf_token_of(client.get("/login").text)
            answer = client.post(
                "/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token}
            )
            assert answer.status_code == 302
            self._clients[person.id] = client
        return self._clients[person.id]

    def status(self, person: User, reflection_id) -> int:
        return self.client(person).get(f"/api/v1/reflections/{reflection_id}").status_code

    def readers(self, reflection_id) -> set[str]:
        everyone = {"fran": self.fran, "finn": self.finn, "cal": self.cal, "lee": self.lee}
        return {name for name, p in everyone.items() if self.status(p, reflection_id) == 200}

    def put(self, author: User, reflection_id, **fields):
        body = new_body(**{"visibility": "set", **fields})
        client = self.client(author)
        token = client.get("/api/v1/me").json["csrf_token"]
        return client.put(
            f"/api/v1/reflections/{reflection_id}", json=body, headers={"X-CSRFToken": token}
        )


@pytest.fixture
def people(app, make) -> People:
    return People(app, make)


def write(people: People, linked: bool, visibility: str = "set") -> uuid.UUID:
    reflection_id = uuid.uuid4()
    where = {"meeting_id": people.glasgow_meeting.id} if linked else {"set_id": people.glasgow.id}
    answer = people.put(people.cara, reflection_id, visibility=visibility, **where)
    assert answer.status_code == 201, answer.json
    return reflection_id


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
def test_joining_another_set_never_widens_an_audience(app, people, linked):
    """The review's case: Cara writes for Glasgow 3, then joins Leeds 1; lee and finn stay 404."""
    reflection_id = write(people, linked)
    assert people.readers(reflection_id) == {"fran", "cal"}
    join(app, people.cara, people.leeds)
    assert people.readers(reflection_id) == {"fran", "cal"}


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
def test_leaving_a_set_ends_what_the_author_shared_there(app, people, linked):
    reflection_id = write(people, linked)
    leave(app, people.cara, people.glasgow)
    assert people.readers(reflection_id) == set()
    assert people.status(people.cara, reflection_id) == 200  # still the author's own


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
def test_moving_to_another_set_takes_nothing_along(app, people, linked):
    reflection_id = write(people, linked)
    leave(app, people.cara, people.glasgow)
    join(app, people.cara, people.leeds)
    assert people.readers(reflection_id) == set()
    later = uuid.uuid4()
    assert people.put(people.cara, later, set_id=people.leeds.id).status_code == 201
    assert people.readers(later) == {"finn", "lee"}


def test_coming_back_to_the_set_restores_what_was_shared_there(app, people):
    reflection_id = write(people, linked=False)
    leave(app, people.cara, people.glasgow)
    join(app, people.cara, people.glasgow)
    assert people.readers(reflection_id) == {"fran", "cal"}


def test_a_new_facilitator_reads_what_the_set_shared_and_a_departed_one_stops(app, people):
    """Facilitators are the set's *current* ones, as SPEC.md says."""
    reflection_id = write(people, linked=True, visibility="facilitator")
    join(app, people.finn, people.glasgow, role="facilitator")
    assert people.readers(reflection_id) == {"fran", "finn"}
    leave(app, people.fran, people.glasgow)
    assert people.readers(reflection_id) == {"finn"}


def test_a_candidate_who_becomes_facilitator_reads_as_one(app, people):
    reflection_id = write(people, linked=True, visibility="facilitator")
    assert "cal" not in people.readers(reflection_id)
    change_role(app, people.cal, people.glasgow, "facilitator")
    assert "cal" in people.readers(reflection_id)


def test_an_author_who_becomes_facilitator_of_the_set_stops_sharing_as_a_candidate(app, people):
    reflection_id = write(people, linked=True)
    change_role(app, people.cara, people.glasgow, "facilitator")
    assert people.readers(reflection_id) == set()


def test_a_candidate_who_left_cannot_share_more_widely_there(app, people):
    """The review's case: after leaving, a PUT keeping the old meeting link and widening to
    `set` answered 200 and cal read it. Widening needs current membership."""
    reflection_id = write(people, linked=True, visibility="facilitator")
    leave(app, people.cara, people.glasgow)
    answer = people.put(
        people.cara,
        reflection_id,
        meeting_id=people.glasgow_meeting.id,
        visibility="set",
        base_version=1,
    )
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {"visibility"}
    assert people.readers(reflection_id) == set()


def test_a_candidate_who_left_may_keep_the_old_link_while_editing(app, people):
    """Keeping what was saved may stay; it reaches nobody now."""
    reflection_id = write(people, linked=True, visibility="facilitator")
    leave(app, people.cara, people.glasgow)
    answer = people.put(
        people.cara,
        reflection_id,
        experience="Edited after leaving.",
        meeting_id=people.glasgow_meeting.id,
        visibility="facilitator",
        base_version=1,
    )
    assert answer.status_code == 200
    assert answer.json["set_id"] == people.glasgow.id
    assert people.readers(reflection_id) == set()


@pytest.mark.parametrize("how", ["meeting", "set"])
def test_a_candidate_who_left_cannot_link_a_new_reflection_there(app, people, how):
    leave(app, people.cara, people.glasgow)
    where = (
        {"meeting_id": people.glasgow_meeting.id}
        if how == "meeting"
        else {"set_id": people.glasgow.id}
    )
    answer = people.put(people.cara, uuid.uuid4(), **where)
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {f"{how}_id"}


def test_deleting_the_meeting_keeps_the_audience(app, people):
    """The audience set is stored, not derived from the meeting, so it outlives it."""
    from journal.models import Meeting

    reflection_id = write(people, linked=True)
    with app.app_context():
        db.session.delete(db.session.get(Meeting, people.glasgow_meeting.id))
        db.session.commit()
    assert people.readers(reflection_id) == {"fran", "cal"}


def test_the_shared_lists_follow_the_same_rule_over_time(app, people):
    """/shared and the home page use the same clause as a single read."""
    reflection_id = write(people, linked=False)
    marker = str(reflection_id)
    fran = people.client(people.fran)
    assert marker in fran.get("/shared").text
    leave(app, people.cara, people.glasgow)
    assert marker not in fran.get("/shared").text
    assert marker not in fran.get("/").text
