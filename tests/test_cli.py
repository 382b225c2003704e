"""The `flask` commands of journal/cli.py: demo data, the first admin, sets and their members,
assessors, invitations.

A refused command exits with a non-zero status and says why in one line; `demo --if-empty`
declining is not a failure (the README's run command goes on to serve the app).
"""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from journal.auth import accounts
from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.demo import PEOPLE
from journal.extensions import db
from journal.models import (
    AuditEvent,
    Enrolment,
    Framework,
    Invitation,
    LearningSet,
    Membership,
    User,
)
from tests.factories import stored, table_rows
from tests.helpers import make_app

DEMO_EMAILS = [email for email, _name, _admin in PEOPLE]
ADMIN_PASSWORD = "a-long-admin-passphrase"
LINK = re.compile(r"^(https?://\S+)/invite/([A-Za-z0-9_-]{20,})$", re.M)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def invitation_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Invitation))


# flask demo ----------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["demo"], ["demo", "--if-empty"]], ids=["demo", "--if-empty"])
def test_demo_loads_into_an_empty_database_and_lists_the_accounts(app, runner, args):
    result = runner.invoke(args=args)

    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    assert f"password {DEMO_PASSWORD}" in result.output
    for email in DEMO_EMAILS:
        assert re.search(rf"^\s+{re.escape(email)}$", result.output, re.M), email
    assert user_count(app) == len(DEMO_EMAILS)


@pytest.mark.parametrize("args", [["demo"], ["demo", "--if-empty"]], ids=["demo", "--if-empty"])
def test_demo_a_second_time_changes_nothing(app, runner, args):
    runner.invoke(args=["demo"])
    loaded = table_rows(app)

    result = runner.invoke(args=args)

    assert result.exit_code == 0, result.output
    assert "The demo data is already loaded." in result.output
    assert "Demo data loaded." not in result.output
    for email in DEMO_EMAILS:
        assert email in result.output
    assert table_rows(app) == loaded


def test_demo_if_empty_leaves_a_database_with_other_accounts_alone(app, runner, make):
    make.user("Real Person", email="real.person@example.org")
    before = table_rows(app)

    result = runner.invoke(args=["demo", "--if-empty"])

    assert result.exit_code == 0, result.output  # not an error: `make run` serves the app next
    assert "The database already has accounts; the demo data was not loaded." in result.output
    assert "admin@example.org" not in result.output  # no accounts offered that do not exist
    assert table_rows(app) == before


def test_demo_without_if_empty_adds_to_a_database_with_other_accounts(app, runner, make):
    make.user("Real Person", email="real.person@example.org")

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert user_count(app) == len(DEMO_EMAILS) + 1


# flask create-admin --------------------------------------------------------------------------


def test_create_admin_makes_an_admin_who_can_sign_in(app, runner, browser):
    result = runner.invoke(
        args=[
            "create-admin",
            "Root@Example.org",
            "--name",
            "Ruth Root",
            "--password",
            ADMIN_PASSWORD,
        ]
    )

    assert result.exit_code == 0, result.output
    assert "Administrator root@example.org created." in result.output
    me = browser("root@example.org", ADMIN_PASSWORD).get("/api/v1/me").json
    assert (me["email"], me["name"], me["is_admin"], me["sets"]) == (
        "root@example.org",
        "Ruth Root",
        True,
        [],
    )
    assert ADMIN_PASSWORD not in result.output


