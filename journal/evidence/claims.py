"""Evidence claims: a reflection offered against criteria, frozen as the assessor will judge it.

The lifecycle: a candidate offers a reflection (`offer_reflection`), which freezes one copy of
it (`frozen_copy`, hashed by `content_hash`) into one claim per enrolment whose criteria were
chosen; the enrolment's assessor decides each criterion (`decide_criterion`): accepted, or "not
yet" with feedback; either may comment (`add_comment`); the candidate may withdraw the claim
(`withdraw`) until a criterion of it is accepted. Each step adds an audit event with ids only.

Who may do each is `journal.policy.evidence`'s to say; these functions check only the claim's
state (withdrawn, accepted), with the claim's row locked so that a withdrawal and a decision at
the same moment cannot both pass.
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..extensions import db
from ..models import (
    ClaimComment,
    ClaimCriterion,
    Criterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    Framework,
    Reflection,
    Unit,
    User,
    utcnow,
)

# What a candidate confirms to offer a reflection (the offer form's checkbox; no offer is made
# without it), and what an export says they declared. Every claim was offered under this text;
# changing it would mean storing with each claim the text it was offered under.
DECLARATION = "This reflection is my own work: my own experience and learning, in my own words."
# Bumped if the frozen copy ever gains or loses a key, so a reader knows which definition a
# stored copy follows (README.md, "The frozen copy and its hash").
COPY_FORMAT = 1
# What the candidate wrote, as compared with the live reflection to tell them it changed.
CONTENT_FIELDS = (
    "experience",
    "insight",
    "next_action",
    "action_due",
    "action_status",
    "action_outcome",
    "meeting_id",
)


class ClaimClosed(Exception):
    """The claim's state forbids the step (withdrawn, or accepted): the message says why."""


class AlreadyOffered(Exception):
    """This version of the reflection claims one of these criteria already, in a claim that
    is not withdrawn: the same offer sent twice at once (the database refused the second)."""


def live_offer(reflection: Reflection) -> str:
    """What a live claim's criteria hold (`ClaimCriterion.live_offer`): the reflection's id and
    the version offered; unique per criterion, so a version claims a criterion once."""
    return f"{reflection.id}/{reflection.version}"


def to_the_second(moment: datetime) -> datetime:
    """`moment` in UTC without its fraction of a second, as the frozen copy writes it."""
    return moment.astimezone(UTC).replace(microsecond=0)


