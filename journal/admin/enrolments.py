"""Enrolments: a candidate on a qualification framework, with the assessor who judges their
evidence. Changing the assessor moves the whole enrolment, claims and decisions included, to
the new one: the new assessor sees its history, the old one no longer has it. Every change is
recorded (ids only). The caller commits.
"""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import Enrolment, Framework, User
from .history import source


class EnrolmentError(ValueError):
    """Why an enrolment cannot be made or changed as asked."""


def _not_self(candidate_id: int, assessor: User) -> None:
    if assessor.id == candidate_id:
        raise EnrolmentError("A candidate cannot assess their own evidence: choose someone else.")


def enrolment_of(candidate: User, framework: Framework) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.candidate_id == candidate.id, Enrolment.framework_id == framework.id
        )
    )


def _already(candidate: User, framework: Framework) -> EnrolmentError:
    return EnrolmentError(
        f"{candidate.name} is already enrolled on {framework.title}: change the assessor of that"
        " enrolment instead."
    )


def enrol(actor: User | None, candidate: User, framework: Framework, assessor: User) -> Enrolment:
    _not_self(candidate.id, assessor)
    if enrolment_of(candidate, framework) is not None:
        raise _already(candidate, framework)
    enrolment = Enrolment(
        candidate_id=candidate.id, framework_id=framework.id, assessor_id=assessor.id
    )
    db.session.add(enrolment)
    try:
        db.session.flush()
    except IntegrityError as error:  # enrolled by someone else a moment ago
        problem = _already(candidate, framework)
        db.session.rollback()
        raise problem from error
    audit.record(
        actor,
        "enrolment.created",
        "enrolment",
        enrolment.id,
        candidate_id=candidate.id,
        framework_id=framework.id,
        assessor_id=assessor.id,
        **source(actor),
    )
    return enrolment


def change_assessor(actor: User | None, enrolment: Enrolment, assessor: User) -> int | None:
    """Give the enrolment to `assessor`; returns the previous assessor's id (or None)."""
    _not_self(enrolment.candidate_id, assessor)
    previous = enrolment.assessor_id
    if previous == assessor.id:
        raise EnrolmentError(f"{assessor.name} is the assessor already.")
    enrolment.assessor_id = assessor.id
    db.session.flush()
    audit.record(
        actor,
        "enrolment.assessor_changed",
        "enrolment",
        enrolment.id,
        candidate_id=enrolment.candidate_id,
        framework_id=enrolment.framework_id,
        from_assessor_id=previous,
        to_assessor_id=assessor.id,
        **source(actor),
    )
    return previous