def test_create_admin_asks_for_the_name_and_the_password_twice(app, runner, browser):
    result = runner.invoke(
        args=["create-admin", "root@example.org"],
        input=f"Ruth Root\n{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert browser("root@example.org", ADMIN_PASSWORD).get("/api/v1/me").json["is_admin"]


@pytest.mark.parametrize("email", ["taken@example.org", "Taken@Example.org", " taken@example.org"])
def test_create_admin_refuses_an_email_that_has_an_account(app, runner, make, email):
    make.user("Taken", email="taken@example.org")
    before = table_rows(app)

    result = runner.invoke(
        args=["create-admin", email, "--name", "Someone", "--password", ADMIN_PASSWORD]
    )

    assert result.exit_code != 0
    assert "An account for taken@example.org already exists." in result.output
    assert table_rows(app) == before  # not made an admin, password unchanged


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "Use at least 8 characters."),
        ("1234567", "Use at least 8 characters."),
        ("password", "This password is too common or too easy to guess; choose another."),
        ("Password1", "This password is too common or too easy to guess; choose another."),
        ("qwertyuiop", "This password is too common or too easy to guess; choose another."),
        ("ruth.root", "This password is too common or too easy to guess; choose another."),
    ],
)
def test_create_admin_refuses_a_weak_password(app, runner, password, message):
    result = runner.invoke(
        args=["create-admin", "ruth.root@example.org", "--name", "Ruth", "--password", password]
    )

    assert result.exit_code != 0
    assert message in result.output
    assert user_count(app) == 0


NOT_EMAILS = ["root", "root@", "@example.org", "root@@example.org", "root example@example.org", ""]


@pytest.mark.parametrize("email", NOT_EMAILS)
def test_create_admin_refuses_what_is_not_an_email_address(app, runner, email):
    result = runner.invoke(
        args=["create-admin", email, "--name", "Ruth", "--password", ADMIN_PASSWORD]
    )

    assert result.exit_code != 0
    assert f"{email!r} is not an email address" in result.output
    assert user_count(app) == 0


# flask invite --------------------------------------------------------------------------------


@pytest.fixture
def glasgow(make):
    return make.set(name="Glasgow 3")


@pytest.mark.parametrize(
    ("role", "set_name"),
    [("candidate", "Glasgow 3"), ("facilitator", "Glasgow 3"), ("assessor", None), ("admin", None)],
)
def test_invite_prints_a_link_that_opens_the_invitation(app, runner, glasgow, role, set_name):
    args = ["invite", "Nina@Example.org", "--role", role]
    if set_name:
        args += ["--set", set_name]

    result = runner.invoke(args=args)

    assert result.exit_code == 0, result.output
    (link,) = LINK.findall(result.output)
    base, token = link
    assert base == "http://127.0.0.1:5000"
    page = app.test_client().get(f"/invite/{token}")
    assert page.status_code == 200
    assert f"This invitation is for nina@example.org, as {role}" in " ".join(
        re.sub(r"<[^>]+>", "", page.text).split()
    )
    assert ("Glasgow 3" in page.text) is bool(set_name)


def test_invite_links_to_the_address_people_use(app, runner, glasgow):
    result = runner.invoke(
        args=[
            *("invite", "nina@example.org", "--role", "assessor"),
            *("--base-url", "https://journal.example.org"),
        ]
    )

    assert result.exit_code == 0, result.output
    ((base, token),) = LINK.findall(result.output)
    assert base == "https://journal.example.org"
    with app.app_context():
        assert accounts.open_invitation(token) is not None


NINA = "nina@example.org"
REFUSED_INVITATIONS = [
    (NINA, ["--role", "candidate", "--set", "Nowhere 9"], "There is no set called 'Nowhere 9'."),
    (NINA, ["--role", "candidate", "--set", "glasgow 3"], "There is no set called 'glasgow 3'."),
    (NINA, ["--role", "candidate"], "A candidate is invited into a set: choose one."),
    (NINA, ["--role", "facilitator"], "A facilitator is invited into a set: choose one."),
    (
        NINA,
        ["--role", "assessor", "--set", "Glasgow 3"],
        "An assessor is not a member of a set: leave the set empty.",
    ),
    (
        NINA,
        ["--role", "admin", "--set", "Glasgow 3"],
        "An admin is not a member of a set: leave the set empty.",
    ),
    (NINA, ["--role", "superuser"], "'superuser' is not one of"),
    (NINA, ["--set", "Glasgow 3"], "Missing option '--role'"),
    *(
        (email, ["--role", "assessor"], f"{email!r} is not an email address")
        for email in NOT_EMAILS
    ),
]


