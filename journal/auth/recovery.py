"""Forgotten passwords: a one-time link by e-mail, valid for an hour, stored as a hash.

Asking does the same work whether or not an account has the address (a token, a link, a job),
so the page answers alike in content, status and time; the job looks the address up, and only
an account's owner gets a message.
"""

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit, jobs
from ..extensions import db
from ..mail import delivery, messages
from ..mail.compose import absolute_url
from ..models import PasswordReset, User, utcnow
from . import accounts


def ask_for_reset(email: str) -> None:
    """Send a reset link to `email` if an account has it; nothing to tell the asker either way."""
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.config["PASSWORD_RESET_LIFETIME"]
    delivery.run_later(
        send_reset_link,
        accounts.normalise_email(email),
        accounts.secret_hash(token),
        absolute_url("auth.reset_password", token=token),
        expires_at.isoformat(),
        # No recipient named: should the log mention this job, it never says for whom (the
        # address may have no account).
        kind="password_reset",
    )


@jobs.task
def send_reset_link(email: str, token_hash: str, link: str, expires_at: str) -> None:
    """The job: store the link's hash and e-mail the link, if an account has this address.
    Run again by RQ after a refusal, it stores nothing twice."""
    user = accounts.find_user(email)
    if user is None:
        return
    known = db.session.scalar(
        select(PasswordReset.id).where(PasswordReset.token_hash == token_hash)
    )
    if known is None:
        db.session.add(
            PasswordReset(
                user_id=user.id,
                token_hash=token_hash,
                expires_at=datetime.fromisoformat(expires_at),
            )
        )
        db.session.commit()
    delivery.deliver(messages.password_reset(user, link), "password_reset")


def open_reset(token: str, now: datetime | None = None) -> PasswordReset | None:
    """The reset this link opens, if unused and unexpired."""
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == accounts.secret_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= (now or utcnow()):
        return None
    return reset


def reset_password(reset: PasswordReset, password: str) -> User | None:
    """Set the new password and use the link up (with every other reset link of the account);
    every session ends. None if another request used the link a moment ago.

    One conditional UPDATE, as for invitations: of two requests with one link, exactly one wins.
    """
    now = utcnow()
    password_hash = accounts.hash_password(password)  # before the write: SQLite's lock stays short
    used = db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.id == reset.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        return None
    set_committed_value(reset, "used_at", now)
    db.session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == reset.user_id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user = reset.user
    user.password_hash = password_hash
    accounts.end_all_sessions(user)
    audit.record(user, "user.password_reset", "user", user.id)
    return user
