"""The report-back round, the candidate's side: once a set's latest meeting has started, the home
page asks each candidate what came of the actions they committed to at the meeting before it
(done, dropped or carried forward, and what came of it), through the same action form and the
same versioned save as /actions. Carrying links the action to the set's next meeting, where it
comes back for review once that meeting has started.

The cast: Fran facilitates Glasgow 3, whose candidates are Cara and Cal; Finn facilitates Leeds
1, whose candidate is Lee. Glasgow met 21 and 7 days ago (`earlier`, `last`) and meets in 7 and
21 days (`next`, `later`). So today's round is about what was committed at `earlier`.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from journal.extensions import db
from journal.models import AuditEvent, LearningSet, Meeting, Membership, Reflection, User
from journal.templating import format_datetime
from tests.factories import Factory, stored
from tests.helpers import put_body

from .test_pages import Element, Visitor, field_errors, form_values, links, parse, set_sections

REVIEW_SIZE = 5  # actions to review per set on the home page


@dataclass
class Cast:
    fran: User
    finn: User
    cara: User
    cal: User
    lee: User
    glasgow: LearningSet
    leeds: LearningSet
    earlier: Meeting
    last: Meeting
    next: Meeting
    later: Meeting
    leeds_earlier: Meeting
    leeds_last: Meeting

    def meeting(self, key: str | None) -> Meeting | None:
        return getattr(self, key) if key else None


@pytest.fixture
def cast(make: Factory) -> Cast:
    fran, finn = make.user("Fran Facilitator"), make.user("Finn Facilitator")
    cara, cal, lee = make.user("Cara Candidate"), make.user("Cal Candidate"), make.user("Lee")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara, cal])
    leeds = make.set("Leeds 1", facilitators=[finn], candidates=[lee])
    return Cast(
        fran,
        finn,
        cara,
        cal,
        lee,
        glasgow,
        leeds,
        earlier=make.meeting(glasgow, -21),
        last=make.meeting(glasgow, -7),
        next=make.meeting(glasgow, 7),
        later=make.meeting(glasgow, 21),
        leeds_earlier=make.meeting(leeds, -17),
        leeds_last=make.meeting(leeds, -3),
    )


def action(
    make: Factory,
    cast: Cast,
    author: str = "cara",
    meeting: str | None = "earlier",
    visibility: str = "facilitator",
    **fields,
) -> Reflection:
    """A reflection of `author`'s with an action (open unless said), linked to `meeting` (one of
    the cast's by name) or, unlinked, reaching the author's set."""
    person = getattr(cast, author)
    fields.setdefault("next_action", f"{author}'s action {uuid.uuid4().hex[:6]}.")
    return make.reflection(
        person,
        cast.meeting(meeting),
        visibility,
        learning_set=cast.leeds if author == "lee" else cast.glasgow,
        **fields,
    )


def to_review(page: Element, set_id: int) -> list[uuid.UUID]:
    """The actions a set's section of the home page asks to review, in order."""
    section = set_sections(page)[set_id]
    return [
        uuid.UUID(article.attrs["id"].removeprefix("review-"))
        for review in section.select("section", cls="review")
        for article in review.select("article")
    ]


def review_form(page: Element, reflection: Reflection) -> Element:
    return page.one("article", id=f"review-{reflection.id}").one("form")


def review(visitor: Visitor, reflection: Reflection, status: str, outcome: str = "It went well."):
    """Fill in the action's form on the home page as a browser would, and send it."""
    form = review_form(visitor.page("/"), reflection)
    prefix = f"a{reflection.id.hex}-"
    sent = {
        **form_values(form),
        f"{prefix}action_status": status,
        f"{prefix}action_outcome": outcome,
    }
    return visitor.post(form.attrs["action"], sent, csrf=False)


def starts(app: Flask, meeting: Meeting, days: float) -> None:
    """Move a meeting to `days` from now (negative: it has started)."""
    with app.app_context():
        db.session.get(Meeting, meeting.id).starts_at = datetime.now(UTC) + timedelta(days=days)
        db.session.commit()


def cancel(app: Flask, *meetings: Meeting) -> None:
    with app.app_context():
        for meeting in meetings:
            db.session.get(Meeting, meeting.id).cancelled_at = datetime.now(UTC)
        db.session.commit()


