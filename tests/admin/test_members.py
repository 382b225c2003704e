"""Who is in a set: an admin adds someone who has an account, moves a member to another set or
removes them, each after a confirmation. A person holds one role per set. Their reflections
stay theirs; what they shared with a set they left is no longer read there (and does not follow
them to the next one), which journal/policy/ already decides: checked here end to end."""

import uuid

import pytest
from sqlalchemy import select

from journal import cli
from journal.admin import members
from journal.admin import views as admin_views
from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import LearningSet, Membership, Reflection
from tests.factories import stored, table_rows
from tests.helpers import csrf_token_of, form_token

from .common import events, field_value, message_of, parse, plain, problem_of, roles_in

CSRF_REFUSED = "The form expired or was sent from elsewhere; nothing was changed."


@pytest.fixture
def people(make, glasgow):
    """Glasgow 3 (Fran facilitating, Cara a candidate), Leeds 1 (Finn facilitating, Lee), and
    Nora, who has an account and no set."""
    fran, cara = make.user("Fran"), make.user("Cara", email="cara@example.org")
    finn, lee = make.user("Finn"), make.user("Lee", email="lee@example.org")
    nora = make.user("Nora", email="nora@example.org")
    leeds = make.set("Leeds 1", facilitators=[finn], candidates=[lee])
    with make.app.app_context():
        db.session.add_all(
            [
                Membership(set_id=glasgow.id, user_id=fran.id, role="facilitator"),
                Membership(set_id=glasgow.id, user_id=cara.id, role="candidate"),
            ]
        )
        db.session.commit()
    return {"fran": fran, "cara": cara, "finn": finn, "lee": lee, "nora": nora, "leeds": leeds}


# Adding someone who has an account ----------------------------------------------------------


@pytest.mark.parametrize("role", ["candidate", "facilitator"])
def test_an_admin_adds_someone_with_an_account_to_a_set(app, admin, browser, glasgow, people, role):
    nora = people["nora"]
    page = admin.get(f"/admin/sets/{glasgow.id}/members/new").text
    assert 'type="email"' in page and "<select" in page  # an address, not a list of everyone

    answer = admin.post(
        f"/admin/sets/{glasgow.id}/members/new",
        data={"email": " NORA@example.org ", "role": role, "csrf_token": csrf_token_of(page)},
    )

    assert answer.status_code == 302
    assert answer.location == f"/admin/sets/{glasgow.id}"
    assert roles_in(app, glasgow.id)[nora.id] == role
    assert f"Nora is now a {role} in Glasgow 3." in plain(admin.get(answer.location).text)
    (event,) = events(app, "membership.added")
    assert (event.subject_type, event.subject_id) == ("set", str(glasgow.id))
    assert (event.detail["user_id"], event.detail["role"]) == (nora.id, role)
    me = browser(nora.email).get("/api/v1/me").json
    assert me["sets"] == [{"id": glasgow.id, "name": "Glasgow 3", "role": role}]


ADD_BAD_INPUT = [
    pytest.param(
        {"email": "nobody@example.org"},
        "email",
        "No one has an account for nobody@example.org. Check the address, or invite them.",
        id="no such account",
    ),
    pytest.param(
        {"email": "cara@example.org"},
        "email",
        "Cara is already in Glasgow 3 as candidate: a person holds one role per set.",
        id="already a candidate there",
    ),
    pytest.param(
        {"email": "cara@example.org", "role": "facilitator"},
        "email",
        "Cara is already in Glasgow 3 as candidate: a person holds one role per set.",
        id="already there in another role",
    ),
    pytest.param({"email": ""}, "email", "Enter their email address.", id="no email"),
    pytest.param({"email": "nora"}, "email", "Enter an email address", id="not an email"),
    pytest.param({"email": "no\x00ra@example.org"}, "email", "null character", id="NUL"),
    pytest.param({"role": "assessor"}, "role", "Not a valid choice.", id="not a set role"),
    pytest.param({"role": "admin"}, "role", "Not a valid choice.", id="admin"),
]