@pytest.mark.parametrize(("email", "options", "message"), REFUSED_INVITATIONS)
def test_invite_refuses_what_cannot_be_and_says_why(app, runner, glasgow, email, options, message):
    result = runner.invoke(args=["invite", email, *options])

    assert result.exit_code != 0
    assert message in result.output
    assert not LINK.search(result.output)
    assert invitation_count(app) == 0


# flask create-set ----------------------------------------------------------------------------


def test_create_set_makes_a_set_that_people_can_be_invited_into(app, runner):
    result = runner.invoke(
        args=["create-set", " Dundee 2 ", "--programme", "NVQ Level 7 Leadership — cohort 4"]
    )

    assert result.exit_code == 0, result.output
    assert "Set 'Dundee 2' created." in result.output
    with app.app_context():
        (learning_set,) = db.session.scalars(select(LearningSet)).all()
        assert (learning_set.name, learning_set.programme) == (
            "Dundee 2",
            "NVQ Level 7 Leadership — cohort 4",
        )
    invited = runner.invoke(args=["invite", NINA, "--role", "candidate", "--set", "Dundee 2"])
    assert invited.exit_code == 0, invited.output
    assert LINK.search(invited.output)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("Glasgow 3", "There is a set called “Glasgow 3” already", id="taken"),
        pytest.param(
            "GLASGOW 3", "There is a set called “Glasgow 3” already", id="taken, other case"
        ),
        pytest.param("   ", "Give the set a name of 1 to 120 characters.", id="blank"),
        pytest.param("x" * 121, "Give the set a name of 1 to 120 characters.", id="too long"),
    ],
)
def test_create_set_refuses_what_cannot_be_and_says_why(app, runner, glasgow, name, message):
    before = table_rows(app)

    result = runner.invoke(args=["create-set", name])

    assert result.exit_code != 0
    assert message in result.output
    assert table_rows(app) == before


# flask rename-set, add-member, move-member, remove-member ---------------------------------------


@pytest.fixture
def cast(app, make, glasgow):
    """Glasgow 3 with Cara (candidate) and Fran (facilitator), Leeds 1 with Lee, and Nora, who
    has an account and no set."""
    people = {
        name: make.user(name.title(), email=f"{name}@example.org")
        for name in ("cara", "fran", "lee", "nora", "ada")
    }
    leeds = make.set("Leeds 1", candidates=[people["lee"]])
    with app.app_context():
        db.session.add_all(
            [
                Membership(set_id=glasgow.id, user_id=people["cara"].id, role="candidate"),
                Membership(set_id=glasgow.id, user_id=people["fran"].id, role="facilitator"),
            ]
        )
        db.session.commit()
    return SimpleNamespace(glasgow=glasgow, leeds=leeds, **people)


def roles(app, set_name: str) -> dict[str, str]:
    with app.app_context():
        query = (
            select(User.email, Membership.role)
            .join(Membership.user)
            .join(Membership.learning_set)
            .where(LearningSet.name == set_name)
        )
        return dict(db.session.execute(query).all())


def cli_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        db.session.expunge_all()
        return found


def test_rename_set_renames_it_and_can_change_its_programme(app, runner, cast):
    result = runner.invoke(args=["rename-set", "Glasgow 3", "Glasgow 4", "--programme", "C5"])

    assert result.exit_code == 0, result.output
    assert "Set 'Glasgow 4' saved (name, programme changed)." in result.output
    with app.app_context():
        renamed = db.session.get(LearningSet, cast.glasgow.id)
        assert (renamed.name, renamed.programme) == ("Glasgow 4", "C5")
    (event,) = cli_events(app, "set.changed")
    assert (event.actor_id, event.detail["via"]) == (None, "command line")
    again = runner.invoke(args=["rename-set", "Glasgow 4", "Glasgow 4"])
    assert again.exit_code == 0
    assert "Nothing changed." in again.output


