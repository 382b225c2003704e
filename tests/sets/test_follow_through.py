"""Follow-through: what came of the actions committed at a meeting (done, dropped, carried
forward, still open), on the meeting's page for its members and per past meeting on the set's
page for its facilitators; and the actions carried forward to a meeting, on its page.

Each person sees the numbers of what they may read, and nothing else: a private reflection never
counts, not even the viewer's own, and a facilitator-only one never reaches another candidate's
numbers. The picture is server-rendered (inline SVG, no script) with its numbers as words.
"""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from journal.extensions import db
from journal.models import Meeting, Membership
from journal.sets.follow_through import FollowThrough
from tests.reflections.test_pages import Element, links, parse, without_tokens

from .common import stored_meeting

# The numbers in the order the legend gives them.
STATES = ("Done", "Dropped", "Carried forward", "Still open")


def commit(make, author, meeting, visibility, status, **fields):
    """A reflection linked to `meeting` committing to an action in state `status`."""
    fields.setdefault("next_action", f"{author.name}'s {status} action {uuid.uuid4().hex[:6]}")
    return make.reflection(author, meeting, visibility, action_status=status, **fields)


def numbers(block: Element) -> dict[str, int]:
    """A follow-through picture read as words: state -> number (empty when it says none)."""
    found = {}
    for item in block.select("li"):
        label, count = item.text.rsplit(" ", 1)
        found[label] = int(count)
    if found:
        assert list(found) == list(STATES)
    return found


def meeting_numbers(visitor, meeting) -> dict[str, int]:
    section = visitor.page(f"/meetings/{meeting.id}").one(
        "section", aria_labelledby="follow-through"
    )
    return numbers(section.one("div", cls="follow-through"))


def expected(done=0, dropped=0, carried=0, open_=0) -> dict[str, int]:
    if not done + dropped + carried + open_:
        return {}
    return dict(zip(STATES, (done, dropped, carried, open_), strict=True))


@pytest.fixture
def committed(cast, make):
    """At the last meeting: a shared action of each state, and what must never be counted."""
    rows = {
        "cara-facilitator-done": commit(make, cast.cara, cast.last, "facilitator", "done"),
        "cal-set-dropped": commit(make, cast.cal, cast.last, "set", "dropped"),
        "cal-facilitator-carried": commit(
            make, cast.cal, cast.last, "facilitator", "carried", carried_to_meeting_id=cast.next.id
        ),
        "cara-set-open": commit(make, cast.cara, cast.last, "set", "open"),
        # Never counted: private (any state, anyone's), no action, another meeting or set.
        "cal-private-done": commit(make, cast.cal, cast.last, "private", "done"),
        "cara-private-open": commit(make, cast.cara, cast.last, "private", "open"),
        "cal-no-action": commit(make, cast.cal, cast.last, "set", "open", next_action=""),
        "cara-earlier": commit(make, cast.cara, cast.earlier, "set", "done"),
        "lee-leeds": commit(make, cast.lee, cast.leeds_last, "set", "done"),
    }
    return rows


# viewer -> what they read of the last meeting's follow-through
SEEN = {
    # Fran: every shared action (facilitator and set), none private.
    "fran": expected(done=1, dropped=1, carried=1, open_=1),
    # Cara: her own shared ones and Cal's set one; not Cal's facilitator-only one, not her
    # own private one.
    "cara": expected(done=1, dropped=1, open_=1),
    # Cal: his own shared ones and Cara's set one.
    "cal": expected(dropped=1, carried=1, open_=1),
}


@pytest.mark.parametrize("viewer", list(SEEN))
def test_each_member_sees_the_follow_through_of_what_they_may_read(cast, committed, visit, viewer):
    assert meeting_numbers(visit(getattr(cast, viewer)), cast.last) == SEEN[viewer]


def test_the_numbers_come_with_a_bar_of_matching_widths(cast, committed, visit):
    block = (
        visit(cast.fran)
        .page(f"/meetings/{cast.last.id}")
        .one("section", aria_labelledby="follow-through")
        .one("div", cls="follow-through")
    )
    assert block.one("p", cls="total").text == "4 actions:"
    bar = block.one("svg")
    assert bar.attrs["aria-hidden"] == "true"  # the words say it to a screen reader
    segments = {r.attrs["class"]: r for r in bar.select("rect") if r.attrs["class"] != "track"}
    assert list(segments) == ["done", "dropped", "carried", "open"]
    assert [float(r.attrs["width"]) for r in segments.values()] == [25.0] * 4
    assert [float(r.attrs["x"]) for r in segments.values()] == [0.0, 25.0, 50.0, 75.0]
    # Each number beside a swatch of its segment's colour, and its name in words.
    assert [li.attrs["class"] for li in block.one("ul", cls="legend").select("li")] == list(
        segments
    )


