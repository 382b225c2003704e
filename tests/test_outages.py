"""A database that cannot be reached, restarts or drops a connection mid-request is answered
with 503 and Retry-After (journal/errors.py), never 500: JSON under /api/, a page elsewhere
that says what to do with what was typed. The pool recovers by itself once it is back.

The faults are real ones: a PostgreSQL port nobody listens on, an SQLite file in a folder that
is not there, a backend terminated while a request uses it (pg_terminate_backend), an SQLite
database locked by another writer for longer than the app waits.
"""

import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from journal.extensions import db
from journal.models import Reflection, User
from journal.pwa.views import STORAGE_HEADER
from tests.api.test_reflections_api import assert_documented
from tests.factories import Factory
from tests.helpers import TEST_DATABASE_URL, AuthActions, csrf_token_of, make_app, new_body

UNAVAILABLE = "The journal cannot reach its database just now."
LEAKS = ("Traceback", "OperationalError", "psycopg", "sqlite", "SELECT", 'File "')


@pytest.fixture
def app_config(database) -> dict:
    # SQLite waits this long for another writer's lock before it gives up (5 s by default).
    if database == "sqlite":
        return {
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "connect_args": {"timeout": 0.2}}
        }
    return {}


def assert_unavailable_json(response, method: str, url: str) -> None:
    assert_documented(response, method, url)
    assert response.status_code == 503
    assert response.json == {
        "error": response.json["error"],
        "status": 503,
        "reason": "unavailable",
    }
    assert response.json["error"].startswith(UNAVAILABLE)
    assert 1 <= int(response.headers["Retry-After"]) <= 30


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert UNAVAILABLE in response.text
    assert 1 <= int(response.headers["Retry-After"]) <= 30
    assert "Content-Security-Policy" in response.headers
    # Whose page it is cannot be known: naming nobody (signed out) would make the service
    # worker forget every page the device keeps for offline use.
    assert STORAGE_HEADER not in response.headers
    for leak in LEAKS:
        assert leak not in response.text


def claiming_to_be_signed_in(client: FlaskClient) -> FlaskClient:
    """A browser whose session names someone: every page asks the database who that is."""
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-token"
        session["_fresh"] = True
    return client


UNREACHABLE = {
    "postgresql on a closed port": lambda _folder: "postgresql://postgres@127.0.0.1:1/journal",
    "sqlite in a missing folder": lambda folder: f"sqlite:///{folder / 'missing' / 'j.sqlite'}",
}


