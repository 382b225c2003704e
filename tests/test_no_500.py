"""Odd input to signing in, invitations and the administration: a clear 4xx, never a 500.

A NUL is text PostgreSQL refuses (a 500 if it reaches a query); a number past 64 bits is one
SQLite cannot bind; a path segment may be any bytes, not UTF-8 ones. Each is answered with the
form again and a reason, or the page of something that does not exist, and nothing is stored.
"""

import io
import json
import re
import uuid
from collections.abc import Iterator

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from journal.extensions import db
from tests.factories import NEW_PASSWORD, PASSWORD, make_invitation, table_rows
from tests.helpers import accept, csrf_token_of, form_token, make_app

REDIS_URL = "redis://127.0.0.1:6379/0"
NUL_EMAIL = "a\x00@example.org"
NULL_CHARACTER = "This text contains a null character; remove it."
INVALID_LINK = "This invitation link is not valid: it may have been used"


@pytest.fixture
def app_config() -> dict:
    # Odd input here is mostly wrong passwords: keep the throttle's 429 out of the way.
    return {"LOGIN_LIMIT_PER_ACCOUNT": "1000 per hour", "LOGIN_LIMIT_PER_ADDRESS": "1000 per hour"}


@pytest.fixture
def glasgow(make):
    return make.set(name="Glasgow 3")


@pytest.fixture
def token(app, glasgow) -> str:
    return make_invitation(app, "nina@example.org", "candidate", glasgow.id)


def field(page: str, name: str) -> str | None:
    """The <input> named `name` on the page, if any."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    return match[0] if match else None


# Signing in ------------------------------------------------------------------------------------


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": form_token(client)}
    )


@pytest.mark.parametrize(
    "email", [NUL_EMAIL, "\x00", "cara@example.org\x00"], ids=["inside", "alone", "after"]
)
def test_a_nul_in_the_sign_in_email_is_refused_with_the_form(app, make, email):
    make.user("Cara", email="cara@example.org")
    client = app.test_client()
    before = table_rows(app)

    answer = sign_in(client, email)

    assert answer.status_code == 400
    assert NULL_CHARACTER in answer.text
    assert field(answer.text, "email") is not None
    assert field(answer.text, "password") is not None
    assert table_rows(app) == before
    assert client.get("/api/v1/me").status_code == 401


@pytest.fixture(params=["memory", "redis"])
def limited(app, request) -> Iterator[Flask]:
    """Another app on the same database with a small per-account limit, its counts kept in
    memory or in Redis (under a key prefix of its own, removed afterwards)."""
    prefix = f"test-{uuid.uuid4().hex}"
    config = {"LOGIN_LIMIT_PER_ACCOUNT": "2 per hour"}
    if request.param == "redis":
        config |= {"REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], **config)
    yield other
    with other.app_context():
        db.engine.dispose()
    connection = redis.Redis.from_url(REDIS_URL)
    keys = list(connection.scan_iter(match=f"*{prefix}*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def test_the_throttle_counts_a_nul_email_like_any_other(limited):
    """The throttle's per-account key comes from the form's email, before the form is checked."""
    answers = [sign_in(limited.test_client(), NUL_EMAIL).status_code for _ in range(4)]

    assert answers[0] == 400
    assert set(answers) <= {400, 429}


def test_a_nul_email_from_a_browser_that_signed_in_before_is_refused(app, make, limited):
    """A browser that once signed in holds a device cookie: the throttle then looks the form's
    email up (journal/auth/throttle.py), which must not send a NUL to the database."""
    make.user("Cara", email="cara@example.org")
    client = limited.test_client()
    assert sign_in(client, "cara@example.org").status_code == 302
    client.post("/logout", data={"csrf_token": client.get("/api/v1/me").json["csrf_token"]})
    before = table_rows(app)

    answers = [sign_in(client, NUL_EMAIL).status_code for _ in range(4)]

    assert answers[0] == 400
    assert set(answers) <= {400, 429}
    assert table_rows(app) == before


def test_a_sign_in_with_bytes_that_are_not_utf8_is_refused(app, make):
    make.user("Cara", email="cara@example.org")
    client = app.test_client()
    body = f"csrf_token={form_token(client)}&email=%ff%fe%00%ed%a0%80&password=x"

    answer = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")

    assert answer.status_code == 400
    assert field(answer.text, "email") is not None


# Forms sent as something other than a browser's form -------------------------------------------

A_FILE = "This field takes text, not a file."
NOT_A_FORM = "This page takes a form as a browser sends it"


def a_file(content: bytes = b"cara@example.org") -> tuple[io.BytesIO, str, str]:
    return io.BytesIO(content), "email.txt", "text/plain"


def test_a_sign_in_sent_as_multipart_with_text_parts_signs_in(app, make):
    """What a page's script sends with `new FormData(form)`: the same form, another encoding."""
    make.user("Cara", email="cara@example.org")
    client = app.test_client()
    data = {"email": "cara@example.org", "password": PASSWORD, "csrf_token": form_token(client)}

    answer = client.post("/login", data=data, content_type="multipart/form-data")

    assert answer.status_code == 302
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("typed", [None, "cara@example.org"], ids=["only a file", "and text"])
def test_a_sign_in_with_the_email_as_a_file_is_refused_with_the_form(app, make, typed):
    make.user("Cara", email="cara@example.org")
    client = app.test_client()
    data = {"email": [a_file()], "password": PASSWORD, "csrf_token": form_token(client)}
    if typed is not None:
        data["email"].append(typed)
    before = table_rows(app)

    answer = client.post("/login", data=data, content_type="multipart/form-data")

    assert answer.status_code == 400
    assert A_FILE in answer.text
    assert field(answer.text, "email") is not None
    assert table_rows(app) == before
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        "str",
        {"email": 5},
        {"email": {"a": 1}, "password": ["x"]},
        None,
        {"email": "cara@example.org", "password": PASSWORD},
    ],
    ids=["a list", "a string", "a number", "an object and a list", "null", "even a good one"],
)
def test_a_sign_in_sent_as_json_is_refused_with_a_plain_page(app, make, body):
    make.user("Cara", email="cara@example.org")
    client = app.test_client()
    token = form_token(client)
    before = table_rows(app)

    answer = client.post(
        "/login",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )

    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert NOT_A_FORM in answer.text
    assert table_rows(app) == before
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/octet-stream"]
)
def test_a_form_sent_as_another_type_is_refused_with_a_plain_page(app, make, content_type):
    """A browser's form is URL-encoded or multipart; anything else carries nothing a form
    can read (and text/plain is what a cross-site form would send)."""
    client = browser_of(app, make.user("Cara"))
    token = form_token(client)

    answer = client.post(
        "/logout",
        data=b"csrf_token=" + token.encode(),
        content_type=content_type,
        headers={"X-CSRFToken": token},
    )

    assert answer.status_code == 400
    assert NOT_A_FORM in answer.text
    assert client.get("/api/v1/me").status_code == 200


