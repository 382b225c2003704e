"""The facilitator's brief for the next meeting, as Fran reads it before Glasgow meets: the next
meeting at the top; the report-back round; who has not reflected since the last meeting; then,
per member, what they shared with her since the start of the last meeting, their open and
carried actions (overdue in words) and what they closed since, with its outcome. The same as a
PDF. Only what Fran may read through Glasgow: never a private reflection (not even as "has
reflected"), never what was shared elsewhere. Its statements do not grow with years of history.

Who may open it at all is in test_access.py (every cell of the matrix). The cast (conftest.py):
Glasgow met 21 days ago (`earlier`) and 7 days ago (`last`), and meets in 7 (`next`).
"""

import io
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from journal.extensions import db
from journal.models import LearningSet, Meeting, Membership, Reflection, User
from journal.sets import brief as brief_module
from journal.templating import format_date, format_datetime
from tests.reflections.test_pages import Element, links, parse, set_sections

BEFORE_THE_LAST_MEETING = timedelta(days=10)  # the last meeting began 7 days ago
SINCE_THE_LAST_MEETING = timedelta(days=2)


def brief_url(cast) -> str:
    return f"/sets/{cast.glasgow.id}/brief"


def pdf_text(answer) -> str:
    assert answer.status_code == 200
    assert answer.mimetype == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages)


def member_blocks(page: Element) -> dict[str, Element]:
    """Each member's block of the brief, by name."""
    return {
        block.one("h3").text: block
        for block in page.one("section", aria_labelledby="members").select("section", cls="member")
    }


def part(block: Element, heading: str) -> list[Element]:
    """What a member's block holds under one of its headings (h4), up to the next one."""
    found, inside = [], False
    for child in block.children:
        if not isinstance(child, Element):
            continue
        if child.tag == "h4":
            inside = child.text.startswith(heading)
        elif inside:
            found.append(child)
    return found


def part_text(block: Element, heading: str) -> str:
    return " ".join(element.text for element in part(block, heading))


def quiet_people(page: Element) -> list[str]:
    section = page.one("section", aria_labelledby="quiet")
    return [li.text for li in section.select("li")]


def round_of(page: Element) -> list[tuple[str, str]]:
    """The report-back round: (name, what is said of their action), in order."""
    listing = page.one("ol", cls="round")
    return [
        (
            item.one("strong", cls="name").text,
            item.text.removeprefix(item.one(cls="name").text).strip(),
        )
        for item in listing.children
        if isinstance(item, Element) and item.tag == "li"
    ]


# What it shows ----------------------------------------------------------------------------


def test_the_next_meeting_is_at_the_top(app, cast, visit):
    page = visit(cast.fran).page(brief_url(cast))
    assert page.one("h1").text == "Brief for Glasgow 3"
    terms = page.one("dl", cls="meetings")
    items = [e.text for e in terms.children if isinstance(e, Element)]
    with app.app_context():
        starts = format_datetime(db.session.get(Meeting, cast.next.id).starts_at)
        last = format_datetime(db.session.get(Meeting, cast.last.id).starts_at)
    assert items == [
        "Next meeting",
        starts,
        "Where",
        "https://meet.example.org/glasgow-3",
        "Last meeting",
        last,
    ]
    assert links(terms, "https://meet.example.org") == ["https://meet.example.org/glasgow-3"]
    assert links(terms, starts) == [f"/meetings/{cast.next.id}"]


