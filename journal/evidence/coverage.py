"""Coverage: for each criterion of a candidate's framework, nothing yet, claimed, not yet or
accepted.

A criterion is *accepted* when the assessor accepted it on one of the portfolio's claims,
*claimed* when a claim names it and awaits a decision on it, *not yet* when every claim naming
it was judged "not yet" (the candidate has something to do: the page links to the feedback), and
*nothing yet* otherwise. Withdrawn claims count for nothing. Three statements, whatever the
candidate's history: the units, their criteria, and one grouped count of the portfolio's claims
per criterion (with whether one was accepted, one awaits, and the latest claim judged not yet).
"""

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ClaimCriterion, Criterion, Decision, Enrolment, EvidenceClaim, Unit


class State(StrEnum):
    NOTHING = "nothing"
    CLAIMED = "claimed"
    NOT_YET = "not-yet"
    ACCEPTED = "accepted"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def symbol(self) -> str:
        """Shown beside the label, so the state reads without colour (greyscale, print); the
        claim pages mark a "not yet" decision with the same ↺."""
        return _SYMBOLS[self]


_LABELS = {
    State.NOTHING: "Nothing yet",
    State.CLAIMED: "Claimed",
    State.NOT_YET: "Not yet",
    State.ACCEPTED: "Accepted",
}
_SYMBOLS = {State.NOTHING: "○", State.CLAIMED: "◐", State.NOT_YET: "↺", State.ACCEPTED: "✓"}


@dataclass
class CriterionCoverage:
    criterion: Criterion
    state: State
    claims: int  # how many of the portfolio's claims name it
    # The latest claim judged "not yet" on it, while it is not accepted: where its feedback is.
    feedback_claim: int | None = None


@dataclass
class Counts:
    total: int = 0
    claimed: int = 0  # offered and not accepted: awaiting a decision, or judged "not yet"
    accepted: int = 0
    not_yet: int = 0  # of those claimed, judged "not yet" and not offered again

    @property
    def awaiting(self) -> int:
        return self.claimed - self.not_yet

    @property
    def nothing(self) -> int:
        return self.total - self.claimed - self.accepted

    def add(self, state: State) -> None:
        self.total += 1
        if state is State.ACCEPTED:
            self.accepted += 1
        elif state in (State.CLAIMED, State.NOT_YET):
            self.claimed += 1
            self.not_yet += state is State.NOT_YET


@dataclass
class UnitCoverage:
    unit: Unit
    criteria: list[CriterionCoverage] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


@dataclass
class Coverage:
    units: list[UnitCoverage]
    counts: Counts


def coverage(enrolment: Enrolment) -> Coverage:
    """The coverage of the enrolment's framework by the enrolment's own claims."""
    units = db.session.scalars(
        select(Unit)
        .where(Unit.framework_id == enrolment.framework_id)
        .options(selectinload(Unit.criteria))
        .order_by(Unit.position, Unit.id)
    ).all()
    found = db.session.execute(
        select(
            ClaimCriterion.criterion_id,
            func.count(),
            _any(ClaimCriterion.decision == Decision.ACCEPTED.value),
            _any(ClaimCriterion.decision == Decision.PENDING.value),
            # Claims are numbered as offered: the highest judged "not yet" is the latest.
            func.max(
                case((ClaimCriterion.decision == Decision.NOT_YET.value, ClaimCriterion.claim_id))
            ),
        )
        .join(EvidenceClaim, EvidenceClaim.id == ClaimCriterion.claim_id)
        .where(EvidenceClaim.enrolment_id == enrolment.id, EvidenceClaim.withdrawn_at.is_(None))
        .group_by(ClaimCriterion.criterion_id)
    )
    claimed = {row[0]: _covered(*row[1:]) for row in found}
    overall = Counts()
    result = []
    for unit in units:
        unit_coverage = UnitCoverage(unit)
        for criterion in unit.criteria:
            state, count, feedback_claim = claimed.get(criterion.id, (State.NOTHING, 0, None))
            unit_coverage.criteria.append(
                CriterionCoverage(criterion, state, count, feedback_claim)
            )
            unit_coverage.counts.add(state)
            overall.add(state)
        result.append(unit_coverage)
    return Coverage(result, overall)


def _any(condition) -> ColumnElement[int]:
    return func.max(case((condition, 1), else_=0))


def _covered(
    count: int, accepted: int, awaiting: int, not_yet_claim: int | None
) -> tuple[State, int, int | None]:
    """A criterion's state, its number of claims, and the claim with its latest feedback."""
    if accepted:
        return State.ACCEPTED, count, None
    state = State.CLAIMED if awaiting or not_yet_claim is None else State.NOT_YET
    return state, count, not_yet_claim
