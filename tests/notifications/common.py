"""Helpers of the notification tests: a page's POST answered as a server answers it (closed,
so the job that runs after the response runs), and what the database holds."""

import re

from flask import Flask
from sqlalchemy import select

from journal.extensions import db
from journal.models import Notification, User

BASE_URL = "https://journal.example.org/cohort"
LINK = re.compile(r"https?://[^\s\"'<>]+")


def send(visitor, url: str, data: dict, csrf: bool = True):
    """POST as the browser does; `buffered` closes the response, as a server does."""
    body = {"csrf_token": visitor.token, **data} if csrf else data
    return visitor.client.post(url, data=body, buffered=True)


def choose(app: Flask, user: User, choice: str) -> None:
    with app.app_context():
        db.session.get(User, user.id).email_notifications = choice
        db.session.commit()


def choice_of(app: Flask, user: User) -> str:
    with app.app_context():
        return db.session.get(User, user.id).email_notifications


def waiting(app: Flask) -> list[tuple[int, str, str, bool]]:
    """Every recorded event: (recipient id, kind, target, sent)."""
    with app.app_context():
        rows = db.session.scalars(select(Notification).order_by(Notification.id)).all()
        return [(n.user_id, n.kind, n.target, n.sent_at is not None) for n in rows]
