"""The writing form and the reflection page name the one set a reflection reaches."""

import re
import uuid

import pytest
from sqlalchemy import delete, select

from journal.extensions import db
from journal.models import Membership, Reflection
from tests.factories import PASSWORD
from tests.helpers import AuthActions, new_body
from tests.reflections.test_pages import field_errors, form_values, parse


def signed_in(app, person):
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(person.email, PASSWORD).status_code == 302
    return client, auth.csrf()


def set_options(html: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of the form's set choices."""
    select_html = re.search(r'<select[^>]* name="set_id"[^>]*>(.*?)</select>', html, re.S)
    assert select_html, "the form has no set choice"
    return [
        (re.search(r'value="([^"]*)"', attrs).group(1), label, "selected" in attrs)
        for attrs, label in re.findall(r"<option([^>]*)>([^<]*)</option>", select_html.group(1))
    ]


@pytest.fixture
def two_sets(make):
    cara, fran, finn = make.user("Cara"), make.user("Fran"), make.user("Finn")
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara])
    dundee = make.set("Dundee 2", facilitators=[finn], candidates=[cara])
    return cara, fran, finn, glasgow, dundee


def form(set_id, **values) -> dict:
    return {
        "experience": "Written for one set only.",
        "insight": "",
        "next_action": "",
        "action_due": "",
        "meeting_id": "",
        "set_id": str(set_id) if set_id else "",
        "visibility": "facilitator",
        **values,
    }


def test_a_candidate_in_one_set_gets_that_one_by_default(app, make):
    cara = make.user("Cara")
    glasgow = make.set("Glasgow 3", candidates=[cara])
    client, _ = signed_in(app, cara)
    options = set_options(client.get("/reflections/new").text)
    assert options == [
        (str(glasgow.id), "Glasgow 3", True),
        ("", "No set: only you will read it", False),
    ]


def test_someone_who_is_a_candidate_nowhere_gets_no_set(app, make):
    fran = make.user("Fran")
    make.set("Glasgow 3", facilitators=[fran])
    client, _ = signed_in(app, fran)
    assert set_options(client.get("/reflections/new").text) == [
        ("", "No set: only you will read it", True)
    ]


def test_a_candidate_in_two_sets_picks_the_one_it_reaches(app, two_sets):
    cara, fran, finn, _glasgow, dundee = two_sets
    client, token = signed_in(app, cara)
    names = [label for _, label, _ in set_options(client.get("/reflections/new").text)]
    assert names[:2] == ["Dundee 2", "Glasgow 3"] or names[:2] == ["Glasgow 3", "Dundee 2"]
    answer = client.post("/reflections/new", data={"csrf_token": token, **form(dundee.id)})
    assert answer.status_code == 302
    with app.app_context():
        written = db.session.scalar(select(Reflection))
        assert written.set_id == dundee.id
    page = client.get(answer.location).text
    assert "Shared with the facilitators of Dundee 2, and you." in page
    assert signed_in(app, finn)[0].get(answer.location).status_code == 200
    assert signed_in(app, fran)[0].get(answer.location).status_code == 404


def test_a_set_that_is_not_mine_is_refused_with_the_text_kept(app, make, two_sets):
    cara, *_ = two_sets
    elsewhere = make.set("Leeds 1", candidates=[make.user("Lee")])
    client, token = signed_in(app, cara)
    answer = client.post("/reflections/new", data={"csrf_token": token, **form(elsewhere.id)})
    assert answer.status_code == 400
    assert "Choose a set in which you are a candidate." in answer.text
    assert "Written for one set only." in answer.text
    with app.app_context():
        assert db.session.scalar(select(Reflection)) is None


# The writing form says in words whom a reflection reaches: its meeting, its set and who may read
# it there. Every combination is either saved as it reads or refused by the field that
# contradicts another (400, with what was typed), never quietly overridden.
MEETINGS = [None, "glasgow", "dundee"]
SET_CHOICES = ["glasgow", "dundee", None]  # None: "No set: only you will read it"
VISIBILITIES = ["private", "facilitator", "set"]
COMBINATIONS = [(m, s, v) for m in MEETINGS for s in SET_CHOICES for v in VISIBILITIES]


