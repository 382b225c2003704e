"""Accounts: password hashing and rules, sign-in checks, session tokens, invitations."""

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..extensions import db
from ..models import Invitation, InvitationRole, LearningSet, Membership, User, utcnow
from ..text import unstorable

PASSWORD_MIN = 8
PASSWORD_MAX = 256

# argon2id at OWASP's minimum (19 MiB, 2 passes, 1 lane).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when no account matches, so an unknown address costs what a known one does.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _common_passwords() -> frozenset[str]:
    text = resources.files("journal").joinpath("data/common-passwords.txt").read_text()
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is refused, or None. Length and commonness only: no composition rules."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    lowered = password.lower()
    local_part = email.split("@")[0].lower()
    if lowered in _common_passwords() or (len(local_part) >= 3 and lowered == local_part):
        return "This password is too common or too easy to guess; choose another."
    return None


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    email = normalise_email(email)
    # Also called with a form's email before the form is checked (the throttle's key): an
    # address no account can have is nobody's, not a query (PostgreSQL refuses a NUL: a 500).
    if len(email) > User.email.type.length or unstorable(email) is not None:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def authenticate(email: str, password: str) -> User | None:
    """The account for these credentials, or None, in the same time whichever part was wrong."""
    user = find_user(email)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.session.commit()
    return user


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def end_all_sessions(user: User) -> None:
    """Every session and remember cookie carrying the old token stops working."""
    user.session_token = new_session_token()


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    end_all_sessions(user)


def change_password(user: User, current: str, new: str) -> str | None:
    """Why the change is refused, or None once made (every other session then ends)."""
    if not verify_password(user.password_hash, current):
        return "That is not your current password."
    problem = password_problem(new, user.email)
    if problem is None:
        set_password(user, new)
        audit.record(user, "user.password_changed", "user", user.id)
    return problem


def remove_user(user: User) -> None:
    """Delete an account; its cookies stop working even if the row were ever restored."""
    end_all_sessions(user)
    db.session.flush()
    audit.record(None, "user.removed", "user", user.id)
    db.session.delete(user)


def create_user(email: str, name: str, password: str, is_admin: bool = False) -> User:
    return _add_user(email, name, hash_password(password), is_admin)


def _add_user(email: str, name: str, password_hash: str, is_admin: bool = False) -> User:
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=password_hash,
        is_admin=is_admin,
        session_token=new_session_token(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def secret_hash(token: str) -> str:
    """What is stored of a link's secret (invitations, password resets): a leaked database
    then opens nothing."""
    return _token_hash(token)


class InvitationError(ValueError):
    pass


def invite(
    email: str, role: str, learning_set: LearningSet | None, invited_by: User | None
) -> tuple[Invitation, str]:
    """Create an invitation; returns it and the secret token for the link (shown once)."""
    role = InvitationRole(role)
    needs_set = role in (InvitationRole.CANDIDATE, InvitationRole.FACILITATOR)
    if needs_set and learning_set is None:
        raise InvitationError(f"A {role} is invited into a set: choose one.")
    if not needs_set and learning_set is not None:
        raise InvitationError(f"An {role} is not a member of a set: leave the set empty.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=normalise_email(email),
        role=role.value,
        learning_set=learning_set,
        token_hash=_token_hash(token),
        invited_by_id=invited_by.id if invited_by else None,
        expires_at=utcnow() + current_app.config["INVITATION_LIFETIME"],
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(invited_by, "invitation.created", "invitation", invitation.id, role=role.value)
    return invitation, token


def open_invitation(token: str, now: datetime | None = None) -> Invitation | None:
    """The invitation this token opens, if it is unused, unrevoked and unexpired."""
    invitation = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    now = now or utcnow()
    if invitation is None or invitation.used_at or invitation.revoked_at:
        return None
    if invitation.expires_at <= now:
        return None
    return invitation


def _settle(invitation: Invitation, column: str, now: datetime, *, unexpired: bool) -> bool:
    """Set the invitation's `used_at` or `revoked_at` if it is still neither used nor withdrawn
    (nor expired, when `unexpired`: using needs that, withdrawing does not); True when this
    request did it.

    One conditional UPDATE, not a check then a write: on PostgreSQL a second request waits for
    the first one's row lock and then finds the row settled; on SQLite writers take turns. So of
    two requests with one link (or a use and a withdrawal) at the same moment, exactly one wins.
    """
    still_open = [Invitation.used_at.is_(None), Invitation.revoked_at.is_(None)]
    if unexpired:
        still_open.append(Invitation.expires_at > now)
    settled = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, *still_open)
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    if settled.rowcount != 1:
        return False
    set_committed_value(invitation, column, now)  # what the row now holds, without a 2nd UPDATE
    return True


def revoke_invitation(invitation: Invitation, revoked_by: User | None) -> bool:
    """Withdraw an unused invitation: its link stops working. False if it was already used or
    withdrawn, even a moment ago by another request."""
    if not _settle(invitation, "revoked_at", utcnow(), unexpired=False):
        return False
    audit.record(revoked_by, "invitation.revoked", "invitation", invitation.id)
    return True


def resend_invitation(invitation: Invitation, resent_by: User | None) -> str | None:
    """A new link for an unused, unwithdrawn invitation (expired or not), valid for a new
    lifetime; the old link stops working. None if it was used or withdrawn, even a moment ago.

    One conditional UPDATE of the token's hash, as for using and withdrawing: of a resend and a
    use of the old link at the same moment, exactly one wins.
    """
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + current_app.config["INVITATION_LIFETIME"]
    resent = db.session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(token_hash=_token_hash(token), expires_at=expires_at)
        .execution_options(synchronize_session=False)
    )
    if resent.rowcount != 1:
        return None
    set_committed_value(invitation, "token_hash", _token_hash(token))
    set_committed_value(invitation, "expires_at", expires_at)
    audit.record(resent_by, "invitation.resent", "invitation", invitation.id)
    return token


