"""What the portfolio tests share: a world of a candidate with evidence and comments on it, her
assessor and everyone who must not read it, and ways to offer, decide, comment, withdraw and
reassign."""

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from journal.evidence import claims
from journal.evidence.frameworks import load_framework
from journal.extensions import db
from journal.models import (
    Criterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    Reflection,
    Unit,
    User,
    utcnow,
)
from tests.factories import Factory

# Words that must reach the export as written: accents, curly quotes, a dash.
OFFERED = "Zoë’s “feedback round” – naïve at first, then useful."
LIVE_EDIT = "Changed after offering: this live text must never be exported."
# The conversation on cara's claims (in the export), and comments on claims that are not hers
# to export: her withdrawn one, and cal's with the same assessor.
ASKED = "Which **questions** did you ask first?"  # Markdown: "questions" in bold on the page
ANSWERED = "I asked “what would help?” before anything else."
ON_PENDING = "I can add the notes from the next round."
ON_WITHDRAWN = "A question on the withdrawn claim."
ON_CALS = "A question for Cal alone."


@dataclass
class World:
    cara: User  # the candidate, with evidence
    cal: User  # another candidate in her set, enrolled with the same assessor
    lee: User  # a candidate elsewhere, assessed by abe
    ada: User  # cara's assessor
    abe: User  # another assessor
    fran: User  # facilitator of cara's set
    admin: User
    enrolment: int  # cara's
    cal_enrolment: int
    lee_enrolment: int
    accepted_claim: int  # on 1.2 (accepted) and 3.1 (not yet); ada asks, cara answers
    pending_claim: int  # on 2.1, awaiting a decision; cara comments
    withdrawn_claim: int  # on 4.1, withdrawn; ada had commented
    cal_claim: int  # cal's, on 4.2; ada comments

    def person(self, name: str) -> User | None:
        return None if name == "nobody" else getattr(self, name)


def enrol(app: Flask, candidate: User, assessor: User | None) -> int:
    with app.app_context():
        framework = load_framework()
        enrolment = Enrolment(
            candidate_id=candidate.id,
            framework_id=framework.id,
            assessor_id=assessor.id if assessor else None,
        )
        db.session.add(enrolment)
        db.session.commit()
        return enrolment.id


def criterion(code: str) -> Criterion:
    return db.session.scalar(select(Criterion).join(Unit).where(Criterion.code == code))


def offer(app: Flask, reflection: Reflection, enrolment_id: int, codes: list[str]) -> int:
    with app.app_context():
        claim = claims.offer(
            db.session.get(Reflection, reflection.id),
            db.session.get(Enrolment, enrolment_id),
            [criterion(code) for code in codes],
        )
        db.session.commit()
        return claim.id


def decide(app: Flask, claim_id: int, code: str, decision: Decision, feedback: str = "") -> None:
    with app.app_context():
        claim = db.session.get(EvidenceClaim, claim_id)
        (chosen,) = [cc for cc in claim.criteria if cc.criterion.code == code]
        claims.decide(chosen, claim.enrolment.assessor, decision, feedback)
        db.session.commit()


def comment(app: Flask, claim_id: int, author: User, body: str, minutes: int = 0) -> int:
    """A comment on the claim, `minutes` after the claim was offered; its id."""
    with app.app_context():
        claim = db.session.get(EvidenceClaim, claim_id)
        at = claim.offered_at + timedelta(minutes=minutes)
        made = claims.add_comment(claim, db.session.get(User, author.id), body, at=at)
        db.session.commit()
        return made.id


def withdraw(app: Flask, claim_id: int) -> None:
    with app.app_context():
        db.session.get(EvidenceClaim, claim_id).withdrawn_at = utcnow()
        db.session.commit()


def reassign(app: Flask, enrolment_id: int, assessor: User) -> None:
    with app.app_context():
        db.session.get(Enrolment, enrolment_id).assessor_id = assessor.id
        db.session.commit()


def edit_live(app: Flask, reflection_id) -> None:
    with app.app_context():
        reflection = db.session.get(Reflection, reflection_id)
        reflection.experience = LIVE_EDIT
        db.session.commit()


def build_world(app: Flask, make: Factory) -> World:
    people = {
        name: make.user(name.title()) for name in ("cara", "cal", "lee", "ada", "abe", "fran")
    }
    admin = make.user("Admin", is_admin=True)
    glasgow = make.set(facilitators=[people["fran"]], candidates=[people["cara"], people["cal"]])
    meeting = make.meeting(glasgow)
    enrolment = enrol(app, people["cara"], people["ada"])
    cal_enrolment = enrol(app, people["cal"], people["ada"])
    lee_enrolment = enrol(app, people["lee"], people["abe"])
    first = make.reflection(people["cara"], meeting, experience=OFFERED, insight="I’ll ask first.")
    second = make.reflection(people["cara"], meeting, visibility="private")
    third = make.reflection(people["cara"], meeting, experience="Withdrawn words.")
    cals = make.reflection(people["cal"], meeting, experience="Cal’s own evidence.")
    accepted = offer(app, first, enrolment, ["1.2", "3.1"])
    decide(app, accepted, "1.2", Decision.ACCEPTED, "Clear account — accepted.")
    decide(app, accepted, "3.1", Decision.NOT_YET, "Say more about the questions you asked.")
    comment(app, accepted, people["ada"], ASKED, minutes=10)
    comment(app, accepted, people["cara"], ANSWERED, minutes=20)
    pending = offer(app, second, enrolment, ["2.1"])
    comment(app, pending, people["cara"], ON_PENDING, minutes=5)
    withdrawn = offer(app, third, enrolment, ["4.1"])
    comment(app, withdrawn, people["ada"], ON_WITHDRAWN, minutes=5)
    withdraw(app, withdrawn)
    cal_claim = offer(app, cals, cal_enrolment, ["4.2"])
    comment(app, cal_claim, people["ada"], ON_CALS, minutes=5)
    edit_live(app, first.id)
    return World(
        **people,
        admin=admin,
        enrolment=enrolment,
        cal_enrolment=cal_enrolment,
        lee_enrolment=lee_enrolment,
        accepted_claim=accepted,
        pending_claim=pending,
        withdrawn_claim=withdrawn,
        cal_claim=cal_claim,
    )


# Who may read cara's portfolio, and who gets 404 (signed out: the sign-in page).
READERS = ["cara", "ada"]
OUTSIDERS = ["cal", "lee", "abe", "fran", "admin"]
