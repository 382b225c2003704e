"""Redis down: sign-in and every page keep working when REDIS_URL names a Redis that does not
answer. Limits count in each process's memory (Flask-Limiter's fallback, logged once), jobs run
in the web process (journal/jobs.py), /healthz says "degraded" with 200, and short timeouts keep
a Redis that accepts connections but never answers from holding a page.

Three kinds of outage: a closed port (refused at once), a "black hole" (a socket that listens
but never answers, as a hung Redis or a dropped route looks), and a real Redis stopped mid-run
(a proxy of the test's own in front of the shared Redis, stopped and started again: the shared
server itself is never touched).
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest
import redis
from limits.storage import RedisStorage

from journal import create_app
from journal.extensions import db
from tests.factories import PASSWORD
from tests.helpers import DEMO_PAGES, AuthActions, csrf_token_of, demo_page_ids, make_app
from tests.mail.smtp_server import free_port

REAL_REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FALLING_BACK = "Rate limit storage unreachable - falling back to in-memory storage"


@pytest.fixture
def redis_app(app, request) -> Iterator[Callable[..., object]]:
    """`redis_app(url, **config)`: another app on the test's database, with REDIS_URL=url (the
    `app` fixture's own limiter must keep a storage it can reset)."""
    made = []

    def making(url: str, **config):
        new = make_app(
            app.config["SQLALCHEMY_DATABASE_URI"],
            REDIS_URL=url,
            RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
            **config,
        )
        made.append(new)
        return new

    yield making
    for other in made:
        with other.app_context():
            db.engine.dispose()
        if other.config["REDIS_URL"] == REAL_REDIS or "redis_proxy" in request.fixturenames:
            forget_counts(other.config["RATELIMIT_KEY_PREFIX"])


def forget_counts(prefix: str) -> None:
    """Remove the counts an app of this module kept in the shared Redis."""
    connection = redis.Redis.from_url(REAL_REDIS)
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def closed_port() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there


@contextmanager
def black_hole() -> Iterator[str]:
    """A port that takes connections (the kernel completes them) and never answers a byte."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


class RedisProxy:
    """A TCP proxy of the test's own to the shared Redis: `stop()` is Redis going away for the
    app (listener and every connection closed), `start()` it coming back on the same port."""

    def __init__(self, target: str):
        url = redis.connection.parse_url(target)
        self.target = (url.get("host", "127.0.0.1"), url.get("port", 6379))
        self.db = url.get("db", 0)
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def stop(self) -> None:
        assert self.listener is not None
        # shutdown, not only close: a close leaves the thread blocked in accept() listening.
        for connection in [self.listener, *self.connections]:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            upstream = socket.create_connection(self.target)
            self.connections += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def redis_proxy() -> Iterator[RedisProxy]:
    proxy = RedisProxy(REAL_REDIS)
    proxy.start()
    yield proxy
    proxy.stop()


def sign_in(app, email: str, password: str = PASSWORD):
    client = app.test_client()
    return client, AuthActions(client).login(email, password)


def within(seconds: float, work: Callable[[], object]) -> object:
    """`work()`'s result, failing the test (never hanging it) if it takes longer."""
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(work()), daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"still waiting after {seconds} s"
    return outcome[0]


def test_sign_in_and_its_throttle_work_in_memory_while_redis_is_down(redis_app, make, caplog):
    person = make.user("Cara")
    down = redis_app(closed_port(), LOGIN_LIMIT_PER_ACCOUNT="3 per hour")

    with caplog.at_level(logging.INFO, logger="flask-limiter"):
        client, answer = sign_in(down, person.email)
        assert answer.status_code == 302
        assert client.get("/").status_code == 200
        wrong = [sign_in(down, person.email, "wrong-password")[1].status_code for _ in range(4)]

    # The same limits, counted in this process's memory.
    assert wrong == [400, 400, 400, 429]
    falling_back = [r for r in caplog.records if r.getMessage() == FALLING_BACK]
    assert len(falling_back) == 1  # logged once, not once a request
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_every_page_answers_while_redis_is_down(app, redis_app, demo_people):
    down = redis_app(closed_port())
    with app.app_context():
        ids = demo_page_ids()
    clients = {}
    answers = []
    for who, url in DEMO_PAGES:
        if who not in clients:
            clients[who], signed_in = sign_in(down, f"{who}@example.org", "demo-password")
            assert signed_in.status_code == 302, who
        answers.append((who, url, clients[who].get(url.format(**ids)).status_code))

    assert [answer for answer in answers if answer[2] != 200] == []


