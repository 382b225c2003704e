"""Cards show a reflection's first words as plain text, never its Markdown syntax (issue 22,
item 7): Journal, Today, a set's page, a meeting's page, and the action lists beside them."""

import pytest

from journal.models import Reflection
from journal.templating import card_excerpt, card_title

MARKDOWN = "About a **team that avoids giving me feedback**, _twice_."
PLAIN = "About a team that avoids giving me feedback, twice."
ACTION = "Ask **one** question at the [next meeting](https://example.org/)."
ACTION_PLAIN = "Ask one question at the next meeting (https://example.org/)."


@pytest.fixture
def people(make):
    fran, cara = make.user("Fran Facilitator"), make.user("Cara Candidate")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara])
    last = make.meeting(glasgow, -7)
    make.meeting(glasgow, 7)
    make.reflection(cara, last, "facilitator", experience=MARKDOWN, next_action=ACTION)
    return {"fran": fran, "cara": cara, "glasgow": glasgow, "last": last}


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("cara", "/reflections"),
        ("fran", "/"),
        ("fran", "/sets/{glasgow}"),
        ("cara", "/sets/{glasgow}"),
        ("fran", "/meetings/{last}"),
    ],
)
def test_cards_show_plain_words(visit, people, who, url):
    address = url.format(glasgow=people["glasgow"].id, last=people["last"].id)
    page = visit(people[who]).get(address)

    assert page.status_code == 200
    assert PLAIN in page.text
    assert "**" not in page.text and "_twice_" not in page.text


def test_the_open_actions_on_today_are_plain_words(visit, people):
    page = visit(people["cara"]).get("/").text

    assert ACTION_PLAIN in page
    assert "**one**" not in page


@pytest.mark.parametrize(
    ("experience", "insight", "excerpt"),
    [
        # The title holds the whole first part: the excerpt goes on with the next.
        ("A short **one**.", "What I _learned_.", "What I learned."),
        # The title is cut: the excerpt takes up where it stopped.
        (
            "I brought my problem about a team that avoids giving me feedback in meetings.",
            "Ask.",
            "…feedback in meetings. Ask.",
        ),
        # Nothing after the title: no excerpt.
        ("Only this.", "", ""),
    ],
)
def test_a_cards_excerpt_goes_on_from_its_title(experience, insight, excerpt):
    reflection = Reflection(experience=experience, insight=insight, next_action="")

    assert card_excerpt(reflection) == excerpt
    assert not excerpt or not excerpt.startswith(card_title(reflection))
