"""Behind a proxy only when configured, HSTS over HTTPS only, and the CSP on every answer.

PROXY_HOPS (default 0) is how many proxies in front add to X-Forwarded-For and set
X-Forwarded-Proto; without it both headers are ignored, so a client cannot choose the address
the sign-in throttle counts by, nor make plain http look secure. Strict-Transport-Security is
sent on answers served over HTTPS (as the proxy says, once trusted) and never over plain http.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from journal.security import STRICT_TRANSPORT_SECURITY
from tests.auth.test_auth import at_address, sign_in
from tests.helpers import AuthActions, make_app
from tests.mail.smtp_server import free_port
from tests.test_security import assert_browser_wall

LIMITS = {"LOGIN_LIMIT_PER_ADDRESS": "3 per hour", "LOGIN_LIMIT_PER_ACCOUNT": "50 per hour"}
HSTS = "Strict-Transport-Security"
ROOT = Path(__file__).resolve().parent.parent


def guesses_from(app, forwarded_for: list[str]) -> list[int]:
    """Wrong passwords from one TCP peer (the proxy), each naming another client in
    X-Forwarded-For, for accounts that do not exist (so only the per-address limit counts)."""
    return [
        sign_in(
            at_address(app, "10.0.0.1"),
            f"guess{number}@example.org",
            "wrong-password",
            **{"X-Forwarded-For": client},
        ).status_code
        for number, client in enumerate(forwarded_for)
    ]


@pytest.mark.parametrize("app_config", [LIMITS])
def test_without_proxy_hops_x_forwarded_for_never_changes_the_address_counted(app):
    clients = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]

    # All four count against the peer, whatever they claim.
    assert guesses_from(app, clients) == [400, 400, 400, 429]


@pytest.mark.parametrize("app_config", [{**LIMITS, "PROXY_HOPS": 1}])
def test_behind_one_proxy_each_client_is_counted_by_the_address_it_adds(app):
    assert guesses_from(app, ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]) == [400] * 4
    # The same client, four times: its own limit.
    assert guesses_from(app, ["192.0.2.9"] * 4) == [400, 400, 400, 429]


@pytest.mark.parametrize("app_config", [{**LIMITS, "PROXY_HOPS": 1}])
def test_behind_one_proxy_a_client_cannot_choose_its_address_by_writing_in_front(app):
    # The proxy appends the address it saw; what the client wrote before it is not trusted.
    spoofed = [f"198.51.100.{n}, 192.0.2.9" for n in range(4)]

    assert guesses_from(app, spoofed) == [400, 400, 400, 429]


@pytest.mark.parametrize("app_config", [{**LIMITS, "PROXY_HOPS": 2}])
def test_behind_two_proxies_the_address_the_outer_one_saw_is_counted(app):
    chains = [f"198.51.100.{n}, 192.0.2.9, 10.1.1.1" for n in range(4)]

    assert guesses_from(app, chains) == [400, 400, 400, 429]
    assert guesses_from(app, ["203.0.113.5, 10.1.1.1"]) == [400]


def test_hsts_is_sent_over_https_and_never_over_plain_http(client):
    assert client.get("/login", base_url="https://localhost").headers[HSTS] == (
        "max-age=63072000; includeSubDomains"
    )
    assert HSTS not in client.get("/login").headers


def test_without_proxy_hops_x_forwarded_proto_never_makes_http_secure(client):
    answer = client.get("/login", headers={"X-Forwarded-Proto": "https"})

    assert HSTS not in answer.headers


@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_behind_a_proxy_its_x_forwarded_proto_decides(client):
    over_https = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    over_http = client.get("/login", headers={"X-Forwarded-Proto": "http"})

    assert over_https.headers[HSTS] == STRICT_TRANSPORT_SECURITY
    assert HSTS not in over_http.headers


@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_behind_a_proxy_x_forwarded_host_is_not_trusted(client):
    # A redirect is built from the host the app believes it has.
    answer = client.get("/", headers={"X-Forwarded-Host": "evil.example"})

    assert answer.status_code == 302
    assert "evil.example" not in answer.headers["Location"]


@pytest.mark.parametrize(("given", "hops"), [("0", 0), ("2", 2), (" 1 ", 1)])
def test_proxy_hops_is_read_from_the_environment(database, tmp_path, monkeypatch, given, hops):
    monkeypatch.setenv("PROXY_HOPS", given)

    assert make_app(f"sqlite:///{tmp_path / 'j.sqlite'}").config["PROXY_HOPS"] == hops


@pytest.mark.parametrize("given", ["two", "-1", "1.5", True])
def test_a_proxy_hops_that_is_not_a_count_stops_start_up(tmp_path, given):
    with pytest.raises(RuntimeError, match="PROXY_HOPS must be a whole number"):
        make_app(f"sqlite:///{tmp_path / 'j.sqlite'}", PROXY_HOPS=given)


# The CSP (and HSTS over HTTPS) on every kind of answer -----------------------------------

KINDS = [
    # (kind, signed in?, method, path, status)
    ("page", True, "GET", "/reflections", 200),
    ("not found", False, "GET", "/no-such-page", 404),
    ("API not found", True, "GET", "/api/v1/nothing", 404),
    ("wrong method", True, "GET", "/logout", 405),
    ("form without its CSRF token", False, "POST", "/login", 400),
    (
        "API write without its CSRF token",
        True,
        "PUT",
        "/api/v1/reflections/0b4f6a8e-3c1d-4e2f-9a7b-5c6d7e8f9a0b",
        400,
    ),
    ("too large", False, "POST", "/login", 413),
    ("static file", False, "GET", "/static/style.css", 200),
    ("missing static file", False, "GET", "/static/nothing.js", 404),
    ("service worker", False, "GET", "/sw.js", 200),
    ("manifest", False, "GET", "/manifest.webmanifest", 200),
    ("offline page", False, "GET", "/offline", 200),
    ("health", False, "GET", "/healthz", 200),
    ("HEAD of a page", False, "HEAD", "/login", 200),
    ("broken page", False, "GET", "/broken", 500),
    ("broken API", False, "GET", "/api/v1/broken", 500),
]


@pytest.fixture
def broken_routes(app):
    """A page and an API route that fail as a bug would (a new route: this app is not reused)."""

    def broken():
        raise RuntimeError("secret-internal-detail")

    app.add_url_rule("/broken", "broken", broken)
    app.add_url_rule("/api/v1/broken", "broken_api", broken)


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize(
    ("kind", "signed_in", "method", "path", "status"), KINDS, ids=[k[0] for k in KINDS]
)
def test_every_kind_of_answer_carries_the_csp_and_over_https_hsts(
    app, broken_routes, make, scheme, kind, signed_in, method, path, status
):
    client = app.test_client()
    base_url = f"{scheme}://localhost"
    if signed_in:
        person = make.user("Cara")
        AuthActions(client).login(person.email)
    data = b"x=" + b"a" * (2 * 1024 * 1024) if status == 413 else None
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if data else {}
    if scheme == "https" and method in ("POST", "PUT"):
        headers["Referer"] = f"{base_url}/login"  # as a browser sends it over HTTPS

    answer = client.open(path, method=method, base_url=base_url, data=data, headers=headers)
    answer.close()

    assert answer.status_code == status
    assert_browser_wall(answer)
    assert (answer.headers.get(HSTS) == STRICT_TRANSPORT_SECURITY) == (scheme == "https")


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("path", ["/reflections", "/api/v1/me", "/login"])
def test_a_database_outage_answer_carries_the_csp_and_over_https_hsts(tmp_path, scheme, path):
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'j.sqlite'}")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-token"  # who it is must be asked of the database

    answer = client.get(path, base_url=f"{scheme}://localhost")

    assert answer.status_code == 503
    assert_browser_wall(answer)
    assert (answer.headers.get(HSTS) == STRICT_TRANSPORT_SECURITY) == (scheme == "https")
    assert OperationalError.__name__ not in answer.text


# Under gunicorn, as production serves it -------------------------------------------------


@contextmanager
def served_by_gunicorn(tmp_path, **environment: str) -> Iterator[str]:
    """The app under gunicorn with the repository's gunicorn.conf.py, on SQLite; its address."""
    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(  # noqa: S603 - gunicorn from the venv, arguments written here
        [gunicorn, "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env={
            **os.environ,
            "SECRET_KEY": "a-production-secret",
            "BASE_URL": "https://journal.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'journal.sqlite'}",
            **environment,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def asked_over_https_by_a_local_process(address: str) -> dict[str, str]:
    url = f"{address}/healthz"
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own server
        return dict(answer.headers)


@pytest.mark.parametrize(("hops", "secure"), [("0", False), ("1", True)])
def test_under_gunicorn_only_proxy_hops_decides_whether_forwarded_headers_count(
    tmp_path, hops, secure
):
    with served_by_gunicorn(tmp_path, PROXY_HOPS=hops) as address:
        headers = asked_over_https_by_a_local_process(address)

    assert (HSTS in headers) == secure
    assert "Content-Security-Policy" in headers