def test_an_export_asked_for_while_redis_is_down_is_made_in_the_request(
    app, redis_app, demo_people
):
    down = redis_app(closed_port())
    with app.app_context():
        ids = demo_page_ids()
    client, _ = sign_in(down, "cara@example.org", "demo-password")
    page = client.get(f"/portfolios/{ids['portfolio']}/exports")

    asked = client.post(
        f"/portfolios/{ids['portfolio']}/exports",
        data={"csrf_token": csrf_token_of(page.text), "format": "zip"},
    )

    assert asked.status_code == 302
    assert "Ready, " in client.get(asked.location).text
    download = client.get(f"{asked.location}/download")
    assert (download.status_code, download.mimetype) == (200, "application/zip")


def test_healthz_reports_redis_only_when_it_is_configured(client, redis_app):
    assert client.get("/healthz").json == {"database": "ok"}

    up = redis_app(REAL_REDIS).test_client().get("/healthz")
    down = redis_app(closed_port()).test_client().get("/healthz")

    assert (up.status_code, up.json) == (200, {"database": "ok", "redis": "ok"})
    # Degraded, not down: the app still serves everything while the database answers.
    assert (down.status_code, down.json) == (200, {"database": "ok", "redis": "degraded"})


def test_a_redis_that_never_answers_never_holds_a_page(redis_app, make):
    person = make.user("Cara")
    with black_hole() as url:
        hung = redis_app(url, LOGIN_LIMIT_PER_ACCOUNT="3 per hour")

        def visit():
            started = time.monotonic()
            client, answer = sign_in(hung, person.email)
            statuses = [answer.status_code, client.get("/reflections").status_code]
            health = client.get("/healthz")
            return statuses, health.json, time.monotonic() - started

        statuses, health, took = within(15, visit)

    assert statuses == [302, 200]
    assert health == {"database": "ok", "redis": "degraded"}
    # Each wait is REDIS_CONNECT_TIMEOUT or REDIS_TIMEOUT (1 s): a few of them at most.
    assert took < 6


def test_a_redis_stopped_mid_run_leaves_sign_in_and_pages_working(
    redis_app, redis_proxy, make, caplog
):
    person = make.user("Cara")
    served = redis_app(redis_proxy.url, LOGIN_LIMIT_PER_ACCOUNT="3 per hour")
    (limiter,) = served.extensions["limiter"]
    sign_in(served, person.email, "wrong-password")
    assert isinstance(limiter.storage, RedisStorage)
    assert served.test_client().get("/healthz").json["redis"] == "ok"
    client, answer = sign_in(served, person.email)
    assert answer.status_code == 302

    redis_proxy.stop()
    with caplog.at_level(logging.INFO, logger="flask-limiter"):
        assert client.get("/reflections").status_code == 200
        assert sign_in(served, person.email)[1].status_code == 302
        wrong = [sign_in(served, person.email, "wrong-password")[1].status_code for _ in range(4)]
        health = served.test_client().get("/healthz")

    assert wrong == [400, 400, 400, 429]  # memory starts counting afresh
    assert (health.status_code, health.json["redis"]) == (200, "degraded")
    assert [r.getMessage() for r in caplog.records].count(FALLING_BACK) == 1

    redis_proxy.start()
    assert served.test_client().get("/healthz").json["redis"] == "ok"


def test_in_production_falling_back_is_on_stderr_once_and_no_address_is(app, make, capsys):
    person = make.user("Cara")
    production = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": "a-production-secret",
            "BASE_URL": "https://journal.example.org",
            "REDIS_URL": closed_port(),
            "LOGIN_LIMIT_PER_ACCOUNT": "2 per hour",
            "WTF_CSRF_SSL_STRICT": False,  # the test client speaks plain http
            "SESSION_COOKIE_SECURE": False,
        }
    )
    try:
        wrong = [
            sign_in(production, person.email, "wrong-password")[1].status_code for _ in range(3)
        ]
    finally:
        with production.app_context():
            db.engine.dispose()

    assert wrong == [400, 400, 429]
    logged = capsys.readouterr().err
    assert logged.count(FALLING_BACK) == 1
    assert person.email not in logged  # Flask-Limiter's "exceeded" line names the account
