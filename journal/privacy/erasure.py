"""Delete my account (README.md "Your data"): everything the person wrote goes, except evidence
an assessor accepted, which the qualification's rules keep.

What goes: their reflections (with every comment on them, whoever wrote it: a comment is read
through its reflection and means nothing without it), every comment they wrote anywhere, their
evidence that was not accepted (pending, not yet, withdrawn), the criteria of kept evidence that
were not accepted, their exports, memberships, calendar feed, reset links, invitations to their
address, failed e-mail to it, and the account's e-mail address and password. What stays:
each claim with an accepted criterion, as its frozen copy and hash (never the live reflection,
which goes), its accepted criteria and the assessor's words on it, in its enrolment, under the
person's name alone; and the audit trail, which holds ids, never words. When nothing is kept, the
account's row goes too; otherwise it stays as that name, unable to sign in (`deleted_at`).

Every reference is removed or emptied here, in this order, rather than left to ON DELETE rules:
SQLite enforces no foreign keys in this app, and the same statements run on PostgreSQL.
"""

import uuid
from typing import Any

from sqlalchemy import delete, exists, select, update

from .. import audit
from ..auth.accounts import end_all_sessions
from ..extensions import db
from ..models import (
    AuditEvent,
    CalendarFeed,
    ClaimComment,
    ClaimCriterion,
    Comment,
    DataExport,
    Decision,
    Enrolment,
    EvidenceClaim,
    FailedMail,
    Invitation,
    Membership,
    PasswordReset,
    PortfolioExport,
    Reflection,
    ReflectionTombstone,
    User,
    utcnow,
)

# Not a hash: no password verifies against it (accounts.verify_password answers False).
UNUSABLE_PASSWORD = "!deleted"  # nosec B105 # noqa: S105 - a marker no password verifies against


def kept_claims(user: User) -> list[int]:
    """The person's claims an assessor accepted (a criterion at least), not withdrawn."""
    accepted = exists().where(
        ClaimCriterion.claim_id == EvidenceClaim.id,
        ClaimCriterion.decision == Decision.ACCEPTED.value,
    )
    return list(
        db.session.scalars(
            select(EvidenceClaim.id)
            .join(Enrolment, Enrolment.id == EvidenceClaim.enrolment_id)
            .where(
                Enrolment.candidate_id == user.id,
                EvidenceClaim.withdrawn_at.is_(None),
                accepted,
            )
            .order_by(EvidenceClaim.id)
        )
    )


def is_deleted(user_id: int) -> bool:
    """No account has this id any more, or it was deleted (kept for accepted evidence)."""
    found = db.session.execute(select(User.deleted_at).where(User.id == user_id)).first()
    return found is None or found.deleted_at is not None


def delete_account(user: User, actor: User, reason: str = "") -> list[int]:
    """Delete `user`'s account as `actor` (themselves, or an admin with a `reason`), recorded in
    the audit trail without anyone's words; the claims kept. The caller commits."""
    kept = kept_claims(user)
    enrolments = select(Enrolment.id).where(Enrolment.candidate_id == user.id)
    _delete_writing(user)
    _delete_evidence(user, enrolments, kept)
    _delete_account_rows(user, enrolments)
    _forget_them_elsewhere(user)
    detail: dict[str, Any] = {"by": "self" if actor.id == user.id else "admin", "kept_claims": kept}
    if reason:
        detail["reason"] = reason
    audit.record(actor, "user.deleted", "user", user.id, **detail)
    end_all_sessions(user)
    if kept:
        user.email = f"deleted-{uuid.uuid4().hex}@deleted.invalid"
        user.password_hash = UNUSABLE_PASSWORD
        user.is_admin = False
        user.deleted_at = utcnow()
        db.session.flush()
    else:
        db.session.execute(
            update(AuditEvent).where(AuditEvent.actor_id == user.id).values(actor_id=None)
        )
        db.session.flush()
        db.session.expunge(user)
        db.session.execute(delete(User).where(User.id == user.id))
    return kept


def _delete_writing(user: User) -> None:
    """Reflections and their comments, every comment they wrote, their tombstones."""
    theirs = select(Reflection.id).where(Reflection.author_id == user.id)
    db.session.execute(
        delete(Comment).where(Comment.reflection_id.in_(theirs) | (Comment.author_id == user.id))
    )
    db.session.execute(delete(ClaimComment).where(ClaimComment.author_id == user.id))
    # Kept claims keep their frozen copy; the live reflection they came from goes.
    db.session.execute(
        update(EvidenceClaim)
        .where(EvidenceClaim.reflection_id.in_(theirs))
        .values(reflection_id=None)
    )
    db.session.execute(delete(ReflectionTombstone).where(ReflectionTombstone.author_id == user.id))
    db.session.execute(delete(Reflection).where(Reflection.author_id == user.id))


def _delete_evidence(user: User, enrolments: Any, kept: list[int]) -> None:
    """Claims not kept (with their criteria and comments), criteria of kept ones that were not
    accepted, exports of their portfolios, and enrolments with nothing kept."""
    gone = select(EvidenceClaim.id).where(
        EvidenceClaim.enrolment_id.in_(enrolments), EvidenceClaim.id.not_in(kept)
    )
    db.session.execute(delete(ClaimComment).where(ClaimComment.claim_id.in_(gone)))
    db.session.execute(delete(ClaimCriterion).where(ClaimCriterion.claim_id.in_(gone)))
    db.session.execute(
        delete(ClaimCriterion).where(
            ClaimCriterion.claim_id.in_(kept),
            ClaimCriterion.decision != Decision.ACCEPTED.value,
        )
    )
    db.session.execute(delete(EvidenceClaim).where(EvidenceClaim.id.in_(gone)))
    db.session.execute(
        delete(PortfolioExport).where(
            PortfolioExport.enrolment_id.in_(enrolments)
            | (PortfolioExport.requested_by_id == user.id)
        )
    )
    with_kept = select(EvidenceClaim.enrolment_id).where(EvidenceClaim.id.in_(kept))
    db.session.execute(
        delete(Enrolment).where(Enrolment.candidate_id == user.id, Enrolment.id.not_in(with_kept))
    )


def _delete_account_rows(user: User, enrolments: Any) -> None:
    for table, column in (
        (DataExport, DataExport.user_id),
        (Membership, Membership.user_id),
        (CalendarFeed, CalendarFeed.user_id),
        (PasswordReset, PasswordReset.user_id),
    ):
        db.session.execute(delete(table).where(column == user.id))
    db.session.execute(delete(Invitation).where(Invitation.email == user.email))
    db.session.execute(delete(FailedMail).where(FailedMail.recipient == user.email))
    db.session.expire(user, ["memberships", "calendar_feed"])


def _forget_them_elsewhere(user: User) -> None:
    """What others hold that names them: the candidates they assess have none now, decisions
    and invitations they made stay without their name."""
    for table, column in (
        (Enrolment, Enrolment.assessor_id),
        (ClaimCriterion, ClaimCriterion.decided_by_id),
        (Invitation, Invitation.invited_by_id),
    ):
        db.session.execute(update(table).where(column == user.id).values({column.key: None}))
