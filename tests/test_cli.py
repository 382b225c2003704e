"""The `flask` commands of journal/cli.py: demo data, the first admin, sets, invitations.

A refused command exits with a non-zero status and says why in one line; `demo --if-empty`
declining is not a failure (the README's run command goes on to serve the app).
"""

import re

import pytest
from sqlalchemy import func, select

from journal.auth import accounts
from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.demo import PEOPLE
from journal.extensions import db
from journal.models import Invitation, LearningSet, User
from tests.factories import table_rows
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
        pytest.param("Glasgow 3", "There is a set called 'Glasgow 3' already.", id="taken"),
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


# Before `flask db upgrade` -------------------------------------------------------------------

COMMANDS = [
    ["demo"],
    ["create-admin", "first@example.org", "--name", "First", "--password", ADMIN_PASSWORD],
    ["create-set", "Glasgow 3"],
    ["invite", "nina@example.org", "--role", "assessor"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[args[0] for args in COMMANDS])
def test_on_a_database_without_tables_a_command_says_to_migrate_first(tmp_path, args):
    empty = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    result = empty.test_cli_runner().invoke(args=args)

    assert result.exit_code == 1
    assert "run `flask --app wsgi db upgrade` first" in result.output
    assert "Traceback" not in result.output
