"""Who may read and act on evidence (claims, portfolios, their coverage and exports): every rule
of the evidence area. A claim belongs to its enrolment's two people.

- The **candidate** (the enrolment's `candidate_id`) reads their own claims, offers and withdraws.
- The **assigned assessor** (the enrolment's *current* `assessor_id`) reads the frozen copies of
  their candidates' claims, decides them and reads their audit trail. When an enrolment's
  assessor changes, the new one sees its whole history and the old one nothing more: the rule is
  read from the enrolment at each request, never remembered.
- Nobody else sees anything of a claim (404): not other candidates, facilitators, other
  assessors or admins, in pages, counts or error messages. An assessor who is also the candidate
  of an enrolment (an administrator's slip) does not assess it.

An assessor reads the frozen copy only: the evidence pages never load the live reflection for
them (`evidence.claims.live_reflection` is called for the candidate alone), and the live
reflection stays under `policy.reflections`, which gives an assessor nothing.

Lists start from what the viewer holds: their enrolments as candidate (`Enrolment.candidate_id`,
unique with the framework) or as assessor (`Enrolment.assessor_id`, indexed), then claims through
`(enrolment_id, offered_at)`. Exports and other readers take claims through `readable_claims`,
`assessed_claims` and `get_portfolio` too.

**Portfolios** (coverage, exports) follow the same rule per enrolment: an enrolment's portfolio
(its claims' frozen copies, their decisions, feedback and comments, its coverage) is read by the
enrolled candidate and by the enrolment's current assessor (`can_read_portfolio`,
`get_enrolment`, `readable_enrolments`); everyone else gets 404, admins and facilitators
included (an admin manages enrolments but reads no evidence), as do other assessors: a
portfolio's existence is not theirs to know. What an export holds is `exported_claims`.

An **export** is a copy of a portfolio: it is opened by the person who asked for it, and only
while they may still read that portfolio (an assessor who is replaced loses the exports they
made): `can_open_export`, `get_export`.
"""

from dataclasses import dataclass
from enum import StrEnum

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, false, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    LARGEST_ID,
    ClaimCriterion,
    Criterion,
    Enrolment,
    EvidenceClaim,
    PortfolioExport,
    User,
)


class ClaimRole(StrEnum):
    CANDIDATE = "candidate"
    ASSESSOR = "assessor"


class Act(StrEnum):
    """What a loader is asked for besides reading: each is one person's."""

    DECIDE = "decide"  # the assessor
    WITHDRAW = "withdraw"  # the candidate
    COMMENT = "comment"  # either


def _assessor_clause(user: User) -> ColumnElement[bool]:
    return and_(Enrolment.assessor_id == user.id, Enrolment.candidate_id != user.id)


def reader_clause(user: User) -> ColumnElement[bool]:
    """True for an enrolment whose claims `user` may read (join Enrolment to use it)."""
    if not user.is_authenticated:
        return false()
    return or_(Enrolment.candidate_id == user.id, _assessor_clause(user))


def readable_claims(user: User) -> Select[tuple[EvidenceClaim]]:
    """Every claim `user` may read: their own, and their current candidates'."""
    return select(EvidenceClaim).join(EvidenceClaim.enrolment).where(reader_clause(user))


def assessed_claims(user: User) -> Select[tuple[EvidenceClaim]]:
    """The claims of the candidates `user` assesses now."""
    if not user.is_authenticated:
        return select(EvidenceClaim).where(false())
    return select(EvidenceClaim).join(EvidenceClaim.enrolment).where(_assessor_clause(user))


def assessed_enrolments(user: User) -> Select[tuple[Enrolment]]:
    """The enrolments `user` assesses now."""
    if not user.is_authenticated:
        return select(Enrolment).where(false())
    return select(Enrolment).where(_assessor_clause(user))


def role_on(user: User, enrolment: Enrolment) -> ClaimRole | None:
    """The user's part in an enrolment's claims: candidate, assessor, or none (no query)."""
    if not user.is_authenticated:
        return None
    if enrolment.candidate_id == user.id:
        return ClaimRole.CANDIDATE
    if enrolment.assessor_id == user.id:
        return ClaimRole.ASSESSOR
    return None


