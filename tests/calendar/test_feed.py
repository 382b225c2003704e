"""The calendar feed as a calendar app reads it: `GET /calendar/<token>.ics`.

It parses with the icalendar library; it holds exactly the meetings of its owner's sets and
the owner's own open actions, and no word any reflection says; times survive a change of the
clocks through its VTIMEZONE; a cancelled or changed meeting keeps its UID and says so; it
stays small and costs three queries however long the history; and the secret in its address is
the whole credential (no cookie read or set, nothing logged, anything else a plain 404).
"""

import logging
import threading
import urllib.request
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from journal.calendar import ics
from journal.calendar.feeds import HIDDEN_PATH, token_hash
from journal.extensions import db
from journal.models import ActionStatus, Meeting, Membership, Reflection, User
from journal.sets import scheduling
from journal.sets.scheduling import MeetingInput

from .conftest import HOST, action_uid, events, meeting_uid, secret_words, token_of

LONDON = ZoneInfo("Europe/London")


# A calendar a phone can subscribe to ----------------------------------------------------------


def test_the_feed_is_a_calendar_with_its_type_and_headers(cast, subscribe, calendar_app):
    answer = calendar_app(subscribe(cast.cara))

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/calendar; charset=utf-8"
    cache = {part.strip() for part in answer.headers["Cache-Control"].split(",")}
    assert "private" in cache and "public" not in cache
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in answer.headers
    assert answer.data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert answer.data.endswith(b"END:VCALENDAR\r\n")


def test_every_event_has_what_a_calendar_app_needs(cast, subscribe, read):
    calendar = read(subscribe(cast.cara))

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert calendar.get_missing_tzids() == set()  # every TZID has its VTIMEZONE
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    for uid, event in events(calendar).items():
        assert uid.endswith(f"@{HOST}")
        for name in ("DTSTAMP", "DTSTART", "SUMMARY", "LAST-MODIFIED", "URL"):
            assert name in event, (uid, name)


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_the_same_data_gives_the_same_feed_and_an_unchanged_one_is_not_sent_again(
    cast, subscribe, calendar_app, encoding
):
    path = subscribe(cast.cara)
    first = calendar_app(path, **{"Accept-Encoding": encoding})

    again = calendar_app(
        path, **{"Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]}
    )

    assert calendar_app(path, **{"Accept-Encoding": encoding}).data == first.data
    assert first.headers.get("Content-Encoding", "identity") == encoding
    assert again.status_code == 304
    assert again.data == b""


# What it holds ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "meetings", "actions"),
    [
        ("cara", ["last", "next"], ["Cara"]),
        ("cal", ["last", "next"], ["Cal"]),
        ("fran", ["last", "next"], []),
        ("lee", ["leeds_next"], ["Lee"]),
        ("finn", ["leeds_next"], []),
        ("alex", [], []),
    ],
)
def test_the_feed_holds_its_owners_sets_meetings_and_own_actions_only(
    cast, subscribe, read, person, meetings, actions
):
    calendar = read(subscribe(getattr(cast, person)))

    expected = [meeting_uid(getattr(cast, name)) for name in meetings]
    expected += [action_uid(cast.actions[name]) for name in actions]
    assert sorted(events(calendar)) == sorted(expected)


def test_no_reflection_text_reaches_the_feed(cast, make, subscribe, calendar_app):
    # More of Cara's own: private, closed, unlinked; none of their words may appear either.
    make.reflection(cast.cara, cast.last, "private", **secret_words("Private Cara"))
    make.reflection(cast.cara, None, "private", action_status="done", **secret_words("Closed Cara"))
    bodies = [calendar_app(subscribe(person)).text for person in (cast.cara, cast.fran)]

    for body in bodies:
        unfolded = body.replace("\r\n ", "")  # long lines are folded
        for owner in ("Cara", "Cal", "Lee", "Private Cara", "Closed Cara"):
            for text in secret_words(owner).values():
                assert text not in unfolded
        assert "Morag" not in unfolded and "quarrel" not in unfolded


def test_a_meeting_says_which_set_when_where_and_links_to_its_page(app, cast, subscribe, read):
    with app.app_context():
        meeting = db.session.get(Meeting, cast.next.id)
        meeting.ends_at = meeting.starts_at + timedelta(hours=2)
        meeting.location = "Room 2; 40 George Square, Glasgow"
        meeting.agenda = "Check-in, then two problems."
        db.session.commit()

    event = events(read(subscribe(cast.cara)))[meeting_uid(cast.next)]

    page = f"http://{HOST}/meetings/{cast.next.id}"
    assert str(event["SUMMARY"]) == "Glasgow 3 set meeting"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Room 2; 40 George Square, Glasgow"
    assert str(event["DESCRIPTION"]) == f"Check-in, then two problems.\n\n{page}"
    assert str(event["URL"]) == page
    # iCalendar counts whole seconds (the form's times are whole minutes).
    assert event["DTSTART"].dt == cast.next.starts_at.replace(microsecond=0)
    assert event["DTEND"].dt - event["DTSTART"].dt == timedelta(hours=2)


