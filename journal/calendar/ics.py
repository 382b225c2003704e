"""What a calendar feed holds, as iCalendar (RFC 5545) made by the `icalendar` library.

- **Meetings** of the owner's sets from a year ago on (`WINDOW`), at most `MEETING_LIMIT`,
  soonest first: "Glasgow 3 set meeting", where, the agenda (written by facilitators) and a
  link to the meeting's page. Times carry the installation's zone (`TIMEZONE`) with its
  VTIMEZONE, so a phone shows 18:00 on either side of a change of the clocks. A cancelled
  meeting stays in the feed as STATUS:CANCELLED, so a phone that already has it marks it
  cancelled rather than guessing why it went.
- **Actions**: the owner's open or carried-forward actions due from a year ago on, up to the
  last year a date may be given (`LAST_YEAR`, 2100), at most `ACTION_LIMIT`, as all-day events
  "Action due (Glasgow 3)" linking to the action's page.
  Nothing a reflection says is in the feed, not even the action's own words: the query reads
  ids and dates only, so no reflection text is ever loaded.

Every event has a stable UID (`meeting-<id>@<host>`, `action-<id>@<host>`), and DTSTAMP and
LAST-MODIFIED from when it last changed (RFC 5545: without METHOD, DTSTAMP is the last
revision), so a calendar app replaces what changed. The same data gives the same bytes (an
ETag). Three queries whatever the history: the owner with their sets, the meetings, the actions.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import request, url_for
from icalendar import Calendar, Event, Timezone, vDuration
from sqlalchemy import Row, select

from ..extensions import db
from ..models import ActionStatus, LearningSet, Meeting, Reflection, User, utcnow
from ..policy import calendar_actions, calendar_meetings
from ..sets.scheduling import LAST_YEAR, zone

WINDOW = timedelta(days=365)
LAST_DAY = date(LAST_YEAR, 12, 31)
MEETING_LIMIT = 500
ACTION_LIMIT = 200
# A hint to calendar apps (RFC 7986 and its older Microsoft form); each decides for itself.
REFRESH = timedelta(hours=1)
NAME = "Set Journal"


def feed_for(owner: User) -> bytes:
    """The owner's calendar, serialised."""
    now = utcnow()
    meetings = feed_meetings(owner, now)
    actions = feed_actions(owner, now.astimezone(zone()).date())
    return build(owner, meetings, actions).to_ical()


def feed_meetings(owner: User, now: datetime) -> list[Meeting]:
    query = (
        select(Meeting)
        .where(calendar_meetings(owner), Meeting.starts_at >= now - WINDOW)
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(MEETING_LIMIT)
    )
    return list(db.session.scalars(query))


def feed_actions(owner: User, today: date) -> list[Row]:
    """Ids and dates of the owner's open actions, with their set's name: no text."""
    query = (
        select(Reflection.id, Reflection.action_due, Reflection.updated_at, LearningSet.name)
        .outerjoin(LearningSet, LearningSet.id == Reflection.set_id)
        .where(
            calendar_actions(owner),
            Reflection.next_action != "",
            Reflection.action_status.in_([ActionStatus.OPEN.value, ActionStatus.CARRIED.value]),
            Reflection.action_due >= today - WINDOW,
            # A date past the years one may be given, stored before they were bounded, is left
            # out rather than break the feed (9999-12-31 has no next day to end its event); the
            # Actions page still lists it, and changing it asks for a date within the years.
            Reflection.action_due <= LAST_DAY,
        )
        .order_by(Reflection.action_due, Reflection.id)
        .limit(ACTION_LIMIT)
    )
    return list(db.session.execute(query))


def build(owner: User, meetings: list[Meeting], actions: list[Row]) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Set Journal//Calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", NAME)
    calendar.add("x-wr-calname", NAME)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    tz = zone()
    if meetings:
        calendar.add("x-wr-timezone", tz.key)
        first, last = meetings[0].starts_at, meetings[-1].ends_at or meetings[-1].starts_at
        calendar.add_component(vtimezone(tz.key, first.year - 1, last.year + 2))
    host = urlsplit(request.host_url).hostname or "localhost"
    set_names = {m.set_id: m.learning_set.name for m in owner.memberships}
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, set_names[meeting.set_id], tz, host))
    for action in actions:
        calendar.add_component(action_event(action, host))
    return calendar


@lru_cache(maxsize=16)
def vtimezone(key: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE, with every change of the clocks between two new years (about
    five per event year; computed from zoneinfo, so right past 2037 too)."""
    return Timezone.from_tzinfo(ZoneInfo(key), key, date(first_year, 1, 1), date(last_year, 1, 1))


def meeting_event(meeting: Meeting, set_name: str, tz: ZoneInfo, host: str) -> Event:
    page = url_for("sets.meeting", meeting_id=meeting.id, _external=True)
    changed = max(filter(None, (meeting.created_at, meeting.changed_at, meeting.cancelled_at)))
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{host}")
    event.add("dtstamp", changed)
    event.add("created", meeting.created_at)
    event.add("last-modified", changed)
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    if meeting.ends_at is not None:
        event.add("dtend", meeting.ends_at.astimezone(tz))
    summary = f"{set_name} set meeting"
    if meeting.cancelled_at is not None:
        event.add("summary", f"Cancelled: {summary}")
        event.add("status", "CANCELLED")
    else:
        event.add("summary", summary)
        event.add("status", "CONFIRMED")
    if meeting.location:
        event.add("location", meeting.location)
    agenda = meeting.agenda.strip()
    event.add("description", f"{agenda}\n\n{page}" if agenda else page)
    event.add("url", page)
    return event


def action_event(action: Row, host: str) -> Event:
    reflection_id, due, updated_at, set_name = action
    page = url_for("reflections.update_action", reflection_id=reflection_id, _external=True)
    event = Event()
    event.add("uid", f"action-{reflection_id}@{host}")
    event.add("dtstamp", updated_at)
    event.add("last-modified", updated_at)
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))
    event.add("summary", f"Action due ({set_name})" if set_name else "Action due")
    event.add("description", f"Mark it done, dropped or carried forward: {page}")
    event.add("url", page)
    # An all-day reminder, not a busy day.
    event.add("transp", "TRANSPARENT")
    return event