def when(app: Flask, meeting: Meeting) -> str:
    with app.app_context():
        return format_datetime(db.session.get(Meeting, meeting.id).starts_at)


def flashes(page: Element) -> list[str]:
    return [p.text for p in page.select("p", cls="flash")]


# Which actions the round asks about ---------------------------------------------------------

# (author, meeting, visibility, status, carried to, next action) -> asked about on Cara's home
ROUND = [
    pytest.param("cara", "earlier", "facilitator", "open", None, True, id="open-from-earlier"),
    pytest.param("cara", "earlier", "private", "open", None, True, id="private-from-earlier"),
    pytest.param("cara", "earlier", "set", "open", None, True, id="set-from-earlier"),
    pytest.param("cara", "earlier", "facilitator", "done", None, False, id="done"),
    pytest.param("cara", "earlier", "facilitator", "dropped", None, False, id="dropped"),
    pytest.param("cara", "earlier", "set", "carried", "next", False, id="carried-on-already"),
    pytest.param("cara", "earlier", "set", "carried", None, False, id="carried-to-no-meeting"),
    pytest.param("cara", "earlier", "set", "carried", "last", True, id="carried-to-the-last"),
    pytest.param("cara", None, "set", "carried", "last", True, id="unlinked-carried-to-the-last"),
    pytest.param("cara", "last", "facilitator", "open", None, False, id="from-the-last-meeting"),
    pytest.param("cara", "next", "facilitator", "open", None, False, id="for-the-next-meeting"),
    pytest.param("cara", None, "facilitator", "open", None, False, id="unlinked"),
    pytest.param("cal", "earlier", "set", "open", None, False, id="a-fellows"),
]


@pytest.mark.parametrize(("author", "meeting", "visibility", "status", "to", "asked"), ROUND)
def test_the_round_asks_about_my_actions_from_the_meeting_before_the_last(
    cast, make, visit, author, meeting, visibility, status, to, asked
):
    written = action(
        make,
        cast,
        author,
        meeting,
        visibility,
        action_status=status,
        carried_to_meeting_id=cast.meeting(to).id if to else None,
    )
    page = visit(cast.cara).page("/")
    assert to_review(page, cast.glasgow.id) == ([written.id] if asked else [])


def test_a_reflection_without_an_action_is_not_asked_about(cast, make, visit):
    action(make, cast, next_action="")
    assert to_review(visit(cast.cara).page("/"), cast.glasgow.id) == []


def test_the_round_names_the_meetings_and_says_what_to_do(app, cast, make, visit):
    written = action(make, cast, next_action="Ask the team **in writing**.")
    section = set_sections(visit(cast.cara).page("/"))[cast.glasgow.id].one("section", cls="review")
    assert section.one("h3").text == "Review your actions"
    hint = section.select("p", cls="hint")[0].text
    assert f"met on {when(app, cast.last)}" in hint
    assert f"from the meeting of {when(app, cast.earlier)}" in hint
    item = section.one("article", id=f"review-{written.id}")
    assert item.one("div", cls="prose").one("strong").text == "in writing"
    assert links(item, "the reflection") == [f"/reflections/{written.id}"]


def test_nothing_is_asked_before_the_next_meeting_has_started(app, cast, make, visit):
    """What was committed at the last meeting is reported on at the next one: not before."""
    committed = action(make, cast, meeting="last")
    cara = visit(cast.cara)
    assert committed.id not in to_review(cara.page("/"), cast.glasgow.id)

    starts(app, cast.next, days=1 / 24)  # in an hour: still not
    assert committed.id not in to_review(cara.page("/"), cast.glasgow.id)

    starts(app, cast.next, days=-1 / (24 * 60))  # a minute ago
    assert to_review(cara.page("/"), cast.glasgow.id) == [committed.id]


def test_no_round_without_a_meeting_before_the_last(cast, make, visit):
    """A set that has met once has nothing to report on yet."""
    dundee = make.set("Dundee 2", facilitators=[cast.finn], candidates=[cast.cara])
    once = make.meeting(dundee, -2)
    make.reflection(cast.cara, once, "set", next_action="Try it.")
    page = visit(cast.cara).page("/")
    assert to_review(page, dundee.id) == []
    assert not set_sections(page)[dundee.id].select("section", cls="review")