@pytest.mark.parametrize(("changes", "field", "message"), ADD_BAD_INPUT)
def test_adding_someone_who_cannot_be_added_is_refused_with_the_form_as_typed(
    app, admin, glasgow, people, changes, field, message
):
    form = {"email": "nora@example.org", "role": "candidate", **changes}
    before = table_rows(app)

    answer = admin.post(
        f"/admin/sets/{glasgow.id}/members/new", data={**form, "csrf_token": form_token(admin)}
    )

    assert answer.status_code == 400
    assert message in message_of(answer.text, field)
    if "\x00" not in form["email"]:
        assert field_value(answer.text, "email") == form["email"]
    assert table_rows(app) == before
    assert 'href="/admin/invitations?set_id=' in answer.text  # inviting is one tap away


def test_adding_without_the_csrf_token_keeps_the_form(app, admin, glasgow, people):
    before = table_rows(app)
    answer = admin.post(f"/admin/sets/{glasgow.id}/members/new", data={"email": "nora@example.org"})
    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(CSRF_REFUSED)
    assert field_value(answer.text, "email") == "nora@example.org"
    assert table_rows(app) == before


# Moving --------------------------------------------------------------------------------------


def move_path(glasgow, person) -> str:
    return f"/admin/sets/{glasgow.id}/members/{person.id}/move"


def test_the_move_page_finds_the_other_sets_by_name(admin, make, glasgow, people):
    make.set("Perth 2")
    path = move_path(glasgow, people["cara"])

    every = parse(admin.get(path).text)
    found = parse(admin.get(f"{path}?q=LEE").text)

    assert [a.text for a in every.one("ul", cls="set-list").select("a")] == [
        "Move to Leeds 1",
        "Move to Perth 2",
    ]  # never the set she is in
    (link,) = found.one("ul", cls="set-list").select("a")
    assert link.attrs["href"] == f"{path}?to={people['leeds'].id}&q=LEE"
    assert not every.select("input", name="to_set_id")  # nothing to confirm before a choice


def test_moving_asks_for_confirmation_then_moves_in_one_go(app, admin, glasgow, people):
    cara, leeds = people["cara"], people["leeds"]
    page = admin.get(f"{move_path(glasgow, cara)}?to={leeds.id}")
    confirm = parse(page.text).one("section", aria_labelledby="confirm")
    assert confirm.one("h2").text == "Move Cara to Leeds 1?"
    assert "Their reflections stay theirs" in confirm.text
    assert roles_in(app, leeds.id).get(cara.id) is None  # not before she is confirmed

    answer = admin.post(
        move_path(glasgow, cara),
        data={"to_set_id": str(leeds.id), "csrf_token": csrf_token_of(page.text)},
    )

    assert answer.status_code == 302
    assert answer.location == f"/admin/sets/{leeds.id}"
    assert "Cara moved from Glasgow 3 to Leeds 1." in plain(admin.get(answer.location).text)
    assert cara.id not in roles_in(app, glasgow.id)
    assert roles_in(app, leeds.id)[cara.id] == "candidate"
    moved = events(app, "membership.moved")
    assert sorted(e.subject_id for e in moved) == sorted([str(glasgow.id), str(leeds.id)])
    assert {e.detail["from_set_id"] for e in moved} == {glasgow.id}
    assert {e.detail["to_set_id"] for e in moved} == {leeds.id}
    history_a = plain(admin.get(f"/admin/sets/{glasgow.id}/history").text)
    history_b = plain(admin.get(f"/admin/sets/{leeds.id}/history").text)
    assert "Cara moved to Leeds 1" in history_a
    assert "Cara moved here from Glasgow 3, as candidate" in history_b


