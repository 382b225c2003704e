"""Who is in a set: adding someone with an account, moving them to another set, removing them.

A person holds one role per set. Removing or moving someone never touches what they wrote:
their reflections stay theirs, and what they shared with a set they left is no longer read
there, because `journal/policy/reflections.py` reads a reflection in its set only while its
author is still a candidate of that set. Every change is recorded on the set(s) it changed. The
caller commits; moving is one transaction (remove from one set, add to the other).
"""

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import LearningSet, Membership, SetRole, User
from .history import source


class MembershipError(ValueError):
    """Why a membership cannot change as asked."""


class MemberGone(MembershipError):
    """The membership was taken away (moved or removed) by someone else since it was read."""


def membership(set_id: int, user_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.set_id == set_id, Membership.user_id == user_id)
    )


def _already_in(user: User, learning_set: LearningSet, role: str) -> MembershipError:
    return MembershipError(
        f"{user.name} is already in {learning_set.name} as {role}: a person holds one role per set."
    )


def _insert(user: User, learning_set: LearningSet, role: str) -> Membership:
    """The new membership, flushed; someone adding the same person a moment ago is a refusal."""
    added = Membership(set_id=learning_set.id, user_id=user.id, role=role)
    db.session.add(added)
    try:
        db.session.flush()
    except IntegrityError as error:
        problem = _already_in(user, learning_set, role)
        db.session.rollback()
        raise problem from error
    return added


def add_member(actor: User | None, learning_set: LearningSet, user: User, role: str) -> Membership:
    role = SetRole(role).value
    existing = membership(learning_set.id, user.id)
    if existing is not None:
        raise _already_in(user, learning_set, existing.role)
    added = _insert(user, learning_set, role)
    audit.record(
        actor,
        "membership.added",
        "set",
        learning_set.id,
        user_id=user.id,
        role=role,
        membership_id=added.id,
        **source(actor),
    )
    return added


def remove_member(actor: User | None, member: Membership) -> None:
    audit.record(
        actor,
        "membership.removed",
        "set",
        member.set_id,
        user_id=member.user_id,
        role=member.role,
        membership_id=member.id,
        **source(actor),
    )
    _take_out(member, member.user, member.learning_set)


def _take_out(member: Membership, user: User, learning_set: LearningSet) -> None:
    """Delete the membership's row, or refuse when it is gone: of two moves (or a move and a
    removal) at once, the second DELETE waits for the first to commit, then removes nothing.
    The ORM's delete only warns of that; going on would put the person in both sets."""
    taken = db.session.execute(
        # By who and where, not the id alone: SQLite may give a rival's new row the same id.
        delete(Membership).where(
            Membership.id == member.id,
            Membership.set_id == member.set_id,
            Membership.user_id == member.user_id,
        ),
        execution_options={"synchronize_session": False},
    )
    if taken.rowcount != 1:
        raise MemberGone(
            f"{user.name} is no longer in {learning_set.name}: someone moved or removed them a"
            " moment ago. Nothing was changed."
        )
    # Its row is gone: the session must not write or reload it (what was read stays readable).
    db.session.expunge(member)


def move_member(actor: User | None, member: Membership, to_set: LearningSet) -> Membership:
    """Take the member out of their set and into `to_set`, in the same role."""
    user, from_set = member.user, member.learning_set
    if to_set.id == from_set.id:
        raise MembershipError(f"{user.name} is in {from_set.name} already: choose another set.")
    existing = membership(to_set.id, user.id)
    if existing is not None:
        raise _already_in(user, to_set, existing.role)
    role, old_id = member.role, member.id
    _take_out(member, user, from_set)
    moved = _insert(user, to_set, role)
    detail = {
        "user_id": user.id,
        "role": role,
        "from_set_id": from_set.id,
        "to_set_id": to_set.id,
        "membership_id": moved.id,
        "previous_membership_id": old_id,
        **source(actor),
    }
    # On both sets: each one's history shows the move.
    audit.record(actor, "membership.moved", "set", from_set.id, **detail)
    audit.record(actor, "membership.moved", "set", to_set.id, **detail)
    return moved
