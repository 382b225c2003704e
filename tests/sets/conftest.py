"""The cast of the set pages' tests, and a signed-in browser per person.

Glasgow (set A): facilitated by Fran, candidates Cara (the author of most reflections) and Cal.
Leeds (set B): facilitated by Finn, candidate Lee. Ada assesses Cara (enrolled, so the assessor
is a real one); Alex is an admin, in no set. Glasgow met 7 days ago (`last`) and 21 days ago
(`earlier`), and meets in 7 days (`next`); Leeds met 3 days ago. PAGE_SIZE is 3 here.
"""

import uuid
from dataclasses import dataclass

import pytest
from flask import Flask

from journal.extensions import db
from journal.models import Enrolment, Framework, LearningSet, Meeting, User
from tests.factories import Factory

from .common import PAGE_SIZE


@pytest.fixture
def app_config() -> dict:
    return {"PAGE_SIZE": PAGE_SIZE}


@dataclass
class Cast:
    fran: User
    finn: User
    cara: User
    cal: User
    lee: User
    ada: User
    alex: User
    glasgow: LearningSet
    leeds: LearningSet
    earlier: Meeting
    last: Meeting
    next: Meeting
    leeds_last: Meeting

    def person(self, name: str | None) -> User | None:
        return getattr(self, name) if name else None


@pytest.fixture
def cast(app: Flask, make: Factory) -> Cast:
    fran, finn = make.user("Fran Facilitator"), make.user("Finn Facilitator")
    cara, cal, lee = make.user("Cara Candidate"), make.user("Cal Candidate"), make.user("Lee")
    ada = make.user("Ada Assessor")
    alex = make.user("Alex Admin", is_admin=True)
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara, cal])
    leeds = make.set("Leeds 1", facilitators=[finn], candidates=[lee])
    with app.app_context():
        framework = Framework(code=f"F-{uuid.uuid4().hex[:6]}", title="Leadership")
        db.session.add(framework)
        db.session.flush()
        db.session.add(Enrolment(candidate_id=cara.id, framework=framework, assessor_id=ada.id))
        db.session.commit()
    return Cast(
        fran,
        finn,
        cara,
        cal,
        lee,
        ada,
        alex,
        glasgow,
        leeds,
        earlier=make.meeting(glasgow, -21, "Room 1, George Square"),
        last=make.meeting(glasgow, -7, "Room 2, George Square"),
        next=make.meeting(glasgow, 7, "https://meet.example.org/glasgow-3"),
        leeds_last=make.meeting(leeds, -3, "Video call"),
    )