@pytest.mark.parametrize("url_in", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_an_unreachable_database_answers_503_with_retry_after_everywhere(url_in, tmp_path):
    app = make_app(url_in(tmp_path))
    client = claiming_to_be_signed_in(app.test_client())

    assert_unavailable_json(client.get("/api/v1/me"), "GET", "/api/v1/me")
    page = client.get("/reflections")
    assert_unavailable_page(page)
    assert "Try again" in page.text


@pytest.mark.parametrize("url_in", UNREACHABLE.values(), ids=UNREACHABLE.keys())
def test_a_form_sent_while_the_database_is_away_says_back_keeps_the_text(url_in, tmp_path):
    app = make_app(url_in(tmp_path))
    client = app.test_client()
    token = csrf_token_of(client.get("/login").text)

    answer = client.post(
        "/login", data={"email": "cara@example.org", "password": "x" * 12, "csrf_token": token}
    )

    assert_unavailable_page(answer)
    assert "may or may not have been saved" in answer.text
    assert "go Back, and the form still holds it" in answer.text


def test_sqlite_coming_back_is_used_at_the_next_request(tmp_path):
    folder = tmp_path / "data"
    app = make_app(f"sqlite:///{folder / 'journal.sqlite'}")
    client = claiming_to_be_signed_in(app.test_client())
    assert_unavailable_json(client.get("/api/v1/me"), "GET", "/api/v1/me")

    folder.mkdir()
    with app.app_context():
        db.create_all()
    person = Factory(app).user("Cara")
    with client.session_transaction() as session:
        session["_user_id"] = person.session_token

    assert client.get("/api/v1/me").json["id"] == person.id


def terminate_backend(connection) -> None:
    """PostgreSQL: the connection is killed under the request, as a restart does."""
    pid = connection.connection.dbapi_connection.info.backend_pid
    with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
        while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
            time.sleep(0.01)


@contextmanager
def cut_off(app: Flask, database: str, after_commit: bool = False) -> Iterator[None]:
    """The request's next statement (or its first after a commit) meets a database gone away:
    on PostgreSQL its backend is terminated; on SQLite another writer holds the database for
    longer than the app waits."""
    with app.app_context():
        engine = db.engine
    armed = [not after_commit]
    locks: list[sqlite3.Connection] = []
    done = []

    def arm(_connection) -> None:
        armed.append(True)

    def fail(connection, _cursor, _statement, _parameters, _context, _many) -> None:
        if not armed[-1] or done:
            return
        done.append(True)
        if database == "postgresql":
            terminate_backend(connection)
        else:
            locks.append(sqlite3.connect(engine.url.database, isolation_level=None))
            locks[0].execute("BEGIN EXCLUSIVE")

    event.listen(engine, "commit", arm)
    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", fail)
        event.remove(engine, "commit", arm)
        for lock in locks:
            lock.execute("ROLLBACK")
            lock.close()
    assert done, "no statement met the fault"


@pytest.mark.parametrize("after_commit", [False, True], ids=["before its commit", "after it"])
def test_a_write_cut_off_is_503_and_its_replay_is_saved_once(app, make, database, after_commit):
    """Cut off after its commit, the write was saved though its answer says 503: one a client
    cannot tell from the other, so both are resolved by the outbox's replay (SPEC.md)."""
    cara = make.user("Cara")
    client = app.test_client()
    assert AuthActions(client).login(cara.email).status_code == 302
    token = AuthActions(client).csrf()
    reflection_id = uuid.uuid4()

    def put():
        return client.put(
            f"/api/v1/reflections/{reflection_id}",
            json=new_body(experience="Said at the meeting."),
            headers={"X-CSRFToken": token},
        )

    with cut_off(app, database, after_commit=after_commit):
        assert_unavailable_json(put(), "PUT", f"/api/v1/reflections/{reflection_id}")
    with app.app_context():
        saved = db.session.scalars(select(Reflection.id)).all()
    assert saved == ([reflection_id] if after_commit else [])
    # Saved or not, the replay is answered as a first PUT is, and writes nothing twice.
    assert put().status_code == 201
    assert put().status_code == 201
    with app.app_context():
        assert db.session.scalars(select(Reflection.experience)).all() == ["Said at the meeting."]


def test_a_page_cut_off_mid_request_is_503_and_the_next_one_is_served(app, make, database):
    cara = make.user("Cara")
    client = app.test_client()
    assert AuthActions(client).login(cara.email).status_code == 302

    with cut_off(app, database):
        assert_unavailable_page(client.get("/reflections"))
    assert client.get("/reflections").status_code == 200


def drop_idle_connections(app: Flask, database: str) -> None:
    """Every connection the pool holds dies while idle, as when PostgreSQL restarts between
    two requests."""
    if database == "postgresql":
        with psycopg.connect(TEST_DATABASE_URL, autocommit=True) as other:
            other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        return
    with app.app_context():
        idle = list(db.engine.pool._pool.queue)
    assert idle, "the pool held no connection to drop"
    for record in idle:
        record.dbapi_connection.close()


def test_connections_dropped_while_idle_are_replaced_unnoticed(app, make, database):
    cara = make.user("Cara")
    client = app.test_client()
    assert AuthActions(client).login(cara.email).status_code == 302
    assert client.get("/reflections").status_code == 200

    drop_idle_connections(app, database)

    assert client.get("/reflections").status_code == 200
    with app.app_context():
        assert db.session.get(User, cara.id).name == "Cara"
