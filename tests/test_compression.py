"""Responses gzipped when the client accepts it (journal/compression.py), and the BREACH rule.

Flask's test client neither asks for gzip nor decodes it: the tests here send Accept-Encoding
themselves and decompress explicitly, and every other test still reads plain bodies.

The rule against BREACH: a personal answer is compressed only when nobody else could have
chosen anything in its request. A browser that says where a request came from
(`Sec-Fetch-Site`) is believed: `same-origin` and `none` compress, `cross-site` and `same-site`
never do. Without the header, only a GET or HEAD whose query string is `name=digits` pairs
compresses.
"""

import gzip
import json
import re

import pytest
from flask import Flask, Response, g, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from itsdangerous import TimestampSigner
from itsdangerous.encoding import base64_decode

from journal.compression import MINIMUM_SIZE, accepts_gzip
from journal.demo import PASSWORD as DEMO_PASSWORD
from tests.test_security import assert_browser_wall

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
OWN = {**GZIP, "Sec-Fetch-Site": "same-origin"}


def gzipped(response) -> bool:
    return response.headers.get("Content-Encoding") == "gzip"


def body(response) -> bytes:
    """The body as the browser reads it: decoded when it came gzipped."""
    return gzip.decompress(response.data) if gzipped(response) else response.data


def without_tokens(html: str) -> str:
    """A page with its CSRF tokens (signed afresh every second) blanked out."""
    return re.sub(r'(csrf-token" content="|name="csrf_token" type="hidden" value=")[^"]*', "", html)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("GZIP;Q=0.5", True),
        ("deflate, gzip;q=0.001", True),
        ("x-gzip", True),
        ("*", True),
        ("br;q=1, *;q=0.1", True),
        ("", False),
        ("identity", False),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip; q=0.0", False),
        ("*;q=0", False),
        ("gzip;q=0, *", False),  # the named coding wins over the wildcard (RFC 9110 12.5.3)
        ("*, gzip;q=0", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_is_read_as_rfc_9110_says(header, accepted):
    assert accepts_gzip(header) is accepted


# Pages ----------------------------------------------------------------------------------------


def test_a_page_is_gzipped_when_the_client_accepts_it(client):
    plain = client.get("/login")

    response = client.get("/login", headers=GZIP)

    assert response.status_code == 200
    assert gzipped(response)
    assert response.headers["Content-Length"] == str(len(response.data))
    assert len(response.data) < len(plain.data)
    page = body(response).decode()
    assert "<h1>Sign in</h1>" in page
    assert without_tokens(page) == without_tokens(plain.text)
    assert {"accept-encoding", "cookie"} <= response.vary.as_set()
    assert "no-store" in response.headers["Cache-Control"]
    assert_browser_wall(response)


@pytest.mark.parametrize(
    "accept", [None, "identity", "br", "gzip;q=0", "*;q=0", "gzip;q=0, *"], ids=str
)
def test_a_page_is_plain_when_gzip_is_not_accepted(client, accept):
    headers = {} if accept is None else {"Accept-Encoding": accept}

    response = client.get("/login", headers=headers)

    assert not gzipped(response)
    assert "<h1>Sign in</h1>" in response.text
    # The same address has a gzipped copy for other clients: caches must tell them apart.
    assert "accept-encoding" in response.vary.as_set()
    assert response.headers["Content-Length"] == str(len(response.data))


def test_head_has_the_headers_of_a_gzipped_get_and_no_body(client):
    plain = client.get("/login")

    response = client.head("/login", headers=GZIP)

    assert response.status_code == 200
    assert gzipped(response)
    assert response.data == b""
    assert 0 < int(response.headers["Content-Length"]) < len(plain.data)
    assert "accept-encoding" in response.vary.as_set()


def test_the_json_api_parses_when_gzipped(browser, demo_people):
    cara = browser("cara@example.org", DEMO_PASSWORD)
    url = "/api/v1/reflections?updated_since=2000-01-01T00:00:00Z&limit=50"
    plain = cara.get(url)

    response = cara.get(url, headers=OWN)

    assert response.status_code == 200
    assert gzipped(response)
    assert response.mimetype == "application/json"
    assert json.loads(body(response)) == plain.json
    assert plain.json["reflections"]
    assert_browser_wall(response)


def test_the_openapi_document_parses_when_gzipped(client):
    response = client.get("/api/v1/openapi.json", headers=GZIP)

    assert gzipped(response)
    assert json.loads(body(response))["openapi"].startswith("3.1")


# What is left alone ----------------------------------------------------------------------------


@pytest.fixture
def odd(app: Flask) -> Flask:
    """Routes answering what no page of the app answers yet."""

    def text(size: int) -> Response:
        return Response("x" * size, mimetype="text/plain")

    def tagged() -> Response:
        response = Response("tagged " * 200, mimetype="text/plain")
        response.set_etag("v1")
        return response.make_conditional(request)

    routes = {
        "/odd/small": lambda: text(MINIMUM_SIZE - 1),
        "/odd/edge": lambda: text(MINIMUM_SIZE),
        "/odd/png": lambda: Response(bytes(2000), mimetype="image/png"),
        "/odd/encoded": lambda: Response(
            "already " * 200, mimetype="text/plain", headers={"Content-Encoding": "br"}
        ),
        "/odd/stream": lambda: Response((f"line {n}\n" for n in range(500)), mimetype="text/plain"),
        "/odd/empty": lambda: Response(status=204),
        "/odd/tagged": tagged,
    }
    for path, view in routes.items():
        app.add_url_rule(path, path, view)
    return app


@pytest.mark.parametrize(
    "path", ["/odd/small", "/odd/png", "/odd/encoded", "/odd/stream", "/odd/empty"]
)
def test_small_bodies_images_encoded_streamed_and_empty_answers_are_left_alone(odd, path):
    client = odd.test_client()
    plain = client.get(path)

    response = client.get(path, headers=OWN)

    assert response.headers.get("Content-Encoding") == plain.headers.get("Content-Encoding")
    assert response.data == plain.data
    assert "accept-encoding" not in response.vary.as_set()


def test_a_body_of_the_minimum_size_is_gzipped(odd):
    response = odd.test_client().get("/odd/edge", headers=OWN)

    assert gzipped(response)
    assert body(response) == b"x" * MINIMUM_SIZE


def test_a_strong_etag_becomes_weak_and_still_answers_304(odd):
    client = odd.test_client()
    assert client.get("/odd/tagged").headers["ETag"] == '"v1"'

    response = client.get("/odd/tagged", headers=OWN)
    again = client.get("/odd/tagged", headers={**OWN, "If-None-Match": response.headers["ETag"]})

    assert gzipped(response)
    assert response.headers["ETag"] == 'W/"v1"'
    assert again.status_code == 304
    assert again.data == b""
    assert not gzipped(again)


# BREACH ----------------------------------------------------------------------------------------


@pytest.fixture
def admin(browser, demo_people):
    return browser("admin@example.org", DEMO_PASSWORD)


@pytest.mark.parametrize(
    ("path", "fetched_from", "compressed"),
    [
        # No Sec-Fetch-Site (an old browser): numbers only in the query string.
        ("/admin/", None, True),
        ("/admin/?page=1", None, True),
        ("/admin/?page=1&page=2", None, True),
        ("/admin/?q=", None, True),
        ("/admin/?q=Glasgow", None, False),
        ("/admin/?page=1&q=Glas", None, False),
        ("/admin/?page=%31", None, False),
        ("/admin/?PAGE=1", None, False),
        ("/admin/?page", None, False),
        # The browser says who started the request.
        ("/admin/?q=Glasgow", "same-origin", True),
        ("/admin/?q=Glasgow", "none", True),
        ("/admin/?q=Glasgow", "cross-site", False),
        ("/admin/?q=Glasgow", "same-site", False),
        ("/admin/", "cross-site", False),
        ("/admin/", "same-site", False),
        ("/admin/", "unheard-of", False),
    ],
)
def test_a_page_another_site_could_have_put_words_in_is_never_compressed(
    admin, path, fetched_from, compressed
):
    headers = {**GZIP, **({"Sec-Fetch-Site": fetched_from} if fetched_from else {})}

    response = admin.get(path, headers=headers)

    assert response.status_code == 200
    assert len(body(response)) >= MINIMUM_SIZE
    assert gzipped(response) is compressed
    assert "accept-encoding" in response.vary.as_set()


def test_what_a_search_reflects_comes_plain_unless_this_site_asked(admin):
    reflected = admin.get("/admin/invitations?q=abc%22zz", headers=GZIP)
    searched = admin.get("/admin/invitations?q=abc%22zz", headers=OWN)

    assert not gzipped(reflected)
    assert "abc&#34;zz" in reflected.text
    assert gzipped(searched)
    assert "abc&#34;zz" in body(searched).decode()


@pytest.mark.parametrize(("fetched_from", "compressed"), [(None, False), ("same-origin", True)])
def test_a_form_is_answered_compressed_only_to_this_sites_own_pages(
    client, fetched_from, compressed
):
    headers = {**GZIP, **({"Sec-Fetch-Site": fetched_from} if fetched_from else {})}

    response = client.post("/login", data={"email": "", "password": ""}, headers=headers)

    assert response.status_code == 400
    assert gzipped(response) is compressed


def test_the_csrf_token_on_a_page_changes_every_second_and_only_its_signature_matters(
    app, monkeypatch
):
    """What the README's BREACH paragraph relies on, pinned: Flask-WTF signs the session's raw
    token with a timestamp, so the token a page carries changes every second. Its first part,
    the same all session, is only the raw token (what compression could reveal), which is
    worthless without SECRET_KEY; the signature, which could not be forged, changes with the
    second."""
    now = 1_800_000_000
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now)
    with app.test_request_context():
        first = generate_csrf()
        raw = session["csrf_token"]
        g.pop("csrf_token")
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 1)
        second = generate_csrf()

        payload, stamp, signature = first.split(".")
        later_payload, later_stamp, later_signature = second.split(".")
        assert payload == later_payload
        assert json.loads(base64_decode(payload)) == raw
        assert stamp != later_stamp
        assert signature != later_signature
        validate_csrf(first)
        validate_csrf(second)
