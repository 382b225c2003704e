"""The append-only audit trail."""

from datetime import datetime
from typing import Any

from .extensions import db
from .models import AuditEvent, User


def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: Any,
    at: datetime | None = None,
    **detail: Any,
) -> None:
    """Add an event to the current transaction; it commits (or not) with the change it records.

    `at` is the moment the change itself carries (an offer's time), when it has one: now if not.
    """
    event = AuditEvent(
        actor_id=actor.id if actor is not None and actor.is_authenticated else None,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=detail,
    )
    if at is not None:
        event.at = at
    db.session.add(event)