def may(user: User, claim: EvidenceClaim, act: Act) -> bool:
    role = role_on(user, claim.enrolment)
    if act is Act.DECIDE:
        return role is ClaimRole.ASSESSOR
    if act is Act.WITHDRAW:
        return role is ClaimRole.CANDIDATE
    return role is not None


# Loaders: 404 for what one may not see, 403 for what one sees but may not do -----------------

# What a claim's page shows with the claim, loaded in the same query: its enrolment with the
# candidate and framework, and each criterion claimed with its unit and who decided it.
CLAIM_PAGE = (
    joinedload(EvidenceClaim.enrolment).joinedload(Enrolment.candidate),
    joinedload(EvidenceClaim.enrolment).joinedload(Enrolment.framework),
    joinedload(EvidenceClaim.criteria)
    .joinedload(ClaimCriterion.criterion)
    .joinedload(Criterion.unit),
    joinedload(EvidenceClaim.criteria).joinedload(ClaimCriterion.decided_by),
)


def get_claim(claim_id: int, act: Act | None = None) -> EvidenceClaim:
    """The claim with what its page shows, for its candidate or current assessor; 404 for
    anyone else (an unknown id looks the same), 403 for one of them asking for the other's act.
    """
    claim = None
    if 0 < claim_id <= LARGEST_ID and current_user.is_authenticated:
        query = (
            readable_claims(current_user).where(EvidenceClaim.id == claim_id).options(*CLAIM_PAGE)
        )
        claim = db.session.scalars(query).unique().one_or_none()
    if claim is None:
        abort(404)
    if act is not None and not may(current_user, claim, act):
        abort(403)
    return claim


@dataclass
class Portfolio:
    """A candidate's evidence as one viewer may see it: the candidate, and the enrolments whose
    claims the viewer reads (all of them for the candidate; the assessor's own for an assessor).
    """

    candidate: User
    enrolments: list[Enrolment]
    role: ClaimRole

    @property
    def enrolment_ids(self) -> list[int]:
        return [e.id for e in self.enrolments]


# What every page about an enrolment names: its candidate, assessor and framework (built once).
ENROLMENT_PEOPLE = (
    joinedload(Enrolment.candidate),
    joinedload(Enrolment.assessor),
    joinedload(Enrolment.framework),
)


def get_portfolio(candidate_id: int) -> Portfolio:
    """The candidate's portfolio, for themselves or their current assessor; 404 for anyone
    else, and for an id that is nobody's."""
    user = current_user
    if not user.is_authenticated or not 0 < candidate_id <= LARGEST_ID:
        abort(404)
    query = (
        select(Enrolment)
        .where(Enrolment.candidate_id == candidate_id)
        .options(*ENROLMENT_PEOPLE)
        .order_by(Enrolment.id)
    )
    if candidate_id == user.id:
        return Portfolio(user, list(db.session.scalars(query)), ClaimRole.CANDIDATE)
    enrolments = list(db.session.scalars(query.where(_assessor_clause(user))))
    if not enrolments:
        abort(404)
    return Portfolio(enrolments[0].candidate, enrolments, ClaimRole.ASSESSOR)


def portfolio_claims(portfolio: Portfolio) -> Select[tuple[EvidenceClaim]]:
    """The claims of a portfolio's enrolments (those its viewer may read, by construction)."""
    if not portfolio.enrolments:
        return select(EvidenceClaim).where(false())
    return select(EvidenceClaim).where(EvidenceClaim.enrolment_id.in_(portfolio.enrolment_ids))


# Portfolios: coverage and exports, per enrolment ---------------------------------------------


def can_read_portfolio(user: User, enrolment: Enrolment) -> bool:
    """The rule of claims: the enrolled candidate or the current assessor."""
    return role_on(user, enrolment) is not None


def get_enrolment(enrolment_id: int) -> Enrolment:
    """The enrolment (with its candidate, assessor and framework) for its candidate or current
    assessor; 404 for anyone else."""
    enrolment = None
    if 0 < enrolment_id <= LARGEST_ID:
        query = select(Enrolment).where(Enrolment.id == enrolment_id).options(*ENROLMENT_PEOPLE)
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
    read: never the live reflection. Their comments are read through these claims too."""
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