def test_a_meeting_without_readable_actions_says_so(cast, make, visit):
    commit(make, cast.cal, cast.last, "facilitator", "done")
    cara = visit(cast.cara).page(f"/meetings/{cast.last.id}")
    block = cara.one("section", aria_labelledby="follow-through").one("div", cls="follow-through")
    assert block.text == "No actions committed at this meeting that you can read."
    assert not block.select("svg")


@pytest.mark.parametrize("author", ["cara", "cal"])
@pytest.mark.parametrize("status", ["open", "done", "dropped", "carried"])
def test_a_private_action_changes_no_page_of_anyone_else(cast, make, visit, author, status):
    """The leak test: another's private reflection leaves the facilitator's and the other
    candidate's meeting and set pages exactly as they were, numbers and all; the author's own
    picture does not count it either."""
    commit(make, cast.cal, cast.last, "set", "done")
    commit(make, cast.cara, cast.last, "facilitator", "open")
    person = getattr(cast, author)
    others = [visit(p) for p in (cast.fran, cast.cal if author == "cara" else cast.cara)]
    urls = [f"/meetings/{cast.last.id}", f"/sets/{cast.glasgow.id}", f"/meetings/{cast.next.id}"]
    before = {
        (i, url): without_tokens(v.get(url).text) for i, v in enumerate(others) for url in urls
    }
    own_before = meeting_numbers(visit(person), cast.last)

    commit(make, person, cast.last, "private", status, carried_to_meeting_id=cast.next.id)
    for (i, url), page in before.items():
        assert without_tokens(others[i].get(url).text) == page, url
    assert meeting_numbers(visit(person), cast.last) == own_before


def test_a_facilitator_only_action_is_in_no_other_candidates_numbers(cast, make, visit):
    commit(make, cast.cal, cast.last, "set", "done")
    cara = visit(cast.cara)
    before = without_tokens(cara.get(f"/meetings/{cast.last.id}").text)
    commit(make, cast.cal, cast.last, "facilitator", "dropped")
    assert without_tokens(cara.get(f"/meetings/{cast.last.id}").text) == before
    assert meeting_numbers(visit(cast.fran), cast.last) == expected(done=1, dropped=1)


def test_what_someone_shared_stops_counting_when_they_leave_the_set(app, cast, make, visit):
    commit(make, cast.cal, cast.last, "set", "done")
    commit(make, cast.cara, cast.last, "set", "open")
    with app.app_context():
        db.session.execute(delete(Membership).where(Membership.user_id == cast.cal.id))
        db.session.commit()
    assert meeting_numbers(visit(cast.fran), cast.last) == expected(open_=1)


# The set page: a row per past meeting, for its facilitators ---------------------------------


def past_rows(page: Element) -> dict[str, dict[str, int] | None]:
    """Each past meeting's link -> its follow-through as words (None: no picture there)."""
    rows = {}
    for item in page.one("section", aria_labelledby="past").select("li"):
        if not item.select("a"):
            continue  # a legend entry, inside a meeting's row
        link = item.select("a")[0].attrs["href"]
        blocks = item.select("div", cls="follow-through")
        rows[link] = numbers(blocks[0]) if blocks else None
    return rows


def test_facilitators_see_each_past_meetings_follow_through_on_the_set_page(cast, committed, visit):
    rows = past_rows(visit(cast.fran).page(f"/sets/{cast.glasgow.id}"))
    assert rows == {
        f"/meetings/{cast.last.id}": SEEN["fran"],
        f"/meetings/{cast.earlier.id}": expected(done=1),
    }


@pytest.mark.parametrize("viewer", ["cara", "cal"])
def test_candidates_see_no_follow_through_rows_on_the_set_page(cast, committed, visit, viewer):
    rows = past_rows(visit(getattr(cast, viewer)).page(f"/sets/{cast.glasgow.id}"))
    assert rows == {f"/meetings/{cast.last.id}": None, f"/meetings/{cast.earlier.id}": None}


