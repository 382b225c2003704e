"""Scheduling, changing and cancelling meetings, with wall-clock times in the installation's
time zone (`TIMEZONE`) and an audit event for each change.

Times are typed as a date and a clock time where the set meets, and stored in UTC. Summer time
makes two kinds of wall-clock time odd, once a year each:

- a time that does not exist, skipped when the clocks go forward (Europe/London, the last Sunday
  of March, 01:00 to 01:59): refused with a form error that says why;
- a time that happens twice, when the clocks go back (the last Sunday of October, 01:00 to
  01:59): taken as the first of the two, still in summer time (Python's `fold=0`), and the
  person scheduling is told so.

Actions carried forward to a meeting follow it: cancelling it carries them on to the set's next
meeting, or, with none scheduled, leaves them linked to no meeting until one is scheduled (see
README, "The report-back round"), so that they are asked about once that meeting starts.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, or_, select, update

from .. import audit
from ..extensions import db
from ..models import ActionStatus, Meeting, Reflection, User, utcnow
from .meetings import next_meeting_id

# A meeting's date must fall within these years: anything else is a typing slip, and years far
# enough out overflow when converted to UTC.
FIRST_YEAR, LAST_YEAR = 1970, 2100


class WallClockError(ValueError):
    """A date and time that name no moment in the installation's time zone."""


class DateOutOfRange(WallClockError):
    """A date too far from now to be a meeting's."""


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def zone_name() -> str:
    return current_app.config["TIMEZONE"]


@dataclass
class Moment:
    at: datetime  # UTC
    ambiguous: bool  # the wall-clock time happens twice; this is the first


def out_of_range(day: date) -> str | None:
    """Why `day` can be no meeting's date (nor an action's), or None when it can be."""
    if FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    return f"Choose a date between {FIRST_YEAR} and {LAST_YEAR}."


def to_utc(day: date, clock: time) -> Moment:
    """The moment a wall-clock time on `day` names in the installation's time zone."""
    if (problem := out_of_range(day)) is not None:
        raise DateOutOfRange(problem)
    tz = zone()
    wall = datetime.combine(day, clock.replace(tzinfo=None, fold=0))
    first = wall.replace(tzinfo=tz)
    # A time skipped by the clocks going forward comes back from UTC as another wall time.
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        raise WallClockError(
            f"{clock:%H:%M} does not exist on {day:%-d %B %Y} in {tz.key}: the clocks go"
            " forward then. Choose a time outside the hour they skip."
        )
    second = wall.replace(tzinfo=tz, fold=1)
    return Moment(first.astimezone(UTC), first.utcoffset() != second.utcoffset())


def wall_clock(moment: datetime) -> tuple[date, time]:
    """The date and time a stored moment shows in the installation's time zone."""
    local = moment.astimezone(zone())
    return local.date(), local.time().replace(tzinfo=None, fold=0)


@dataclass
class MeetingInput:
    starts_at: datetime
    ends_at: datetime | None
    location: str
    agenda: str


FIELDS = ("starts_at", "ends_at", "location", "agenda")


def schedule(actor: User, set_id: int, data: MeetingInput) -> Meeting:
    meeting = Meeting(set_id=set_id, **{name: getattr(data, name) for name in FIELDS})
    db.session.add(meeting)
    db.session.flush()
    detail = {"set_id": set_id}
    if meeting.starts_at > utcnow():
        detail |= _carry_on(set_id, _waiting_for_a_meeting(set_id))
    audit.record(actor, "meeting.scheduled", "meeting", meeting.id, **detail)
    db.session.commit()
    return meeting


def change(actor: User, meeting: Meeting, data: MeetingInput) -> list[str]:
    """Save what changed; the names of the fields that did (none: nothing is recorded)."""
    changed = [name for name in FIELDS if getattr(meeting, name) != getattr(data, name)]
    for name in changed:
        setattr(meeting, name, getattr(data, name))
    if changed:
        audit.record(
            actor, "meeting.changed", "meeting", meeting.id, set_id=meeting.set_id, fields=changed
        )
        db.session.commit()
    return changed


def cancel(actor: User, meeting: Meeting) -> None:
    meeting.cancelled_at = utcnow()
    db.session.flush()
    detail = {"set_id": meeting.set_id}
    detail |= _carry_on(meeting.set_id, Reflection.carried_to_meeting_id == meeting.id)
    audit.record(actor, "meeting.cancelled", "meeting", meeting.id, **detail)
    db.session.commit()


def _waiting_for_a_meeting(set_id: int) -> ColumnElement[bool]:
    """Carried actions linked to no meeting (none was scheduled when they were carried), or to
    one cancelled before cancelling carried them on."""
    cancelled = select(Meeting.id).where(
        Meeting.set_id == set_id, Meeting.cancelled_at.is_not(None)
    )
    return or_(
        Reflection.carried_to_meeting_id.is_(None),
        Reflection.carried_to_meeting_id.in_(cancelled.scalar_subquery()),
    )


def _carry_on(set_id: int, which: ColumnElement[bool]) -> dict[str, int | None]:
    """Link the set's carried actions that `which` picks to its next meeting yet to start
    (unlinked when there is none); for the audit event, how many and where to (nothing when
    none moved: ids only, never text).

    The author changed nothing, so neither the version nor `updated_at` moves: a save from
    their device meanwhile is no conflict, and `saving` keeps this link (it is the server's).
    """
    to = next_meeting_id(set_id)
    carried = db.session.execute(
        update(Reflection)
        .where(
            Reflection.set_id == set_id,
            Reflection.action_status == ActionStatus.CARRIED.value,
            which,
            Reflection.carried_to_meeting_id.is_distinct_from(to),
        )
        .values(carried_to_meeting_id=to)
        .execution_options(synchronize_session=False)
    )
    if not carried.rowcount:
        return {}
    return {"actions_carried_on": carried.rowcount, "carried_to_meeting_id": to}
