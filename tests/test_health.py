"""/healthz: 200 and {"database": "ok"} when the database answers, 503 when it does not; for
anyone (no sign-in), without a session cookie, and never rate limited."""

import pytest

from tests.helpers import TEST_DATABASE_URL, AuthActions, make_app


def test_healthz_answers_ok_when_the_database_answers(client):
    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.json == {"database": "ok"}
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers.getlist("Set-Cookie") == []


def test_healthz_sets_no_cookie_even_for_someone_signed_in(client, make):
    AuthActions(client).login(make.user("Cara").email)

    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("app_config", [{"RATELIMIT_DEFAULT": "2 per minute"}])
def test_healthz_is_never_rate_limited(client):
    assert [client.get("/healthz").status_code for _ in range(10)] == [200] * 10
    # The same limit does stop other pages: healthz is exempt, not just unlimited.
    assert [client.get("/login").status_code for _ in range(3)] == [200, 200, 429]


def unreachable(database: str, tmp_path) -> str:
    if database == "sqlite":
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'journal.sqlite'}"
    assert TEST_DATABASE_URL
    return "postgresql://postgres@127.0.0.1:1/nothing"  # a port where nothing listens


def test_healthz_answers_503_when_the_database_does_not(database, tmp_path):
    app = make_app(unreachable(database, tmp_path))

    answer = app.test_client().get("/healthz")

    assert answer.status_code == 503
    assert answer.json == {"database": "unavailable"}
    assert answer.headers.getlist("Set-Cookie") == []
