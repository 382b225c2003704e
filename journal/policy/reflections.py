"""Who may read and change what: the SPEC matrix for reflections, in one place.

Pages, the API and (later) exports call these; templates never decide. Reading is decided by
one SQL clause, so `can_read` and the query helpers cannot disagree.
"""

import uuid

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Meeting, Membership, Reflection, SetRole, User, Visibility


def _shared_clause(viewer_id: int, set_id: int | None = None) -> ColumnElement[bool]:
    """True for a reflection that `viewer_id` may read through a set role (not as its author).

    A reflection's sets are its meeting's set, or all its author's candidate sets when unlinked.
    Facilitators of those sets read `facilitator` and `set`; fellow candidates read `set`.
    """
    viewer = aliased(Membership)
    author = aliased(Membership)
    # Nested two levels deep, so correlation to the outer reflection must be explicit.
    meeting_set = (
        select(Meeting.set_id)
        .where(Meeting.id == Reflection.meeting_id)
        .correlate(Reflection)
        .scalar_subquery()
    )
    in_scope = or_(
        and_(Reflection.meeting_id.is_not(None), viewer.set_id == meeting_set),
        and_(
            Reflection.meeting_id.is_(None),
            exists()
            .where(
                author.user_id == Reflection.author_id,
                author.role == SetRole.CANDIDATE.value,
                author.set_id == viewer.set_id,
            )
            .correlate(Reflection, viewer),
        ),
    )
    role_allows = or_(
        and_(
            viewer.role == SetRole.FACILITATOR.value,
            Reflection.visibility.in_([Visibility.FACILITATOR.value, Visibility.SET.value]),
        ),
        and_(viewer.role == SetRole.CANDIDATE.value, Reflection.visibility == Visibility.SET.value),
    )
    conditions = [viewer.user_id == viewer_id, role_allows, in_scope]
    if set_id is not None:
        conditions.append(viewer.set_id == set_id)
    return exists().where(*conditions).correlate(Reflection)


def readable_clause(user: User) -> ColumnElement[bool]:
    return or_(Reflection.author_id == user.id, _shared_clause(user.id))


def readable_reflections(user: User) -> Select[tuple[Reflection]]:
    """Every reflection `user` may read: their own and what was shared with them."""
    return select(Reflection).where(readable_clause(user))


def shared_with(user: User, set_id: int | None = None) -> Select[tuple[Reflection]]:
    """Others' reflections shared with `user`, optionally only through one set."""
    return select(Reflection).where(
        Reflection.author_id != user.id, _shared_clause(user.id, set_id)
    )


def can_read(user: User, reflection: Reflection) -> bool:
    if not user.is_authenticated:
        return False
    if reflection.author_id == user.id:
        return True
    if reflection.visibility == Visibility.PRIVATE:
        return False
    query = select(Reflection.id).where(Reflection.id == reflection.id, _shared_clause(user.id))
    return db.session.scalar(query) is not None


def can_edit(user: User, reflection: Reflection) -> bool:
    """Only the author changes a reflection: facilitators read, they never edit."""
    return user.is_authenticated and reflection.author_id == user.id


def get_reflection(reflection_id: uuid.UUID, check_author: bool = False) -> Reflection:
    """The reflection, if the current user may read it; 404 if not, 403 if read-only for them.

    A 404 for what one may not read keeps its existence secret; a 403 only ever goes to someone
    who can already see it.
    """
    reflection = db.session.get(Reflection, reflection_id)
    if reflection is None or not can_read(current_user, reflection):
        abort(404)
    if check_author and not can_edit(current_user, reflection):
        abort(403)
    return reflection
