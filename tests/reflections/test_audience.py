"""The writing form and the reflection page name the one set a reflection reaches."""

import re

import pytest
from sqlalchemy import delete, select

from journal.extensions import db
from journal.models import Membership, Reflection
from tests.factories import PASSWORD
from tests.helpers import AuthActions


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


def test_linked_to_a_meeting_the_meetings_set_wins_over_the_set_field(app, make, two_sets):
    cara, _fran, _finn, glasgow, dundee = two_sets
    meeting = make.meeting(glasgow)
    client, token = signed_in(app, cara)
    data = form(dundee.id, meeting_id=str(meeting.id))
    assert client.post("/reflections/new", data={"csrf_token": token, **data}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Reflection)).set_id == glasgow.id


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