def browser_of(app: Flask, user) -> FlaskClient:
    client = app.test_client()
    answer = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": form_token(client)},
    )
    assert answer.status_code == 302
    return client


# Accepting an invitation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"name": "Ni\x00na"}, NULL_CHARACTER, id="NUL in the name"),
        pytest.param({"name": "\x00"}, NULL_CHARACTER, id="only a NUL as name"),
        pytest.param({"password": "a-good\x00-long-passphrase"}, NULL_CHARACTER, id="NUL pw"),
        pytest.param({"name": "N" * 100_000}, "Field cannot be longer", id="huge name"),
        pytest.param({"password": "p" * 100_000}, "Field cannot be longer", id="huge password"),
    ],
)
def test_odd_text_in_the_invitation_form_is_refused_with_the_form(app, token, changes, message):
    client = app.test_client()
    before = table_rows(app)

    answer = accept(client, token, **changes)

    assert answer.status_code == 400
    assert message in answer.text
    assert field(answer.text, "name") is not None
    assert table_rows(app) == before
    # Nothing was lost: the same link still works.
    assert accept(client, token).status_code == 302


def test_an_invitation_form_sent_as_bytes_that_are_not_utf8_is_refused(app, token):
    client = app.test_client()
    csrf = csrf_token_of(client.get(f"/invite/{token}").text)
    body = f"csrf_token={csrf}&name=%ff%fe%00&password={NEW_PASSWORD}&confirm={NEW_PASSWORD}"
    before = table_rows(app)

    answer = client.post(
        f"/invite/{token}", data=body, content_type="application/x-www-form-urlencoded"
    )

    assert answer.status_code == 400
    assert table_rows(app) == before


ODD_TOKENS = [
    pytest.param("%ff", id="not UTF-8"),
    pytest.param("%c3%28", id="bad UTF-8 sequence"),
    pytest.param("%ed%a0%80", id="encoded surrogate"),
    pytest.param("%00", id="NUL"),
    pytest.param("abc%00def", id="NUL inside"),
    pytest.param("{token}%00", id="the token, then a NUL"),
    pytest.param("{token}%ff", id="the token, then not UTF-8"),
    pytest.param("%e2%80%ae{token}", id="right-to-left override"),
    pytest.param("x" * 10_000, id="10,000 characters"),
    pytest.param("9" * 30, id="a huge number"),
]


@pytest.mark.parametrize("odd", ODD_TOKENS)
def test_an_odd_invitation_token_is_an_invalid_link(app, token, odd):
    client = app.test_client()
    path = f"/invite/{odd.format(token=token)}"
    before = table_rows(app)

    shown = client.get(path)
    sent = client.post(
        path,
        data={
            "csrf_token": form_token(client),
            "name": "Nina",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )

    for answer in (shown, sent):
        assert answer.status_code == 404
        assert INVALID_LINK in answer.text
    assert table_rows(app) == before


# Every page of signing in, invitations and the administration ---------------------------------

ODD_VALUES = ["\x00", "%00", "%ff", "9" * 25, "-1", "0", "x" * 5_000, NUL_EMAIL]
FIELDS = [
    "email",
    "password",
    "remember",
    "name",
    "confirm",
    "current_password",
    "role",
    "set_id",
    "email_notifications",
]


def _paths(app: Flask, value: str) -> list[tuple[str, str, str]]:
    """(method, path, endpoint) of every auth, admin, calendar and notifications route, each
    address variable `value`."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in ("auth", "admin", "calendar", "notifications"):
            continue
        path = re.sub(r"<[^>]+>", value, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path, rule.endpoint))
    # Signing out last: the requests before it are made signed in.
    return sorted(found, key=lambda route: route[2] == "auth.logout")


@pytest.mark.parametrize("who", ["nobody", "candidate", "admin"])
def test_no_auth_or_admin_page_answers_a_server_error(app, make, browser, token, who):
    people = {
        "nobody": None,
        "candidate": make.user("Cara").email,
        "admin": make.user("Alex Admin", is_admin=True).email,
    }
    for value in ODD_VALUES:
        client = browser(people[who])
        csrf = form_token(client)
        for method, path, endpoint in _paths(app, value):
            data = {name: value for name in FIELDS} | {"csrf_token": csrf}
            answer = client.open(
                path,
                method=method,
                query_string={"next": value, "set_id": value, "page": value},
                data=data if method == "POST" else None,
            )
            assert answer.status_code < 500, (who, method, path[:60], value[:20], endpoint)
