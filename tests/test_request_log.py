"""One JSON line per request on `journal.requests` (journal/requestlog.py): its id, method, route
(the URL rule), status, time and who was signed in; never what anyone wrote, a secret in the
address, a query string or a cookie. The request id comes back in `X-Request-Id`."""

import json
import logging
import uuid

import pytest
from flask import Flask

from journal.calendar import feeds
from journal.extensions import db
from journal.models import User
from journal.requestlog import LOGGER
from tests.factories import make_invitation
from tests.helpers import AuthActions, make_app, new_body

WRITTEN = "Morag shouted at me about the rota in front of the ward."
FIELDS = {"request_id", "method", "route", "status", "duration_ms", "user_id"}


@pytest.fixture
def request_log(monkeypatch) -> None:
    """Its lines reach caplog: an app made outside testing sends them to stderr only."""
    monkeypatch.setattr(LOGGER, "propagate", True)


def logged(caplog) -> list[dict]:
    records = [record for record in caplog.records if record.name == "journal.requests"]
    for record in records:
        assert record.levelno == logging.INFO
    return [json.loads(record.getMessage()) for record in records]


def raw_log(caplog) -> str:
    return "\n".join(
        record.getMessage() for record in caplog.records if record.name == "journal.requests"
    )


def test_each_request_is_one_line_with_its_route_status_time_and_person(
    app: Flask, make, request_log, caplog
):
    cara = make.user("Cara")
    reflection = make.reflection(cara)
    client = app.test_client()
    assert AuthActions(client).login(cara.email).status_code == 302
    caplog.clear()

    answer = client.get(f"/reflections/{reflection.id}?from=home")

    assert answer.status_code == 200
    [line] = logged(caplog)
    assert set(line) == FIELDS
    assert line["method"] == "GET"
    assert line["route"] == "/reflections/<uuid:reflection_id>"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["user_id"] == cara.id
    assert line["request_id"] == answer.headers["X-Request-Id"]
    assert str(reflection.id) not in raw_log(caplog)


def test_nobody_signed_in_and_an_unknown_address_are_logged_without_the_address(
    app: Flask, request_log, caplog
):
    client = app.test_client()

    assert client.get("/login").status_code == 200
    assert client.get("/no-such-page/secret-looking-part").status_code == 404

    first, second = logged(caplog)
    assert (first["route"], first["user_id"], first["status"]) == ("/login", None, 200)
    assert (second["route"], second["user_id"], second["status"]) == (None, None, 404)
    assert "secret-looking-part" not in raw_log(caplog)


def test_a_safe_incoming_request_id_is_kept_and_sent_back(app: Flask, request_log, caplog):
    answer = app.test_client().get("/login", headers={"X-Request-Id": "proxy-7f3a.01_b"})

    assert answer.headers["X-Request-Id"] == "proxy-7f3a.01_b"
    assert logged(caplog)[0]["request_id"] == "proxy-7f3a.01_b"


@pytest.mark.parametrize(
    "given",
    ["", "x" * 65, "has space", 'quote"in', "line\\nbreak", "<script>", "a/b", "ünïcode"],
)
def test_an_unsafe_incoming_request_id_is_replaced_by_a_new_one(
    app: Flask, request_log, caplog, given
):
    answer = app.test_client().get("/login", headers={"X-Request-Id": given})

    made = answer.headers["X-Request-Id"]
    assert made != given and len(made) == 32 and int(made, 16) >= 0
    assert logged(caplog)[0]["request_id"] == made
    if given:
        assert given not in raw_log(caplog)


def test_every_request_gets_an_id_of_its_own(app: Flask):
    client = app.test_client()

    ids = {client.get("/login").headers["X-Request-Id"] for _ in range(3)}

    assert len(ids) == 3


def test_what_was_written_and_the_session_cookie_never_reach_the_log(
    app: Flask, make, request_log, caplog
):
    cara = make.user("Cara")
    client = app.test_client()
    auth = AuthActions(client)
    assert auth.login(cara.email).status_code == 302
    token = auth.csrf()
    reflection_id = uuid.uuid4()

    answer = client.put(
        f"/api/v1/reflections/{reflection_id}?note={uuid.uuid4().hex}",
        json=new_body(experience=WRITTEN, insight=WRITTEN),
        headers={"X-CSRFToken": token},
    )

    assert answer.status_code == 201
    text = raw_log(caplog)
    cookie = client.get_cookie("session").value
    for secret in (WRITTEN, "Morag", token, cookie, cara.email, str(reflection_id), "note="):
        assert secret not in text
    with app.app_context():
        session_token = db.session.get(User, cara.id).session_token
    assert session_token not in text
    assert logged(caplog)[-1]["route"] == "/api/v1/reflections/<reflection_id>"
    assert logged(caplog)[-1]["user_id"] == cara.id


def test_a_calendar_feed_and_an_invitation_log_their_rule_not_their_secret(
    app: Flask, make, request_log, caplog
):
    cara = make.user("Cara")
    with app.app_context():
        feed_secret, _ = feeds.turn_on(db.session.get(User, cara.id))
        db.session.commit()
    invitation = make_invitation(app, "nina@example.org", "facilitator", make.set("Leeds 1").id)
    client = app.test_client()

    assert client.get(f"/calendar/{feed_secret}.ics").status_code == 200
    assert client.get(f"/invite/{invitation}").status_code == 200
    assert client.get(f"/calendar/{feed_secret}x.ics").status_code == 404

    routes = [(line["route"], line["status"]) for line in logged(caplog)]
    assert routes == [
        ("/calendar/<token>.ics", 200),
        ("/invite/<token>", 200),
        ("/calendar/<token>.ics", 404),
    ]
    text = raw_log(caplog)
    assert feed_secret not in text and invitation not in text


def test_a_database_outage_is_logged_as_503_with_its_request_id(tmp_path, request_log, caplog):
    app = make_app(f"sqlite:///{tmp_path / 'missing' / 'journal.sqlite'}")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "a-session-token"

    answer = client.get("/api/v1/me", headers={"X-Request-Id": "outage-1"})

    assert answer.status_code == 503
    assert answer.headers["X-Request-Id"] == "outage-1"
    [line] = logged(caplog)
    assert (line["request_id"], line["route"], line["status"], line["user_id"]) == (
        "outage-1",
        "/api/v1/me",
        503,
        None,
    )
