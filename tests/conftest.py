"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set),
a client, a CLI runner, an `auth` helper, factories and a SQL statement counter."""

import copy
import logging
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text

from journal import demo
from journal.extensions import db
from journal.models import User

from .factories import PASSWORD, Factory
from .helpers import DATABASES, TEST_DATABASE_URL, AuthActions, database_url, make_app

# PostgreSQL's plans and its reads without a transaction are checked on PostgreSQL only:
# without it, those tests do not exist. The
# same for the export and e-mail workers' tests without Redis (.ci/run sets TEST_REDIS_URL).
collect_ignore = [] if TEST_DATABASE_URL else ["policy/test_plans.py", "test_transactions.py"]
if not os.environ.get("TEST_REDIS_URL"):
    collect_ignore += [
        "evidence/test_export_worker.py",
        "mail/test_worker.py",
        "notifications/test_worker.py",
        "privacy/test_data_export_worker.py",
    ]


@pytest.fixture(params=DATABASES)
def database(request) -> str:
    """The database kind under test; every app-level test runs once per kind."""
    return request.param


@pytest.fixture
def app_config() -> dict:
    """Extra configuration of the app under test; a module overrides this fixture to change it
    (e.g. a small PAGE_SIZE)."""
    return {}


@dataclass
class ReusedApp:
    """An app kept for every test of one database kind and configuration, as it was made.

    Making an app compiles a URL builder per route (Werkzeug), a tenth of a second that every
    test paid. Each test still starts from what a new app would have: the configuration and
    extensions as made, empty rate-limit counters, and empty tables.
    """

    app: Flask
    config: dict
    extensions: dict
    schema: Path | None  # SQLite: a copy of the empty database, copied over it for each test


_apps: dict[tuple[str, str], ReusedApp] = {}


@pytest.fixture
def app(database, app_config, tmp_path_factory) -> Iterator[Flask]:
    """A fresh app's state on a fresh database."""
    key = (database, repr(sorted(app_config.items())))
    reused = _apps.get(key) or _make(key, database, app_config, tmp_path_factory)
    app = reused.app
    # A test may add routes (as a new app allows): such an app is not used again.
    routes = len(app.url_map._rules)
    app._got_first_request = False
    with app.app_context():
        if reused.schema is not None:
            db.engine.dispose()
            shutil.copyfile(reused.schema, db.engine.url.database)
    yield app
    with app.app_context():
        db.session.remove()
        if database == "postgresql":
            tables = ", ".join(table.name for table in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            db.engine.dispose()
    app.config.clear()
    app.config.update(copy.deepcopy(reused.config))
    app.extensions.clear()
    app.extensions.update(reused.extensions)
    for limiter in {*app.extensions["limiter"], app.extensions["password_limiter"]}:
        limiter.reset()
    if len(app.url_map._rules) != routes:
        del _apps[key]
        with app.app_context():
            db.engine.dispose()


def _make(key, database: str, app_config: dict, tmp_path_factory) -> ReusedApp:
    global _postgres_tables_ready
    folder = tmp_path_factory.mktemp("app")
    app = make_app(database_url(database, folder), **app_config)
    schema = None
    with app.app_context():
        event.listen(db.engine, "connect", _commit_without_waiting_for_the_disk)
        if database == "sqlite" or not _postgres_tables_ready:
            db.drop_all()
            db.create_all()
            _postgres_tables_ready = database == "postgresql" or _postgres_tables_ready
        if database == "sqlite":
            db.engine.dispose()
            schema = folder / "schema.sqlite"
            shutil.copyfile(db.engine.url.database, schema)
    reused = ReusedApp(app, copy.deepcopy(dict(app.config)), dict(app.extensions), schema)
    _apps[key] = reused
    return reused


_postgres_tables_ready = False


def _commit_without_waiting_for_the_disk(dbapi_connection, _record) -> None:
    """A test database need not survive a power cut: commits return before the disk has the
    data, which roughly halves the suite's time on a slow disk. Nothing else changes."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous = OFF")
    else:
        dbapi_connection.execute("SET synchronous_commit = off")
        dbapi_connection.commit()


@pytest.fixture
def mailbox(app):
    """A real SMTP server (aiosmtpd, tests/mail/smtp_server.py) the app sends to: MAIL_URL."""
    from .mail.smtp_server import running_server

    with running_server() as received:
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{received.port}"
        yield received


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


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
def visit(app):
    """`visit(person)`: a browser of their own, signed in, with its CSRF token (pages of the
    journal and of sets are read through it)."""
    from .reflections.test_pages import Visitor

    def signed_in(user: User, password: str = PASSWORD):
        client = app.test_client()
        auth = AuthActions(client)
        assert auth.login(user.email, password).status_code == 302
        return Visitor(client, auth.csrf())

    return signed_in


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


@pytest.fixture(autouse=True)
def production_loggers() -> Iterator[None]:
    """Flask-Limiter's and the request log's loggers put back as they were: an app made as
    production gives them stderr handlers, which would otherwise write into later tests' output
    and keep a later production app from adding its own (journal/extensions.py)."""
    loggers = [logging.getLogger(name) for name in ("flask-limiter", "journal.requests")]
    saved = [(list(logger.handlers), logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
