"""Who may read and change a reflection: SPEC.md's matrix, in one SQL clause.

A reflection reaches at most one set, its audience set (`Reflection.set_id`), fixed when it is
saved. There it is read by that set's *current* facilitators (visibility `facilitator` or `set`)
and *current* candidates (`set`), and only while its author is still a candidate of that set.
The viewer's roles come from their memberships as loaded for this request; the author's from
the database. So membership changes only ever remove readers: joining another set never widens
an audience, leaving a set ends what the author shared there. `can_read` and every list use the
same clause, so they cannot disagree.
"""

import uuid

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Membership, Reflection, SetRole, User, Visibility


def _author_still_in_set() -> ColumnElement[bool]:
    """True while the reflection's author is still a candidate of its audience set."""
    author = aliased(Membership)
    return (
        exists()
        .where(
            author.user_id == Reflection.author_id,
            author.set_id == Reflection.set_id,
            author.role == SetRole.CANDIDATE.value,
        )
        .correlate(Reflection)
    )


# Built once: it names no viewer, and building it (an alias and a subquery) on every request
# cost more than running it.
AUTHOR_STILL_IN_SET = _author_still_in_set()


def _shared_clause(viewer: User, set_id: int | None = None) -> ColumnElement[bool]:
    """True for a reflection that `viewer` may read through a set role (not as its author).

    Built from the viewer's own memberships (loaded with them, see `auth.views.load_user`) as
    literal set ids: the database then reads only those sets' rows through the (set_id,
    updated_at) index, so a list costs what the viewer's sets hold, never what the whole
    installation holds.
    """
    memberships = [m for m in viewer.memberships if set_id is None or m.set_id == set_id]
    if not memberships:
        return false()
    facilitated = [m.set_id for m in memberships if m.role == SetRole.FACILITATOR]
    return and_(
        Reflection.set_id.in_([m.set_id for m in memberships]),
        or_(
            Reflection.visibility == Visibility.SET.value,
            and_(
                Reflection.visibility == Visibility.FACILITATOR.value,
                Reflection.set_id.in_(facilitated),
            ),
        ),
        AUTHOR_STILL_IN_SET,
    )


def readable_clause(user: User) -> ColumnElement[bool]:
    return or_(Reflection.author_id == user.id, _shared_clause(user))


def readable_reflections(user: User) -> Select[tuple[Reflection]]:
    """Every reflection `user` may read: their own and what was shared with them."""
    return select(Reflection).where(readable_clause(user))


def shared_clause(user: User, set_id: int | None = None) -> ColumnElement[bool]:
    """True for others' reflections shared with `user`, optionally only through one set."""
    return and_(Reflection.author_id != user.id, _shared_clause(user, set_id))


def shared_with(user: User, set_id: int | None = None) -> Select[tuple[Reflection]]:
    """Others' reflections shared with `user`, optionally only through one set."""
    return select(Reflection).where(shared_clause(user, set_id))


def readable_in_set(user: User, set_id: int) -> Select[tuple[Reflection]]:
    """What `user` may read of one set's reflections: their own written for it and what its
    other members shared with them there (never another's private reflection)."""
    return select(Reflection).where(
        Reflection.set_id == set_id,
        or_(Reflection.author_id == user.id, _shared_clause(user, set_id)),
    )


def readable_on_meeting(user: User, meeting_id: int, set_id: int) -> Select[tuple[Reflection]]:
    """What `user` may read of the reflections linked to one meeting (of set `set_id`)."""
    return readable_in_set(user, set_id).where(Reflection.meeting_id == meeting_id)


def can_read(user: User, reflection: Reflection) -> bool:
    if not user.is_authenticated:
        return False
    if reflection.author_id == user.id:
        return True
    if reflection.visibility == Visibility.PRIVATE or reflection.set_id is None:
        return False
    query = select(Reflection.id).where(Reflection.id == reflection.id, _shared_clause(user))
    return db.session.scalar(query) is not None


def reaches_its_set(reflection: Reflection) -> bool:
    """Whether anyone but the author may read it now (for telling the author so)."""
    if reflection.visibility == Visibility.PRIVATE or reflection.set_id is None:
        return False
    query = select(Reflection.id).where(Reflection.id == reflection.id, AUTHOR_STILL_IN_SET)
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