class InvitationStatus(StrEnum):
    """Where an invitation stands, in the words the administration shows."""

    PENDING = "pending"
    USED = "used"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # revoked by an admin


def invitation_status(invitation: Invitation, now: datetime | None = None) -> InvitationStatus:
    if invitation.used_at is not None:
        return InvitationStatus.USED
    if invitation.revoked_at is not None:
        return InvitationStatus.WITHDRAWN
    if invitation.expires_at <= (now or utcnow()):
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def join_by_invitation(invitation: Invitation, name: str, password: str) -> User | None:
    """The invited person's new account, with what the invitation grants, the invitation used up.

    None when another request used the invitation, or made an account for its address, first:
    the caller then rolls back and nothing of this request is kept (its password included).
    """
    password_hash = hash_password(password)  # before claiming: SQLite's write lock stays short
    if not _settle(invitation, "used_at", utcnow(), unexpired=True):
        return None
    try:
        user = _add_user(invitation.email, name, password_hash)
    except IntegrityError:
        # Another invitation to the same address made its account a moment ago.
        return None
    _grant(invitation, user)
    return user


def accept_invitation(invitation: Invitation, user: User) -> bool:
    """Give an existing account what the invitation grants, and use it up; False (nothing
    given) if another request used it first."""
    if not _settle(invitation, "used_at", utcnow(), unexpired=True):
        return False
    _grant(invitation, user)
    return True


def _grant(invitation: Invitation, user: User) -> None:
    """What a claimed invitation gives: admin rights, or its role in its set."""
    if invitation.role == InvitationRole.ADMIN:
        user.is_admin = True
    elif invitation.set_id is not None:
        membership = db.session.scalar(
            select(Membership).where(
                Membership.set_id == invitation.set_id, Membership.user_id == user.id
            )
        )
        previous = {}
        if membership is None:
            membership = Membership(set_id=invitation.set_id, user_id=user.id)
            db.session.add(membership)
        elif membership.role != invitation.role:
            previous = {"previous_role": membership.role}
        membership.role = invitation.role
        db.session.flush()
        # On the set, like every membership change: its history is read by set.
        audit.record(
            user,
            "membership.joined",
            "set",
            invitation.set_id,
            user_id=user.id,
            role=invitation.role,
            membership_id=membership.id,
            invitation_id=invitation.id,
            **previous,
        )
    audit.record(user, "invitation.used", "invitation", invitation.id)


def admin_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.is_admin)) or 0
