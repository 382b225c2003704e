"""Whose calendar a feed's address opens, and what that calendar may show.

A calendar app has no session: the secret in the address is the whole credential. A malformed,
unknown, renewed or turned-off secret is a 404 like any address that does not exist (the feed's
view answers it in plain text, without a cookie). The calendar shows the meetings of the sets
its owner belongs to now, in any role, and the owner's own actions: never anyone else's
reflections, and of the owner's own only ids and dates (journal/calendar/ics.py).
"""

import hmac

from flask import abort
from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import joinedload

from ..calendar.feeds import TOKEN_PATTERN, token_hash
from ..extensions import db
from ..models import CalendarFeed, Meeting, Membership, Reflection, User

# The owner with their memberships and sets, in one query: what the feed is made from.
FEED_OWNER = (
    select(CalendarFeed)
    .where(CalendarFeed.token_hash == bindparam("digest"))
    .options(
        joinedload(CalendarFeed.user)
        .joinedload(User.memberships)
        .joinedload(Membership.learning_set)
    )
)


def get_feed_owner(token: str) -> User:
    """The person whose calendar `token` opens; 404 for anything else."""
    if not TOKEN_PATTERN.fullmatch(token):
        abort(404)
    digest = token_hash(token)
    # Found by the hash through a unique index: timing says nothing of the secret (an attacker
    # would need a preimage to aim at a stored hash). Compared again in constant time all
    # the same, so a collation or index that matched loosely could not let a near miss in.
    feed = db.session.scalars(FEED_OWNER, {"digest": digest}).unique().one_or_none()
    if feed is None or feed.user is None or not hmac.compare_digest(feed.token_hash, digest):
        abort(404)
    return feed.user


def calendar_meetings(owner: User) -> ColumnElement[bool]:
    """Meetings a calendar shows: those of the sets its owner belongs to now."""
    return Meeting.set_id.in_([membership.set_id for membership in owner.memberships])


def calendar_actions(owner: User) -> ColumnElement[bool]:
    """Reflections whose action dates a calendar shows: its owner's own."""
    return Reflection.author_id == owner.id
