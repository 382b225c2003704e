"""The cast of the evidence tests, and helpers that offer, decide and read claims.

Glasgow: facilitated by Fran, candidates Cara and Cal; Leeds: facilitated by Finn, candidate
Lee. Cara and Cal are enrolled on a small framework ("L7", units 1 and 2, criteria 1.1, 1.2,
2.1, 2.2) with Ada as their assessor; Lee with Abe. Alex is an admin. Glasgow met 7 days ago
(`last`). PAGE_SIZE is 3 here.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from journal.evidence import claims
from journal.extensions import db
from journal.models import (
    AuditEvent,
    ClaimComment,
    Criterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    Framework,
    LearningSet,
    Meeting,
    Reflection,
    Unit,
    User,
)
from tests.factories import Factory

PAGE_SIZE = 3


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
    abe: User
    alex: User
    glasgow: LearningSet
    leeds: LearningSet
    last: Meeting
    framework_id: int
    criteria: dict[str, int]  # code -> id
    enrolments: dict[str, int]  # candidate's first name -> enrolment id

    def person(self, name: str | None) -> User | None:
        return getattr(self, name) if name else None


def make_framework(app: Flask, code: str | None = None) -> tuple[int, dict[str, int]]:
    """A framework of two units of two criteria each; its id and its criteria's ids by code."""
    with app.app_context():
        framework = Framework(code=code or f"L7-{uuid.uuid4().hex[:6]}", title="Level 7 sample")
        for position, (unit_code, title) in enumerate([("1", "Self"), ("2", "Change")]):
            unit = Unit(code=unit_code, title=title, position=position)
            unit.criteria = [
                Criterion(code=f"{unit_code}.{n}", text=f"Criterion {unit_code}.{n}.", position=n)
                for n in (1, 2)
            ]
            framework.units.append(unit)
        db.session.add(framework)
        db.session.commit()
        return framework.id, {c.code: c.id for unit in framework.units for c in unit.criteria}


def enrol(app: Flask, candidate: User, framework_id: int, assessor: User | None) -> int:
    with app.app_context():
        enrolment = Enrolment(
            candidate_id=candidate.id,
            framework_id=framework_id,
            assessor_id=assessor.id if assessor else None,
        )
        db.session.add(enrolment)
        db.session.commit()
        return enrolment.id


@pytest.fixture
def cast(app: Flask, make: Factory) -> Cast:
    fran, finn = make.user("Fran Facilitator"), make.user("Finn Facilitator")
    cara, cal, lee = make.user("Cara Candidate"), make.user("Cal Candidate"), make.user("Lee")
    ada, abe = make.user("Ada Assessor"), make.user("Abe Assessor")
    alex = make.user("Alex Admin", is_admin=True)
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara, cal])
    leeds = make.set("Leeds 1", facilitators=[finn], candidates=[lee])
    framework_id, criteria = make_framework(app)
    enrolments = {
        "cara": enrol(app, cara, framework_id, ada),
        "cal": enrol(app, cal, framework_id, ada),
        "lee": enrol(app, lee, framework_id, abe),
    }
    return Cast(
        fran,
        finn,
        cara,
        cal,
        lee,
        ada,
        abe,
        alex,
        glasgow,
        leeds,
        make.meeting(glasgow, -7, "Room 2"),
        framework_id,
        criteria,
        enrolments,
    )


def write(
    make: Factory, cast: Cast, visibility: str = "facilitator", author: str = "cara", **fields
):
    """A reflection by `author`, linked to Glasgow's last meeting (Lee's reaches Leeds)."""
    fields.setdefault("experience", f"{author} wrote this ({visibility}) {uuid.uuid4().hex[:8]}.")
    person = getattr(cast, author)
    meeting = cast.last if author != "lee" else None
    return make.reflection(person, meeting, visibility, learning_set=cast.leeds, **fields)


def offer(
    app: Flask,
    cast: Cast,
    reflection: Reflection,
    codes: tuple[str, ...] = ("1.1",),
    days_ago: float = 0,
    enrolment: int | None = None,
) -> int:
    """Offer `reflection` as its author's evidence (through the domain); the claim's id."""
    with app.app_context():
        live = db.session.get(Reflection, reflection.id)
        candidate = next(k for k in cast.enrolments if getattr(cast, k).id == live.author_id)
        claim = claims.offer(
            live,
            db.session.get(Enrolment, enrolment or cast.enrolments[candidate]),
            [db.session.get(Criterion, cast.criteria[code]) for code in codes],
            offered_at=datetime.now(UTC) - timedelta(days=days_ago),
        )
        db.session.commit()
        return claim.id


def decide(app: Flask, claim_id: int, code_id: int, by: User, decision: Decision, feedback=""):
    with app.app_context():
        claim = db.session.get(EvidenceClaim, claim_id)
        claims.decide_criterion(
            claim, code_id, db.session.get(User, by.id), decision, feedback or "Feedback."
        )
        db.session.commit()


def stored_claim(app: Flask, claim_id: int) -> EvidenceClaim | None:
    """The claim as stored, with its criteria, detached."""
    with app.app_context():
        claim = db.session.get(EvidenceClaim, claim_id)
        if claim is None:
            return None
        for claimed in claim.criteria:
            db.session.expunge(claimed)
        db.session.expunge(claim)
        return claim


def claim_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(EvidenceClaim.id).order_by(EvidenceClaim.id)))


def events(app: Flask, action_prefix: str = "claim.") -> list[AuditEvent]:
    with app.app_context():
        found = list(
            db.session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.startswith(action_prefix))
                .order_by(AuditEvent.id)
            )
        )
        db.session.expunge_all()
        return found


def comment_bodies(app: Flask, claim_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(ClaimComment.body)
                .where(ClaimComment.claim_id == claim_id)
                .order_by(ClaimComment.id)
            )
        )


def set_assessor(app: Flask, enrolment_id: int, assessor: User | None) -> None:
    """Change an enrolment's assessor directly, as the administration will."""
    with app.app_context():
        db.session.get(Enrolment, enrolment_id).assessor_id = assessor.id if assessor else None
        db.session.commit()