def test_an_action_is_an_all_day_event_linking_to_the_action(cast, make, subscribe, read):
    unset = make.reflection(cast.cara, None, "private", action_due=date(2031, 5, 6))
    calendar = events(read(subscribe(cast.cara)))
    action = cast.actions["Cara"]

    event = calendar[action_uid(action)]

    page = f"http://{HOST}/actions/{action.id}"
    assert str(event["SUMMARY"]) == "Action due (Glasgow 3)"
    assert event["DTSTART"].dt == action.action_due
    assert event["DTEND"].dt == action.action_due + timedelta(days=1)
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["URL"]) == page
    assert page in str(event["DESCRIPTION"])
    # A reflection that reaches no set says no set.
    assert str(calendar[action_uid(unset)]["SUMMARY"]) == "Action due"


@pytest.mark.parametrize(
    ("status", "due", "next_action", "shown"),
    [
        (ActionStatus.OPEN, 7, "Call Morag.", True),
        (ActionStatus.CARRIED, 7, "Call Morag.", True),
        (ActionStatus.DONE, 7, "Call Morag.", False),
        (ActionStatus.DROPPED, 7, "Call Morag.", False),
        (ActionStatus.OPEN, None, "Call Morag.", False),  # no date: nothing to put on a day
        (ActionStatus.OPEN, 7, "", False),  # no action at all
        (ActionStatus.OPEN, -300, "Call Morag.", True),  # overdue, within the year
        (ActionStatus.OPEN, -400, "Call Morag.", False),  # overdue for more than a year
    ],
)
def test_only_open_actions_with_a_date_within_the_year_are_shown(
    cast, make, subscribe, read, status, due, next_action, shown
):
    reflection = make.reflection(
        cast.cara,
        cast.last,
        action_status=status.value,
        action_due=None if due is None else date.today() + timedelta(days=due),
        next_action=next_action,
    )

    assert (action_uid(reflection) in events(read(subscribe(cast.cara)))) is shown


def test_an_action_stored_due_past_2100_is_left_out_and_the_rest_of_the_feed_stays(
    cast, make, subscribe, read
):
    """Before dates were bounded, 9999-12-31 could be saved, and its end (the next day) was no
    date at all: the whole feed was a 500 until the action changed."""
    far = make.reflection(cast.cara, cast.last, action_due=date(9999, 12, 31))
    last_day = make.reflection(cast.cara, cast.last, action_due=date(2100, 12, 31))

    calendar = events(read(subscribe(cast.cara)))

    assert action_uid(far) not in calendar
    assert action_uid(last_day) in calendar
    assert action_uid(cast.actions["Cara"]) in calendar
    assert meeting_uid(cast.next) in calendar


def test_meetings_from_a_year_ago_on_are_shown(cast, make, subscribe, read):
    older, recent = make.meeting(cast.glasgow, -370), make.meeting(cast.glasgow, -360)
    later = make.meeting(cast.glasgow, 3 * 365)

    shown = events(read(subscribe(cast.cara)))

    assert meeting_uid(older) not in shown
    assert meeting_uid(recent) in shown
    assert meeting_uid(later) in shown


def test_leaving_a_set_takes_its_meetings_out_of_the_feed(app, cast, subscribe, read):
    path = subscribe(cast.cal)
    with app.app_context():
        db.session.execute(
            db.delete(Membership).where(
                Membership.user_id == cast.cal.id, Membership.set_id == cast.glasgow.id
            )
        )
        db.session.commit()

    assert sorted(events(read(path))) == [action_uid(cast.actions["Cal"])]


# Changes reach the phone ------------------------------------------------------------------


def test_a_cancelled_meeting_stays_in_the_feed_marked_cancelled(app, cast, subscribe, read):
    path = subscribe(cast.cara)
    before = events(read(path))[meeting_uid(cast.next)]
    with app.app_context():
        scheduling.cancel(db.session.get(User, cast.fran.id), db.session.get(Meeting, cast.next.id))

    after = events(read(path))[meeting_uid(cast.next)]

    assert str(after["STATUS"]) == "CANCELLED"
    assert str(after["SUMMARY"]) == "Cancelled: Glasgow 3 set meeting"
    assert after["DTSTART"].dt == before["DTSTART"].dt
    assert after["LAST-MODIFIED"].dt >= before["LAST-MODIFIED"].dt
    assert after["DTSTAMP"].dt == after["LAST-MODIFIED"].dt