def test_add_member_adds_someone_with_an_account(app, runner, cast):
    result = runner.invoke(
        args=["add-member", "Nora@Example.org", "--set", "Glasgow 3", "--role", "facilitator"]
    )

    assert result.exit_code == 0, result.output
    assert "Nora (nora@example.org) is now a facilitator in 'Glasgow 3'." in result.output
    assert roles(app, "Glasgow 3")["nora@example.org"] == "facilitator"
    (event,) = cli_events(app, "membership.added")
    assert event.detail["via"] == "command line"


def test_move_member_moves_in_the_same_role_in_one_go(app, runner, cast):
    result = runner.invoke(
        args=["move-member", "fran@example.org", "--from", "Glasgow 3", "--to", "Leeds 1"]
    )

    assert result.exit_code == 0, result.output
    assert "fran@example.org moved from 'Glasgow 3' to 'Leeds 1' as facilitator." in result.output
    assert "fran@example.org" not in roles(app, "Glasgow 3")
    assert roles(app, "Leeds 1")["fran@example.org"] == "facilitator"
    assert len(cli_events(app, "membership.moved")) == 2  # one on each set


def test_remove_member_takes_them_out_and_keeps_what_they_wrote(app, runner, make, cast):
    written = make.reflection(cast.cara, learning_set=cast.glasgow, visibility="set")

    result = runner.invoke(args=["remove-member", "cara@example.org", "--set", "Glasgow 3"])

    assert result.exit_code == 0, result.output
    assert "cara@example.org is no longer in 'Glasgow 3'." in result.output
    assert "cara@example.org" not in roles(app, "Glasgow 3")
    assert stored(app, written.id).experience == written.experience
    (event,) = cli_events(app, "membership.removed")
    assert event.detail["role"] == "candidate"


MEMBER_REFUSALS = [
    (
        ["rename-set", "Glasgow 3", "Leeds 1"],
        "There is a set called “Leeds 1” already: choose another name.",
    ),
    (["rename-set", "Nowhere", "Somewhere"], "There is no set called 'Nowhere'."),
    (["rename-set", "Glasgow 3", " "], "Give the set a name of 1 to 120 characters."),
    (
        ["add-member", "nobody@example.org", "--set", "Glasgow 3", "--role", "candidate"],
        "No one has an account for nobody@example.org.",
    ),
    (
        ["add-member", "cara@example.org", "--set", "Glasgow 3", "--role", "facilitator"],
        "Cara is already in Glasgow 3 as candidate: a person holds one role per set.",
    ),
    (
        ["add-member", "nora@example.org", "--set", "Nowhere", "--role", "candidate"],
        "There is no set called 'Nowhere'.",
    ),
    (
        ["add-member", "nora@example.org", "--set", "Glasgow 3", "--role", "assessor"],
        "'assessor' is not one of",
    ),
    (["add-member", "nora", "--set", "Glasgow 3", "--role", "candidate"], "is not an email"),
    (
        ["move-member", "lee@example.org", "--from", "Glasgow 3", "--to", "Leeds 1"],
        "lee@example.org is not in 'Glasgow 3'.",
    ),
    (
        ["move-member", "cara@example.org", "--from", "Glasgow 3", "--to", "Glasgow 3"],
        "Cara is in Glasgow 3 already: choose another set.",
    ),
    (
        ["move-member", "cara@example.org", "--from", "Glasgow 3", "--to", "Nowhere"],
        "There is no set called 'Nowhere'.",
    ),
    (["move-member", "cara@example.org", "--from", "Glasgow 3"], "Missing option '--to'"),
    (
        ["remove-member", "nora@example.org", "--set", "Glasgow 3"],
        "nora@example.org is not in 'Glasgow 3'.",
    ),
]


