"""The home page's cards are easy to scan (issue 22, item 12): each titled by its reflection's
first words in plain text, the meeting beside the date; an old reflection back in "Shared with
you since the last meeting" only because its action changed says "action updated"; and each of
"Recent comments on your reflections" says whose comment on which reflection."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from journal.models import Meeting, User
from tests.reflections.test_pages import cards, parse, set_sections

FEEDBACK = (
    "I brought my **problem** about a _team_ that avoids giving me feedback, week after week."
)
FEEDBACK_TITLE = "I brought my problem about a team that avoids giving me…"
BOARD = "# Writing to the board\n\nWhat I will say about the `budget`."
BOARD_TITLE = "Writing to the board What I will say about the budget."


@dataclass
class Cast:
    fran: User
    cara: User
    glasgow: object
    earlier: Meeting
    last: Meeting


@pytest.fixture
def cast(make) -> Cast:
    fran, cara = make.user("Fran Facilitator"), make.user("Cara Candidate")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara])
    return Cast(fran, cara, glasgow, make.meeting(glasgow, -14), make.meeting(glasgow, -3))


def frans_cards(visit, cast: Cast):
    return cards(set_sections(visit(cast.fran).page("/"))[cast.glasgow.id])


def meta_of(visit, cast: Cast) -> dict:
    page = visit(cast.fran).page("/")
    section = set_sections(page)[cast.glasgow.id]
    return {a.one("h3").text: a.one("p", cls="meta").text for a in section.select("article")}


def test_cards_are_titled_by_their_first_words_without_markdown(make, visit, cast):
    make.reflection(cast.cara, None, "facilitator", learning_set=cast.glasgow, experience=FEEDBACK)
    make.reflection(
        cast.cara, cast.last, "facilitator", experience="", insight=BOARD, next_action=""
    )
    shown = frans_cards(visit, cast)
    assert sorted(card.heading for card in shown) == sorted(
        [f"Cara Candidate: {FEEDBACK_TITLE}", f"Cara Candidate: {BOARD_TITLE}"]
    )
    metas = meta_of(visit, cast)
    # The meeting is still said, beside when it was written.
    assert metas[f"Cara Candidate: {FEEDBACK_TITLE}"].startswith("Not linked to a meeting · ")
    assert metas[f"Cara Candidate: {BOARD_TITLE}"].startswith("Glasgow 3 — ")


def action_update(visitor, reflection, status="done", outcome="It went well."):
    answer = visitor.post(
        f"/actions/{reflection.id}",
        {
            f"a{reflection.id.hex}-action_status": status,
            f"a{reflection.id.hex}-action_outcome": outcome,
            f"a{reflection.id.hex}-base_version": str(reflection.version),
        },
    )
    assert answer.status_code == 302, answer.text


def text_update(visitor, reflection, experience: str):
    answer = visitor.post(
        f"/reflections/{reflection.id}/edit",
        {
            "experience": experience,
            "insight": reflection.insight,
            "next_action": reflection.next_action,
            "action_due": reflection.action_due.isoformat(),
            "meeting_id": str(reflection.meeting_id),
            "set_id": str(reflection.set_id),
            "visibility": reflection.visibility,
            "base_version": str(reflection.version),
        },
    )
    assert answer.status_code == 302, answer.text


def written_before_the_last_meeting(make, cast, experience):
    # After the earlier meeting (14 days ago), before the last one (3 days ago).
    return make.reflection(
        cast.cara, cast.earlier, "facilitator", age=timedelta(days=10), experience=experience
    )


def test_an_old_reflection_whose_action_alone_changed_says_action_updated(make, visit, cast):
    acted = written_before_the_last_meeting(make, cast, "Only its action changes.")
    rewritten = written_before_the_last_meeting(make, cast, "Its words change.")
    both = written_before_the_last_meeting(make, cast, "Words and action change.")
    untouched = written_before_the_last_meeting(make, cast, "Nothing changes.")
    new = make.reflection(cast.cara, cast.last, "facilitator", experience="Written just now.")
    cara = visit(cast.cara)
    action_update(cara, acted)
    text_update(cara, rewritten, "Its words changed.")
    text_update(cara, both, "Words changed.")
    both.version += 1
    action_update(cara, both)

    metas = meta_of(visit, cast)
    titles = {
        "acted": "Cara Candidate: Only its action changes.",
        "rewritten": "Cara Candidate: Its words changed.",
        "both": "Cara Candidate: Words changed.",
        "new": "Cara Candidate: Written just now.",
    }
    assert set(metas) == set(titles.values())  # the untouched one is not new
    assert "Nothing changes." not in str(metas)
    assert "action updated" in metas[titles["acted"]]
    for key in ("rewritten", "both", "new"):
        assert "action updated" not in metas[titles[key]], key
    assert ", changed " in metas[titles["rewritten"]]
    assert ", changed " in metas[titles["both"]]
    assert untouched and new


def test_recent_comments_say_whose_comment_on_which_reflection(make, visit, cast):
    first = make.reflection(cast.cara, cast.last, "facilitator", experience=FEEDBACK)
    second = make.reflection(cast.cara, cast.last, "facilitator", experience=BOARD)
    fran = visit(cast.fran)
    for reflection in (first, second):
        answer = fran.post(f"/reflections/{reflection.id}/comments", {"body": "Well noticed."})
        assert answer.status_code == 302
    page = parse(visit(cast.cara).get("/").text)
    links = [a.text for a in page.one("section", cls="new-comments").select("a")]
    assert sorted(links) == sorted(
        [
            f"Fran Facilitator’s comment on “{FEEDBACK_TITLE}”",
            f"Fran Facilitator’s comment on “{BOARD_TITLE}”",
        ]
    )


def test_what_changed_costs_one_statement_and_only_when_an_old_reflection_is_back(
    app, make, visit, cast, count_queries
):
    """fran's home page: 6 statements when everything shown was written since the last meeting
    (as before this change), 7 when an older reflection is back: the audit trail's reflection
    events since the meeting, for those reflections only."""
    make.reflection(cast.cara, cast.last, "facilitator", experience="Written just now.")
    fran = visit(cast.fran)

    def statements() -> int:
        with count_queries() as counted:
            assert fran.get("/").status_code == 200
        return len(counted)

    assert statements() == HOME_STATEMENTS
    action_update(visit(cast.cara), written_before_the_last_meeting(make, cast, "Back again."))
    assert statements() == HOME_STATEMENTS + 1


HOME_STATEMENTS = 6


@pytest.mark.parametrize(
    ("markdown", "limit", "title"),
    [
        ("Short.", 60, "Short."),
        ("**Bold** and _em_ and `code`", 60, "Bold and em and code"),
        ("- one\n- two\n\n> quoted", 60, "one two quoted"),
        ("[a link](https://example.org) &amp; <b>tags</b>", 60, "a link & <b>tags</b>"),
        ("one two three four", 12, "one two…"),
        ("abcdefghijklmnopqrstuvwxyz", 10, "abcdefghi…"),
        ("", 60, ""),
    ],
)
def test_first_words_are_plain_text_cut_at_a_word(markdown, limit, title):
    from journal.text import first_words

    assert first_words(markdown, limit) == title
