"""What the evidence pages gather: the assessor's queue and candidates, a portfolio's claims, a
claim's comments and history, and what the home page tells a candidate.

Every query starts from the policy (`journal.policy.evidence`), and each page asks a fixed
number of them however long a candidate's history: lists come a page at a time with what they
show loaded in the same query.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.orm import defer, joinedload

from ..extensions import db
from ..http import paginate
from ..models import (
    AuditEvent,
    ClaimComment,
    ClaimCriterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    Reflection,
    User,
    utcnow,
)
from ..policy import (
    Portfolio,
    assessed_claims,
    assessed_enrolments,
    portfolio_claims,
    readable_enrolments,
)


def listed(query: Select[tuple[EvidenceClaim]]) -> Select[tuple[EvidenceClaim]]:
    """Claims as a list shows them: candidate, framework and criteria with their decisions, in
    the same query; not the frozen copy, which only a claim's page shows."""
    return query.options(
        defer(EvidenceClaim.frozen_content),
        joinedload(EvidenceClaim.enrolment).joinedload(Enrolment.candidate),
        joinedload(EvidenceClaim.enrolment).joinedload(Enrolment.framework),
        joinedload(EvidenceClaim.criteria).joinedload(ClaimCriterion.criterion),
    )


def _awaiting() -> exists:
    return exists().where(
        ClaimCriterion.claim_id == EvidenceClaim.id,
        ClaimCriterion.decision == Decision.PENDING.value,
    )


def _waiting(assessor: User) -> Select[tuple[EvidenceClaim]]:
    """Claims of the assessor's candidates with a criterion still to decide, oldest first
    (withdrawn ones are out of assessment)."""
    return (
        assessed_claims(assessor)
        .where(EvidenceClaim.withdrawn_at.is_(None), _awaiting())
        .order_by(EvidenceClaim.offered_at, EvidenceClaim.id)
    )


def queue(assessor: User) -> Select[tuple[EvidenceClaim]]:
    """The assessor's queue as her workspace lists it."""
    return listed(_waiting(assessor))


def next_waiting(assessor: User) -> EvidenceClaim | None:
    """The first claim of her queue, with its candidate: where a decision leads on to."""
    query = _waiting(assessor).options(
        defer(EvidenceClaim.frozen_content),
        joinedload(EvidenceClaim.enrolment).joinedload(Enrolment.candidate),
    )
    return db.session.scalar(query.limit(1))


def candidates(assessor: User) -> Select[tuple[Enrolment]]:
    """The enrolments the assessor holds, by candidate name."""
    return (
        assessed_enrolments(assessor)
        .join(Enrolment.candidate)
        .options(joinedload(Enrolment.candidate), joinedload(Enrolment.framework))
        .order_by(User.name, Enrolment.id)
    )


def awaiting_by_enrolment(enrolment_ids: list[int]) -> dict[int, int]:
    """How many criteria await a decision in each enrolment's open claims (one query)."""
    if not enrolment_ids:
        return {}
    query = (
        select(EvidenceClaim.enrolment_id, func.count())
        .join(ClaimCriterion, ClaimCriterion.claim_id == EvidenceClaim.id)
        .where(
            EvidenceClaim.enrolment_id.in_(enrolment_ids),
            EvidenceClaim.withdrawn_at.is_(None),
            ClaimCriterion.decision == Decision.PENDING.value,
        )
        .group_by(EvidenceClaim.enrolment_id)
    )
    return {enrolment_id: count for enrolment_id, count in db.session.execute(query)}


def portfolio(found: Portfolio) -> Select[tuple[EvidenceClaim]]:
    """A portfolio's claims, the latest offered first."""
    return listed(portfolio_claims(found)).order_by(
        EvidenceClaim.offered_at.desc(), EvidenceClaim.id.desc()
    )


def portfolios(viewer: User) -> Select[tuple[Enrolment]]:
    """The portfolios `viewer` reads (`/portfolios`): their own first, then those of the
    candidates they assess by name, each with its candidate and framework."""
    return (
        readable_enrolments(viewer)
        .join(User, User.id == Enrolment.candidate_id)
        .options(joinedload(Enrolment.candidate), joinedload(Enrolment.framework))
        .order_by((Enrolment.candidate_id != viewer.id), User.name, Enrolment.id)
    )


def last_seen(found: Portfolio) -> datetime | None:
    """When the candidate last looked at their evidence (None: never), to mark what is new."""
    before = [e.candidate_seen_at for e in found.enrolments if e.candidate_seen_at is not None]
    return min(before, default=None)