def test_a_facilitator_moves_as_a_facilitator(app, admin, glasgow, people):
    fran, leeds = people["fran"], people["leeds"]
    answer = admin.post(
        move_path(glasgow, fran), data={"to_set_id": str(leeds.id), "csrf_token": form_token(admin)}
    )
    assert answer.status_code == 302
    assert roles_in(app, leeds.id)[fran.id] == "facilitator"


def test_the_confirmation_says_when_the_move_cannot_be(app, admin, make, glasgow, people):
    cara, leeds = people["cara"], people["leeds"]
    with app.app_context():
        db.session.add(Membership(set_id=leeds.id, user_id=cara.id, role="facilitator"))
        db.session.commit()

    page = admin.get(f"{move_path(glasgow, cara)}?to={leeds.id}")

    assert page.status_code == 200
    assert problem_of(page.text) == (
        "Cara is already in Leeds 1 as facilitator: a person holds one role per set."
    )
    assert 'name="to_set_id"' not in page.text


MOVE_BAD_INPUT = [
    pytest.param("{leeds_with_her}", "Cara is already in Leeds 1 as facilitator", id="in target"),
    pytest.param("{glasgow}", "Cara is in Glasgow 3 already: choose another set.", id="same set"),
    pytest.param("", "Choose one of the sets to move them to.", id="none"),
    pytest.param("999999", "Choose one of the sets to move them to.", id="unknown set"),
    pytest.param("Leeds 1", "Choose one of the sets to move them to.", id="a name"),
    pytest.param("-1", "Choose one of the sets to move them to.", id="negative"),
    pytest.param("9" * 30, "Choose one of the sets to move them to.", id="huge"),
    pytest.param("\x00", "Choose one of the sets to move them to.", id="NUL"),
]


@pytest.mark.parametrize(("to_set_id", "message"), MOVE_BAD_INPUT)
def test_a_move_that_cannot_be_changes_nothing_and_says_why(
    app, admin, glasgow, people, to_set_id, message
):
    cara, leeds = people["cara"], people["leeds"]
    if to_set_id == "{leeds_with_her}":
        with app.app_context():
            db.session.add(Membership(set_id=leeds.id, user_id=cara.id, role="facilitator"))
            db.session.commit()
    sent = to_set_id.format(leeds_with_her=leeds.id, glasgow=glasgow.id)
    before = table_rows(app)

    answer = admin.post(
        move_path(glasgow, cara), data={"to_set_id": sent, "csrf_token": form_token(admin)}
    )

    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(message)
    assert table_rows(app) == before


def test_a_move_without_the_csrf_token_changes_nothing_and_can_be_confirmed_again(
    app, admin, glasgow, people
):
    cara, leeds = people["cara"], people["leeds"]
    before = table_rows(app)

    answer = admin.post(move_path(glasgow, cara), data={"to_set_id": str(leeds.id)})

    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(CSRF_REFUSED)
    assert table_rows(app) == before
    form = parse(answer.text).one("section", aria_labelledby="confirm")
    assert form.one("input", name="to_set_id").attrs["value"] == str(leeds.id)
    again = admin.post(
        move_path(glasgow, cara),
        data={"to_set_id": str(leeds.id), "csrf_token": csrf_token_of(answer.text)},
    )
    assert again.status_code == 302


# Two moves of one member at once -------------------------------------------------------------


def rival_moves_first(app, monkeypatch, module, loader: str, to_set_id: int) -> None:
    """Wrap `module.loader` (what loads the member about to be moved) so that, once this move
    has loaded them, another admin's move of the same member to `to_set_id` commits: the race
    of two moves, in the one order where both have read the member before either writes."""
    load = getattr(module, loader)

    def loaded_then_moved_elsewhere(*args):
        member = load(*args)
        with app.app_context():  # another session, as another request would have
            theirs = members.membership(member.set_id, member.user_id)
            members.move_member(None, theirs, db.session.get(LearningSet, to_set_id))
            db.session.commit()
        return member

    monkeypatch.setattr(module, loader, loaded_then_moved_elsewhere)