def test_each_member_shows_what_they_shared_since_the_last_meeting(cast, make, visit):
    shared = make.reflection(
        cast.cara,
        cast.last,
        "facilitator",
        age=SINCE_THE_LAST_MEETING,
        experience="I asked **open questions** <script>alert(1)</script>",
        insight="Silence is thinking time.",
        next_action="Ask one open question a day.",
    )
    unlinked = make.reflection(
        cast.cal,
        None,
        "set",
        learning_set=cast.glasgow,
        age=SINCE_THE_LAST_MEETING,
        experience="Between meetings, I tried a timer.",
        next_action="",
    )
    old = make.reflection(
        cast.cara,
        cast.earlier,
        "set",
        age=BEFORE_THE_LAST_MEETING,
        experience="Written before the last meeting.",
    )
    page = visit(cast.fran).page(brief_url(cast))
    blocks = member_blocks(page)
    assert list(blocks) == ["Cal Candidate", "Cara Candidate"]
    cara = part(blocks["Cara Candidate"], "Shared since the last meeting")
    assert len(cara) == 1
    entry = cara[0]
    assert entry.one("h5").one("a").attrs["href"] == f"/reflections/{shared.id}"
    assert entry.one("p", cls="audience").text == (
        "Shared with the facilitators of Glasgow 3, and Cara Candidate."
    )
    terms = [e.text for e in entry.one("dl").children if isinstance(e, Element)]
    parts = dict(zip(terms[::2], terms[1::2], strict=True))
    assert parts == {
        "Experience": "I asked open questions <script>alert(1)</script>",
        "Insight": "Silence is thinking time.",
        "Next action": "Ask one open question a day.",
    }
    # Markdown through journal/text.py: emphasis kept, raw HTML inert.
    assert entry.one("strong").text == "open questions"
    assert all("alert" not in script.text for script in page.select("script"))
    cal = part(blocks["Cal Candidate"], "Shared since the last meeting")
    assert [e.one("h5").one("a").attrs["href"] for e in cal] == [f"/reflections/{unlinked.id}"]
    assert old.experience not in page.text


def test_open_and_carried_actions_with_due_dates_and_overdue_in_words(cast, make, visit):
    today = date.today()
    overdue = make.reflection(
        cast.cara,
        cast.earlier,
        "facilitator",
        age=BEFORE_THE_LAST_MEETING,
        next_action="Write to the board.",
        action_due=today - timedelta(days=3),
    )
    carried = make.reflection(
        cast.cara,
        cast.last,
        "set",
        age=SINCE_THE_LAST_MEETING,
        next_action="Map the stakeholders.",
        action_status="carried",
        action_due=today + timedelta(days=5),
    )
    undated = make.reflection(
        cast.cara, cast.last, "set", next_action="Read the handbook.", action_due=None
    )
    make.reflection(
        cast.cara,
        cast.earlier,
        "set",
        age=BEFORE_THE_LAST_MEETING,
        next_action="Closed long ago.",
        action_status="done",
    )
    page = visit(cast.fran).page(brief_url(cast))
    items = part(member_blocks(page)["Cara Candidate"], "Open and carried actions")[0]
    lines = [li.text for li in items.select("li")]
    assert len(lines) == 3
    # Soonest due first, undated last; overdue said in words, not only in colour.
    assert lines[0].startswith(overdue.next_action)
    assert lines[0].endswith("· Overdue by 3 days")
    assert "Open · due" in lines[0]
    assert lines[1].startswith(carried.next_action)
    assert "Carried forward · due" in lines[1]
    assert "Overdue" not in lines[1]
    assert lines[2] == f"{undated.next_action} Open"
    assert items.select("strong", cls="overdue")[0].text == "Overdue by 3 days"


def test_actions_closed_since_the_last_meeting_with_their_outcomes(cast, make, visit):
    make.reflection(
        cast.cal,
        cast.earlier,
        "facilitator",
        age=SINCE_THE_LAST_MEETING,  # closed (changed) since the last meeting
        next_action="Offer to keep time.",
        action_status="done",
        action_outcome="Kept time; we finished *early*.",
        action_due=None,
    )
    make.reflection(
        cast.cal,
        cast.earlier,
        "set",
        age=SINCE_THE_LAST_MEETING,
        next_action="Rewrite the rota.",
        action_status="dropped",
        action_outcome="Overtaken by the restructure.",
        action_due=None,
    )
    make.reflection(
        cast.cal,
        cast.earlier,
        "set",
        age=BEFORE_THE_LAST_MEETING,
        next_action="Closed before the last meeting.",
        action_status="done",
    )
    block = member_blocks(visit(cast.fran).page(brief_url(cast)))["Cal Candidate"]
    closed = part(block, "Closed since the last meeting")[0]
    lines = [li.text for li in closed.select("li")]
    assert lines == [
        "Rewrite the rota. Dropped What came of it Overtaken by the restructure.",
        "Offer to keep time. Done What came of it Kept time; we finished early.",
    ]
    assert closed.select("em")[0].text == "early"
    assert part_text(block, "Open and carried actions") == "None open."