def test_a_changed_meeting_keeps_its_uid_with_the_new_time_and_a_later_stamp(
    app, cast, subscribe, read
):
    path = subscribe(cast.cara)
    with app.app_context():
        # Scheduled a month ago, never changed since (changed_at named, or the update sets it).
        db.session.execute(
            db.update(Meeting)
            .where(Meeting.id == cast.next.id)
            .values(created_at=datetime.now(UTC) - timedelta(days=30), changed_at=None)
        )
        db.session.commit()
    before = events(read(path))[meeting_uid(cast.next)]
    moved = cast.next.starts_at.replace(microsecond=0) + timedelta(days=1)
    with app.app_context():
        meeting = db.session.get(Meeting, cast.next.id)
        changes = MeetingInput(moved, None, "Room 5", meeting.agenda)
        assert scheduling.change(db.session.get(User, cast.fran.id), meeting, changes)

    after = events(read(path))[meeting_uid(cast.next)]

    assert after["DTSTART"].dt == moved
    assert str(after["LOCATION"]) == "Room 5"
    assert after["LAST-MODIFIED"].dt > before["LAST-MODIFIED"].dt
    assert after["DTSTAMP"].dt > before["DTSTAMP"].dt


# Summer time ------------------------------------------------------------------------------


def days_after_the_change(year: int, month: int) -> date:
    """Two days after the clocks change in Europe/London: after the last Sunday of the month."""
    last_day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    last_sunday = last_day - timedelta(days=(last_day.weekday() - 6) % 7)
    return last_sunday + timedelta(days=2)


def test_a_meeting_at_six_stays_at_six_on_either_side_of_a_change_of_the_clocks(
    app, cast, make, subscribe, read
):
    year = date.today().year + 1
    days = {"spring": days_after_the_change(year, 3), "autumn": days_after_the_change(year, 10)}
    moments = {}
    with app.app_context():
        for season, day in days.items():
            starts = scheduling.to_utc(day, time(18, 0)).at
            meeting = Meeting(set_id=cast.glasgow.id, starts_at=starts, location="Room 1")
            db.session.add(meeting)
            db.session.flush()
            moments[season] = (meeting.id, starts)
        db.session.commit()
    # In UTC the two are an hour apart: British Summer Time, then Greenwich Mean Time.
    assert (moments["spring"][1].hour, moments["autumn"][1].hour) == (17, 18)

    calendar = read(subscribe(cast.cara))
    shown = events(calendar)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    # The zone as the feed itself defines it, for an app that knows no zone by name.
    zone_of_the_feed = vtimezone.to_tz(lookup_tzid=False)

    for season, (meeting_id, starts) in moments.items():
        start = shown[f"meeting-{meeting_id}@{HOST}"]["DTSTART"]
        assert start.params["TZID"] == "Europe/London"
        assert start.dt.astimezone(UTC) == starts, season
        assert start.dt.astimezone(LONDON).time() == time(18, 0), season
        wall_clock = start.dt.replace(tzinfo=None)
        assert wall_clock == datetime.combine(days[season], time(18, 0))
        assert wall_clock.replace(tzinfo=zone_of_the_feed).astimezone(UTC) == starts, season


# Small, whatever the history ----------------------------------------------------------------


def add_history(app, cast, years: int = 6) -> None:
    """Years of Glasgow (a meeting a week, some cancelled, a few upcoming), with Cara's actions
    on each, in every state, and Cara in three more sets with meetings of their own."""
    now = datetime.now(UTC)
    with app.app_context():
        weeks = range(-52 * years, 20)
        meetings = [
            Meeting(
                set_id=cast.glasgow.id,
                starts_at=now + timedelta(weeks=week, hours=1),
                location=f"Room {week}",
                agenda=f"Agenda {week}",
                cancelled_at=now if week % 9 == 0 else None,
            )
            for week in weeks
        ]
        db.session.add_all(meetings)
        db.session.flush()
        statuses = list(ActionStatus)
        for number, meeting in enumerate(meetings):
            db.session.add(
                Reflection(
                    id=uuid.uuid4(),
                    author_id=cast.cara.id,
                    meeting_id=meeting.id,
                    set_id=cast.glasgow.id,
                    experience=f"History {number}.",
                    next_action=f"Action {number}.",
                    action_due=meeting.starts_at.date() + timedelta(days=21),
                    action_status=statuses[number % len(statuses)].value,
                    visibility="set",
                    created_at=meeting.starts_at,
                    updated_at=meeting.starts_at,
                )
            )
        db.session.commit()