def sets_of(app, user_id: int) -> set[int]:
    with app.app_context():
        query = select(Membership.set_id).where(Membership.user_id == user_id)
        return set(db.session.scalars(query))


GONE = (
    "Cara is no longer in Glasgow 3: someone moved or removed them a moment ago."
    " Nothing was changed."
)


def test_of_two_moves_at_once_one_wins_and_the_other_is_told(
    app, admin, make, glasgow, people, monkeypatch
):
    cara, leeds, dundee = people["cara"], people["leeds"], make.set("Dundee 2")
    rival_moves_first(app, monkeypatch, admin_views, "_member", dundee.id)

    answer = admin.post(
        move_path(glasgow, cara), data={"to_set_id": str(leeds.id), "csrf_token": form_token(admin)}
    )

    assert answer.status_code == 302
    assert answer.location == f"/admin/sets/{glasgow.id}"
    assert GONE in plain(admin.get(answer.location).text)
    # In one set, the winner's. (On SQLite the winner's new row may reuse the old row's id:
    # the loser must not take that one out instead.)
    assert sets_of(app, cara.id) == {dundee.id}
    moved = events(app, "membership.moved")
    assert {e.detail["to_set_id"] for e in moved} == {dundee.id}


def test_of_two_move_member_commands_at_once_one_wins_and_the_other_is_told(
    app, runner, make, glasgow, people, monkeypatch
):
    cara, dundee = people["cara"], make.set("Dundee 2")
    rival_moves_first(app, monkeypatch, cli, "_membership_of", dundee.id)

    result = runner.invoke(
        args=["move-member", "cara@example.org", "--from", "Glasgow 3", "--to", "Leeds 1"]
    )

    assert result.exit_code == 1, result.output
    assert GONE in result.output
    assert sets_of(app, cara.id) == {dundee.id}


def test_a_removal_after_a_move_at_once_removes_nothing_and_says_so(
    app, admin, make, glasgow, people, monkeypatch
):
    cara, dundee = people["cara"], make.set("Dundee 2")
    rival_moves_first(app, monkeypatch, admin_views, "_member", dundee.id)

    answer = admin.post(remove_path(glasgow, cara), data={"csrf_token": form_token(admin)})

    assert answer.status_code == 302
    assert GONE in plain(admin.get(answer.location).text)
    assert sets_of(app, cara.id) == {dundee.id}
    assert events(app, "membership.removed") == []


# Removing ------------------------------------------------------------------------------------


def remove_path(glasgow, person) -> str:
    return f"/admin/sets/{glasgow.id}/members/{person.id}/remove"


def test_removing_asks_for_confirmation_then_removes(app, admin, glasgow, people):
    cara = people["cara"]
    page = admin.get(remove_path(glasgow, cara))
    assert "Remove Cara from Glasgow 3?" in plain(page.text)
    assert "Their reflections stay theirs" in plain(page.text)
    assert cara.id in roles_in(app, glasgow.id)

    answer = admin.post(remove_path(glasgow, cara), data={"csrf_token": csrf_token_of(page.text)})

    assert answer.status_code == 302
    assert answer.location == f"/admin/sets/{glasgow.id}"
    assert "Cara is no longer in Glasgow 3." in plain(admin.get(answer.location).text)
    assert cara.id not in roles_in(app, glasgow.id)
    (event,) = events(app, "membership.removed")
    assert (event.subject_type, event.subject_id) == ("set", str(glasgow.id))
    assert (event.detail["user_id"], event.detail["role"]) == (cara.id, "candidate")
    history = plain(admin.get(f"/admin/sets/{glasgow.id}/history").text)
    assert "Cara removed (was candidate)" in history
    assert "by Alex Admin" in history
    # Gone: a second removal finds no one to remove.
    assert (
        admin.post(remove_path(glasgow, cara), data={"csrf_token": form_token(admin)}).status_code
        == 404
    )


