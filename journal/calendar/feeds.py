"""Private calendar addresses: made, renewed and turned off from *Account*.

The secret in the address is the credential (a calendar app has no session), so it is treated
like an invitation's: 256 random bits, only its SHA-256 kept, shown once when it is made.
Renewing replaces the hash (the old address stops working at once); turning the feed off
deletes it. Each is an audit event with ids only, never the secret or its hash.
"""

import hashlib
import logging
import re
import secrets

from flask import Flask
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import CalendarFeed, User, utcnow

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet. Anything else in an
# address is not a token, and is refused before any query.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    """The user's calendar feed, if it is on."""
    return db.session.get(CalendarFeed, user.id)


def turn_on(user: User) -> tuple[str, bool]:
    """Give the user a new calendar address; returns its secret (to show once) and whether it
    replaced one (renewed: the old address stops working when this commits)."""
    token = new_token()
    values = {"token_hash": token_hash(token), "created_at": utcnow()}
    renewed = _replace(user, values)
    if not renewed:
        try:
            with db.session.begin_nested():
                db.session.add(CalendarFeed(user_id=user.id, **values))
        except IntegrityError:
            # The same button sent twice at once: the other request made one a moment ago.
            renewed = _replace(user, values)
    action = "calendar.renewed" if renewed else "calendar.created"
    audit.record(user, action, "calendar_feed", user.id)
    return token, renewed


def _replace(user: User, values: dict) -> bool:
    replaced = db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    return replaced.rowcount == 1


def turn_off(user: User) -> bool:
    """Delete the user's calendar address; False if it was already off."""
    removed = db.session.execute(
        delete(CalendarFeed)
        .where(CalendarFeed.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    if removed.rowcount != 1:
        return False
    audit.record(user, "calendar.revoked", "calendar_feed", user.id)
    return True


# Logs ------------------------------------------------------------------------------------------

FEED_PATH = re.compile(r"/calendar/[^/\s\"?]+\.ics")
HIDDEN_PATH = "/calendar/[hidden].ics"


class HideFeedTokens(logging.Filter):
    """Rewrites a log line that holds a feed's address, so the secret never reaches a log: the
    development server logs every request line (logger `werkzeug`), the app logs errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if FEED_PATH.search(message):
            record.msg, record.args = FEED_PATH.sub(HIDDEN_PATH, message), ()
        return True


def hide_tokens_in_logs(app: Flask) -> None:
    for logger in (logging.getLogger("werkzeug"), app.logger):
        if not any(isinstance(f, HideFeedTokens) for f in logger.filters):
            logger.addFilter(HideFeedTokens())
