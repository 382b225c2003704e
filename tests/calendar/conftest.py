"""The cast of the calendar tests, and what a person and a calendar app do.

Glasgow 3: facilitated by Fran, candidates Cara and Cal; it met 7 days ago (`last`) and meets in
7 days (`next`). Leeds 1: facilitated by Finn, candidate Lee; it meets in 10 days. Alex is an
admin in no set. Cara, Cal and Lee each have a reflection with an open action due in a week,
every part of it holding words that must never reach a calendar (`SECRETS`).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from icalendar import Calendar, Event

from journal.models import LearningSet, Meeting, Reflection, User
from tests.factories import Factory
from tests.reflections.test_pages import Visitor, parse

HOST = "localhost"  # the test client's


def secret_words(owner: str) -> dict[str, str]:
    """A reflection's text, every part with words found nowhere else."""
    return {
        "experience": f"{owner} experience: the quarrel with Morag about the rota.",
        "insight": f"{owner} insight: I avoid conflict with my line manager.",
        "next_action": f"{owner} next action: talk to Morag before Friday’s huddle.",
        "action_outcome": f"{owner} outcome so far: nothing yet.",
    }


@dataclass
class Cast:
    fran: User
    finn: User
    cara: User
    cal: User
    lee: User
    alex: User
    glasgow: LearningSet
    leeds: LearningSet
    last: Meeting
    next: Meeting
    leeds_next: Meeting
    actions: dict[str, Reflection]  # first name -> their reflection with an open action


@pytest.fixture
def cast(make: Factory) -> Cast:
    fran, finn = make.user("Fran"), make.user("Finn")
    cara, cal, lee = make.user("Cara"), make.user("Cal"), make.user("Lee")
    alex = make.user("Alex", is_admin=True)
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara, cal])
    leeds = make.set("Leeds 1", facilitators=[finn], candidates=[lee])
    last, next_ = make.meeting(glasgow, -7), make.meeting(glasgow, 7)
    leeds_next = make.meeting(leeds, 10)
    due = date.today() + timedelta(days=7)
    actions = {
        "Cara": make.reflection(cara, last, "set", action_due=due, **secret_words("Cara")),
        "Cal": make.reflection(cal, last, "set", action_due=due, **secret_words("Cal")),
        # Not linked to a meeting: its set is the one Lee chose.
        "Lee": make.reflection(
            lee, None, "set", learning_set=leeds, action_due=due, **secret_words("Lee")
        ),
    }
    return Cast(fran, finn, cara, cal, lee, alex, glasgow, leeds, last, next_, leeds_next, actions)


def turn_on(visitor: Visitor) -> str:
    """Press *Turn on* (or *Get a new address*) on Account; the feed's path, as the page shows
    its address."""
    answer = visitor.post("/calendar/feed", {})
    assert answer.status_code == 200
    address = parse(answer.text).one("textarea", aria_label="Calendar address").text
    parts = urlsplit(address)
    assert (parts.scheme, parts.netloc) == ("http", HOST)
    return parts.path


def token_of(path: str) -> str:
    return path.removeprefix("/calendar/").removesuffix(".ics")


@pytest.fixture
def subscribe(visit):
    """`subscribe(person)`: they turn their feed on; its path."""

    def subscribing(person: User) -> str:
        return turn_on(visit(person))

    return subscribing


@pytest.fixture
def calendar_app(app: Flask):
    """`calendar_app(path)`: what a calendar app gets there, with no cookie of any kind."""

    def fetching(path: str, **headers):
        return app.test_client().get(path, headers=headers)

    return fetching


@pytest.fixture
def read(calendar_app):
    """`read(path)`: the calendar at that address, parsed by the icalendar library."""

    def reading(path: str) -> Calendar:
        answer = calendar_app(path)
        assert answer.status_code == 200, answer.status_code
        return Calendar.from_ical(answer.data)

    return reading


def events(calendar: Calendar) -> dict[str, Event]:
    """The calendar's events by UID (each UID once)."""
    found = calendar.walk("VEVENT")
    by_uid = {str(event["UID"]): event for event in found}
    assert len(by_uid) == len(found), "a UID given twice"
    return by_uid


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.id}@{HOST}"


def action_uid(reflection: Reflection) -> str:
    return f"action-{reflection.id}@{HOST}"
