"""Who may read, write and delete comments on a reflection.

A comment has no audience of its own: it is read by exactly those who may read its reflection,
now. Every query for comments joins the reflection and applies the reflection's one clause
(`readable_clause`), so when a reflection becomes unreadable to someone (made private, its
author gone from the set, the reader gone from it) its comments do too, and there is no second
rule that could disagree.

Writing is narrower than reading (SPEC.md: "a facilitator may leave a comment ... the author
sees it and can answer"): the author of the reflection, and the current facilitators of its
audience set who may read it. Other candidates who read a `set` reflection read its comments
but do not write any (403: they can see the page). A comment is deleted only by whoever wrote
it, while they may still read its reflection.
"""

import uuid

from flask import abort
from flask_login import current_user
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Comment, Reflection, SetRole, User
from .reflections import can_read, get_reflection, readable_clause
from .sets import membership_in


def readable_comments(user: User) -> Select[tuple[Comment]]:
    """Every comment `user` may read, with its author loaded: those on reflections they may
    read (the reflection's rule, joined in)."""
    return (
        select(Comment)
        .join(Comment.reflection)
        .join(Comment.author)
        .where(readable_clause(user))
        .options(contains_eager(Comment.author))
    )


def may_write_on(user: User, reflection: Reflection) -> bool:
    """For a reflection `user` may read: whether they may also comment on it. Their role in its
    set came with their memberships, so this costs no query."""
    if reflection.author_id == user.id:
        return True
    if reflection.set_id is None:
        return False
    membership = membership_in(user, reflection.set_id)
    return membership is not None and membership.role == SetRole.FACILITATOR


def can_comment(user: User, reflection: Reflection) -> bool:
    """Its author (an answer), or a current facilitator of its set who may read it."""
    return user.is_authenticated and can_read(user, reflection) and may_write_on(user, reflection)


def can_delete_comment(user: User, comment: Comment) -> bool:
    """For a comment `user` may read: only its own author deletes it."""
    return user.is_authenticated and comment.author_id == user.id


def get_reflection_to_comment(reflection_id: uuid.UUID) -> Reflection:
    """The reflection, for someone who may comment on it; 404 for whoever may not read it, 403
    for a reader who may not comment (another candidate of the set)."""
    reflection = get_reflection(reflection_id)
    if not may_write_on(current_user, reflection):
        abort(403)
    return reflection


def get_comment(reflection_id: uuid.UUID, comment_id: int, check_author: bool = False) -> Comment:
    """The comment on that reflection, if the current user may read the reflection (404
    otherwise, as for a comment that does not exist); with `check_author`, 403 for a reader
    who did not write it."""
    query = (
        readable_comments(current_user)
        .where(Comment.id == comment_id, Comment.reflection_id == reflection_id)
        .options(contains_eager(Comment.reflection))
    )
    comment = db.session.scalar(query)
    if comment is None:
        abort(404)
    if check_author and not can_delete_comment(current_user, comment):
        abort(403)
    return comment
