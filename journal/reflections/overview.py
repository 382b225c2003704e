"""What the home page gathers: meetings, actions, and what a set has shared since it last met."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (
    ActionStatus,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    SetRole,
    User,
)
from ..policy import shared_with
from ..sets.meetings import MeetingTimes, last_and_next, memberships_of


@dataclass
class SetDigest:
    """One set as a member sees it on their home page."""

    learning_set: LearningSet
    role: str
    times: MeetingTimes
    shared: list[Reflection] = field(default_factory=list)
    # The page of /shared?set_id= where the reflections not shown here begin, if there are any.
    older_page: int | None = None
    # Candidates with nothing shared with the viewer since the last meeting (facilitators only).
    silent: list[User] = field(default_factory=list)
    reflected_on_last: bool = True

    @property
    def since(self) -> datetime | None:
        return self.times.last.starts_at if self.times.last else None


def with_people(query: Select) -> Select:
    """Load what a list of reflections shows (author, meeting, set) in the same query."""
    return query.options(
        joinedload(Reflection.author),
        joinedload(Reflection.meeting).joinedload(Meeting.learning_set),
        joinedload(Reflection.learning_set),
    )


def shared_since(user: User, set_id: int, since: datetime | None) -> Select[tuple[Reflection]]:
    query = shared_with(user, set_id)
    if since is not None:
        query = query.where(Reflection.updated_at >= since)
    return with_people(query).order_by(Reflection.updated_at.desc(), Reflection.id)


def digests(user: User, size: int) -> list[SetDigest]:
    """Each of the user's sets, with up to `size` reflections shared since its last meeting.

    `size` is the page size of /shared; everything shared, newest first, has what was shared
    since the last meeting as its prefix, so the rest begins on page 2, or on page 1 when the
    prefix is shorter than a page.
    """
    memberships = memberships_of(user)
    times = last_and_next([m.set_id for m in memberships])
    result = []
    for membership in memberships:
        digest = SetDigest(membership.learning_set, membership.role, times[membership.set_id])
        newest = shared_since(user, membership.set_id, None).limit(size + 1)
        found = list(db.session.scalars(newest))
        digest.shared = [
            r for r in found[:size] if digest.since is None or r.updated_at >= digest.since
        ]
        if len(found) > len(digest.shared):
            digest.older_page = 2 if len(digest.shared) == size else 1
        if membership.role == SetRole.FACILITATOR:
            digest.silent = _silent_candidates(user, membership.set_id, digest.since)
        elif digest.times.last is not None:
            digest.reflected_on_last = _has_reflected(user, digest.times.last)
        result.append(digest)
    return result


def _silent_candidates(user: User, set_id: int, since: datetime | None) -> list[User]:
    """Candidates of the set who have shared nothing with `user` since `since`.

    Built on what `user` may read, so a private reflection counts as nothing at all.
    """
    shared_authors = (
        shared_since(user, set_id, since).with_only_columns(Reflection.author_id).order_by(None)
    )
    query = (
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.set_id == set_id,
            Membership.role == SetRole.CANDIDATE.value,
            User.id.not_in(shared_authors),
        )
        .order_by(User.name)
    )
    return list(db.session.scalars(query))


def _has_reflected(user: User, meeting: Meeting) -> bool:
    query = select(Reflection.id).where(
        Reflection.author_id == user.id, Reflection.meeting_id == meeting.id
    )
    return db.session.scalar(query.limit(1)) is not None


def _actions(user: User, *statuses: ActionStatus) -> Select[tuple[Reflection]]:
    """The user's reflections that name an action in one of these states."""
    return with_people(
        select(Reflection).where(
            Reflection.author_id == user.id,
            Reflection.next_action != "",
            Reflection.action_status.in_([status.value for status in statuses]),
        )
    )


def open_actions(user: User) -> Select[tuple[Reflection]]:
    """Actions open or carried forward, the soonest due first (a query, for paging)."""
    return _actions(user, ActionStatus.OPEN, ActionStatus.CARRIED).order_by(
        Reflection.action_due.is_(None),
        Reflection.action_due,
        Reflection.created_at,
        Reflection.id,
    )


def closed_actions(user: User) -> Select[tuple[Reflection]]:
    """Actions done or dropped, the latest first (a query, for paging)."""
    return _actions(user, ActionStatus.DONE, ActionStatus.DROPPED).order_by(
        Reflection.updated_at.desc(), Reflection.id
    )