def test_the_report_back_round_lists_each_member_and_their_action_from_the_last_meeting(
    cast, make, visit
):
    zoe = make.user("Zoë Ní Bhriain")
    with make._saving() as rows:
        rows.append(Membership(set_id=cast.glasgow.id, user_id=zoe.id, role="candidate"))
    due = date.today() - timedelta(days=1)
    make.reflection(
        cast.cara,
        cast.last,
        "facilitator",
        age=SINCE_THE_LAST_MEETING,
        next_action="Ask for written feedback.",
        action_due=due,
    )
    make.reflection(
        cast.cal,
        cast.last,
        "set",
        age=SINCE_THE_LAST_MEETING,
        next_action="Keep time.",
        action_status="done",
        action_outcome="Done twice.",
        action_due=None,
    )
    # Not from the last meeting: not what they report back on.
    make.reflection(zoe, None, "set", learning_set=cast.glasgow, next_action="Unlinked.")
    make.reflection(cast.cal, cast.earlier, "set", next_action="From the meeting before.")
    page = visit(cast.fran).page(brief_url(cast))
    assert round_of(page) == [
        ("Cal Candidate", "Keep time. Done What came of it Done twice."),
        (
            "Cara Candidate",
            f"Ask for written feedback. Open · due {format_date(due)} · Overdue by 1 day",
        ),
        ("Zoë Ní Bhriain", "No action from the last meeting shared with you."),
    ]
    # The round's follow-through picture counts the same actions, in words beside the bar.
    legend = page.one("section", aria_labelledby="round").one("ul", cls="legend")
    assert [item.text for item in legend.select("li")] == [
        "Done 1",
        "Dropped 0",
        "Carried forward 0",
        "Still open 1",
    ]


def test_who_has_not_reflected_since_the_last_meeting(cast, make, visit):
    make.reflection(cast.cara, cast.last, "set", age=SINCE_THE_LAST_MEETING)
    make.reflection(cast.cal, cast.earlier, "set", age=BEFORE_THE_LAST_MEETING)
    page = visit(cast.fran).page(brief_url(cast))
    assert quiet_people(page) == ["Cal Candidate"]
    make.reflection(cast.cal, None, "facilitator", learning_set=cast.glasgow)
    page = visit(cast.fran).page(brief_url(cast))
    assert quiet_people(page) == []
    assert "Everyone has shared something." in page.one("section", aria_labelledby="quiet").text


def test_a_set_that_has_not_met_yet(app, cast, make, visit):
    fresh = make.set("Dundee 2", facilitators=[cast.fran], candidates=[cast.lee])
    written = make.reflection(cast.lee, None, "facilitator", learning_set=fresh)
    page = visit(cast.fran).page(f"/sets/{fresh.id}/brief")
    assert "The set has not met yet" in page.one("section", aria_labelledby="round").text
    assert page.one("h2", id="quiet").text == "Not reflected so far"
    block = member_blocks(page)["Lee"]
    assert part(block, "Shared so far")[0].one("h5").one("a").attrs["href"] == (
        f"/reflections/{written.id}"
    )
    assert "None scheduled" in page.one("dl", cls="meetings").text


def test_a_cut_brief_says_so(cast, make, visit, monkeypatch):
    monkeypatch.setattr(brief_module, "BRIEF_LIMIT", 2)
    for hours in range(3):
        make.reflection(cast.cal, cast.last, "set", age=timedelta(hours=hours))
    page = visit(cast.fran).page(brief_url(cast))
    assert "Only the newest reflections are shown" in page.one("div", cls="alert").text
    assert len(part(member_blocks(page)["Cal Candidate"], "Shared since")) == 2
    assert "Only the newest reflections" in pdf_text(visit(cast.fran).get(brief_url(cast) + ".pdf"))


# Only what the facilitator may read -------------------------------------------------------


def without_tokens(html: str) -> str:
    return re.sub(r'(name="csrf-token" content|name="csrf_token" value)="[^"]*"', "", html)


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
def test_a_private_reflection_leaves_no_trace_not_even_a_count(app, cast, make, visit, linked):
    """Cal's only reflection since the last meeting is private, with an overdue action: he
    still counts as not having reflected, nothing of it is shown, and the brief (page and PDF)
    is exactly what it was before he wrote it."""
    make.reflection(cast.cara, cast.last, "set", age=SINCE_THE_LAST_MEETING)
    fran = visit(cast.fran)
    before_html = without_tokens(fran.get(brief_url(cast)).text)
    before_pdf = pdf_text(fran.get(brief_url(cast) + ".pdf"))
    secret = "Private worries about my role"
    private = make.reflection(
        cast.cal,
        cast.last if linked else None,
        "private",
        learning_set=cast.glasgow,
        experience=secret,
        insight="Only for me to know.",
        next_action="Private step nobody sees.",
        action_due=date.today() - timedelta(days=2),
    )
    answer = fran.get(brief_url(cast))
    assert without_tokens(answer.text) == before_html
    for text in (secret, private.insight, private.next_action, str(private.id)):
        assert text not in answer.text
    assert quiet_people(parse(answer.text)) == ["Cal Candidate"]
    assert ("Cal Candidate", "No action from the last meeting shared with you.") in round_of(
        parse(answer.text)
    )
    text = pdf_text(fran.get(brief_url(cast) + ".pdf"))
    assert text == before_pdf
    assert secret not in text and "Private step" not in text