def timestamp(moment: datetime) -> str:
    return to_the_second(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def moment(stamp: str | None) -> datetime | None:
    """A frozen copy's timestamp back as an aware datetime (None if absent or unreadable)."""
    try:
        return datetime.strptime(stamp or "", "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def frozen_copy(reflection: Reflection, offered_at: datetime) -> dict[str, Any]:
    """The reflection as offered: its words, its action, and when it was written and offered.

    Only strings, integers and nulls, so that the canonical form (and the hash) is the same on
    every database and in every language that reads it back.
    """
    return {
        "format": COPY_FORMAT,
        "reflection_id": str(reflection.id),
        "reflection_version": reflection.version,
        "written_at": timestamp(reflection.created_at),
        "offered_at": timestamp(offered_at),
        "experience": reflection.experience,
        "insight": reflection.insight,
        "next_action": reflection.next_action,
        "action_due": reflection.action_due.isoformat() if reflection.action_due else None,
        "action_status": reflection.action_status,
        "action_outcome": reflection.action_outcome,
        "meeting_id": reflection.meeting_id,
    }


def canonical(copy: dict[str, Any]) -> bytes:
    """The one serialisation that is hashed: JSON, keys sorted, no whitespace, UTF-8."""
    text = json.dumps(
        copy, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def content_hash(copy: dict[str, Any]) -> str:
    """SHA-256 of the canonical form, in hex: the same content always gives the same hash."""
    return hashlib.sha256(canonical(copy)).hexdigest()


def verifies(claim: EvidenceClaim) -> bool:
    """Whether the stored copy still has the hash stored with it."""
    return content_hash(claim.frozen_content) == claim.content_sha256


def live_differs(claim: EvidenceClaim, live: Reflection | None) -> bool:
    """Whether the reflection (None: deleted) now says something other than what was offered."""
    if live is None:
        return True
    now = frozen_copy(live, claim.offered_at)
    return any(claim.frozen_content.get(name) != now[name] for name in CONTENT_FIELDS)


# Offering ----------------------------------------------------------------------------------


def offer(
    reflection: Reflection,
    enrolment: Enrolment,
    criteria: list[Criterion],
    offered_at: datetime | None = None,
) -> EvidenceClaim:
    """One claim: the reflection frozen now, offered against `criteria` of `enrolment`.

    AlreadyOffered if a live claim holds one of them for this version already (the session
    must then be rolled back).
    """
    moment = to_the_second(offered_at or utcnow())
    copy = frozen_copy(reflection, moment)
    key = live_offer(reflection)
    claim = EvidenceClaim(
        enrolment=enrolment,
        reflection=reflection,
        frozen_content=copy,
        content_sha256=content_hash(copy),
        offered_at=moment,
        criteria=[ClaimCriterion(criterion=criterion, live_offer=key) for criterion in criteria],
    )
    db.session.add(claim)
    try:
        db.session.flush()
    except IntegrityError as refused:
        raise AlreadyOffered(key) from refused
    audit.record(
        reflection.author,
        "claim.offered",
        "claim",
        claim.id,
        at=moment,
        reflection=str(reflection.id),
        version=reflection.version,
        criteria=[c.id for c in criteria],
    )
    return claim


@dataclass
class Offer:
    """What a candidate may offer a reflection against: their enrolments, each with its
    framework's units and criteria loaded, and the criteria the reflection already claims as
    it stands now (in claims not withdrawn), which offering again would only repeat."""

    enrolments: list[Enrolment]
    claimed_as_is: set[int] = field(default_factory=set)

    def criterion(self, criterion_id: int) -> tuple[Enrolment, Criterion] | None:
        for enrolment in self.enrolments:
            for unit in enrolment.framework.units:
                for criterion in unit.criteria:
                    if criterion.id == criterion_id:
                        return enrolment, criterion
        return None

    def refusal(self, criterion_ids: list[int]) -> str | None:
        """Why these criteria cannot be offered, if they cannot."""
        if any(self.criterion(i) is None for i in criterion_ids):
            return "Choose among your own qualification's criteria."
        if self.claimed_as_is.intersection(criterion_ids):
            return (
                "Already offered against these as the reflection stands: change it, or"
                " withdraw that claim, to offer it again."
            )
        return None


def offer_choices(candidate: User, reflection: Reflection) -> Offer:
    """The candidate's enrolments with their criteria, and what the reflection claims already
    as it stands (two queries, however many frameworks and claims)."""
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.candidate_id == candidate.id)
        .options(
            joinedload(Enrolment.framework).joinedload(Framework.units).joinedload(Unit.criteria),
            joinedload(Enrolment.assessor),
        )
        .order_by(Enrolment.id)
    ).unique()
    earlier = db.session.scalars(
        select(EvidenceClaim)
        .join(Enrolment)
        .where(
            Enrolment.candidate_id == candidate.id,
            EvidenceClaim.reflection_id == reflection.id,
            EvidenceClaim.withdrawn_at.is_(None),
        )
        .options(joinedload(EvidenceClaim.criteria))
    ).unique()
    claimed = {
        c.criterion_id
        for claim in earlier
        if not live_differs(claim, reflection)
        for c in claim.criteria
    }
    return Offer(list(enrolments), claimed)


def offer_reflection(
    candidate: User, reflection: Reflection, choices: Offer, criterion_ids: list[int]
) -> list[EvidenceClaim]:
    """Freeze the reflection once and offer it: one claim per enrolment whose criteria were
    chosen (each goes to that enrolment's assessor). The ids must be among `choices`."""
    if reflection.author_id != candidate.id:
        raise ValueError("only its author offers a reflection")
    moment = to_the_second(utcnow())
    by_enrolment: dict[int, tuple[Enrolment, list[Criterion]]] = {}
    for criterion_id in dict.fromkeys(criterion_ids):
        found = choices.criterion(criterion_id)
        if found is None:
            raise ValueError(criterion_id)
        enrolment, criterion = found
        by_enrolment.setdefault(enrolment.id, (enrolment, []))[1].append(criterion)
    made = []
    for enrolment, criteria in by_enrolment.values():
        # The framework's order, whatever order the boxes came in.
        criteria.sort(key=lambda c: (c.unit.position, c.position, c.id))
        made.append(offer(reflection, enrolment, criteria, moment))
    return made


def earlier_offer(reflection: Reflection, criterion_ids: list[int]) -> EvidenceClaim | None:
    """The live claim by which this version of the reflection claims one of these criteria."""
    return db.session.scalar(
        select(EvidenceClaim)
        .join(ClaimCriterion)
        .where(
            ClaimCriterion.live_offer == live_offer(reflection),
            ClaimCriterion.criterion_id.in_(criterion_ids),
        )
        .order_by(EvidenceClaim.id)
        .limit(1)
    )


# Withdrawing, deciding, commenting -----------------------------------------------------------


def _lock(claim: EvidenceClaim) -> datetime | None:
    """Lock the claim's row for this transaction and read whether it is withdrawn now.

    On PostgreSQL this puts a withdrawal and a decision of one claim one after the other (they
    change different rows, so their conditional UPDATEs alone could both pass there). SQLite
    ignores FOR UPDATE, and what it reads here may be stale by the time it writes; but it lets
    one connection write at a time, so there the conditional UPDATE, run holding the write lock,
    is what decides (README.md, "Deciding, commenting, withdrawing").
    """
    return db.session.scalar(
        select(EvidenceClaim.withdrawn_at).where(EvidenceClaim.id == claim.id).with_for_update()
    )


def has_accepted(claim: EvidenceClaim) -> bool:
    return any(c.decision == Decision.ACCEPTED for c in claim.criteria)


WITHDRAWN_ALREADY = "This claim was withdrawn already."
ACCEPTED_STAYS = "Accepted evidence cannot be withdrawn."
WITHDRAWN_UNDECIDABLE = "This claim was withdrawn: it can no longer be decided."


def withdraw(claim: EvidenceClaim, candidate: User) -> None:
    """Take the whole claim out of assessment, unless a criterion of it is accepted.

    Its decisions and feedback stay on record (a "not yet" stays a "not yet"); its pending
    criteria will not be decided. The reflection may be offered again: a new claim, a new copy.
    ClaimClosed if it is withdrawn or has an accepted criterion as it is written.
    """
    if _lock(claim) is not None:
        raise ClaimClosed(WITHDRAWN_ALREADY)
    accepted = exists().where(
        ClaimCriterion.claim_id == EvidenceClaim.id,
        ClaimCriterion.decision == Decision.ACCEPTED.value,
    )
    moment = utcnow()
    written = db.session.execute(
        update(EvidenceClaim)
        .where(EvidenceClaim.id == claim.id, EvidenceClaim.withdrawn_at.is_(None), ~accepted)
        .values(withdrawn_at=moment)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:
        now_withdrawn = db.session.scalar(
            select(EvidenceClaim.withdrawn_at).where(EvidenceClaim.id == claim.id)
        )
        raise ClaimClosed(WITHDRAWN_ALREADY if now_withdrawn else ACCEPTED_STAYS)
    set_committed_value(claim, "withdrawn_at", moment)
    # Its criteria no longer hold this version of the reflection: it may be offered again.
    db.session.execute(
        update(ClaimCriterion).where(ClaimCriterion.claim_id == claim.id).values(live_offer=None)
    )
    audit.record(candidate, "claim.withdrawn", "claim", claim.id)


def decide(
    claim_criterion: ClaimCriterion,
    assessor: User,
    decision: Decision,
    feedback: str,
    at: datetime | None = None,
) -> None:
    """Record a decision as it is (the demo's; a page decides through `decide_criterion`)."""
    moment = at or utcnow()
    claim_criterion.decision = decision.value
    claim_criterion.feedback = feedback
    claim_criterion.decided_by_id = assessor.id
    claim_criterion.decided_at = moment
    _audit_decision(claim_criterion, assessor, moment)


def _audit_decision(claimed: ClaimCriterion, assessor: User, moment: datetime) -> None:
    audit.record(
        assessor,
        "claim.decided",
        "claim",
        claimed.claim_id,
        at=moment,
        criterion=claimed.criterion_id,
        decision=claimed.decision,
    )


def decide_criterion(
    claim: EvidenceClaim, criterion_id: int, assessor: User, decision: Decision, feedback: str
) -> None:
    """Record the assessor's decision on one criterion of an open claim (a decision may be
    changed: each is in the audit trail). LookupError for a criterion the claim lacks;
    ClaimClosed if the claim is withdrawn as the decision is written."""
    claimed = next((c for c in claim.criteria if c.criterion_id == criterion_id), None)
    if claimed is None:
        raise LookupError(criterion_id)
    if _lock(claim) is not None:
        raise ClaimClosed(WITHDRAWN_UNDECIDABLE)
    if (claimed.decision, claimed.feedback) == (decision.value, feedback):
        return  # sent twice: nothing new to record
    values = {
        "decision": decision.value,
        "feedback": feedback,
        "decided_by_id": assessor.id,
        "decided_at": utcnow(),
    }
    still_open = exists().where(
        EvidenceClaim.id == ClaimCriterion.claim_id, EvidenceClaim.withdrawn_at.is_(None)
    )
    written = db.session.execute(
        update(ClaimCriterion)
        .where(ClaimCriterion.id == claimed.id, still_open)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:
        raise ClaimClosed(WITHDRAWN_UNDECIDABLE)
    for name, value in values.items():
        set_committed_value(claimed, name, value)
    _audit_decision(claimed, assessor, values["decided_at"])


def add_comment(
    claim: EvidenceClaim, author: User, body: str, at: datetime | None = None
) -> ClaimComment:
    if _lock(claim) is not None:
        raise ClaimClosed("This claim was withdrawn: its comments are closed.")
    moment = at or utcnow()
    comment = ClaimComment(claim_id=claim.id, author_id=author.id, body=body, created_at=moment)
    db.session.add(comment)
    db.session.flush()
    audit.record(author, "claim.commented", "claim", claim.id, at=moment, comment=comment.id)
    return comment


def live_reflection(claim: EvidenceClaim) -> Reflection | None:
    """The reflection the claim was offered from, if it still exists (for its candidate only:
    an assessor reads the frozen copy, never this)."""
    if claim.reflection_id is None:
        return None
    reflection = db.session.get(Reflection, claim.reflection_id)
    # SQLite does not enforce the foreign key, so a deleted reflection's id may linger.
    if reflection is None or reflection.author_id != claim.enrolment.candidate_id:
        return None
    return reflection
