"""An overdue action says so to its owner in words, as the facilitator's brief says it to her:
on Today, on Actions and in the report-back round, "Overdue by N days" beside the due date."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from journal.templating import format_date


@pytest.fixture
def today(app) -> date:
    # What "overdue" is measured against: today where the set meets.
    return datetime.now(ZoneInfo(app.config["TIMEZONE"])).date()


@pytest.fixture
def actions(make, today):
    cara, fran = make.user("Cara Candidate"), make.user("Fran Facilitator")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara])
    earlier, last = make.meeting(glasgow, days=-40), make.meeting(glasgow, days=-2)
    written = {
        key: make.reflection(cara, meeting, "facilitator", next_action=text, **fields)
        for key, meeting, text, fields in [
            ("late", earlier, "Ask for feedback.", {"action_due": today - timedelta(31)}),
            ("a-day-late", earlier, "Book the room.", {"action_due": today - timedelta(1)}),
            ("today", last, "Write to the board.", {"action_due": today}),
            ("soon", last, "Read the handbook.", {"action_due": today + timedelta(3)}),
            (
                "carried-late",
                earlier,
                "Map the stakeholders.",
                {"action_due": today - timedelta(2), "action_status": "carried"},
            ),
            (
                "done-late",
                earlier,
                "Closed long ago.",
                {"action_due": today - timedelta(20), "action_status": "done"},
            ),
        ]
    }
    return cara, written


# key -> what follows the due date in words (None: nothing)
EXPECTED = {
    "late": "Overdue by 31 days",
    "a-day-late": "Overdue by 1 day",
    "today": "Due today",
    "soon": None,
    "carried-late": "Overdue by 2 days",
    "done-late": None,  # done: no longer due
}


def said(text: str, reflection, key: str) -> None:
    """`text` names the due date of `reflection`, then what EXPECTED says of `key`, or nothing."""
    due = f"due {format_date(reflection.action_due)}"
    assert due in text
    words = EXPECTED[key]
    after = " ".join(text.split(due, 1)[1].split())
    if words is None:
        assert "Overdue" not in after and "Due today" not in after, after
    else:
        assert after.startswith(f"· {words}"), after


def test_today_says_how_overdue_each_open_action_is(actions, visit):
    cara, written = actions
    section = visit(cara).page("/").one("section", aria_labelledby="open-actions")
    items = {li.one("a").attrs["href"].rsplit("#action-", 1)[1]: li for li in section.select("li")}
    for key in ("late", "a-day-late", "today", "soon", "carried-late"):
        said(items[str(written[key].id)].text, written[key], key)
    overdue = [strong.text for strong in section.select("strong", cls="overdue")]
    assert sorted(overdue) == ["Overdue by 1 day", "Overdue by 2 days", "Overdue by 31 days"]


def test_actions_says_how_overdue_each_open_action_is_and_never_a_closed_one(actions, visit):
    cara, written = actions
    page = visit(cara).page("/actions")
    for key, reflection in written.items():
        meta = page.one("article", id=f"action-{reflection.id}").one("p", cls="meta")
        said(meta.text, reflection, key)


def test_the_report_back_round_says_how_overdue_an_action_is(actions, visit):
    cara, written = actions
    page = visit(cara).page("/")
    card = page.one("article", id=f"review-{written['late'].id}")
    said(card.one("p", cls="meta").text, written["late"], "late")


def test_an_action_stored_due_at_the_edge_of_time_breaks_no_page(make, visit, today):
    """Stored before dates were bounded (1970–2100), 9999-12-31 and 0001-01-01 still read."""
    cara, fran = make.user("Cara Candidate"), make.user("Fran Facilitator")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara])
    earlier, last = make.meeting(glasgow, days=-40), make.meeting(glasgow, days=-2)
    make.meeting(glasgow, days=5)
    make.reflection(cara, earlier, "facilitator", action_due=date(9999, 12, 31))
    make.reflection(cara, last, "facilitator", action_due=date(1, 1, 1))
    for person, address in [
        (cara, "/"),
        (cara, "/actions"),
        (cara, "/reflections"),
        (cara, "/api/v1/reflections"),
        (fran, "/"),
        (fran, f"/sets/{glasgow.id}"),
        (fran, f"/sets/{glasgow.id}/brief"),
        (fran, f"/sets/{glasgow.id}/brief.pdf"),
    ]:
        assert visit(person).get(address).status_code == 200, address