def test_what_was_shared_elsewhere_never_reaches_this_brief(app, cast, make, visit):
    """Lee is a candidate in Leeds and in Glasgow; Fran facilitates Glasgow and is a candidate
    in Leeds, where she may read Lee's `set` reflections. Each brief holds its own set's
    reflections only: what Lee shared in Leeds stays out of Fran's brief of Glasgow, and what he
    shared with Glasgow's facilitators (or Cara did) never reaches Finn's brief of Leeds."""
    with make._saving() as rows:
        rows.append(Membership(set_id=cast.leeds.id, user_id=cast.fran.id, role="candidate"))
        rows.append(Membership(set_id=cast.glasgow.id, user_id=cast.lee.id, role="candidate"))
    in_leeds = [
        make.reflection(cast.lee, cast.leeds_last, "set", experience="Leeds, for the whole set."),
        make.reflection(cast.lee, cast.leeds_last, "facilitator", experience="Leeds, for Finn."),
        make.reflection(
            cast.lee, None, "set", learning_set=cast.leeds, experience="Leeds, unlinked."
        ),
    ]
    in_glasgow = [
        make.reflection(cast.lee, cast.last, "facilitator", experience="Glasgow, Lee for Fran."),
        make.reflection(cast.cara, cast.last, "facilitator", experience="Glasgow, Cara for Fran."),
    ]
    fran, finn = visit(cast.fran), visit(cast.finn)
    leeds_url = f"/sets/{cast.leeds.id}/brief"
    briefs = {
        "fran": (fran.get(brief_url(cast)).text, pdf_text(fran.get(brief_url(cast) + ".pdf"))),
        "finn": (finn.get(leeds_url).text, pdf_text(finn.get(leeds_url + ".pdf"))),
    }
    for reader, own, others in (("fran", in_glasgow, in_leeds), ("finn", in_leeds, in_glasgow)):
        for document in briefs[reader]:
            assert all(r.experience in document for r in own), reader
            assert not any(r.experience in document for r in others), reader
            assert not any(str(r.id) in document for r in others), reader
    # Fran, a candidate in Leeds, has no brief there.
    assert fran.get(leeds_url).status_code == 403


def test_what_an_author_shared_ends_when_they_leave_the_set(app, cast, make, visit):
    written = make.reflection(cast.cal, cast.last, "facilitator", experience="Before I left.")
    with app.app_context():
        db.session.execute(
            db.delete(Membership).where(
                Membership.user_id == cast.cal.id, Membership.set_id == cast.glasgow.id
            )
        )
        db.session.commit()
    page = visit(cast.fran).page(brief_url(cast))
    assert list(member_blocks(page)) == ["Cara Candidate"]
    assert written.experience not in page.text


# Where it is linked from ------------------------------------------------------------------


def test_the_home_page_and_the_set_page_link_the_brief_for_its_facilitators(cast, visit):
    glasgow = brief_url(cast)
    for person, expected in ((cast.fran, [glasgow]), (cast.cara, []), (cast.cal, [])):
        home = set_sections(visit(person).page("/"))[cast.glasgow.id]
        assert links(home, "Brief for the next meeting") == expected
        page = visit(person).page(f"/sets/{cast.glasgow.id}")
        assert links(page, "Brief for the next meeting") == expected
    finn = visit(cast.finn).page("/")
    assert links(finn, "Brief for the next meeting") == [f"/sets/{cast.leeds.id}/brief"]


def test_the_brief_offers_the_pdf_and_a_print_button_that_needs_javascript(cast, visit):
    page = visit(cast.fran).page(brief_url(cast))
    assert links(page, "Download PDF") == [brief_url(cast) + ".pdf"]
    button = page.one("button", cls="secondary")
    assert button.text == "Print"
    assert "hidden" in button.attrs and "data-print" in button.attrs


