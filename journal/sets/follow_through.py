"""Follow-through: what came of the actions committed at a meeting, as the viewer may see it.

An action is committed at a meeting when a reflection linked to that meeting names a next
action. Its follow-through is how many of those actions are done, dropped, carried forward or
still open. Only reflections the viewer may read are counted (the clauses of `journal.policy`),
and never a private one, not even the viewer's own: the picture is the set's, and a private
reflection does not exist for the set, not even as a number.
"""

from dataclasses import dataclass

from sqlalchemy import Select, func

from ..extensions import db
from ..models import ActionStatus, Meeting, Reflection, User, Visibility
from ..policy import readable_in_set, readable_on_meeting

# In the order of the bar and of its legend: what is settled first, then what goes on.
PARTS = (
    (ActionStatus.DONE, "Done"),
    (ActionStatus.DROPPED, "Dropped"),
    (ActionStatus.CARRIED, "Carried forward"),
    (ActionStatus.OPEN, "Still open"),
)


@dataclass(frozen=True)
class Part:
    key: str  # the status, also the CSS class that colours it
    label: str
    count: int
    start: float  # where its segment of the bar begins and how wide it is, in percent
    width: float


@dataclass
class FollowThrough:
    """How many actions committed at one meeting are in each state."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, status: ActionStatus) -> int:
        return self.counts.get(status.value, 0)

    @property
    def parts(self) -> list[Part]:
        parts, start = [], 0.0
        for status, label in PARTS:
            count = self.count(status)
            width = 100 * count / self.total if self.total else 0.0
            parts.append(Part(status.value, label, count, start, width))
            start += width
        return parts


def _counted(readable: Select[tuple[Reflection]]) -> Select:
    """Readable reflections that commit to an action, by meeting and state, never private."""
    return (
        readable.with_only_columns(Reflection.meeting_id, Reflection.action_status, func.count())
        .where(Reflection.next_action != "", Reflection.visibility != Visibility.PRIVATE.value)
        .group_by(Reflection.meeting_id, Reflection.action_status)
    )


def _by_meeting(query: Select, meeting_ids: list[int]) -> dict[int, FollowThrough]:
    found = {meeting_id: FollowThrough({}) for meeting_id in meeting_ids}
    for meeting_id, status, count in db.session.execute(query):
        found[meeting_id].counts[status] = count
    return found


def of_meeting(viewer: User, meeting: Meeting) -> FollowThrough:
    """The follow-through of one meeting as `viewer` may see it: one query."""
    query = _counted(readable_on_meeting(viewer, meeting.id, meeting.set_id))
    return _by_meeting(query, [meeting.id])[meeting.id]


def of_meetings(viewer: User, set_id: int, meetings: list[Meeting]) -> dict[int, FollowThrough]:
    """The follow-through of several meetings of one set, by meeting id: one query (also
    for none, so a page costs the same whatever it shows)."""
    ids = [meeting.id for meeting in meetings]
    readable = readable_in_set(viewer, set_id).where(Reflection.meeting_id.in_(ids))
    return _by_meeting(_counted(readable), ids)
