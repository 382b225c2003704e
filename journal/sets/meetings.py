"""Queries about sets and meetings that the journal pages and the API share."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, case, exists, false, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..extensions import db
from ..models import (
    LARGEST_ID,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    SetRole,
    User,
    utcnow,
)


def memberships_of(user: User, role: SetRole | None = None) -> list[Membership]:
    """The user's roles by set. The signed-in user's came with them (`auth.views.load_user`):
    no query."""
    return [m for m in user.memberships if role is None or m.role == role]


def sets_of(user: User, role: SetRole | None = None) -> list[LearningSet]:
    return [membership.learning_set for membership in memberships_of(user, role)]


def meetings_of(user: User) -> Select[tuple[Meeting]]:
    """Meetings of every set the user belongs to, in any role (not the cancelled ones)."""
    return (
        select(Meeting)
        .where(
            Meeting.set_id.in_([m.set_id for m in memberships_of(user)]),
            Meeting.cancelled_at.is_(None),
        )
        .options(joinedload(Meeting.learning_set))
        .order_by(Meeting.starts_at)
    )


def linkable_meetings(user: User, keep: int | None = None, recent: int = 30) -> list[Meeting]:
    """Meetings a candidate may link a reflection to: their sets' upcoming and recent meetings.

    `keep` is the meeting a reflection is already linked to, offered even if it is older (or
    cancelled since).
    """
    candidate_sets = [m.set_id for m in memberships_of(user, SetRole.CANDIDATE)]
    query = (
        select(Meeting)
        .where(Meeting.set_id.in_(candidate_sets), Meeting.cancelled_at.is_(None))
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
    candidate_sets = [m.set_id for m in memberships_of(user, SetRole.CANDIDATE)]
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
    # The meeting held before `last`: what was committed there is reported on at `last`.
    previous: Meeting | None = None
    # Whether the person asked about (`reflected_by`) linked a reflection to `last`.
    reflected_on_last: bool = False

    @property
    def since(self) -> datetime | None:
        """When the last meeting started: "since the last meeting" begins there."""
        return self.last.starts_at if self.last else None


def last_and_next(
    set_ids: list[int], now: datetime | None = None, reflected_by: User | None = None
) -> dict[int, MeetingTimes]:
    """For each set, its most recent started meeting, the one held before it, and its next
    one, in one query. A cancelled meeting is none of them: "since the last meeting" starts at
    the last one held. With `reflected_by`, the same query says whether they wrote on each
    last meeting (the home page's reminder), rather than a statement of its own."""
    now = now or utcnow()
    times = {set_id: MeetingTimes(None, None) for set_id in set_ids}
    if not set_ids:
        return times
    for meeting, rank, reflected in _edge_meetings(set_ids, now, reflected_by):
        if meeting.starts_at > now:
            times[meeting.set_id].next = meeting
        elif rank == 1:
            times[meeting.set_id].last = meeting
            times[meeting.set_id].reflected_on_last = reflected
        else:
            times[meeting.set_id].previous = meeting
    return times


def _edge_meetings(
    set_ids: list[int], now: datetime, reflected_by: User | None
) -> list[tuple[Meeting, int, bool]]:
    # Ranked within (set, started or not): the started ones latest first, the others soonest
    # first. The first two started ones are kept (the last and the one before), the first of
    # the others (the next).
    started = Meeting.starts_at <= now
    ranked = (
        select(
            Meeting.id,
            db.func.row_number()
            .over(
                partition_by=(Meeting.set_id, started),
                order_by=(case((started, Meeting.starts_at)).desc(), Meeting.starts_at),
            )
            .label("rank"),
        )
        .where(Meeting.set_id.in_(set_ids), Meeting.cancelled_at.is_(None))
        .subquery()
    )
    query = (
        select(Meeting, ranked.c.rank, _reflected_on(reflected_by))
        .join(ranked, ranked.c.id == Meeting.id)
        .where(or_(ranked.c.rank == 1, and_(ranked.c.rank == 2, Meeting.starts_at <= now)))
        .options(joinedload(Meeting.learning_set))
    )
    rows = db.session.execute(query)
    return [(meeting, rank, bool(reflected)) for meeting, rank, reflected in rows]


def _reflected_on(author: User | None) -> ColumnElement[bool]:
    """Whether `author` linked a reflection to the meeting of the row (a meeting's handful of
    reflections, through its index), or false when nobody is asked about."""
    if author is None:
        return false()
    return exists().where(Reflection.meeting_id == Meeting.id, Reflection.author_id == author.id)


def next_meeting_id(set_id: int, now: datetime | None = None) -> int | None:
    """The set's next meeting yet to start (not a cancelled one), or None."""
    query = (
        select(Meeting.id)
        .where(
            Meeting.set_id == set_id,
            Meeting.starts_at > (now or utcnow()),
            Meeting.cancelled_at.is_(None),
        )
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(1)
    )
    return db.session.scalar(query)


def members_of(set_id: int) -> list[Membership]:
    """Everyone in one set, facilitators first, then by name, with their names: one query.
    A set holds a handful of people (SPEC.md: 4 to 8 candidates and their facilitators)."""
    query = (
        select(Membership)
        .join(Membership.user)
        .where(Membership.set_id == set_id)
        .options(contains_eager(Membership.user))
        .order_by(Membership.role.desc(), User.name, User.id)
    )
    return list(db.session.scalars(query))


def upcoming_meetings(set_id: int, now: datetime | None = None) -> Select[tuple[Meeting]]:
    """The set's meetings yet to start, soonest first (a query, for paging)."""
    now = now or utcnow()
    return (
        select(Meeting)
        .where(Meeting.set_id == set_id, Meeting.starts_at > now)
        .order_by(Meeting.starts_at, Meeting.id)
    )


def past_meetings(set_id: int, now: datetime | None = None) -> Select[tuple[Meeting]]:
    """The set's meetings that have started, latest first (a query, for paging)."""
    now = now or utcnow()
    return (
        select(Meeting)
        .where(Meeting.set_id == set_id, Meeting.starts_at <= now)
        .order_by(Meeting.starts_at.desc(), Meeting.id)
    )
