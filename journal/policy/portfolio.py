"""Who may read a candidate's portfolio (coverage, exports): the candidate and their assessor.

An enrolment's portfolio (its claims' frozen copies, their decisions and feedback, its coverage)
is read by the enrolled candidate and by the enrolment's *current* assessor: changing the
assessor hands the whole history to the new one and takes it from the old one. Everyone else
gets 404, admins and facilitators included (an admin manages enrolments but reads no evidence),
as do other assessors: a portfolio's existence is not theirs to know.

An export is a copy of a portfolio: it is opened by the person who asked for it, and only while
they may still read that portfolio (an assessor who is replaced loses the exports they made).
"""

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import LARGEST_ID, Enrolment, EvidenceClaim, PortfolioExport, User
from .evidence import reader_clause, role_on


def can_read_portfolio(user: User, enrolment: Enrolment) -> bool:
    """The evidence policy's own rule: the enrolled candidate or the current assessor."""
    return role_on(user, enrolment) is not None


def get_enrolment(enrolment_id: int) -> Enrolment:
    """The enrolment (with its candidate, assessor and framework) for its candidate or current
    assessor; 404 for anyone else."""
    enrolment = None
    if 0 < enrolment_id <= LARGEST_ID:
        query = (
            select(Enrolment)
            .where(Enrolment.id == enrolment_id)
            .options(
                joinedload(Enrolment.candidate),
                joinedload(Enrolment.assessor),
                joinedload(Enrolment.framework),
            )
        )
        enrolment = db.session.scalar(query)
    if enrolment is None or not can_read_portfolio(current_user, enrolment):
        abort(404)
    return enrolment


def readable_enrolments(user: User) -> Select[tuple[Enrolment]]:
    """The portfolios `user` may read: their own enrolments and those they assess."""
    return select(Enrolment).where(reader_clause(user))


def exported_claims(enrolment_id: int) -> Select[tuple[EvidenceClaim]]:
    """The claims a portfolio holds: the enrolment's own, never withdrawn ones (a withdrawn
    claim was taken back by its candidate before any decision). Their frozen copies are what is
    read: never the live reflection."""
    return select(EvidenceClaim).where(
        EvidenceClaim.enrolment_id == enrolment_id, EvidenceClaim.withdrawn_at.is_(None)
    )


def can_open_export(user: User, export: PortfolioExport) -> bool:
    return (
        user.is_authenticated
        and export.requested_by_id == user.id
        and can_read_portfolio(user, export.enrolment)
    )


def get_export(export_id: int) -> PortfolioExport:
    """The export (without its file), for the person who asked for it while they may still read
    the portfolio; 404 for anyone else."""
    export = None
    if 0 < export_id <= LARGEST_ID:
        query = (
            select(PortfolioExport)
            .where(PortfolioExport.id == export_id)
            .options(joinedload(PortfolioExport.enrolment).joinedload(Enrolment.candidate))
        )
        export = db.session.scalar(query)
    if export is None or not can_open_export(current_user, export):
        abort(404)
    return export