def test_a_cancelled_meeting_is_no_round(app, cast, make, visit):
    """With `last` cancelled, `earlier` is the last meeting held: its actions wait for the next."""
    committed = action(make, cast)
    cancel(app, cast.last)
    assert to_review(visit(cast.cara).page("/"), cast.glasgow.id) == []
    assert committed.action_status == "open"


def test_facilitators_are_not_asked(app, cast, make, visit):
    """Only a candidate of the set reports on actions; Fran, candidate elsewhere, is asked there."""
    dundee = make.set("Dundee 2", facilitators=[cast.finn], candidates=[cast.fran])
    dundee_earlier, _ = make.meeting(dundee, -20), make.meeting(dundee, -6)
    frans = make.reflection(cast.fran, dundee_earlier, "set", next_action="Fran's own.")
    action(make, cast, "cal")
    fran = visit(cast.fran).page("/")
    assert not set_sections(fran)[cast.glasgow.id].select("section", cls="review")
    assert to_review(fran, dundee.id) == [frans.id]
    # Cal becomes a facilitator of Glasgow: his old actions there are no longer asked about.
    with app.app_context():
        membership = db.session.scalar(select(Membership).where(Membership.user_id == cast.cal.id))
        membership.role = "facilitator"
        db.session.commit()
    assert not set_sections(visit(cast.cal).page("/"))[cast.glasgow.id].select(
        "section", cls="review"
    )


def test_each_set_asks_about_its_own(cast, make, visit):
    """Lee, a candidate in Leeds too, is asked about each set's actions in that set's section."""
    with_lee = make.set("Glasgow 4", facilitators=[cast.fran], candidates=[cast.lee])
    glasgow_earlier, _ = make.meeting(with_lee, -30), make.meeting(with_lee, -2)
    in_leeds = action(make, cast, "lee", "leeds_earlier")
    in_glasgow = make.reflection(cast.lee, glasgow_earlier, "set", next_action="Glasgow's.")
    page = visit(cast.lee).page("/")
    assert to_review(page, cast.leeds.id) == [in_leeds.id]
    assert to_review(page, with_lee.id) == [in_glasgow.id]


@pytest.mark.parametrize(("count", "more"), [(REVIEW_SIZE, False), (REVIEW_SIZE + 1, True)])
def test_a_set_asks_about_five_actions_at_most_and_links_to_the_rest(
    cast, make, visit, count, more
):
    written = [
        action(make, cast, action_due=datetime.now(UTC).date() + timedelta(days=d))
        for d in range(count)
    ]
    page = visit(cast.cara).page("/")
    assert to_review(page, cast.glasgow.id) == [r.id for r in written[:REVIEW_SIZE]]
    section = set_sections(page)[cast.glasgow.id].one("section", cls="review")
    assert links(section, "More to review") == (["/actions"] if more else [])


# Reviewing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["done", "dropped", "carried"])
def test_reviewing_an_action_from_the_home_page(app, cast, make, visit, status):
    committed = action(make, cast)
    cara = visit(cast.cara)
    form = review_form(cara.page("/"), committed)
    assert form.attrs["action"] == f"/actions/{committed.id}?back=home"
    assert form.select("select", name=f"a{committed.id.hex}-action_status")
    assert form.select("textarea", name=f"a{committed.id.hex}-action_outcome")

    answer = review(cara, committed, status, "Two of five answered.")
    assert answer.status_code == 302
    assert answer.location == f"/#set-{cast.glasgow.id}"
    saved = stored(app, committed.id)
    assert (saved.action_status, saved.action_outcome, saved.version) == (
        status,
        "Two of five answered.",
        2,
    )
    assert saved.carried_to_meeting_id == (cast.next.id if status == "carried" else None)
    page = cara.page("/")
    assert to_review(page, cast.glasgow.id) == []  # reviewed: asked no more
    expected = (
        f"Action carried forward to the meeting of {when(app, cast.next)}."
        if status == "carried"
        else "Action updated."
    )
    assert flashes(page) == [expected]


