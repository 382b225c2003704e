"""Coverage: for each criterion of a candidate's framework, nothing yet, claimed or accepted.

A criterion is *accepted* when the assessor accepted it on one of the portfolio's claims,
*claimed* when a claim names it but no decision on it is "accepted" yet (awaiting a decision,
or judged "not yet"), and *nothing yet* otherwise. Withdrawn claims count for nothing. Three
statements, whatever the candidate's history: the units, their criteria, and one grouped count
of the portfolio's claims per criterion.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ClaimCriterion, Criterion, Decision, Enrolment, EvidenceClaim, Unit


class State(StrEnum):
    NOTHING = "nothing"
    CLAIMED = "claimed"
    ACCEPTED = "accepted"

    @property
    def label(self) -> str:
        return {"nothing": "Nothing yet", "claimed": "Claimed", "accepted": "Accepted"}[self]

    @property
    def symbol(self) -> str:
        """Shown beside the label, so the state reads without colour (greyscale, print)."""
        return {"nothing": "○", "claimed": "◐", "accepted": "✓"}[self]


@dataclass
class CriterionCoverage:
    criterion: Criterion
    state: State
    claims: int  # how many of the portfolio's claims name it


@dataclass
class Counts:
    total: int = 0
    claimed: int = 0
    accepted: int = 0

    @property
    def nothing(self) -> int:
        return self.total - self.claimed - self.accepted

    def add(self, state: State) -> None:
        self.total += 1
        if state is State.ACCEPTED:
            self.accepted += 1
        elif state is State.CLAIMED:
            self.claimed += 1


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
    accepted = func.max(case((ClaimCriterion.decision == Decision.ACCEPTED.value, 1), else_=0))
    found = db.session.execute(
        select(ClaimCriterion.criterion_id, func.count(), accepted)
        .join(EvidenceClaim, EvidenceClaim.id == ClaimCriterion.claim_id)
        .where(EvidenceClaim.enrolment_id == enrolment.id, EvidenceClaim.withdrawn_at.is_(None))
        .group_by(ClaimCriterion.criterion_id)
    )
    claimed = {criterion_id: (count, bool(yes)) for criterion_id, count, yes in found}
    overall = Counts()
    result = []
    for unit in units:
        unit_coverage = UnitCoverage(unit)
        for criterion in unit.criteria:
            count, was_accepted = claimed.get(criterion.id, (0, False))
            state = State.ACCEPTED if was_accepted else State.CLAIMED if count else State.NOTHING
            unit_coverage.criteria.append(CriterionCoverage(criterion, state, count))
            unit_coverage.counts.add(state)
            overall.add(state)
        result.append(unit_coverage)
    return Coverage(result, overall)
