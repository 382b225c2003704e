"""Creating and renaming sets, and a set's administration page: its members and their
assessors, its meetings (with what an admin may do to them), the invitations into it not used
yet, and its history. Names are unique ignoring case; a refused form comes back as typed."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from journal.extensions import db
from journal.models import Enrolment, Framework, Invitation, LearningSet, Meeting, Membership
from tests.factories import make_invitation, table_rows
from tests.helpers import csrf_token_of, form_token

from .common import events, field_value, message_of, parse, plain, problem_of, set_row

CSRF_REFUSED = "The form expired or was sent from elsewhere; nothing was changed."


def set_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(LearningSet))


# Creating ------------------------------------------------------------------------------------


def test_an_admin_creates_a_set_and_lands_on_its_page(app, admin):
    index = admin.get("/admin/").text
    assert 'href="/admin/sets/new"' in index

    answer = admin.post(
        "/admin/sets/new",
        data={
            "name": "  Dundee 2 ",
            "programme": " NVQ Level 7 Leadership — cohort 4 ",
            "csrf_token": form_token(admin),
        },
    )

    assert answer.status_code == 302
    with app.app_context():
        created = db.session.scalar(select(LearningSet))
    assert (created.name, created.programme) == ("Dundee 2", "NVQ Level 7 Leadership — cohort 4")
    assert answer.location == f"/admin/sets/{created.id}"
    page = admin.get(answer.location).text
    assert "Set Dundee 2 created." in plain(page)
    assert f'href="/admin/invitations?set_id={created.id}"' in page
    (event,) = events(app, "set.created")
    assert (event.subject_type, event.subject_id) == ("set", str(created.id))
    assert event.detail == {"name": "Dundee 2"}
    assert event.actor_id is not None


NEW_SET_BAD_INPUT = [
    pytest.param({"name": ""}, "name", "Give the set a name.", id="no name"),
    pytest.param({"name": "   "}, "name", "Give the set a name.", id="blank name"),
    pytest.param({"name": "x" * 121}, "name", "Use at most 120 characters.", id="long name"),
    pytest.param(
        {"name": "Glasgow 3"},
        "name",
        "There is a set called “Glasgow 3” already: choose another name.",
        id="taken",
    ),
    pytest.param(
        {"name": "glasgow 3"},
        "name",
        "There is a set called “Glasgow 3” already: choose another name.",
        id="taken, other case",
    ),
    pytest.param({"name": "Dun\x00dee"}, "name", "null character", id="NUL"),
    pytest.param(
        {"programme": "p" * 201}, "programme", "Use at most 200 characters.", id="long programme"
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), NEW_SET_BAD_INPUT)
def test_a_set_that_cannot_be_is_refused_with_the_form_as_typed(
    app, admin, glasgow, changes, field, message
):
    form = {"name": "Dundee 2", "programme": "Cohort 4", **changes}
    before = table_rows(app)

    answer = admin.post("/admin/sets/new", data={**form, "csrf_token": form_token(admin)})

    assert answer.status_code == 400
    assert message in message_of(answer.text, field)
    if "\x00" not in form["name"]:
        assert field_value(answer.text, "name") == form["name"].strip()
    assert field_value(answer.text, "programme") == form["programme"]
    assert table_rows(app) == before
    # Put right, the same page's form goes through.
    again = admin.post(
        "/admin/sets/new",
        data={"name": "Dundee 2", "programme": "", "csrf_token": csrf_token_of(answer.text)},
    )
    assert again.status_code == 302
    assert set_count(app) == 2


@pytest.mark.parametrize("token", [None, "", "forged"], ids=["none", "empty", "forged"])
def test_a_new_set_without_its_csrf_token_is_refused_with_the_form_as_typed(app, admin, token):
    data = {"name": "Dundee 2", "programme": "Cohort 4"}
    if token is not None:
        data["csrf_token"] = token

    answer = admin.post("/admin/sets/new", data=data)

    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(CSRF_REFUSED)
    assert field_value(answer.text, "name") == "Dundee 2"
    assert field_value(answer.text, "programme") == "Cohort 4"
    assert set_count(app) == 0


def test_a_form_sent_over_https_from_elsewhere_is_refused_even_with_its_token(app, make, browser):
    """Flask-WTF checks the Referer over HTTPS; the form's own token check does not: the page
    shown again must not act on it."""
    admin = make.user("Alex Admin", is_admin=True)
    client = browser(admin.email)
    token = form_token(client)

    answer = client.post(
        "/admin/sets/new",
        data={"name": "Dundee 2", "programme": "", "csrf_token": token},
        base_url="https://localhost",
    )

    assert answer.status_code == 400
    assert "nothing was changed" in problem_of(answer.text)
    assert set_count(app) == 0


# Renaming ------------------------------------------------------------------------------------


def test_an_admin_renames_a_set_and_changes_its_programme(app, admin, glasgow):
    page = admin.get(f"/admin/sets/{glasgow.id}/edit").text
    assert field_value(page, "name") == "Glasgow 3"

    answer = admin.post(
        f"/admin/sets/{glasgow.id}/edit",
        data={"name": "Glasgow 4", "programme": "Cohort 5", "csrf_token": csrf_token_of(page)},
    )

    assert answer.status_code == 302
    assert answer.location == f"/admin/sets/{glasgow.id}"
    assert set_row(app, glasgow.id) == ("Glasgow 4", "Cohort 5")
    (event,) = events(app, "set.changed")
    assert event.detail == {
        "fields": ["name", "programme"],
        "old_name": "Glasgow 3",
        "name": "Glasgow 4",
    }
    history = plain(admin.get(f"/admin/sets/{glasgow.id}/history").text)
    assert "Renamed from “Glasgow 3” to “Glasgow 4”; Programme changed" in history


def test_saving_a_set_unchanged_records_nothing(app, admin, glasgow):
    answer = admin.post(
        f"/admin/sets/{glasgow.id}/edit",
        data={"name": "Glasgow 3", "programme": "", "csrf_token": form_token(admin)},
        follow_redirects=True,
    )
    assert "Nothing changed." in plain(answer.text)
    assert events(app, "set.changed") == []


def test_a_set_may_change_the_case_of_its_own_name(app, admin, glasgow):
    answer = admin.post(
        f"/admin/sets/{glasgow.id}/edit",
        data={"name": "GLASGOW 3", "programme": "", "csrf_token": form_token(admin)},
    )
    assert answer.status_code == 302
    assert set_row(app, glasgow.id)[0] == "GLASGOW 3"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Leeds 1", "There is a set called “Leeds 1” already: choose another name."),
        ("LEEDS 1", "There is a set called “Leeds 1” already: choose another name."),
        ("", "Give the set a name."),
        ("x" * 121, "Use at most 120 characters."),
    ],
)
def test_a_rename_that_cannot_be_is_refused_with_the_form_as_typed(
    app, admin, make, glasgow, name, message
):
    make.set("Leeds 1")
    before = table_rows(app)

    answer = admin.post(
        f"/admin/sets/{glasgow.id}/edit",
        data={"name": name, "programme": "Kept", "csrf_token": form_token(admin)},
    )

    assert answer.status_code == 400
    assert message_of(answer.text, "name") == message
    assert field_value(answer.text, "name") == name
    assert field_value(answer.text, "programme") == "Kept"
    assert table_rows(app) == before


def test_a_rename_without_its_csrf_token_keeps_what_was_typed(app, admin, glasgow):
    answer = admin.post(f"/admin/sets/{glasgow.id}/edit", data={"name": "Glasgow 9"})
    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(CSRF_REFUSED)
    assert field_value(answer.text, "name") == "Glasgow 9"
    assert set_row(app, glasgow.id)[0] == "Glasgow 3"


# A set's page --------------------------------------------------------------------------------


@pytest.fixture
def lived_in(app, make, glasgow):
    """Glasgow 3 with a facilitator, two candidates (one enrolled), meetings held, to come and
    cancelled, and invitations in every state."""
    fran, cara, cal = make.user("Fran"), make.user("Cara"), make.user("Cal")
    ada = make.user("Ada", email="ada@example.org")
    make.set("Glasgow 3b")  # another set: its invitations are not Glasgow's
    with app.app_context():
        learning_set = db.session.get(LearningSet, glasgow.id)

        learning_set.memberships += [
            Membership(user_id=fran.id, role="facilitator"),
            Membership(user_id=cara.id, role="candidate"),
            Membership(user_id=cal.id, role="candidate"),
        ]
        framework = Framework(code="L7", title="Level 7")
        enrolment = Enrolment(candidate_id=cara.id, framework=framework, assessor_id=ada.id)
        db.session.add(enrolment)
        db.session.commit()
        enrolment_id = enrolment.id
    held, coming = make.meeting(glasgow, days=-7), make.meeting(glasgow, days=7, location="Zoom")
    dropped = make.meeting(glasgow, days=14)
    with app.app_context():
        db.session.get(Meeting, dropped.id).cancelled_at = datetime.now(UTC)
        db.session.commit()
    for email in (
        "pending@example.org",
        "used@example.org",
        "expired@example.org",
        "gone@example.org",
    ):
        make_invitation(app, email, "candidate", glasgow.id)
    with app.app_context():
        rows = {i.email: i for i in db.session.scalars(select(Invitation))}
        rows["used@example.org"].used_at = datetime.now(UTC)
        rows["expired@example.org"].expires_at = datetime.now(UTC) - timedelta(days=1)
        rows["gone@example.org"].revoked_at = datetime.now(UTC)
        db.session.commit()
    return {
        "held": held,
        "coming": coming,
        "dropped": dropped,
        "cara": cara,
        "fran": fran,
        "enrolment": enrolment_id,
    }


def test_the_set_page_shows_members_roles_and_assessors(admin, glasgow, lived_in):
    page = parse(admin.get(f"/admin/sets/{glasgow.id}").text)

    members = page.one("section", aria_labelledby="members")
    cards = {card.one("h3").one("a").text: card for card in members.select("div", cls="member")}
    assert list(cards) == ["Fran", "Cal", "Cara"]  # facilitators first, then by name
    assert [card.one("span", cls="role").text for card in cards.values()] == [
        "facilitator",
        "candidate",
        "candidate",
    ]
    assert cards["Cara"].one("p", cls="meta").text == "Level 7: assessed by Ada"
    assert cards["Cal"].one("p", cls="meta").text == "Not enrolled on a framework."
    cara = lived_in["cara"]
    assert cards["Cara"].one("h3").one("a").attrs["href"] == f"/admin/people/{cara.id}"
    assert [a.attrs["href"] for a in cards["Cara"].select("a", cls="button")] == [
        f"/admin/sets/{glasgow.id}/members/{cara.id}/move",
        f"/admin/sets/{glasgow.id}/members/{cara.id}/remove",
        f"/admin/enrolments/{lived_in['enrolment']}/assessor",
    ]
    # Not enrolled: no assessor to change, but a link to enrol.
    assert [a.text for a in cards["Cal"].select("a", cls="button")] == ["Move", "Remove", "Enrol"]
    assert [a.text for a in members.select("a", cls="button") if "Invite" in a.text] == [
        "Invite someone into Glasgow 3"
    ]


def test_the_set_page_lists_meetings_with_what_an_admin_may_do(app, admin, glasgow, lived_in):
    page = parse(admin.get(f"/admin/sets/{glasgow.id}").text)

    upcoming = page.one("section", aria_labelledby="upcoming")
    items = upcoming.one("ul", cls="meeting-list").select("li")
    assert len(items) == 2
    coming, dropped = items
    assert "Zoom" in coming.text
    assert [a.attrs["href"] for a in coming.select("a")] == [
        f"/meetings/{lived_in['coming'].id}/edit",
        f"/meetings/{lived_in['coming'].id}/cancel",
    ]
    assert dropped.one("strong", cls="cancelled").text == "Cancelled"
    assert dropped.select("a") == []  # a cancelled meeting cannot be changed
    past = page.one("section", aria_labelledby="past").one("ul", cls="meeting-list")
    assert [a.attrs["href"] for a in past.select("a")] == [
        f"/meetings/{lived_in['held'].id}/edit",
        f"/meetings/{lived_in['held'].id}/cancel",
    ]
    assert upcoming.select("a", href=f"/sets/{glasgow.id}/meetings/new")


@pytest.mark.parametrize("action", ["edit", "cancel"])
def test_an_admin_changes_a_meeting_from_the_set_page_and_comes_back_to_it(
    app, admin, glasgow, lived_in, action
):
    path = f"/meetings/{lived_in['coming'].id}/{action}"
    form = admin.get(path)
    assert form.status_code == 200
    assert f'href="/admin/sets/{glasgow.id}"' in form.text  # Back, to where the admin came from
    data = {"csrf_token": csrf_token_of(form.text)}
    if action == "edit":
        data |= {"date": "2031-05-06", "start_time": "10:00", "location": "Room 9"}

    answer = admin.post(path, data=data)

    assert answer.status_code == 302
    assert answer.location == f"/admin/sets/{glasgow.id}"
    with app.app_context():
        meeting = db.session.get(Meeting, lived_in["coming"].id)
        assert (meeting.location == "Room 9") if action == "edit" else meeting.cancelled_at


def test_the_set_page_lists_only_the_invitations_still_waiting(admin, glasgow, lived_in):
    page = parse(admin.get(f"/admin/sets/{glasgow.id}").text)

    invited = page.one("section", aria_labelledby="invited")
    assert [item.text.split(" · ")[0] for item in invited.select("li")] == ["pending@example.org"]
    assert "link expires" in invited.text


def test_an_empty_set_says_so(admin, glasgow):
    page = plain(admin.get(f"/admin/sets/{glasgow.id}").text)
    for empty in ("No one yet.", "No invitation waiting.", "None scheduled.", "None yet."):
        assert empty in page


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 2}])
@pytest.mark.parametrize(
    ("section", "param", "days"),
    [("upcoming", "upcoming_page", 1), ("past", "past_page", -1)],
)
def test_a_sets_meetings_come_a_page_at_a_time(admin, make, glasgow, section, param, days):
    made = [make.meeting(glasgow, days=days * (n + 1)) for n in range(5)]
    seen = []
    for number in (1, 2, 3):
        page = parse(admin.get(f"/admin/sets/{glasgow.id}?{param}={number}").text)
        listing = page.one("section", aria_labelledby=section)
        seen += [a.attrs["href"] for a in listing.select("a") if a.attrs["href"].endswith("/edit")]
    assert seen == [f"/meetings/{m.id}/edit" for m in made]


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 2}])
def test_a_sets_invitations_come_a_page_at_a_time(app, admin, glasgow):
    for n in range(5):
        make_invitation(app, f"n{n}@example.org", "candidate", glasgow.id)
    seen = []
    for number in (1, 2, 3):
        page = parse(admin.get(f"/admin/sets/{glasgow.id}?invitations_page={number}").text)
        invited = page.one("section", aria_labelledby="invited")
        seen += [item.text.split(" · ")[0] for item in invited.select("li")]
    assert seen == [f"n{n}@example.org" for n in (4, 3, 2, 1, 0)]


# A set's history -----------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"PAGE_SIZE": 2}])
def test_a_sets_history_comes_newest_first_a_page_at_a_time_saying_who_did_it(
    app, admin, runner, make
):
    make.user("Nora", email="nora@example.org")
    make.user("Lee", email="lee@example.org")
    assert runner.invoke(args=["create-set", "Glasgow 3"]).exit_code == 0
    for args in (
        ["add-member", "nora@example.org", "--set", "Glasgow 3", "--role", "candidate"],
        ["add-member", "lee@example.org", "--set", "Glasgow 3", "--role", "facilitator"],
    ):
        assert runner.invoke(args=args).exit_code == 0
    with app.app_context():
        set_id = db.session.scalar(select(LearningSet.id))
    admin.post(
        f"/admin/sets/{set_id}/edit",
        data={"name": "Glasgow 4", "programme": "", "csrf_token": form_token(admin)},
    )

    pages = [parse(admin.get(f"/admin/sets/{set_id}/history?page={n}").text) for n in (1, 2, 3)]

    lines = [
        [item for item in page.select("li") if item.select("span", cls="what")] for page in pages
    ]
    assert [[item.one("span", cls="what").text for item in page] for page in lines] == [
        ["Renamed from “Glasgow 3” to “Glasgow 4”", "Lee added as facilitator"],
        ["Nora added as candidate", "Set created as “Glasgow 3”"],
        [],
    ]
    who = [item.one("span", cls="meta").text for page in lines for item in page]
    assert who[0].endswith(", by Alex Admin")
    assert all(line.endswith(", by the command line") for line in who[1:])
    assert "Nothing more recorded." in pages[2].text
    assert (
        pages[0].select("a", rel="next")[0].attrs["href"] == f"/admin/sets/{set_id}/history?page=2"
    )