def expected(meeting, set_choice, visibility) -> tuple[str, str | None]:
    """("saved", the audience set) or ("refused", the field whose message says why)."""
    if meeting is not None:
        if set_choice == meeting:
            return "saved", meeting
        if set_choice is None and visibility == "private":
            return "saved", meeting  # only you, linked to the meeting: private, as chosen
        return "refused", "set_id"  # another set, or "No set" shared: not what would be saved
    if set_choice is None and visibility != "private":
        return "refused", "visibility"  # "only you" and shared at once
    return "saved", set_choice


# What the reflection's page says, by visibility, for a reflection that reaches `{set}`.
SAID = {
    "private": "Private: only you can read this.",
    "facilitator": "Shared with the facilitators of {set}, and you.",
    "set": "Shared with everyone in {set}: its facilitators and candidates.",
}


@pytest.mark.parametrize(("meeting", "set_choice", "visibility"), COMBINATIONS)
def test_the_writing_form_saves_what_it_says_or_refuses_by_the_field(
    app, make, two_sets, meeting, set_choice, visibility
):
    cara, _fran, _finn, glasgow, dundee = two_sets
    sets = {"glasgow": glasgow, "dundee": dundee}
    meetings = {name: make.meeting(learning_set) for name, learning_set in sets.items()}
    client, token = signed_in(app, cara)
    data = form(
        sets[set_choice].id if set_choice else None,
        meeting_id=str(meetings[meeting].id) if meeting else "",
        visibility=visibility,
    )
    answer = client.post("/reflections/new", data={"csrf_token": token, **data})

    outcome, detail = expected(meeting, set_choice, visibility)
    if outcome == "refused":
        assert answer.status_code == 400
        page = parse(answer.text)
        assert list(field_errors(page)) == [detail]
        kept = form_values(page.one("form", cls="reflection"))
        for name in ("experience", "meeting_id", "set_id", "visibility"):
            assert (kept[name] or "") == data[name], name
        with app.app_context():
            assert db.session.scalar(select(Reflection)) is None
        return
    assert answer.status_code == 302, answer.text
    with app.app_context():
        written = db.session.scalar(select(Reflection))
        reached = sets[detail] if detail else None
        assert written.meeting_id == (meetings[meeting].id if meeting else None)
        assert written.set_id == (reached.id if reached else None)
        assert written.visibility == visibility
    words = SAID[visibility] if reached else "Private: only you can read this."
    if reached is None and visibility != "private":
        words = "Not shared with any set: only you can read this."
    assert words.format(set=reached.name if reached else "") in client.get(answer.location).text


def test_no_set_with_a_meeting_is_private_and_the_facilitator_never_reads_it(app, make, two_sets):
    """The issue's case: linked to a Glasgow 3 meeting, "No set" chosen. Shared, it is refused;
    private, fran (Glasgow 3's facilitator) cannot read it."""
    cara, fran, _finn, glasgow, _dundee = two_sets
    meeting = make.meeting(glasgow)
    client, token = signed_in(app, cara)
    shared = form(None, meeting_id=str(meeting.id))
    refused = client.post("/reflections/new", data={"csrf_token": token, **shared})
    assert refused.status_code == 400
    assert "cannot be “No set”" in refused.text
    private = form(None, meeting_id=str(meeting.id), visibility="private")
    answer = client.post("/reflections/new", data={"csrf_token": token, **private})
    assert answer.status_code == 302
    assert signed_in(app, fran)[0].get(answer.location).status_code == 404


def test_reflect_on_a_meeting_chooses_its_set_too(app, make, two_sets):
    cara, _fran, _finn, _glasgow, dundee = two_sets
    meeting = make.meeting(dundee)
    client, _ = signed_in(app, cara)
    form_ = parse(client.get(f"/reflections/new?meeting_id={meeting.id}").text).one(
        "form", cls="reflection"
    )
    chosen = form_values(form_)
    assert (chosen["meeting_id"], chosen["set_id"]) == (str(meeting.id), str(dundee.id))
    # Each meeting names its set, for the script that makes the set follow the meeting.
    meeting_choice = form_.one("select", name="meeting_id").one("option", value=str(meeting.id))
    assert meeting_choice.attrs["data-set-id"] == str(dundee.id)


def test_a_form_without_the_set_choice_reaches_the_meetings_set(app, make, two_sets):
    """SPEC.md names the writing form's fields without the set: a client that does not offer
    it leaves the audience to the meeting."""
    cara, _fran, _finn, glasgow, _dundee = two_sets
    meeting = make.meeting(glasgow)
    client, token = signed_in(app, cara)
    data = form(None, meeting_id=str(meeting.id))
    del data["set_id"]
    assert client.post("/reflections/new", data={"csrf_token": token, **data}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Reflection)).set_id == glasgow.id


