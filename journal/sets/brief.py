"""The facilitator's brief for a set's next meeting: per member, what they shared since the
start of the last meeting, their open and carried actions, the actions they closed since then;
who has not reflected; and the report-back round (each member's action from the last meeting).

Everything comes through `journal.policy.shared_clause(viewer, set_id)`: only what the
facilitator may read, and only through this set. A private reflection is never fetched, so it
cannot appear, be counted, or make its author look as if they had reflected; a reflection
shared with another set's facilitators is outside the clause's set.

Four statements whatever the set's history (the signed-in user with their memberships, the last
and next meeting, the members, one statement for every reflection the brief shows), starting
from the set's memberships and reading the set's rows through its (set_id, updated_at) index.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, or_, select, true

from ..extensions import db
from ..models import ActionStatus, LearningSet, Reflection, SetRole, User, utcnow
from ..policy import shared_clause
from ..reflections import overview
from ..reflections.overview import NEWEST_FIRST, OPEN_STATES, with_people
from .follow_through import FollowThrough
from .meetings import MeetingTimes, last_and_next, members_of

# At most this many reflections in one brief, the newest kept: a set's month holds a few dozen,
# but nothing stops a member leaving hundreds of actions open over the years, and the page (and
# its PDF) must stay one that loads. The brief says so when it is cut.
BRIEF_LIMIT = 300

CLOSED_STATES = (ActionStatus.DONE.value, ActionStatus.DROPPED.value)
STATUS_WORDS = {
    ActionStatus.OPEN.value: "Open",
    ActionStatus.CARRIED.value: "Carried forward",
    ActionStatus.DONE.value: "Done",
    ActionStatus.DROPPED.value: "Dropped",
}


@dataclass
class MemberBrief:
    """One candidate of the set, as the brief shows them."""

    person: User
    # Shared since the start of the last meeting, newest first.
    shared: list[Reflection] = field(default_factory=list)
    # Every open or carried action, the soonest due first (no date last).
    open_actions: list[Reflection] = field(default_factory=list)
    # Done or dropped since the start of the last meeting, latest first.
    closed: list[Reflection] = field(default_factory=list)
    # The actions of their reflections on the last meeting: what they report back on.
    committed: list[Reflection] = field(default_factory=list)

    @property
    def reflected(self) -> bool:
        """Shared something since the last meeting (a private reflection is not sharing)."""
        return bool(self.shared)


@dataclass
class Brief:
    learning_set: LearningSet
    times: MeetingTimes
    today: date  # in the installation's time zone: what "overdue" is measured against
    members: list[MemberBrief]
    # False when BRIEF_LIMIT left the oldest reflections out.
    complete: bool = True

    @property
    def since(self) -> datetime | None:
        return self.times.since

    @property
    def quiet(self) -> list[User]:
        """Candidates who have shared nothing with the facilitator since the last meeting."""
        return [member.person for member in self.members if not member.reflected]

    def overdue_by(self, reflection: Reflection) -> int | None:
        """Days an open or carried action is past its due date; None when it is not."""
        return overview.overdue_by(reflection, self.today)

    def due_today(self, reflection: Reflection) -> bool:
        return overview.due_today(reflection, self.today)

    @property
    def follow_through(self) -> FollowThrough:
        """What came of the actions committed at the last meeting: the round's own rows
        counted, so no statement more and nothing the round does not show."""
        return FollowThrough(
            Counter(r.action_status for member in self.members for r in member.committed)
        )

    @staticmethod
    def status(reflection: Reflection) -> str:
        """An action's state in words: Open, Carried forward, Done, Dropped."""
        return STATUS_WORDS.get(reflection.action_status, reflection.action_status)


def gather(viewer: User, learning_set: LearningSet, now: datetime | None = None) -> Brief:
    """The brief of `learning_set` as `viewer` (one of its facilitators) may read it."""
    now = now or utcnow()
    times = last_and_next([learning_set.id], now)[learning_set.id]
    members = {
        m.user_id: MemberBrief(m.user)
        for m in members_of(learning_set.id)
        if m.role == SetRole.CANDIDATE
    }
    query = _readable(viewer, learning_set.id, list(members), times)
    found = list(db.session.scalars(query).unique()) if members else []
    complete = len(found) <= BRIEF_LIMIT
    since = times.since
    for reflection in found[:BRIEF_LIMIT]:
        member = members[reflection.author_id]  # the statement asked for these authors only
        recent = since is None or reflection.updated_at >= since
        if recent:
            member.shared.append(reflection)
        if not reflection.next_action:
            continue
        if reflection.action_status in OPEN_STATES:
            member.open_actions.append(reflection)
        elif recent:
            member.closed.append(reflection)
        if times.last is not None and reflection.meeting_id == times.last.id:
            member.committed.append(reflection)
    for member in members.values():
        member.open_actions.sort(key=_by_due)
        member.committed.sort(key=lambda r: (r.created_at, str(r.id)))
    return Brief(learning_set, times, overview.local_today(now), list(members.values()), complete)


def _readable(
    viewer: User, set_id: int, authors: list[int], times: MeetingTimes
) -> Select[tuple[Reflection]]:
    """What the brief shows of the set, newest first, in one statement: what was changed since
    the last meeting began, every open or carried action, and the reflections on the last
    meeting, each only if shared with `viewer` through this set.

    Its current candidates named as literal ids, beside the set: PostgreSQL then reads the rows
    both indexes point to (author and set) in one pass, never another set's or a former
    member's, rather than looping over the memberships.
    """
    wanted = true()
    if times.since is not None:
        conditions = [
            Reflection.updated_at >= times.since,
            Reflection.action_status.in_(OPEN_STATES) & (Reflection.next_action != ""),
        ]
        if times.last is not None:
            conditions.append(Reflection.meeting_id == times.last.id)
        wanted = or_(*conditions)
    query = select(Reflection).where(
        Reflection.author_id.in_(authors), shared_clause(viewer, set_id), wanted
    )
    return with_people(query).order_by(*NEWEST_FIRST).limit(BRIEF_LIMIT + 1)


def _by_due(reflection: Reflection) -> tuple:
    return (
        reflection.action_due is None,
        reflection.action_due or date.min,
        reflection.created_at,
        str(reflection.id),
    )
