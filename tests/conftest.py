"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
a client, a CLI runner, an `auth` helper, factories and a SQL statement counter."""

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, make_url, text

from journal import accounts, create_app, demo
from journal.accounts import hash_password, new_session_token
from journal.extensions import db
from journal.models import LearningSet, Meeting, Membership, Reflection, User

PASSWORD = "a-long-test-password"
NEW_PASSWORD = "a-good-long-passphrase"  # what an invited person chooses
PASSWORD_HASH = hash_password(PASSWORD)
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]
_postgres_tables_ready = False


@cache
def postgres_url() -> str:
    """TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own beside it.

    Workers run at once, and every test empties the tables it used: they must not share them.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return TEST_DATABASE_URL
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"{url.database}_{worker}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not found:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def database_url(kind: str, tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'journal.sqlite'}" if kind == "sqlite" else postgres_url()


@pytest.fixture(params=DATABASES)
def database(request) -> str:
    """The database kind under test; every app-level test runs once per kind."""
    return request.param


def make_app(url: str, **config) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": url,
            **config,
        }
    )


@pytest.fixture
def app_config() -> dict:
    """Extra configuration of the app under test; a module overrides this fixture to change it
    (e.g. a small PAGE_SIZE)."""
    return {}


@pytest.fixture
def app(database, tmp_path, app_config) -> Iterator[Flask]:
    global _postgres_tables_ready
    app = make_app(database_url(database, tmp_path), **app_config)
    with app.app_context():
        if database == "sqlite" or not _postgres_tables_ready:
            db.drop_all()
            db.create_all()
            _postgres_tables_ready = database == "postgresql" or _postgres_tables_ready
    yield app
    with app.app_context():
        db.session.remove()
        if database == "postgresql":
            tables = ", ".join(table.name for table in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def form_token(client: FlaskClient) -> str:
    """The CSRF token of this browser's session, signed in or not, as its pages carry it."""
    return csrf_token_of(client.get("/login", follow_redirects=True).text)


class AuthActions:
    def __init__(self, client: FlaskClient):
        self._client = client

    def login(self, email: str, password: str = PASSWORD, remember: bool = False):
        token = csrf_token_of(self._client.get("/login").text)
        data = {"email": email, "password": password, "csrf_token": token}
        if remember:
            data["remember"] = "y"
        return self._client.post("/login", data=data)

    def csrf(self) -> str:
        """A CSRF token for the current session (as the offline client gets it)."""
        return self._client.get("/api/v1/me").json["csrf_token"]

    def logout(self):
        # /login redirects someone signed in, so the token comes from the API (same session).
        return self._client.post("/logout", data={"csrf_token": self.csrf()})


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


class Factory:
    """Creates rows and returns them detached but loaded, for their ids and plain fields."""

    def __init__(self, app: Flask):
        self.app = app

    @contextmanager
    def _saving(self):
        with self.app.app_context():
            created: list = []
            yield created
            db.session.add_all(created)
            db.session.commit()
            for row in created:
                db.session.refresh(row)

    def user(self, name: str = "Person", email: str | None = None, is_admin: bool = False) -> User:
        with self._saving() as rows:
            rows.append(
                User(
                    email=email
                    or f"{name.lower().replace(' ', '.')}-{uuid.uuid4().hex[:6]}@example.org",
                    name=name,
                    is_admin=is_admin,
                    password_hash=PASSWORD_HASH,
                    session_token=new_session_token(),
                )
            )
        return rows[0]

    def set(self, name: str | None = None, facilitators=(), candidates=()) -> LearningSet:
        with self._saving() as rows:
            learning_set = LearningSet(name=name or f"Set {uuid.uuid4().hex[:6]}")
            db.session.add(learning_set)
            db.session.flush()
            rows.append(learning_set)
            for role, people in (("facilitator", facilitators), ("candidate", candidates)):
                for person in people:
                    rows.append(Membership(set_id=learning_set.id, user_id=person.id, role=role))
        return rows[0]

    def meeting(
        self, learning_set: LearningSet, days: float = -7, location: str = "Room 1"
    ) -> Meeting:
        with self._saving() as rows:
            rows.append(
                Meeting(
                    set_id=learning_set.id,
                    starts_at=datetime.now(UTC) + timedelta(days=days),
                    location=location,
                )
            )
        return rows[0]

    def reflection(
        self,
        author: User,
        meeting: Meeting | None = None,
        visibility: str = "facilitator",
        age: timedelta = timedelta(0),
        **fields,
    ) -> Reflection:
        moment = datetime.now(UTC) - age
        values = {
            "experience": "What happened.",
            "insight": "What I learned.",
            "next_action": "What I will do.",
            "action_due": date.today() + timedelta(7),
            **fields,
        }
        with self._saving() as rows:
            rows.append(
                Reflection(
                    id=uuid.uuid4(),
                    author_id=author.id,
                    meeting_id=meeting.id if meeting else None,
                    visibility=visibility,
                    created_at=moment,
                    updated_at=moment,
                    **values,
                )
            )
        return rows[0]


@pytest.fixture
def make(app) -> Factory:
    return Factory(app)


@pytest.fixture
def demo_people(app) -> dict[str, User]:
    """SPEC.md's demo data; people by first name (password `demo-password`)."""
    with app.app_context():
        people = demo.load()
        for person in people.values():
            db.session.refresh(person)
        db.session.expunge_all()
    return people


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __len__(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counted: ...` then `len(counted)` statements were sent."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine

        def before_execute(conn, cursor, statement, *args):
            counter.statements.append(statement)

        event.listen(engine, "before_cursor_execute", before_execute)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before_execute)

    return counting


@pytest.fixture
def browser(app):
    """`browser(email, password)`: a new client signed in as that person; `browser()`: nobody."""

    def opening(email: str | None = None, password: str = PASSWORD) -> FlaskClient:
        client = app.test_client()
        if email is not None:
            answer = AuthActions(client).login(email, password)
            assert answer.status_code == 302, f"{email} could not sign in"
        return client

    return opening


def stored(app: Flask, reflection_id: uuid.UUID) -> Reflection | None:
    """The reflection as the database holds it now (None once deleted), detached."""
    with app.app_context():
        reflection = db.session.get(Reflection, reflection_id)
        if reflection is not None:
            db.session.expunge(reflection)
        return reflection


def table_rows(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: compare two to see what a request changed."""
    with app.app_context():
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in db.session.execute(table.select())),
            )
            for table in db.metadata.sorted_tables
        }


def make_invitation(app, email: str, role: str = "candidate", set_id: int | None = None) -> str:
    """An invitation as the `invite` command makes it; returns the token of its link."""
    with app.app_context():
        learning_set = db.session.get(LearningSet, set_id) if set_id else None
        _invitation, token = accounts.invite(email, role, learning_set, invited_by=None)
        db.session.commit()
    return token


def accept(
    client,
    token: str,
    name: str = "Nina New",
    password: str = NEW_PASSWORD,
    confirm: str | None = None,
):
    """Fill in and send the invitation's form, as the invited person does."""
    page = client.get(f"/invite/{token}")
    return client.post(
        f"/invite/{token}",
        data={
            "csrf_token": csrf_token_of(page.text),
            "name": name,
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )
