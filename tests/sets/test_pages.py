"""The set page and the meeting page as each member reads them: who is in the set, its meetings
upcoming and past, and the reflections the viewer may read, each list a page at a time; never
a private reflection, never a facilitator-only one to a candidate; links from the home page and
the navigation; and SQL statements that do not grow with years of history."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from journal.extensions import db
from journal.models import Meeting, Reflection
from tests.reflections.test_pages import card_ids, links, meeting_lines, set_sections

from .common import PAGE_SIZE


def write(make, author, meeting=None, visibility="facilitator", hours=1.0, learning_set=None):
    return make.reflection(
        author,
        meeting,
        visibility,
        age=timedelta(hours=hours),
        learning_set=learning_set,
        experience=f"{author.name} ({visibility}) {uuid.uuid4().hex[:8]}",
    )


def all_cards(visitor, url: str, param: str = "page") -> list[uuid.UUID]:
    """Every card of a paged list, following "Older" links (rel=next) of the reflections."""
    found, seen = [], 0
    while url:
        page = visitor.page(url)
        section = page.one("section", aria_labelledby="reflections")
        found += card_ids(section)
        following = [a for a in section.select("a", rel="next")]
        url = following[0].attrs["href"] if following else None
        seen += 1
        assert seen < 30
    return found


@pytest.fixture
def shared(app, cast, make):
    """Every visibility from each Glasgow candidate, linked and not, and Lee's in Leeds."""
    rows = {}
    for name in ("cara", "cal"):
        author = getattr(cast, name)
        for visibility in ("private", "facilitator", "set"):
            rows[(name, visibility, "linked")] = write(make, author, cast.last, visibility)
            rows[(name, visibility, "unlinked")] = write(
                make, author, None, visibility, learning_set=cast.glasgow
            )
    rows[("lee", "set", "linked")] = write(make, cast.lee, cast.leeds_last, "set")
    # Cara's, reaching no set at all: not the set's.
    rows[("cara", "set", "no set")] = write(make, cast.cara, None, "set")
    return rows


def readable_by(viewer: str, rows: dict) -> set[uuid.UUID]:
    """SPEC.md's matrix for Glasgow's reflections: the author reads hers; Cal and Cara read
    each other's `set` ones; Fran reads `facilitator` and `set` ones."""
    expected = set()
    for (author, visibility, where), reflection in rows.items():
        if author == "lee" or where == "no set":
            continue
        if author == viewer or (
            visibility == "set" or (visibility == "facilitator" and viewer == "fran")
        ):
            expected.add(reflection.id)
    return expected


@pytest.mark.parametrize("viewer", ["cara", "cal", "fran"])
def test_the_set_page_lists_what_the_viewer_may_read_newest_first(cast, shared, visit, viewer):
    visitor = visit(getattr(cast, viewer))
    found = all_cards(visitor, f"/sets/{cast.glasgow.id}")
    assert set(found) == readable_by(viewer, shared)
    assert len(found) == len(set(found))
    others_private = {r.id for (a, v, _w), r in shared.items() if v == "private" and a != viewer}
    assert not others_private & set(found)
    if viewer != "fran":
        others_facilitator = {
            r.id for (a, v, _w), r in shared.items() if v == "facilitator" and a != viewer
        }
        assert not others_facilitator & set(found)
    # Newest first: the fixture wrote them one after another, each a moment after the last.
    expected = readable_by(viewer, shared)
    assert found == [r.id for r in reversed(shared.values()) if r.id in expected]


def test_a_private_reflection_leaves_no_trace_on_the_set_and_meeting_pages(cast, make, visit):
    secret = "Nobody may know this"
    private = make.reflection(cast.cal, cast.last, "private", experience=secret)
    for person in (cast.cara, cast.fran):
        visitor = visit(person)
        for url in (f"/sets/{cast.glasgow.id}", f"/meetings/{cast.last.id}"):
            answer = visitor.get(url)
            assert secret not in answer.text
            assert str(private.id) not in answer.text
        # Cal stays among those nothing can be read from, as if he had written nothing.
        meeting = visitor.page(f"/meetings/{cast.last.id}")
        assert "Cal Candidate" in quiet_on(meeting)


def test_a_facilitator_only_reflection_reaches_the_facilitator_not_the_candidates(
    cast, make, visit
):
    words = "For the facilitator alone"
    reflection = make.reflection(cast.cal, cast.last, "facilitator", experience=words)
    for url in (f"/sets/{cast.glasgow.id}", f"/meetings/{cast.last.id}"):
        assert reflection.id in card_ids(visit(cast.fran).page(url))
        assert words not in visit(cast.cara).get(url).text
        assert str(reflection.id) not in visit(cast.cara).get(url).text
        assert reflection.id in card_ids(visit(cast.cal).page(url))


def test_the_set_page_names_its_members_and_roles(cast, visit):
    page = visit(cast.cara).page(f"/sets/{cast.glasgow.id}")
    people = [li.text for li in page.one("section", aria_labelledby="members").select("li")]
    assert people == [
        "Fran Facilitator facilitator",
        "Cal Candidate candidate",
        "Cara Candidate (you) candidate",
    ]
    assert "Glasgow 3" in page.one("h1").text


def test_only_those_who_may_schedule_are_offered_to(cast, visit):
    fran = visit(cast.fran).page(f"/sets/{cast.glasgow.id}")
    assert links(fran, "Schedule a meeting") == [f"/sets/{cast.glasgow.id}/meetings/new"]
    cara = visit(cast.cara).page(f"/sets/{cast.glasgow.id}")
    assert links(cara, "Schedule") == []
    meeting = visit(cast.cara).page(f"/meetings/{cast.next.id}")
    assert links(meeting, "Change") == [] and links(meeting, "Cancel meeting") == []
    assert links(meeting, "Reflect on this meeting") == [
        f"/reflections/new?meeting_id={cast.next.id}"
    ]
    meeting = visit(cast.fran).page(f"/meetings/{cast.next.id}")
    assert links(meeting, "Change") == [f"/meetings/{cast.next.id}/edit"]
    assert links(meeting, "Cancel meeting") == [f"/meetings/{cast.next.id}/cancel"]
    assert links(meeting, "Reflect") == []


def add_meetings(app, set_id: int, before: int, after: int) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        db.session.add_all(
            [Meeting(set_id=set_id, starts_at=now - timedelta(days=30 + i)) for i in range(before)]
            + [Meeting(set_id=set_id, starts_at=now + timedelta(days=30 + i)) for i in range(after)]
        )
        db.session.commit()


def meeting_links(visitor, url: str, section: str) -> tuple[list[str], str | None]:
    part = visitor.page(url).one("section", aria_labelledby=section)
    following = part.select("a", rel="next")
    items = part.select("ul", cls="meeting-list")
    shown = [a.attrs["href"] for a in items[0].select("a")] if items else []
    return shown, following[0].attrs["href"] if following else None


@pytest.mark.parametrize(
    ("section", "param"), [("upcoming", "upcoming_page"), ("past", "past_page")]
)
def test_meetings_come_a_page_at_a_time(app, cast, visit, section, param):
    # With the cast's own: 7 past and 7 upcoming.
    add_meetings(app, cast.glasgow.id, before=5, after=6)
    visitor = visit(cast.cal)
    url, pages = f"/sets/{cast.glasgow.id}", []
    while url:
        shown, url = meeting_links(visitor, url, section)
        pages.append(shown)
        if url:
            assert f"{param}=" in url
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 1]
    with app.app_context():
        starts = {
            f"/meetings/{m.id}": m.starts_at
            for m in db.session.scalars(db.select(Meeting).where(Meeting.set_id == cast.glasgow.id))
        }
    order = [starts[href] for page in pages for href in page]
    assert order == sorted(order, reverse=section == "past")


def test_the_meeting_page_shows_when_where_and_the_agenda(app, cast, visit):
    with app.app_context():
        meeting = db.session.get(Meeting, cast.next.id)
        meeting.agenda = "# Plan\n\n- *check-in*\n\n<script>alert(1)</script>"
        meeting.ends_at = meeting.starts_at + timedelta(hours=2)
        db.session.commit()
    page = visit(cast.cara).page(f"/meetings/{cast.next.id}")
    terms = dict(meeting_lines(page))
    assert set(terms) == {"Starts", "Ends", "Where"}
    # The call link is a link; nothing else of the place is.
    assert links(page, "https://meet.example.org/glasgow-3") == [
        "https://meet.example.org/glasgow-3"
    ]
    prose = page.one("div", cls="prose")
    assert prose.select("em")[0].text == "check-in"
    assert all("alert" not in script.text for script in page.select("script"))


@pytest.mark.parametrize(
    "place", ["javascript:alert(1)", "Room 2 https://example.org", "data:text/html,x"]
)
def test_only_a_plain_web_address_becomes_a_link(app, cast, visit, place):
    with app.app_context():
        db.session.get(Meeting, cast.next.id).location = place
        db.session.commit()
    page = visit(cast.cara).page(f"/meetings/{cast.next.id}")
    assert dict(meeting_lines(page))["Where"] == place
    assert links(page, place[:10]) == []


def test_the_meeting_page_lists_readable_reflections_by_member_and_who_has_none(cast, make, visit):
    cals = write(make, cast.cal, cast.last, "set")
    caras = write(make, cast.cara, cast.last, "facilitator")
    write(make, cast.cara, cast.earlier, "set")  # another meeting's
    fran = visit(cast.fran).page(f"/meetings/{cast.last.id}")
    assert card_ids(fran) == [cals.id, caras.id]  # by name: Cal, then Cara
    assert quiet_on(fran) == []
    cal = visit(cast.cal).page(f"/meetings/{cast.last.id}")
    assert card_ids(cal) == [cals.id]
    assert quiet_on(cal) == ["Cara Candidate"]


def quiet_on(page) -> list[str]:
    """The meeting page's candidates with no reflection the viewer can read there; the
    sentence under the heading says so in words when there are none."""
    part = page.one("div", cls="quiet")
    names = [li.text for li in part.select("li")]
    every = "None: you can read a reflection on this meeting from every candidate." in part.text
    assert every == (not names), part.text
    return names


# Who wrote what on the last meeting (None: nothing), and what each viewer then has no
# reflection to read from: their own count, a private one never does for anyone else.
QUIET_CASES = {
    "both shared with the set": (
        {"cara": "set", "cal": "set"},
        {"cara": [], "cal": [], "fran": []},
    ),
    "one for the facilitators": (
        {"cara": "facilitator", "cal": "set"},
        {"cara": [], "cal": ["Cara Candidate"], "fran": []},
    ),
    "one private": (
        {"cara": "private", "cal": "set"},
        {"cara": [], "cal": ["Cara Candidate"], "fran": ["Cara Candidate"]},
    ),
    "one silent": (
        {"cara": "set", "cal": None},
        {"cara": ["Cal Candidate"], "cal": ["Cal Candidate (you)"], "fran": ["Cal Candidate"]},
    ),
}


@pytest.mark.parametrize("viewer", ["cara", "cal", "fran"])
@pytest.mark.parametrize("case", list(QUIET_CASES))
def test_the_meeting_page_names_only_the_candidates_with_nothing_the_viewer_can_read(
    cast, make, visit, viewer, case
):
    written, expected = QUIET_CASES[case]
    for author, visibility in written.items():
        if visibility is not None:
            write(make, getattr(cast, author), cast.last, visibility)
    write(make, cast.cal, cast.earlier, "set")  # another meeting's counts for nothing here
    page = visit(getattr(cast, viewer)).page(f"/meetings/{cast.last.id}")
    assert card_ids(page)  # readable reflections are listed above
    assert quiet_on(page) == expected[viewer]
    assert "Every candidate." not in page.text


def test_the_meeting_pages_reflections_come_a_page_at_a_time(cast, make, visit):
    written = [write(make, cast.cal, cast.last, "set", hours=i) for i in range(PAGE_SIZE + 2)]
    visitor = visit(cast.fran)
    first = visitor.page(f"/meetings/{cast.last.id}")
    second_url = first.one("a", rel="next").attrs["href"]
    second = visitor.page(second_url)
    assert card_ids(first) + card_ids(second) == [r.id for r in written]
    assert not second.select("div", cls="quiet")


def test_the_home_page_links_each_set_and_its_meetings(cast, visit):
    for person in (cast.cara, cast.fran):
        home = visit(person).page("/")
        section = set_sections(home)[cast.glasgow.id]
        assert links(section.one("h2"), "Glasgow 3") == [f"/sets/{cast.glasgow.id}"]
        assert f"/meetings/{cast.next.id}" in [a.attrs["href"] for a in section.select("a")]
        assert f"/meetings/{cast.last.id}" in [a.attrs["href"] for a in section.select("a")]
        nav = home.one("nav", aria_label="Main")
        assert links(nav, "Sets") == ["/sets"]


def test_the_navigation_offers_sets_only_to_members(cast, visit):
    assert links(visit(cast.alex).page("/admin/").one("nav", aria_label="Main"), "Sets") == []


# Speed ----------------------------------------------------------------------------------------


def add_history(app, cast, meetings: int = 40, reflections: int = 200) -> None:
    """Years of Glasgow: meetings before and after, and reflections by both candidates in
    every visibility, linked to the last meeting and to others, and unlinked, with actions in
    every state (some carried to the next meeting)."""
    now = datetime.now(UTC)
    with app.app_context():
        held = [
            Meeting(
                set_id=cast.glasgow.id,
                starts_at=now + timedelta(days=7 * (i + 4) * (1 if i % 8 == 0 else -1)),
                location=f"Room {i}",
                agenda=f"Agenda {i}",
                cancelled_at=now if i % 9 == 0 else None,
            )
            for i in range(meetings)
        ]
        db.session.add_all(held)
        db.session.flush()
        authors = (cast.cara, cast.cal)
        for i in range(reflections):
            meeting_id = cast.last.id if i % 4 == 0 else held[i % meetings].id if i % 7 else None
            moment = now - timedelta(days=8 + i)
            db.session.add(
                Reflection(
                    id=uuid.uuid4(),
                    author_id=authors[i % 2].id,
                    meeting_id=meeting_id,
                    set_id=cast.glasgow.id,
                    experience=f"History {i}.",
                    next_action=f"Action {i}." if i % 5 else "",
                    action_status=("open", "done", "dropped", "carried")[i % 4],
                    carried_to_meeting_id=cast.next.id if i % 4 == 3 else None,
                    visibility=("private", "facilitator", "set")[i // 2 % 3],
                    created_at=moment,
                    updated_at=moment,
                )
            )
        db.session.commit()


QUERY_PAGES = [
    ("cara", "/sets"),
    ("cara", "/sets/{glasgow}"),
    ("fran", "/sets/{glasgow}"),
    ("fran", "/sets/{glasgow}?past_page=2&upcoming_page=2&page=2"),
    ("cara", "/meetings/{last}"),
    ("fran", "/meetings/{last}"),
    ("fran", "/meetings/{last}?page=2"),
    ("cara", "/meetings/{next}"),
    ("fran", "/meetings/{next}"),
    ("fran", "/meetings/{next}?carried_page=2"),
    ("fran", "/sets/{glasgow}/meetings/new"),
    ("fran", "/meetings/{next}/edit"),
    ("fran", "/meetings/{next}/cancel"),
    ("alex", "/meetings/{next}/edit"),
]


@pytest.mark.parametrize(("viewer", "url"), QUERY_PAGES)
def test_a_long_history_costs_no_more_queries_than_a_new_set(
    app, cast, make, visit, count_queries, viewer, url
):
    write(make, cast.cara, cast.last, "facilitator", hours=2)
    write(make, cast.cal, cast.last, "set", hours=3)
    url = url.format(glasgow=cast.glasgow.id, last=cast.last.id, next=cast.next.id)
    visitor = visit(getattr(cast, viewer))

    def queries() -> int:
        with count_queries() as counted:
            answer = visitor.get(url)
        assert answer.status_code == 200
        return len(counted)

    new = queries()
    add_history(app, cast)
    if url.startswith("/sets/") and url.endswith(str(cast.glasgow.id)):
        assert "History " in visitor.get(url).text
    if url == f"/meetings/{cast.next.id}":
        assert "Action " in visitor.get(url).text  # actions carried to it
    if url in (f"/meetings/{cast.last.id}", f"/sets/{cast.glasgow.id}") and viewer == "fran":
        assert "Still open" in visitor.get(url).text  # the follow-through has numbers
    assert queries() == new


@pytest.mark.parametrize("url", ["/sets/{glasgow}", "/meetings/{last}", "/sets"])
def test_more_sets_cost_no_more_queries(cast, make, visit, count_queries, url):
    write(make, cast.cal, cast.last, "set", hours=3)
    url = url.format(glasgow=cast.glasgow.id, last=cast.last.id)
    visitor = visit(cast.fran)

    def queries() -> int:
        with count_queries() as counted:
            assert visitor.get(url).status_code == 200
        return len(counted)

    one_set = queries()
    for number in range(3):
        others = make.set(f"Extra {number}", facilitators=[cast.fran], candidates=[make.user()])
        make.meeting(others, -5, "Room 9")
    assert queries() == one_set


# What each page costs, as measured (tests/sets, SQLite and PostgreSQL): the signed-in user with
# their memberships (1), then the page's own.
EXPECTED_QUERIES = {
    "/sets": 1,  # the sets came with the user
    "/sets/{glasgow}": 6,  # members, upcoming, past, their follow-through, reflections
    "/meetings/{last}": 6,  # the meeting, its reflections, who has none, follow-through, carried
    "/sets/{glasgow}/meetings/new": 1,  # the set came with the user
    "/meetings/{next}/edit": 2,  # the meeting with its set
    "/meetings/{next}/cancel": 2,
}


@pytest.mark.parametrize(("url", "expected"), EXPECTED_QUERIES.items())
def test_what_each_page_costs(cast, visit, count_queries, url, expected):
    url = url.format(glasgow=cast.glasgow.id, last=cast.last.id, next=cast.next.id)
    visitor = visit(cast.fran)
    with count_queries() as counted:
        assert visitor.get(url).status_code == 200
    assert len(counted) == expected, counted.statements


def test_a_candidates_set_page_costs_no_follow_through(cast, visit, count_queries):
    """The per-meeting follow-through is the facilitators': a candidate's set page is one query
    lighter."""
    visitor = visit(cast.cara)
    with count_queries() as counted:
        assert visitor.get(f"/sets/{cast.glasgow.id}").status_code == 200
    assert len(counted) == EXPECTED_QUERIES["/sets/{glasgow}"] - 1, counted.statements
