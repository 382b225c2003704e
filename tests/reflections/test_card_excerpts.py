"""Cards show a reflection's first words as plain text, never its Markdown syntax (issue 22,
item 7): Journal, Today, a set's page, a meeting's page, and the action lists beside them."""

import pytest

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