# The PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_an_attachment_nobody_caches(app, cast, visit):
    answer = visit(cast.fran).get(brief_url(cast) + ".pdf")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Cache-Control"] == "no-store"
    with app.app_context():
        starts = db.session.get(Meeting, cast.next.id).starts_at
    day = starts.astimezone(ZoneInfo("Europe/London")).date()
    assert answer.headers["Content-Disposition"] == (
        f'attachment; filename="brief-glasgow-3-{day.isoformat()}.pdf"'
    )
    assert answer.data.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ('Zoë’s "set" / ../../etc; rm -rf', "zoes-set-etc-rm-rf"),
        ("Γλασγόβη", None),
        ("a" * 120, "a" * 60),
    ],
)
def test_the_pdfs_file_name_is_safe_whatever_the_sets_name(app, cast, visit, name, slug):
    with app.app_context():
        db.session.get(LearningSet, cast.glasgow.id).name = name
        db.session.commit()
    header = visit(cast.fran).get(brief_url(cast) + ".pdf").headers["Content-Disposition"]
    match = re.fullmatch(
        r'attachment; filename="brief-([a-z0-9-]+)-(\d{4}-\d{2}-\d{2})\.pdf"', header
    )
    assert match, header
    assert match[1] == (slug or f"set-{cast.glasgow.id}")


def test_the_pdf_holds_the_brief_with_accents_and_curly_quotes(app, cast, make, visit):
    zoe = make.user("Zoë Ní Bhriain")
    with make._saving() as rows:
        rows.append(Membership(set_id=cast.glasgow.id, user_id=zoe.id, role="candidate"))
    make.reflection(
        zoe,
        cast.last,
        "facilitator",
        age=SINCE_THE_LAST_MEETING,
        experience="“I’ll ask – not tell” — a **naïve** plan at the café.",
        insight="- first point\n- second point\n\nSee [the notes](https://example.org/notes).",
        next_action="Ask Łukasz’s team for feedback.",
        action_due=date.today() - timedelta(days=4),
    )
    make.reflection(
        cast.cal,
        cast.earlier,
        "set",
        age=SINCE_THE_LAST_MEETING,
        next_action="Keep time.",
        action_status="done",
        action_outcome="Kept time — all three rounds.",
    )
    private = make.reflection(
        cast.cara, cast.last, "private", experience="My private note, never in the PDF."
    )
    text = pdf_text(visit(cast.fran).get(brief_url(cast) + ".pdf"))
    assert text.startswith("Brief for Glasgow 3")
    assert "Zoë Ní Bhriain" in text
    assert "“I’ll ask – not tell” — a naïve plan at the café." in text
    assert "• first point" in text and "• second point" in text
    assert "See the notes (https://example.org/notes)." in text
    assert "Ask Łukasz’s team for feedback." in text
    assert "OVERDUE by 4 days" in text
    assert "Kept time — all three rounds." in text
    assert "The report-back round" in text and "Not reflected since the last meeting" in text
    assert private.experience not in text
    assert "**" not in text


def test_text_no_font_can_draw_does_not_break_the_pdf(cast, make, visit):
    make.reflection(
        cast.cal,
        cast.last,
        "set",
        experience="Emoji 🙂, 中文, a tab\there, a bell \x07 and a " + "very" * 200 + " long word.",
    )
    text = pdf_text(visit(cast.fran).get(brief_url(cast) + ".pdf"))
    assert "Emoji" in text and "a tab here" in text


# Page breaks in the PDF, as print makes them -----------------------------------------------


def pdf_pages(answer) -> list[str]:
    assert answer.status_code == 200
    return [page.extract_text() for page in PdfReader(io.BytesIO(answer.data)).pages]


def pages_holding(pages: list[str], marker: str) -> set[int]:
    return {number for number, text in enumerate(pages) if marker in text}


# Reflections per member of the eight: blocks of many heights, so that page ends fall
# everywhere; the last member's block is taller than a page.
STORIES = [2, 1, 2, 2, 1, 2, 1, 14]