def test_choosing_open_keeps_the_action_in_the_round(app, cast, make, visit):
    committed = action(make, cast)
    cara = visit(cast.cara)
    assert review(cara, committed, "open", "Not yet: waiting for Jo.").status_code == 302
    assert stored(app, committed.id).action_outcome == "Not yet: waiting for Jo."
    assert to_review(cara.page("/"), cast.glasgow.id) == [committed.id]


def test_carrying_links_the_action_to_the_next_meeting_and_says_so(app, cast, make, visit):
    committed = action(make, cast, visibility="set")
    cara = visit(cast.cara)
    review(cara, committed, "carried", "Half done.")

    for url in (f"/reflections/{committed.id}", "/actions", f"/actions/{committed.id}"):
        note = cara.page(url).one("p", cls="carried-to")
        assert note.text == f"Carried to the meeting of {when(app, cast.next)}.", url
        assert links(note, "") == [f"/meetings/{cast.next.id}"], url
    # Readers of the reflection read where it went too.
    for reader in (cast.fran, cast.cal):
        note = visit(reader).page(f"/reflections/{committed.id}").one("p", cls="carried-to")
        assert note.text == f"Carried to the meeting of {when(app, cast.next)}."


def test_carrying_skips_a_cancelled_meeting(app, cast, make, visit):
    cancel(app, cast.next)
    committed = action(make, cast)
    review(visit(cast.cara), committed, "carried")
    assert stored(app, committed.id).carried_to_meeting_id == cast.later.id


def test_carrying_with_no_next_meeting_works_and_says_so(app, cast, make, visit):
    cancel(app, cast.next, cast.later)
    committed = action(make, cast)
    cara = visit(cast.cara)
    answer = review(cara, committed, "carried", "Still going.")

    assert answer.status_code == 302
    saved = stored(app, committed.id)
    assert (saved.action_status, saved.carried_to_meeting_id) == ("carried", None)
    assert flashes(cara.page("/")) == [
        "Action carried forward. No next meeting is scheduled yet, so it is not linked to one."
    ]
    note = "Carried forward: no next meeting was scheduled, so it is not linked to one."
    assert cara.page("/actions").one("p", cls="carried-to").text == note
    assert cara.page(f"/reflections/{committed.id}").one("p", cls="carried-to").text == note
    # Once a meeting is scheduled, carrying it again (from /actions) links it.
    soon = make.meeting(cast.glasgow, 3)
    again = cara.page(f"/actions/{committed.id}").one("main").one("form")
    answer = cara.post(f"/actions/{committed.id}", form_values(again), csrf=False)
    assert answer.status_code == 302
    assert stored(app, committed.id).carried_to_meeting_id == soon.id


def test_a_carried_action_comes_back_at_the_next_meeting_and_can_be_carried_again(
    app, cast, make, visit
):
    committed = action(make, cast)
    cara = visit(cast.cara)
    review(cara, committed, "carried", "Half done.")
    assert to_review(cara.page("/"), cast.glasgow.id) == []

    starts(app, cast.next, days=-1 / 24)  # the next meeting has started
    page = cara.page("/")
    assert to_review(page, cast.glasgow.id) == [committed.id]
    meta = page.one("article", id=f"review-{committed.id}").one("p", cls="meta").text
    assert meta.startswith(f"Carried forward to the meeting of {when(app, cast.next)}")

    assert review(cara, committed, "carried", "Half done.").status_code == 302
    saved = stored(app, committed.id)
    assert (saved.carried_to_meeting_id, saved.version) == (cast.later.id, 3)
    assert to_review(cara.page("/"), cast.glasgow.id) == []


def test_editing_a_carried_reflection_keeps_the_meeting_it_was_carried_to(app, cast, make, visit):
    """Only saying again what came of the action carries it on; rewording the reflection (here
    through the API, as the offline client does) leaves it where it was carried, even once that
    meeting has started, so it is still asked about there."""
    committed = action(make, cast)
    cara = visit(cast.cara)
    review(cara, committed, "carried")
    starts(app, cast.next, days=-1 / 24)
    saved = stored(app, committed.id)
    answer = cara.client.put(
        f"/api/v1/reflections/{committed.id}",
        json=put_body(saved, insight="Seen differently now."),
        headers={"X-CSRFToken": cara.token},
    )
    assert answer.status_code == 200
    assert answer.json["carried_to_meeting_id"] == cast.next.id
    assert to_review(cara.page("/"), cast.glasgow.id) == [committed.id]