@pytest.mark.parametrize(
    ("args", "message"), MEMBER_REFUSALS, ids=[" ".join(a[:2]) + "…" for a, _ in MEMBER_REFUSALS]
)
def test_a_membership_change_that_cannot_be_changes_nothing_and_says_why(
    app, runner, cast, args, message
):
    before = table_rows(app)

    result = runner.invoke(args=args)

    assert result.exit_code != 0
    assert message in result.output
    assert table_rows(app) == before


def test_moving_into_a_set_they_are_in_already_is_refused(app, runner, make, cast):
    runner.invoke(
        args=["add-member", "cara@example.org", "--set", "Leeds 1", "--role", "facilitator"]
    )
    before = table_rows(app)

    result = runner.invoke(
        args=["move-member", "cara@example.org", "--from", "Glasgow 3", "--to", "Leeds 1"]
    )

    assert result.exit_code != 0
    assert "Cara is already in Leeds 1 as facilitator" in result.output
    assert table_rows(app) == before


# flask assign-assessor -----------------------------------------------------------------------


@pytest.fixture
def framework(app) -> int:
    with app.app_context():
        row = Framework(code="L7", title="Level 7")
        db.session.add(row)
        db.session.commit()
        return row.id


def enrolment_of(app, email: str) -> Enrolment | None:
    with app.app_context():
        query = select(Enrolment).join(Enrolment.candidate).where(User.email == email)
        found = db.session.scalar(query)
        if found is not None:
            db.session.expunge(found)
        return found


def test_assign_assessor_enrols_a_candidate_then_changes_their_assessor(
    app, runner, cast, framework
):
    first = runner.invoke(args=["assign-assessor", "cara@example.org", "ada@example.org"])

    assert first.exit_code == 0, first.output
    assert "cara@example.org enrolled on L7, assessed by ada@example.org." in first.output
    enrolment = enrolment_of(app, "cara@example.org")
    assert (enrolment.framework_id, enrolment.assessor_id) == (framework, cast.ada.id)

    second = runner.invoke(
        args=["assign-assessor", "cara@example.org", "nora@example.org", "--framework", "L7"]
    )

    assert second.exit_code == 0, second.output
    assert "nora@example.org now assesses cara@example.org on L7." in second.output
    changed = enrolment_of(app, "cara@example.org")
    assert (changed.id, changed.assessor_id) == (enrolment.id, cast.nora.id)
    (event,) = cli_events(app, "enrolment.assessor_changed")
    assert (event.detail["from_assessor_id"], event.detail["to_assessor_id"]) == (
        cast.ada.id,
        cast.nora.id,
    )


ASSESSOR_REFUSALS = [
    (["cara@example.org", "cara@example.org"], "A candidate cannot assess their own evidence"),
    (["cara@example.org", "nobody@example.org"], "No one has an account for nobody@example.org."),
    (["nobody@example.org", "ada@example.org"], "No one has an account for nobody@example.org."),
    (["cara@example.org", "ada@example.org", "--framework", "X9"], "no framework with the code"),
    (["cara@example.org", "ada"], "is not an email address"),
]


@pytest.mark.parametrize(("args", "message"), ASSESSOR_REFUSALS)
def test_assign_assessor_refuses_what_cannot_be(app, runner, cast, framework, args, message):
    before = table_rows(app)

    result = runner.invoke(args=["assign-assessor", *args])

    assert result.exit_code != 0
    assert message in result.output
    assert table_rows(app) == before


def test_assign_assessor_asks_which_framework_when_there_are_several(app, runner, cast, framework):
    with app.app_context():
        db.session.add(Framework(code="L5", title="Level 5"))
        db.session.commit()
    before = table_rows(app)

    result = runner.invoke(args=["assign-assessor", "cara@example.org", "ada@example.org"])

    assert result.exit_code != 0
    assert "Name the framework with --framework (L5, L7)." in result.output
    assert table_rows(app) == before