def test_the_pdf_keeps_each_member_and_each_action_whole_as_print_does(app, cast, make, visit):
    """A member's block starts on a new page rather than being split, unless it is taller than
    a page; an action (its text and its state) and a reflection are never split."""
    learning_set, people = eight_member_set(app, make, cast.fran)
    filler = "so that the text takes more than one line of the page, as real actions do " * 2
    for n, (person, stories) in enumerate(zip(people, STORIES, strict=True)):
        for i in range(stories):
            make.reflection(
                person,
                None,
                "facilitator",
                learning_set=learning_set,
                age=SINCE_THE_LAST_MEETING + timedelta(minutes=i),
                experience=f"Story{n}x {filler}",
                insight=f"Insight {filler}",
                next_action=f"Deed{n}first {filler} Deed{n}last",
            )

    pages = pdf_pages(visit(cast.fran).get(f"/sets/{learning_set.id}/brief.pdf"))

    assert len(pages) > 3
    for n, stories in enumerate(STORIES):
        heading = {p for p, text in enumerate(pages) if f"\nMember {n}\n" in f"\n{text}\n"}
        assert len(heading) == 1, n
        block = pages_holding(pages, f"Story{n}x") | pages_holding(pages, f"Deed{n}")
        if stories < 3:  # fits on a page: whole on the page its name heads
            assert block == heading, (n, block, heading)
        for text in pages:  # each action (as a reflection's part and as an open action)
            assert text.count(f"Deed{n}first") == text.count(f"Deed{n}last"), n
    # Print's other rule: a member's name never ends a page.
    for n in range(len(STORIES)):
        (page,) = {p for p, text in enumerate(pages) if f"\nMember {n}\n" in f"\n{text}\n"}
        assert not pages[page].rstrip().endswith(f"Member {n}")


# Speed ------------------------------------------------------------------------------------


def eight_member_set(app, make, fran: User) -> tuple[LearningSet, list[User]]:
    people = [make.user(f"Member {n}") for n in range(8)]
    learning_set = make.set("Edinburgh 8", facilitators=[fran], candidates=people)
    make.meeting(learning_set, -7, "Room 1")
    make.meeting(learning_set, 7, "Room 2")
    return learning_set, people


def add_years(app, learning_set: LearningSet, people: list[User]) -> None:
    """Five years of monthly meetings, each member reflecting on each in every visibility, with
    actions open, carried, done and dropped, linked and not; and some this month."""
    now = datetime.now(UTC)
    statuses = ("open", "carried", "done", "dropped")
    with app.app_context():
        meetings = [
            Meeting(set_id=learning_set.id, starts_at=now - timedelta(days=28 * (i + 1) + 3))
            for i in range(60)
        ]
        db.session.add_all(meetings)
        db.session.flush()
        for i, meeting in enumerate(meetings):
            for j, person in enumerate(people):
                moment = meeting.starts_at + timedelta(hours=j + 1)
                db.session.add(
                    Reflection(
                        id=uuid.uuid4(),
                        author_id=person.id,
                        meeting_id=meeting.id if (i + j) % 5 else None,
                        set_id=learning_set.id,
                        experience=f"History {i}.{j}",
                        next_action=f"Action {i}.{j}",
                        action_due=moment.date() + timedelta(days=14),
                        action_status=statuses[(i + j) % 4],
                        action_outcome="Outcome" if (i + j) % 4 > 1 else "",
                        visibility=("private", "facilitator", "set")[(i + j) % 3],
                        created_at=moment,
                        updated_at=moment,
                    )
                )
        db.session.commit()


# The signed-in user with their memberships and sets; the last and next meeting; the members;
# every reflection the brief shows.
EXPECTED_QUERIES = 4


@pytest.mark.parametrize("suffix", ["", ".pdf"], ids=["page", "pdf"])
def test_years_of_history_cost_no_more_queries_than_a_new_set(
    app, cast, make, visit, count_queries, suffix
):
    learning_set, people = eight_member_set(app, make, cast.fran)
    make.reflection(people[0], None, "set", learning_set=learning_set)
    url = f"/sets/{learning_set.id}/brief{suffix}"
    fran = visit(cast.fran)

    def queries() -> int:
        with count_queries() as counted:
            assert fran.get(url).status_code == 200
        return len(counted)

    new = queries()
    add_years(app, learning_set, people)
    more = make.set("Another set", facilitators=[cast.fran], candidates=[make.user()])
    make.meeting(more, -3)
    if not suffix:
        assert "Action 0.1" in fran.get(url).text  # history reached the brief
    assert queries() == new == EXPECTED_QUERIES
