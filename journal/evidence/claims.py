"""Evidence claims: a reflection offered against criteria, frozen as the assessor will judge it."""

import hashlib
import json
from typing import Any

from .. import audit
from ..extensions import db
from ..models import (
    ClaimCriterion,
    Criterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    Reflection,
    User,
    utcnow,
)

FROZEN_FIELDS = ("experience", "insight", "next_action", "action_due", "meeting_id")


def frozen_copy(reflection: Reflection) -> dict[str, Any]:
    copy = {name: getattr(reflection, name) for name in FROZEN_FIELDS}
    copy["action_due"] = reflection.action_due.isoformat() if reflection.action_due else None
    copy["reflection_version"] = reflection.version
    return copy


def content_hash(copy: dict[str, Any]) -> str:
    """SHA-256 of a canonical JSON form: the same content always gives the same hash."""
    canonical = json.dumps(copy, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def offer(reflection: Reflection, enrolment: Enrolment, criteria: list[Criterion]) -> EvidenceClaim:
    copy = frozen_copy(reflection)
    claim = EvidenceClaim(
        enrolment=enrolment,
        reflection=reflection,
        frozen_content=copy,
        content_sha256=content_hash(copy),
        criteria=[ClaimCriterion(criterion=criterion) for criterion in criteria],
    )
    db.session.add(claim)
    db.session.flush()
    audit.record(
        reflection.author,
        "claim.offered",
        "claim",
        claim.id,
        reflection=str(reflection.id),
        criteria=[c.id for c in criteria],
    )
    return claim


def decide(
    claim_criterion: ClaimCriterion, assessor: User, decision: Decision, feedback: str
) -> None:
    claim_criterion.decision = decision.value
    claim_criterion.feedback = feedback
    claim_criterion.decided_by_id = assessor.id
    claim_criterion.decided_at = utcnow()
    audit.record(
        assessor,
        "claim.decided",
        "claim",
        claim_criterion.claim_id,
        criterion=claim_criterion.criterion_id,
        decision=decision.value,
    )