# flask resend-invitation, revoke-invitation --------------------------------------------------


def test_resend_invitation_prints_a_new_link_and_the_old_one_stops(app, runner, glasgow):
    old = LINK.search(runner.invoke(args=["invite", NINA, "--role", "assessor"]).output)[2]

    result = runner.invoke(args=["resend-invitation", "Nina@Example.org"])

    assert result.exit_code == 0, result.output
    assert "the old link no longer works" in result.output
    ((_base, new),) = LINK.findall(result.output)
    client = app.test_client()
    assert client.get(f"/invite/{old}").status_code == 404
    assert client.get(f"/invite/{new}").status_code == 200
    assert len(cli_events(app, "invitation.resent")) == 1


def test_resend_invitation_asks_which_when_there_are_several(app, runner, glasgow, make):
    make.set("Leeds 1")
    for set_name in ("Glasgow 3", "Leeds 1"):
        runner.invoke(args=["invite", NINA, "--role", "candidate", "--set", set_name])
    before = table_rows(app)

    refused = runner.invoke(args=["resend-invitation", NINA])

    assert refused.exit_code != 0
    assert "has 2 invitations not used yet" in refused.output
    assert "name the set with --set" in refused.output
    assert table_rows(app) == before
    chosen = runner.invoke(args=["resend-invitation", NINA, "--set", "Leeds 1"])
    assert chosen.exit_code == 0, chosen.output
    assert "(candidate in 'Leeds 1')" in chosen.output


def test_revoke_invitation_withdraws_every_open_invitation_to_the_address(app, runner, glasgow):
    tokens = [
        LINK.search(runner.invoke(args=args).output)[2]
        for args in (
            ["invite", NINA, "--role", "assessor"],
            ["invite", NINA, "--role", "candidate", "--set", "Glasgow 3"],
        )
    ]

    result = runner.invoke(args=["revoke-invitation", NINA])

    assert result.exit_code == 0, result.output
    assert result.output.count("Withdrawn: the invitation for nina@example.org") == 2
    assert all(app.test_client().get(f"/invite/{t}").status_code == 404 for t in tokens)
    again = runner.invoke(args=["revoke-invitation", NINA])
    assert again.exit_code != 0
    assert "There is no invitation for nina@example.org to act on." in again.output


@pytest.mark.parametrize("command", ["resend-invitation", "revoke-invitation"])
def test_an_invitation_command_with_nothing_to_act_on_says_so(app, runner, glasgow, command):
    result = runner.invoke(args=[command, NINA, "--set", "Glasgow 3"])
    assert result.exit_code != 0
    assert (
        "There is no invitation into 'Glasgow 3' for nina@example.org to act on." in result.output
    )


# Before `flask db upgrade` -------------------------------------------------------------------

COMMANDS = [
    ["demo"],
    ["create-admin", "first@example.org", "--name", "First", "--password", ADMIN_PASSWORD],
    ["create-set", "Glasgow 3"],
    ["invite", "nina@example.org", "--role", "assessor"],
    ["rename-set", "Glasgow 3", "Glasgow 4"],
    ["add-member", "nina@example.org", "--set", "Glasgow 3", "--role", "candidate"],
    ["move-member", "nina@example.org", "--from", "Glasgow 3", "--to", "Leeds 1"],
    ["remove-member", "nina@example.org", "--set", "Glasgow 3"],
    ["assign-assessor", "nina@example.org", "ada@example.org"],
    ["resend-invitation", "nina@example.org"],
    ["revoke-invitation", "nina@example.org"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[args[0] for args in COMMANDS])
def test_on_a_database_without_tables_a_command_says_to_migrate_first(tmp_path, args):
    empty = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    result = empty.test_cli_runner().invoke(args=args)

    assert result.exit_code == 1
    assert "run `flask --app wsgi db upgrade` first" in result.output
    assert "Traceback" not in result.output