def test_someone_who_is_a_candidate_nowhere_writes_private_by_default(app, make):
    fran = make.user("Fran")
    make.set("Glasgow 3", facilitators=[fran])
    client, _ = signed_in(app, fran)
    chosen = form_values(parse(client.get("/reflections/new").text).one("form", cls="reflection"))
    assert (chosen["set_id"], chosen["visibility"]) == ("", "private")


@pytest.mark.parametrize(("visibility", "status"), [("facilitator", 302), ("set", 400)])
def test_an_edit_keeps_a_shared_choice_saved_with_no_set_but_never_makes_one(
    app, make, two_sets, visibility, status
):
    """Saved through the API with no set and "facilitator" (it reaches its author alone), a
    reflection keeps that when its words are edited; choosing another shared visibility with
    "No set" is refused as on a new one."""
    cara, *_ = two_sets
    reflection = make.reflection(cara, None, "facilitator", experience="Saved by the API.")
    client, token = signed_in(app, cara)
    data = form(None, experience="Edited words.", visibility=visibility, base_version="1")
    answer = client.post(f"/reflections/{reflection.id}/edit", data={"csrf_token": token, **data})
    assert answer.status_code == status
    with app.app_context():
        saved = db.session.get(Reflection, reflection.id)
        assert (saved.set_id, saved.visibility) == (None, "facilitator")
        assert saved.experience == ("Edited words." if status == 302 else "Saved by the API.")


def api_expected(meeting, set_id, visibility) -> tuple[int, str | None]:
    """Through PUT /api/v1/reflections/<id> (SPEC.md): set_id null with a meeting means the
    meeting's set, filled in by the server; another set is a 422 naming set_id. Null without a
    meeting is no set: it reaches its author alone, whatever the visibility (the API has no
    words that could say otherwise)."""
    if meeting is not None and set_id not in (None, meeting):
        return 422, "set_id"
    return 201, meeting or set_id


@pytest.mark.parametrize(("meeting", "set_choice", "visibility"), COMBINATIONS)
def test_the_api_saves_what_it_is_sent_or_answers_422_by_the_field(
    app, make, two_sets, meeting, set_choice, visibility
):
    cara, _fran, _finn, glasgow, dundee = two_sets
    sets = {"glasgow": glasgow, "dundee": dundee}
    meetings = {name: make.meeting(learning_set) for name, learning_set in sets.items()}
    client, token = signed_in(app, cara)
    body = new_body(
        meeting_id=meetings[meeting].id if meeting else None,
        set_id=sets[set_choice].id if set_choice else None,
        visibility=visibility,
    )
    answer = client.put(
        f"/api/v1/reflections/{uuid.uuid4()}", json=body, headers={"X-CSRFToken": token}
    )

    status, detail = api_expected(meeting, set_choice, visibility)
    assert answer.status_code == status, answer.json
    if status == 422:
        assert list(answer.json["fields"]) == [detail]
        assert meeting.title().split()[0] in answer.json["fields"]["set_id"]  # names the set
        with app.app_context():
            assert db.session.scalar(select(Reflection)) is None
        return
    saved = answer.json
    assert saved["meeting_id"] == body["meeting_id"]
    assert saved["set_id"] == (sets[detail].id if detail else None)
    assert saved["visibility"] == visibility


def test_the_author_is_told_when_a_set_they_left_no_longer_reads_it(app, make, two_sets):
    cara, _fran, _finn, glasgow, _dundee = two_sets
    reflection = make.reflection(cara, learning_set=glasgow, visibility="set")
    client, _ = signed_in(app, cara)
    page = client.get(f"/reflections/{reflection.id}").text
    assert "Shared with everyone in Glasgow 3" in page
    assert "no longer a candidate" not in page
    with app.app_context():
        db.session.execute(
            delete(Membership).where(Membership.user_id == cara.id, Membership.set_id == glasgow.id)
        )
        db.session.commit()
    page = client.get(f"/reflections/{reflection.id}").text
    assert "You are no longer a candidate in Glasgow 3, so nobody else reads this now." in page
    # Editing it keeps the set it was written for, offered though no longer hers.
    edit = client.get(f"/reflections/{reflection.id}/edit").text
    assert (str(glasgow.id), "Glasgow 3", True) in set_options(edit)