def test_closing_a_carried_action_unlinks_it(app, cast, make, visit):
    committed = action(make, cast)
    cara = visit(cast.cara)
    review(cara, committed, "carried")
    form = cara.page(f"/actions/{committed.id}").one("main").one("form")
    sent = {**form_values(form), f"a{committed.id.hex}-action_status": "done"}
    assert cara.post(f"/actions/{committed.id}", sent, csrf=False).status_code == 302
    saved = stored(app, committed.id)
    assert (saved.action_status, saved.carried_to_meeting_id) == ("done", None)
    assert not cara.page(f"/reflections/{committed.id}").select("p", cls="carried-to")


def test_carrying_is_in_the_audit_trail_without_text(app, cast, make, visit):
    committed = action(make, cast)
    review(visit(cast.cara), committed, "carried", "A secret outcome.")
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.subject_id == str(committed.id))
            .order_by(AuditEvent.id.desc())
        ).first()
        assert (event.action, event.actor_id) == ("reflection.updated", cast.cara.id)
        assert event.detail == {
            "version": 2,
            "changed": ["action_status", "action_outcome"],  # names only, never the text
            "carried_to_meeting_id": cast.next.id,
        }


# Bad input, stale forms, and where a saved form leads -----------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome", "field"),
    [
        ("finished", "Done.", "action_status"),
        ("", "Done.", "action_status"),
        ("done", "x" * 20_001, "action_outcome"),
        ("done", "Nul \x00 byte", "action_outcome"),
    ],
    ids=["no-such-status", "no-status", "long-outcome", "nul"],
)
def test_a_bad_review_is_400_keeping_what_was_typed(app, cast, make, visit, status, outcome, field):
    committed = action(make, cast)
    cara = visit(cast.cara)
    answer = review(cara, committed, status, outcome)

    assert answer.status_code == 400
    page = parse(answer.text)
    form = page.one("main").one("form")
    assert "action" not in form.attrs  # sent again to the same address: back home once right
    prefix = f"a{committed.id.hex}-"
    if "\x00" not in outcome:
        assert form_values(form)[f"{prefix}action_outcome"] == outcome
    assert f"{prefix}{field}" in field_errors(page)
    saved = stored(app, committed.id)
    assert (saved.action_status, saved.action_outcome, saved.version) == ("open", "", 1)

    fixed = {**form_values(form), f"{prefix}action_status": "done"}
    fixed[f"{prefix}action_outcome"] = "Done in the end."
    again = cara.post(f"/actions/{committed.id}?back=home", fixed, csrf=False)
    assert again.status_code == 302
    assert again.location == f"/#set-{cast.glasgow.id}"


def test_a_review_without_its_csrf_token_changes_nothing(app, cast, make, visit):
    committed = action(make, cast)
    cara = visit(cast.cara)
    prefix = f"a{committed.id.hex}-"
    answer = cara.post(
        f"/actions/{committed.id}?back=home",
        {f"{prefix}action_status": "done", f"{prefix}base_version": "1"},
        csrf=False,
    )
    assert answer.status_code == 400
    assert stored(app, committed.id).version == 1


