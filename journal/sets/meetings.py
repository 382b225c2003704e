"""Queries about sets and meetings that the journal pages and the API share."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import LARGEST_ID, LearningSet, Meeting, Membership, SetRole, User, utcnow


def memberships_of(user: User, role: SetRole | None = None) -> list[Membership]:
    query = (
        select(Membership)
        .where(Membership.user_id == user.id)
        .options(joinedload(Membership.learning_set))
        .order_by(Membership.set_id)
    )
    if role is not None:
        query = query.where(Membership.role == role.value)
    return list(db.session.scalars(query))


def sets_of(user: User, role: SetRole | None = None) -> list[LearningSet]:
    return [membership.learning_set for membership in memberships_of(user, role)]


def meetings_of(user: User) -> Select[tuple[Meeting]]:
    """Meetings of every set the user belongs to, in any role."""
    member_sets = select(Membership.set_id).where(Membership.user_id == user.id)
    return (
        select(Meeting)
        .where(Meeting.set_id.in_(member_sets))
        .options(joinedload(Meeting.learning_set))
        .order_by(Meeting.starts_at)
    )


def linkable_meetings(user: User, keep: int | None = None, recent: int = 30) -> list[Meeting]:
    """Meetings a candidate may link a reflection to: their sets' upcoming and recent meetings.

    `keep` is the meeting a reflection is already linked to, offered even if it is older.
    """
    candidate_sets = select(Membership.set_id).where(
        Membership.user_id == user.id, Membership.role == SetRole.CANDIDATE.value
    )
    query = (
        select(Meeting)
        .where(Meeting.set_id.in_(candidate_sets))
        .options(joinedload(Meeting.learning_set))
        .order_by(Meeting.starts_at.desc())
    )
    now = utcnow()
    upcoming = list(db.session.scalars(query.where(Meeting.starts_at > now)))
    past = list(db.session.scalars(query.where(Meeting.starts_at <= now).limit(recent)))
    meetings = upcoming + past
    if keep is not None and all(meeting.id != keep for meeting in meetings):
        kept = db.session.get(Meeting, keep)
        if kept is not None:
            meetings.append(kept)
    return meetings


def may_link(user: User, meeting_id: int) -> bool:
    """A reflection may be linked to meetings of sets where its author is a candidate."""
    if not 0 < meeting_id <= LARGEST_ID:
        return False
    query = (
        select(Meeting.id)
        .join(Membership, Membership.set_id == Meeting.set_id)
        .where(
            Meeting.id == meeting_id,
            Membership.user_id == user.id,
            Membership.role == SetRole.CANDIDATE.value,
        )
    )
    return db.session.scalar(query) is not None


def meeting_set(meeting_id: int) -> int | None:
    """The set a meeting belongs to, or None when there is no such meeting."""
    if not 0 < meeting_id <= LARGEST_ID:
        return None
    return db.session.scalar(select(Meeting.set_id).where(Meeting.id == meeting_id))


def is_candidate(user: User, set_id: int) -> bool:
    if not 0 < set_id <= LARGEST_ID:
        return False
    query = select(Membership.id).where(
        Membership.user_id == user.id,
        Membership.set_id == set_id,
        Membership.role == SetRole.CANDIDATE.value,
    )
    return db.session.scalar(query) is not None


def members_of_candidate_sets(user: User) -> list[Membership]:
    """Everyone in the sets where `user` is a candidate (`user` too): whom their writing reaches."""
    candidate_sets = select(Membership.set_id).where(
        Membership.user_id == user.id, Membership.role == SetRole.CANDIDATE.value
    )
    query = (
        select(Membership)
        .join(Membership.user)
        .join(Membership.learning_set)
        .where(Membership.set_id.in_(candidate_sets))
        .options(joinedload(Membership.user), joinedload(Membership.learning_set))
        .order_by(LearningSet.name, User.name)
    )
    return list(db.session.scalars(query))


@dataclass
class MeetingTimes:
    last: Meeting | None
    next: Meeting | None


def last_and_next(set_ids: list[int], now: datetime | None = None) -> dict[int, MeetingTimes]:
    """For each set, its most recent started meeting and its next one: two queries in all."""
    now = now or utcnow()
    times = {set_id: MeetingTimes(None, None) for set_id in set_ids}
    if not set_ids:
        return times
    for meeting in _edge_meetings(set_ids, Meeting.starts_at <= now, latest=True):
        times[meeting.set_id].last = meeting
    for meeting in _edge_meetings(set_ids, Meeting.starts_at > now, latest=False):
        times[meeting.set_id].next = meeting
    return times


def _edge_meetings(set_ids: list[int], condition, latest: bool) -> list[Meeting]:
    # One row per set: the first meeting by start time in the chosen direction.
    order = Meeting.starts_at.desc() if latest else Meeting.starts_at.asc()
    ranked = (
        select(
            Meeting.id,
            db.func.row_number().over(partition_by=Meeting.set_id, order_by=order).label("rank"),
        )
        .where(Meeting.set_id.in_(set_ids), condition)
        .subquery()
    )
    query = (
        select(Meeting)
        .join(ranked, ranked.c.id == Meeting.id)
        .where(ranked.c.rank == 1)
        .options(joinedload(Meeting.learning_set))
    )
    return list(db.session.scalars(query))