def test_the_set_pages_rows_follow_its_pages_of_past_meetings(app, cast, make, visit):
    now = datetime.now(UTC)
    with app.app_context():
        older = [
            Meeting(set_id=cast.glasgow.id, starts_at=now - timedelta(days=40 + i))
            for i in range(3)
        ]
        db.session.add_all(older)
        db.session.commit()
        oldest = older[-1].id
    commit(make, cast.cal, stored_meeting(app, oldest), "set", "dropped")
    fran = visit(cast.fran)
    second = past_rows(fran.page(f"/sets/{cast.glasgow.id}?past_page=2"))
    assert second[f"/meetings/{oldest}"] == expected(dropped=1)
    assert len(second) == 2  # 5 past meetings, 3 a page


# Actions carried forward to a meeting ------------------------------------------------------


def carried_list(visitor, meeting) -> list[uuid.UUID]:
    section = visitor.page(f"/meetings/{meeting.id}").one("section", aria_labelledby="carried")
    return [
        uuid.UUID(re.fullmatch(r"/reflections/([0-9a-f-]{36})", href)[1])
        for href in links(section, "")
        if href.startswith("/reflections/")
    ]


def test_a_meeting_lists_the_actions_carried_to_it_that_the_viewer_may_read(cast, make, visit):
    carried = {
        visibility: commit(
            make,
            cast.cara,
            cast.last,
            visibility,
            "carried",
            carried_to_meeting_id=cast.next.id,
        )
        for visibility in ("private", "facilitator", "set")
    }
    # Not carried there: carried elsewhere, or no longer carried.
    commit(make, cast.cal, cast.last, "set", "carried", carried_to_meeting_id=cast.last.id)
    commit(make, cast.cal, cast.last, "set", "done", carried_to_meeting_id=None)
    readable = {
        "cara": ["private", "facilitator", "set"],
        "fran": ["facilitator", "set"],
        "cal": ["set"],
    }
    for viewer, visibilities in readable.items():
        found = carried_list(visit(getattr(cast, viewer)), cast.next)
        assert sorted(found) == sorted(carried[v].id for v in visibilities), viewer
    section = (
        visit(cast.fran).page(f"/meetings/{cast.next.id}").one("section", aria_labelledby="carried")
    )
    assert "Cara Candidate: " in section.text
    assert carried["private"].next_action not in section.text


def test_a_meeting_with_nothing_carried_to_it_says_so(cast, visit):
    section = (
        visit(cast.fran).page(f"/meetings/{cast.next.id}").one("section", aria_labelledby="carried")
    )
    assert section.one("p", cls="empty").text == "None that you can read."


def test_carried_actions_come_a_page_at_a_time(cast, make, visit):
    written = [
        commit(
            make,
            cast.cal,
            cast.last,
            "set",
            "carried",
            carried_to_meeting_id=cast.next.id,
        )
        for _ in range(4)
    ]
    fran = visit(cast.fran)
    first = fran.page(f"/meetings/{cast.next.id}")
    pager = first.one("nav", aria_label="Pages of carried actions")
    (more,) = [a.attrs["href"] for a in pager.select("a", rel="next")]
    assert "carried_page=2" in more
    second = parse(fran.get(more).text)
    assert len(carried_list(fran, cast.next)) == 3
    shown_second = [
        a.attrs["href"]
        for a in second.one("section", aria_labelledby="carried").select("a")
        if a.attrs["href"].startswith("/reflections/")
    ]
    assert len(shown_second) == 1
    assert {f"/reflections/{r.id}" for r in written} >= set(shown_second)


# The macro on its own, for other pages (the facilitator's brief) ------------------------------


def test_the_macro_renders_on_its_own(app):
    with app.test_request_context():
        macro = app.jinja_env.get_template("sets/_follow_through.html").module.follow_through
        html = str(macro(FollowThrough({"done": 3, "open": 1})))
        compact = str(macro(FollowThrough({}), compact=True))
    block = parse(html).one("div", cls="follow-through")
    assert numbers(block) == expected(done=3, open_=1)
    assert [r.attrs["class"] for r in block.select("rect")] == ["track", "done", "open"]
    assert [float(r.attrs["width"]) for r in block.select("rect")[1:]] == [75.0, 25.0]
    assert parse(compact).one("p", cls="empty").text == "No actions that you can read."