def mark_seen(found: Portfolio) -> None:
    """The candidate has looked at their evidence now (commits)."""
    if found.enrolments:
        db.session.execute(
            update(Enrolment)
            .where(Enrolment.id.in_(found.enrolment_ids))
            .values(candidate_seen_at=utcnow())
        )
        # The page is rendered and this write changes nothing it read: keep what is loaded,
        # or the response's own hooks would load the signed-in user a second time.
        session = db.session()
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True


def comments(claim: EvidenceClaim) -> Select[tuple[ClaimComment]]:
    """A claim's comments in the order written, with their authors."""
    return (
        select(ClaimComment)
        .where(ClaimComment.claim_id == claim.id)
        .options(joinedload(ClaimComment.author))
        .order_by(ClaimComment.created_at, ClaimComment.id)
    )


def comment_count(claim_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(ClaimComment).where(ClaimComment.claim_id == claim_id)
    )


def history(claim: EvidenceClaim) -> Select[tuple[AuditEvent]]:
    """A claim's audit trail, the latest first, with who did each step."""
    return (
        select(AuditEvent)
        .where(AuditEvent.subject_type == "claim", AuditEvent.subject_id == str(claim.id))
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


ENROLLERS_NAMED = 3


def enrollers() -> list[str]:
    """Who can enrol someone on a qualification (the administrators: SPEC's matrix), by name,
    for the pages that tell a candidate they are not enrolled yet."""
    query = select(User.name).where(User.is_admin).order_by(User.name, User.id)
    return list(db.session.scalars(query.limit(ENROLLERS_NAMED)))


@dataclass
class HomeEvidence:
    """What the home page says about evidence: whether the person assesses anyone or is
    enrolled, and, for a candidate, what happened to their evidence since they last looked."""

    assessing: bool = False
    enrolled: bool = False
    new_decisions: int = 0
    new_comments: int = 0
    seen_at: datetime | None = None


def home_evidence(user: User) -> HomeEvidence:
    """One query, whatever the history: four subqueries over the user's own enrolments."""
    mine = Enrolment.candidate_id == user.id
    decisions = (
        select(func.count())
        .select_from(ClaimCriterion)
        .join(EvidenceClaim, EvidenceClaim.id == ClaimCriterion.claim_id)
        .join(Enrolment, Enrolment.id == EvidenceClaim.enrolment_id)
        .where(
            mine,
            ClaimCriterion.decided_at.is_not(None),
            or_(
                Enrolment.candidate_seen_at.is_(None),
                ClaimCriterion.decided_at > Enrolment.candidate_seen_at,
            ),
        )
        .scalar_subquery()
    )
    comments_ = (
        select(func.count())
        .select_from(ClaimComment)
        .join(EvidenceClaim, EvidenceClaim.id == ClaimComment.claim_id)
        .join(Enrolment, Enrolment.id == EvidenceClaim.enrolment_id)
        .where(
            mine,
            ClaimComment.author_id != user.id,
            or_(
                Enrolment.candidate_seen_at.is_(None),
                ClaimComment.created_at > Enrolment.candidate_seen_at,
            ),
        )
        .scalar_subquery()
    )
    seen = select(func.min(Enrolment.candidate_seen_at)).where(mine).scalar_subquery()
    row = db.session.execute(
        select(
            assessed_enrolments(user).exists(),
            exists().where(mine),
            decisions,
            comments_,
            seen,
        )
    ).one()
    return HomeEvidence(*row)


def assessor_home(assessor: User) -> dict:
    """The assessor's workspace on their home page: their queue and their candidates, each a
    page at a time (`queue_page`, `candidates_page`), and what awaits in each enrolment shown."""
    listed_candidates = paginate(candidates(assessor), param="candidates_page")
    return {
        "queue": paginate(queue(assessor), param="queue_page"),
        "candidates": listed_candidates,
        "awaiting": awaiting_by_enrolment([e.id for e in listed_candidates.items]),
    }


@dataclass
class Offered:
    """For a reflection's author: whether they may offer it, and their claims of it."""

    enrolled: bool
    claims: list[EvidenceClaim]


def offered_from(author: User, reflection: Reflection) -> Offered:
    """One query: the author's enrolments, each with its claims of this reflection (if any)."""
    rows = db.session.execute(
        select(Enrolment.id, EvidenceClaim)
        .outerjoin(
            EvidenceClaim,
            (EvidenceClaim.enrolment_id == Enrolment.id)
            & (EvidenceClaim.reflection_id == reflection.id),
        )
        .where(Enrolment.candidate_id == author.id)
        .options(
            defer(EvidenceClaim.frozen_content),
            joinedload(EvidenceClaim.criteria).joinedload(ClaimCriterion.criterion),
        )
        .order_by(EvidenceClaim.offered_at.desc(), EvidenceClaim.id.desc())
    ).unique()
    found = rows.all()
    return Offered(bool(found), [claim for _, claim in found if claim is not None])