def test_a_long_history_costs_no_more_queries_and_stays_small(
    app, cast, make, subscribe, calendar_app, count_queries
):
    path = subscribe(cast.cara)

    def fetched() -> tuple[int, Calendar]:
        with count_queries() as counted:
            answer = calendar_app(path)
        assert answer.status_code == 200
        return len(counted), Calendar.from_ical(answer.data)

    new, _ = fetched()
    add_history(app, cast)
    for number in range(3):
        other = make.set(f"Extra {number}", candidates=[cast.cara])
        make.meeting(other, 5 + number)
    after, calendar = fetched()

    # The owner with their sets, the meetings, the actions.
    assert new == after == 3
    year_ago = datetime.now(UTC) - ics.WINDOW
    starts = [event["DTSTART"].dt for event in calendar.walk("VEVENT")]
    meetings = [start for start in starts if isinstance(start, datetime)]
    assert len(meetings) > 52  # a year of weekly meetings, and what is to come
    assert all(start >= year_ago for start in meetings)
    assert len(starts) <= ics.MEETING_LIMIT + ics.ACTION_LIMIT


def test_the_feed_never_grows_past_its_limits(app, cast, subscribe, read, monkeypatch):
    add_history(app, cast, years=1)
    monkeypatch.setattr(ics, "MEETING_LIMIT", 4)
    monkeypatch.setattr(ics, "ACTION_LIMIT", 3)

    starts = [event["DTSTART"].dt for event in read(subscribe(cast.cara)).walk("VEVENT")]

    meetings = [start for start in starts if isinstance(start, datetime)]
    assert (len(meetings), len(starts) - len(meetings)) == (4, 3)
    # The earliest first: what is about to happen is never the part left out for the past.
    assert meetings == sorted(meetings)


# The secret is the credential ---------------------------------------------------------------


def test_the_feed_is_its_owners_whoever_opens_it(cast, subscribe, browser, read):
    """No session is read: Cal, signed in, opening Cara's address gets Cara's calendar."""
    path = subscribe(cast.cara)
    cal = browser(cast.cal.email)

    answer = cal.get(path)

    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers
    assert sorted(events(Calendar.from_ical(answer.data))) == sorted(events(read(path)))


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("/calendar/{unknown}.ics", id="unknown token"),
        pytest.param("/calendar/{upper}.ics", id="the token in capitals"),
        pytest.param("/calendar/{hash}.ics", id="the stored hash"),
        pytest.param("/calendar/{short}.ics", id="one character short"),
        pytest.param("/calendar/{token}x.ics", id="one character more"),
        pytest.param("/calendar/{short}%00.ics", id="a NUL"),
        pytest.param("/calendar/{short}%ff.ics", id="not UTF-8"),
        pytest.param("/calendar/{short}é.ics", id="not ASCII"),
        pytest.param("/calendar/{token}.ics.ics", id="doubled suffix"),
        pytest.param("/calendar/%20{token}.ics", id="a space"),
        pytest.param("/calendar/" + "a" * 5000 + ".ics", id="very long"),
    ],
)
def test_any_other_address_is_a_plain_404_with_no_hint_and_no_cookie(
    app, cast, subscribe, calendar_app, address
):
    token = token_of(subscribe(cast.cara))
    names = {
        "token": token,
        "unknown": "A" * 43,
        "upper": token.upper() if token.upper() != token else token.lower(),
        "hash": token_hash(token),
        "short": token[:-1],
    }
    unknown = calendar_app("/calendar/{}.ics".format("B" * 43))

    answer = calendar_app(address.format(**names))

    assert answer.status_code == 404
    # Word for word what a token that never existed gets: nothing tells the two apart.
    assert (answer.mimetype, answer.data) == (unknown.mimetype, unknown.data)
    assert (answer.mimetype, answer.data) == ("text/plain", b"Not found.\n")
    assert "Set-Cookie" not in answer.headers


def test_the_address_never_reaches_the_development_servers_log(cast, subscribe, app, caplog):
    from werkzeug.serving import make_server

    path = subscribe(cast.cara)
    server = make_server("127.0.0.1", 0, app)
    serving = threading.Thread(target=server.serve_forever)
    serving.start()
    try:
        address = f"http://127.0.0.1:{server.port}{path}"
        with caplog.at_level(logging.INFO), urllib.request.urlopen(address) as answer:
            assert answer.status == 200
    finally:
        server.shutdown()
        serving.join()
        server.server_close()

    lines = [record.getMessage() for record in caplog.records]
    assert any(HIDDEN_PATH in line and "GET" in line for line in lines), lines
    assert not any(token_of(path) in line for line in lines)
