"""What the administration's tests share besides fixtures: reading pages and the database."""

import html
import re

from flask import Flask
from sqlalchemy import select

from journal.extensions import db
from journal.models import AuditEvent, Enrolment, Invitation, LearningSet, Membership
from tests.reflections.test_pages import Element, parse

__all__ = ["Element", "parse"]


def plain(page: str) -> str:
    """A page's text as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def field_value(page: str, name: str) -> str:
    """What the form's text field `name` holds as shown."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"the page has no field {name}"
    value = re.search(r'value="([^"]*)"', match[0])
    return html.unescape(value[1]) if value else ""


def message_of(page: str, name: str) -> str:
    """The message shown under the field `name` (empty: none)."""
    found = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', page, re.S)
    return plain(found[1]) if found else ""


def problem_of(page: str) -> str:
    """The message at the top of a form refused as a whole (empty: none)."""
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)
    return plain(found[1]) if found else ""


def events(app: Flask, *actions: str) -> list[AuditEvent]:
    """The audit trail, oldest first, only these actions if any are named."""
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if actions:
            query = query.where(AuditEvent.action.in_(actions))
        found = list(db.session.scalars(query))
        db.session.expunge_all()
        return found


def roles_in(app: Flask, set_id: int) -> dict[int, str]:
    """user id -> role, for everyone in the set."""
    with app.app_context():
        query = select(Membership.user_id, Membership.role).where(Membership.set_id == set_id)
        return {user_id: role for user_id, role in db.session.execute(query)}


def set_row(app: Flask, set_id: int) -> tuple[str, str]:
    with app.app_context():
        learning_set = db.session.get(LearningSet, set_id)
        return learning_set.name, learning_set.programme


def enrolment_row(app: Flask, enrolment_id: int) -> Enrolment:
    with app.app_context():
        enrolment = db.session.get(Enrolment, enrolment_id)
        db.session.expunge(enrolment)
        return enrolment


def invitation_row(app: Flask, invitation_id: int) -> Invitation:
    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        db.session.expunge(invitation)
        return invitation