def test_a_review_of_a_version_changed_elsewhere_is_409_and_loses_nothing(app, cast, make, visit):
    committed = action(make, cast)
    cara = visit(cast.cara)
    form = review_form(cara.page("/"), committed)  # opened at version 1
    # Meanwhile, her phone syncs an edit of the same reflection.
    phone = visit(cast.cara)
    edited = phone.client.put(
        f"/api/v1/reflections/{committed.id}",
        json=put_body(stored(app, committed.id), insight="Written on the train."),
        headers={"X-CSRFToken": phone.token},
    )
    assert edited.status_code == 200
    prefix = f"a{committed.id.hex}-"
    sent = {
        **form_values(form),
        f"{prefix}action_status": "done",
        f"{prefix}action_outcome": "Booked it.",
    }
    answer = cara.post(form.attrs["action"], sent, csrf=False)

    assert answer.status_code == 409
    page = parse(answer.text)
    assert "changed on another device" in page.one("div", cls="alert").text
    kept = form_values(page.one("main").one("form"))
    assert (kept[f"{prefix}action_status"], kept[f"{prefix}action_outcome"]) == (
        "done",
        "Booked it.",
    )
    saved = stored(app, committed.id)
    assert (saved.action_status, saved.insight, saved.version) == (
        "open",
        "Written on the train.",
        2,
    )
    # Sending it again, now knowing the newer version, saves both changes.
    again = cara.post(f"/actions/{committed.id}?back=home", kept, csrf=False)
    assert again.status_code == 302
    saved = stored(app, committed.id)
    assert (saved.action_status, saved.insight, saved.version) == (
        "done",
        "Written on the train.",
        3,
    )


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example", "/admin/", "", "x"])
def test_a_saved_action_leads_only_home_or_to_my_actions(app, cast, make, visit, back):
    committed = action(make, cast)
    cara = visit(cast.cara)
    prefix = f"a{committed.id.hex}-"
    form = review_form(cara.page("/"), committed)
    sent = {**form_values(form), f"{prefix}action_status": "done"}
    answer = cara.post(f"/actions/{committed.id}?back={back}", sent, csrf=False)
    assert answer.status_code == 302
    assert answer.location == f"/actions#action-{committed.id}"


# (viewer, visibility of Cara's action) -> what sending the round's form for it answers
NOT_HERS = [
    ("fran", "facilitator", 403),
    ("cal", "set", 403),
    ("cal", "facilitator", 404),
    ("finn", "set", 404),
    ("lee", "set", 404),
]


@pytest.mark.parametrize(("viewer", "visibility", "status"), NOT_HERS)
def test_only_the_author_reviews_her_actions(app, cast, make, visit, viewer, visibility, status):
    committed = action(make, cast, visibility=visibility)
    other = visit(getattr(cast, viewer))
    prefix = f"a{committed.id.hex}-"
    answer = other.post(
        f"/actions/{committed.id}?back=home",
        {f"{prefix}csrf_token": other.token, f"{prefix}action_status": "carried"},
        csrf=False,
    )
    assert answer.status_code == status
    saved = stored(app, committed.id)
    assert (saved.action_status, saved.carried_to_meeting_id, saved.version) == ("open", None, 1)


# Speed ----------------------------------------------------------------------------------------


def test_the_round_costs_the_same_queries_however_much_there_is(
    app, cast, make, visit, count_queries
):
    """One query for every set's round, however many actions, meetings and sets."""
    action(make, cast)
    cara = visit(cast.cara)

    def queries() -> int:
        with count_queries() as counted:
            assert cara.get("/").status_code == 200
        return len(counted)

    one = queries()
    # Years of history: more meetings before, actions at each and at `earlier`, some carried.
    now = datetime.now(UTC)
    with app.app_context():
        old = [
            Meeting(set_id=cast.glasgow.id, starts_at=now - timedelta(days=30 + i))
            for i in range(30)
        ]
        db.session.add_all(old)
        db.session.flush()
        db.session.add_all(
            Reflection(
                id=uuid.uuid4(),
                author_id=cast.cara.id,
                meeting_id=cast.earlier.id if i % 4 == 0 else old[i % 30].id,
                set_id=cast.glasgow.id,
                next_action=f"History {i}.",
                action_status=("open", "carried", "done", "dropped")[i % 4],
                carried_to_meeting_id=cast.last.id if i % 4 == 1 else None,
                visibility=("private", "facilitator", "set")[i % 3],
                created_at=now - timedelta(days=i),
                updated_at=now - timedelta(days=i),
            )
            for i in range(60)
        )
        db.session.commit()
    # And three more sets, each with a round of its own.
    for number in range(3):
        other = make.set(f"Extra {number}", facilitators=[cast.finn], candidates=[cast.cara])
        before = make.meeting(other, -20)
        make.meeting(other, -5)
        make.reflection(cast.cara, before, "set", next_action=f"Extra action {number}.")
    page = cara.page("/")
    assert len(to_review(page, cast.glasgow.id)) == REVIEW_SIZE
    assert queries() == one
