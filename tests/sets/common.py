"""What the set pages' tests share besides fixtures: reading the database and pages."""

import uuid

from flask import Flask
from sqlalchemy import select

from journal.extensions import db
from journal.models import AuditEvent, Meeting
from tests.reflections.test_pages import Element, card_ids

PAGE_SIZE = 3


def stored_meeting(app: Flask, meeting_id: int) -> Meeting | None:
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        if meeting is not None:
            db.session.expunge(meeting)
        return meeting


def meetings_of(app: Flask, set_id: int) -> list[Meeting]:
    with app.app_context():
        found = list(
            db.session.scalars(select(Meeting).where(Meeting.set_id == set_id).order_by(Meeting.id))
        )
        db.session.expunge_all()
        return found


def audit_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        db.session.expunge_all()
        return found


def reflection_ids(page: Element) -> set[uuid.UUID]:
    return set(card_ids(page))
