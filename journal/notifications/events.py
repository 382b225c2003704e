"""Events and who is told of them: a job per event works out the recipients (by the policy),
then e-mails each at once or keeps the event for their digest, as each chose on Account."""

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import jobs
from ..cli import LOCAL_URL
from ..extensions import db
from ..mail import delivery
from ..models import (
    ClaimComment,
    Comment,
    EmailChoice,
    EvidenceClaim,
    Notification,
    Reflection,
    User,
    utcnow,
)
from ..policy import may_be_told
from . import messages


@dataclass(frozen=True)
class Told:
    """One person to be told of one event: `kind` as journal.policy.notifications names it."""

    user: User
    kind: str
    actor: User | None
    target: str


# Called by the pages once their change is committed: ids only, so the page reads nothing more
# (and with RQ, the job reads what was committed).


def reflection_commented(comment_id: int) -> None:
    _later("reflection.comment", comment_id)


def claim_offered(claim_id: int) -> None:
    _later("claim.offered", claim_id)


def claim_decided(claim_id: int, criterion_id: int) -> None:
    _later("claim.decided", claim_id, criterion_id)


def claim_commented(comment_id: int) -> None:
    _later("claim.comment", comment_id)


def _later(event: str, *ids: int) -> None:
    delivery.run_later(tell, event, *ids, kind="notification")


def links_from_base_url() -> AbstractContextManager:
    """Where a job builds its links: BASE_URL (or SERVER_NAME), never a request; production
    requires one of them. In development without either (`make run`), the local server's
    address, as the invite command does."""
    config = current_app.config
    if config.get("BASE_URL") or config.get("SERVER_NAME"):
        return nullcontext()
    return current_app.test_request_context(base_url=LOCAL_URL)


@jobs.task
def tell(event: str, *ids: int) -> None:
    """The job: tell each person who may know of the event, as they chose. The digest's events
    are committed before any message is sent: a message that fails rolls the session back."""
    with links_from_base_url():
        messages_now = _record_and_compose(event, *ids)
    # Outside that context: a message is sent as a job's, not as a request's (after it).
    for message in messages_now:
        delivery.send_later(message, kind="notification")


def _record_and_compose(event: str, *ids: int) -> list[EmailMessage]:
    """Keep the event for those who chose a digest (committed), and compose the message of
    each who chose each time."""
    now: list[Told] = []
    for told in RECIPIENTS[event](*ids):
        if told.user.id == (told.actor.id if told.actor else None):
            continue  # nobody is told of what they did themselves
        if not may_be_told(told.user, told.kind, told.target):
            continue
        choice = told.user.email_notifications
        if choice == EmailChoice.EACH:
            now.append(told)
        elif choice == EmailChoice.DAILY:
            db.session.add(
                Notification(
                    user_id=told.user.id,
                    kind=told.kind,
                    actor_id=told.actor.id if told.actor else None,
                    target=told.target,
                )
            )
    composed = [messages.one_event(told) for told in now]
    db.session.commit()
    return composed


def _reflection_comment(comment_id: int) -> list[Told]:
    """The author, of someone else's comment; of the author's answer, everyone else who has
    commented on the reflection (a facilitator who asked a question expects to hear back)."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        return []
    reflection: Reflection = comment.reflection
    target = str(reflection.id)
    if comment.author_id != reflection.author_id:
        return [Told(reflection.author, "reflection.comment", comment.author, target)]
    earlier = db.session.scalars(
        select(User)
        .join(Comment, Comment.author_id == User.id)
        .where(Comment.reflection_id == reflection.id, Comment.author_id != reflection.author_id)
        .distinct()
        .order_by(User.id)
    )
    return [Told(user, "reflection.answer", comment.author, target) for user in earlier]


def _claim(claim_id: int) -> EvidenceClaim | None:
    return db.session.scalar(
        select(EvidenceClaim)
        .where(EvidenceClaim.id == claim_id)
        .options(joinedload(EvidenceClaim.enrolment))
    )


def _claim_offered(claim_id: int) -> list[Told]:
    claim = _claim(claim_id)
    if claim is None or claim.enrolment.assessor is None:
        return []
    enrolment = claim.enrolment
    return [Told(enrolment.assessor, "claim.offered", enrolment.candidate, str(claim.id))]


def _claim_decided(claim_id: int, criterion_id: int) -> list[Told]:
    claim = _claim(claim_id)
    criteria = claim.criteria if claim is not None else []
    claimed = next((c for c in criteria if c.criterion_id == criterion_id), None)
    if claimed is None:
        return []
    return [Told(claim.enrolment.candidate, "claim.decided", claimed.decided_by, str(claim.id))]


def _claim_comment(comment_id: int) -> list[Told]:
    comment = db.session.get(ClaimComment, comment_id)
    claim = _claim(comment.claim_id) if comment is not None else None
    if claim is None:
        return []
    enrolment, target = claim.enrolment, str(claim.id)
    if comment.author_id == enrolment.candidate_id:
        if enrolment.assessor is None:
            return []
        return [Told(enrolment.assessor, "claim.candidate_comment", comment.author, target)]
    return [Told(enrolment.candidate, "claim.comment", comment.author, target)]


RECIPIENTS = {
    "reflection.comment": _reflection_comment,
    "claim.offered": _claim_offered,
    "claim.decided": _claim_decided,
    "claim.comment": _claim_comment,
}


# The daily digest ---------------------------------------------------------------------------


def send_digests() -> int:
    """Send each person who has events waiting their events in one message, and mark them sent
    (events of someone who has since chosen "never" are marked sent without a message; events
    they may no longer read are left out). The number of digests sent."""
    waiting = db.session.scalars(
        select(Notification)
        .where(Notification.sent_at.is_(None))
        .options(joinedload(Notification.user), joinedload(Notification.actor))
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    by_user: dict[int, list[Notification]] = {}
    for event in waiting:
        by_user.setdefault(event.user_id, []).append(event)
    moment, sent = utcnow(), 0
    for events in by_user.values():
        user = events[0].user
        told = [
            Told(user, e.kind, e.actor, e.target)
            for e in events
            if may_be_told(user, e.kind, e.target)
        ]
        if told and user.email_notifications != EmailChoice.NEVER:
            with links_from_base_url():
                message = messages.digest(user, told)
            delivery.send_later(message, kind="digest")
            sent += 1
        for event in events:
            event.sent_at = moment
    db.session.commit()
    return sent