@pytest.mark.parametrize("token", [None, "", "forged"], ids=["none", "empty", "forged"])
def test_removing_needs_the_csrf_token(app, admin, glasgow, people, token):
    before = table_rows(app)
    data = {} if token is None else {"csrf_token": token}

    answer = admin.post(remove_path(glasgow, people["cara"]), data=data)

    assert answer.status_code == 400
    assert problem_of(answer.text).startswith(CSRF_REFUSED)
    assert table_rows(app) == before


# What readers lose, end to end ---------------------------------------------------------------


def shared_by_cara(app) -> dict[str, uuid.UUID]:
    """Cara's newest reflection of each visibility written for Glasgow 3 (the demo's)."""
    with app.app_context():
        found = {}
        for visibility in ("facilitator", "set"):
            found[visibility] = db.session.scalar(
                select(Reflection.id)
                .join(Reflection.author)
                .where(
                    Reflection.visibility == visibility,
                    Reflection.set_id.is_not(None),
                    Reflection.author.has(email="cara@example.org"),
                )
                .order_by(Reflection.updated_at.desc())
                .limit(1)
            )
        return found


def reads(browser, person: str, reflection_id: uuid.UUID) -> bool:
    answer = browser(f"{person}@example.org", DEMO_PASSWORD).get(f"/reflections/{reflection_id}")
    assert answer.status_code in (200, 404)
    return answer.status_code == 200


READERS = {"fran": "facilitator", "cal": "set"}  # who reads which of cara's, before anything


@pytest.mark.parametrize("how", ["removed", "moved"])
def test_what_a_member_shared_is_no_longer_read_by_the_set_they_left(
    app, browser, demo, demo_admin, how
):
    cara = demo.people["cara"]
    shared = shared_by_cara(app)
    assert all(shared.values())
    for person, visibility in READERS.items():
        assert reads(browser, person, shared[visibility]), person  # before: they read it
    before = {key: stored(app, rid) for key, rid in shared.items()}

    if how == "removed":
        answer = demo_admin.post(
            f"/admin/sets/{demo.glasgow}/members/{cara.id}/remove",
            data={"csrf_token": form_token(demo_admin)},
        )
    else:
        answer = demo_admin.post(
            f"/admin/sets/{demo.glasgow}/members/{cara.id}/move",
            data={"to_set_id": str(demo.leeds), "csrf_token": form_token(demo_admin)},
        )
    assert answer.status_code == 302

    for person, visibility in READERS.items():
        assert not reads(browser, person, shared[visibility]), person
    for person in ("finn", "lee"):  # Leeds 1 gains nothing from the move
        assert not any(reads(browser, person, rid) for rid in shared.values()), person
    for key, rid in shared.items():  # hers, unchanged, and she still reads them
        assert reads(browser, "cara", rid)
        after = stored(app, rid)
        assert (after.experience, after.version, after.set_id) == (
            before[key].experience,
            before[key].version,
            before[key].set_id,
        )
    fran_shared = browser("fran@example.org", DEMO_PASSWORD).get("/shared").text
    assert not any(str(rid) in fran_shared for rid in shared.values())


def test_coming_back_restores_what_was_shared_there(app, browser, demo, demo_admin):
    cara = demo.people["cara"]
    shared = shared_by_cara(app)
    demo_admin.post(
        f"/admin/sets/{demo.glasgow}/members/{cara.id}/remove",
        data={"csrf_token": form_token(demo_admin)},
    )
    assert not reads(browser, "fran", shared["facilitator"])

    answer = demo_admin.post(
        f"/admin/sets/{demo.glasgow}/members/new",
        data={
            "email": "cara@example.org",
            "role": "candidate",
            "csrf_token": form_token(demo_admin),
        },
    )

    assert answer.status_code == 302
    assert reads(browser, "fran", shared["facilitator"])
