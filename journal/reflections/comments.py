"""Comments on a reflection: writing and deleting them (with their audit events), the list a
reflection's page shows, and the note on its author's home page.

Who may do what is decided in `journal.policy` (`get_reflection_to_comment`, `get_comment`,
`readable_comments`); this module is handed what the policy let through.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import contains_eager

from .. import audit
from ..extensions import db
from ..models import Comment, Meeting, Reflection, SetRole, User, utcnow
from ..policy import readable_comments

# The home page tells a reflection's author about comments from the last four weeks, the
# usual time between two meetings of a set: long enough to be seen before the next one.
NOTE_DAYS = 28
NOTE_SIZE = 3


def add(author: User, reflection: Reflection, body: str) -> Comment | None:
    """Add the comment; None if the reflection was deleted since it was loaded.

    The reflection's row is held (FOR KEY SHARE on PostgreSQL, as the foreign key would) until
    the comment is committed, so a deletion waits and then takes the comment with it.
    """
    still_there = (
        select(Reflection.id).where(Reflection.id == reflection.id).with_for_update(key_share=True)
    )
    if db.session.scalar(still_there) is None:
        return None
    comment = Comment(reflection_id=reflection.id, author_id=author.id, body=body)
    db.session.add(comment)
    db.session.flush()
    # Ids, who and when (the event's own time); never the text.
    audit.record(author, "comment.created", "comment", comment.id, reflection_id=str(reflection.id))
    db.session.commit()
    return comment


def remove(actor: User, comment: Comment) -> None:
    """Delete the comment. Deleted meanwhile (the same button pressed twice), nothing happens."""
    comment_id, reflection_id = comment.id, comment.reflection_id
    deleted = db.session.execute(delete(Comment).where(Comment.id == comment_id)).rowcount
    if deleted:
        audit.record(
            actor, "comment.deleted", "comment", comment_id, reflection_id=str(reflection_id)
        )
    db.session.commit()


def delete_all_on(reflection_id: uuid.UUID) -> None:
    """Delete a reflection's comments, in the transaction that deletes it.

    The foreign key says ON DELETE CASCADE, which PostgreSQL enforces; SQLite enforces foreign
    keys only when a connection asks it to, which this app's do not, so the comments are
    deleted here as well.
    """
    db.session.execute(delete(Comment).where(Comment.reflection_id == reflection_id))


def on(user: User, reflection: Reflection) -> Select[tuple[Comment]]:
    """The comments on `reflection` that `user` may read (all of them, or none), newest first:
    page 1 is the latest, and a page is shown oldest first (see `in_order`)."""
    return (
        readable_comments(user)
        .where(Comment.reflection_id == reflection.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )


def in_order(comments: list[Comment]) -> list[Comment]:
    """A page of `on()` as a conversation reads: oldest first."""
    return comments[::-1]


def note_since(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=NOTE_DAYS)


def news_for(user: User) -> list[Comment]:
    """The note on `user`'s home page: up to NOTE_SIZE of `for_author`, in one query, or
    none for someone who is a candidate nowhere (nobody else can read what they write)."""
    if not any(m.role == SetRole.CANDIDATE for m in user.memberships):
        return []
    return list(db.session.scalars(for_author(user).limit(NOTE_SIZE)))


def for_author(user: User) -> Select[tuple[Comment]]:
    """Others' comments on `user`'s own reflections of the last NOTE_DAYS, newest first, with
    their reflection's meeting and set (for its label): the note on the home page.

    Only on reflections in sets where `user` is a candidate now: nobody else may read (so
    comment on) a reflection whose author has left its set, and naming those sets keeps the
    query to the author's own sets' rows (for someone who is a candidate nowhere, none at all).
    """
    candidate_of = [m.set_id for m in user.memberships if m.role == SetRole.CANDIDATE]
    return (
        readable_comments(user)
        .where(
            Reflection.author_id == user.id,
            Reflection.set_id.in_(candidate_of),
            Comment.author_id != user.id,
            Comment.created_at >= note_since(),
        )
        .options(
            contains_eager(Comment.reflection)
            .joinedload(Reflection.meeting)
            .joinedload(Meeting.learning_set)
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    )
