"""The JSON API under /api/v1/, as SPEC.md describes it.

Every answer these tests receive through `Api` is also checked against /api/v1/openapi.json: its
status must be documented for that path and method, and its body must validate against the
documented schema (formats included).
"""

import json
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import flask_wtf.csrf
import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from werkzeug.test import TestResponse

from journal.api.openapi import document
from journal.extensions import db
from journal.models import (
    AuditEvent,
    Enrolment,
    Framework,
    LearningSet,
    Meeting,
    Reflection,
    ReflectionTombstone,
    User,
)
from journal.reflections import saving
from journal.reflections.saving import Outcome, ReflectionInput
from tests.factories import PASSWORD, Factory
from tests.helpers import csrf_token_of, new_body

DOCUMENT = document()
DOCUMENT_URI = "urn:set-journal:openapi"
REGISTRY = Registry().with_resource(
    DOCUMENT_URI, Resource.from_contents(DOCUMENT, default_specification=DRAFT202012)
)
REFLECTION_KEYS = {
    "id",
    "author_id",
    "experience",
    "insight",
    "next_action",
    "action_due",
    "action_status",
    "action_outcome",
    "meeting_id",
    "set_id",
    "visibility",
    "carried_to_meeting_id",
    "version",
    "created_at",
    "updated_at",
}


# --- Checking answers against the OpenAPI document -------------------------------------------


def _pointer(*parts: str) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


def _route_of(path: str) -> str | None:
    """The documented path template that `path` (no query string) falls under, if any."""
    for template in DOCUMENT["paths"]:
        pattern = re.sub(r"\{[^}]+\}", "[^/]+", template)
        if re.fullmatch(pattern, path):
            return template
    return None


def schema_errors(instance: object, pointer: str) -> list[str]:
    """Messages for every way `instance` breaks the schema at `pointer` in the document."""
    validator = Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#{pointer}"},
        registry=REGISTRY,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]


def assert_documented(response: TestResponse, method: str, url: str) -> None:
    """`response` is what the document promises for this path, method and status."""
    path = urlsplit(url).path
    route = _route_of(path)
    operation = DOCUMENT["paths"].get(route, {}).get(method.lower()) if route else None
    if operation is None:
        # No such operation (an unknown path or method): the answer is still a JSON error.
        assert response.status_code in (404, 405)
        pointer = "/components/schemas/Error"
    else:
        status = str(response.status_code)
        assert status in operation["responses"], (
            f"{method} {route} answered {status}, which the document does not list"
        )
        documented = operation["responses"][status]
        if "content" not in documented:
            assert response.data == b""
            return
        pointer = _pointer(
            "paths",
            route,
            method.lower(),
            "responses",
            status,
            "content",
            "application/json",
            "schema",
        )
    assert response.mimetype == "application/json", response.data[:200]
    errors = schema_errors(response.json, pointer)
    assert not errors, f"{method} {url} -> {response.status_code}: {errors}"


class Api:
    """One person's device: a signed-in client that checks every answer against the document."""

    def __init__(self, client: FlaskClient, token: str | None = None):
        self.client = client
        self.token = token

    def request(
        self, method: str, url: str, *, token: str | None = None, own_token: bool = True, **kwargs
    ) -> TestResponse:
        """`token` overrides the device's own CSRF token; own_token=False sends none at all."""
        headers = dict(kwargs.pop("headers", {}))
        if token is None and own_token:
            token = self.token
        if token is not None:
            headers["X-CSRFToken"] = token
        response = self.client.open(url, method=method, headers=headers, **kwargs)
        assert_documented(response, method, url)
        return response

    def get(self, url: str, **kwargs) -> TestResponse:
        return self.request("GET", url, **kwargs)

    def put(self, reflection_id, body: object = None, **kwargs) -> TestResponse:
        if "data" not in kwargs:
            kwargs["json"] = body
        return self.request("PUT", f"/api/v1/reflections/{reflection_id}", **kwargs)

    def delete(self, reflection_id, **kwargs) -> TestResponse:
        return self.request("DELETE", f"/api/v1/reflections/{reflection_id}", **kwargs)


def sign_in(app: Flask, person: User) -> Api:
    client = app.test_client()
    form_token = csrf_token_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"email": person.email, "password": PASSWORD, "csrf_token": form_token}
    )
    assert answer.status_code == 302, "sign-in failed"
    api = Api(client)
    api.token = api.get("/api/v1/me").json["csrf_token"]
    return api


def body(**fields) -> dict:
    """A valid PUT body: a new reflection unless base_version says otherwise."""
    return new_body(
        **{
            "experience": "We looked at my team's rota problem.",
            "insight": "I jump to solutions before I understand the question.",
            "next_action": "Ask three open questions before proposing anything.",
            "action_due": "2031-05-01",
            "visibility": "facilitator",
            **fields,
        }
    )


# --- The people ---------------------------------------------------------------------------------


@dataclass
class World:
    """Cara writes; Cal is in her set; Fran facilitates it; Finn facilitates Leeds, where Lee is a
    candidate; Ada assesses Cara, Abe assesses nobody here; Root is the admin."""

    cara: User
    cal: User
    fran: User
    finn: User
    lee: User
    ada: User
    abe: User
    root: User
    glasgow: LearningSet
    leeds: LearningSet
    glasgow_meeting: Meeting
    leeds_meeting: Meeting


@pytest.fixture
def world(app: Flask, make: Factory) -> World:
    cara, cal, fran = make.user("Cara"), make.user("Cal"), make.user("Fran")
    finn, lee = make.user("Finn"), make.user("Lee")
    ada, abe, root = make.user("Ada"), make.user("Abe"), make.user("Root", is_admin=True)
    glasgow = make.set("Glasgow 3", facilitators=[fran], candidates=[cara, cal])
    leeds = make.set("Leeds 1", facilitators=[finn], candidates=[lee])
    with app.app_context():
        framework = Framework(code="L7", title="Level 7 Leadership")
        db.session.add(framework)
        db.session.flush()
        db.session.add(
            Enrolment(candidate_id=cara.id, framework_id=framework.id, assessor_id=ada.id)
        )
        db.session.commit()
    return World(
        cara,
        cal,
        fran,
        finn,
        lee,
        ada,
        abe,
        root,
        glasgow,
        leeds,
        make.meeting(glasgow),
        make.meeting(leeds),
    )


@pytest.fixture
def cara(app: Flask, world: World) -> Api:
    return sign_in(app, world.cara)


def stored(app: Flask, reflection_id) -> Reflection | None:
    """The row as the database holds it now, detached."""
    with app.app_context():
        row = db.session.get(Reflection, uuid.UUID(str(reflection_id)))
        if row is not None:
            db.session.expunge(row)
        return row


def audit_count(app: Flask, reflection_id, action: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.subject_id == str(reflection_id), AuditEvent.action == action)
        )


def reflection_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Reflection))


# --- GET /api/v1/me -----------------------------------------------------------------------------


def test_me_says_who_i_am_with_my_sets_and_roles(app, world, make):
    make.set("Dundee 2", facilitators=[world.cara])  # facilitator here, candidate in Glasgow 3
    answer = sign_in(app, world.cara).get("/api/v1/me")
    assert answer.status_code == 200
    me = answer.json
    assert set(me) == {"id", "email", "name", "is_admin", "sets", "csrf_token"}
    assert (me["id"], me["email"], me["name"], me["is_admin"]) == (
        world.cara.id,
        world.cara.email,
        "Cara",
        False,
    )
    assert sorted((s["name"], s["role"]) for s in me["sets"]) == [
        ("Dundee 2", "facilitator"),
        ("Glasgow 3", "candidate"),
    ]
    assert {s["id"] for s in me["sets"] if s["name"] == "Glasgow 3"} == {world.glasgow.id}
    assert all(set(s) == {"id", "name", "role"} for s in me["sets"])


def test_me_for_an_admin_with_no_sets(app, world):
    me = sign_in(app, world.root).get("/api/v1/me").json
    assert me["is_admin"] is True
    assert me["sets"] == []


def test_the_token_from_me_is_what_writes_need(app, world):
    device = sign_in(app, world.cara)
    token = device.get("/api/v1/me").json["csrf_token"]
    reflection_id = uuid.uuid4()
    assert device.put(reflection_id, body(), token=token).status_code == 201


# --- GET /api/v1/reflections --------------------------------------------------------------------


def test_the_list_holds_my_own_reflections_only(app, world, make, cara):
    mine = [
        make.reflection(world.cara, world.glasgow_meeting, visibility=v)
        for v in ("private", "facilitator", "set")
    ]
    make.reflection(world.cal, world.glasgow_meeting, visibility="set")  # Cara may read it
    make.reflection(world.lee, world.leeds_meeting, visibility="set")
    answer = cara.get("/api/v1/reflections")
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json["reflections"]] == [str(r.id) for r in mine]
    assert all(set(r) == REFLECTION_KEYS for r in answer.json["reflections"])


def test_the_list_comes_oldest_change_first(app, world, make, cara):
    newer = make.reflection(world.cara, age=timedelta(hours=1))
    older = make.reflection(world.cara, age=timedelta(days=3))
    ids = [r["id"] for r in cara.get("/api/v1/reflections").json["reflections"]]
    assert ids == [str(older.id), str(newer.id)]


def test_updated_since_keeps_what_changed_at_or_after_that_moment(app, world, make, cara):
    """At or after, not strictly after: a client passing the newest updated_at it holds gets that
    reflection once more (harmless) instead of missing one saved in the same microsecond."""
    make.reflection(world.cara, age=timedelta(days=10))
    recent = make.reflection(world.cara, age=timedelta(hours=1))
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    for since in (
        two_days_ago.isoformat(),
        two_days_ago.strftime("%Y-%m-%dT%H:%M:%SZ"),
        two_days_ago.astimezone(ZoneInfo("Asia/Tokyo")).isoformat(),
        recent.updated_at.isoformat(),
    ):
        answer = cara.get("/api/v1/reflections", query_string={"updated_since": since})
        assert answer.status_code == 200, since
        assert [r["id"] for r in answer.json["reflections"]] == [str(recent.id)], since
    later = (recent.updated_at + timedelta(microseconds=1)).isoformat()
    answer = cara.get("/api/v1/reflections", query_string={"updated_since": later})
    assert answer.json["reflections"] == []


@pytest.mark.parametrize(
    "since",
    [
        "yesterday",
        "",
        "2024-13-01T00:00:00Z",
        "2024-01-01T00:00:00",  # the last has no time zone
        "2024-01-01",
        "1704067200",
    ],
)
def test_a_bad_updated_since_is_422(cara, since):
    answer = cara.get("/api/v1/reflections", query_string={"updated_since": since})
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {"updated_since"}


def test_listing_issues_the_same_number_of_queries_however_much_there_is(
    app, world, make, cara, count_queries
):
    def queries_for(url: str) -> int:
        with count_queries() as counted:
            assert cara.get(url).status_code == 200
        return len(counted)

    urls = ["/api/v1/reflections", "/api/v1/meetings", "/api/v1/me"]
    make.reflection(world.cara, world.glasgow_meeting)
    before = {url: queries_for(url) for url in urls}
    for days in range(1, 25):
        meeting = make.meeting(world.glasgow, days=-7 * days)
        make.reflection(world.cara, meeting, age=timedelta(days=7 * days))
        make.set(f"Set {days}", candidates=[world.cara])
    assert {url: queries_for(url) for url in urls} == before


# --- GET /api/v1/reflections/{id} ---------------------------------------------------------------


def test_reading_one_of_mine(app, world, make, cara):
    reflection = make.reflection(
        world.cara, world.glasgow_meeting, visibility="set", action_due=date(2031, 1, 2)
    )
    answer = cara.get(f"/api/v1/reflections/{reflection.id}")
    assert answer.status_code == 200
    assert answer.json == {
        "id": str(reflection.id),
        "author_id": world.cara.id,
        "experience": "What happened.",
        "insight": "What I learned.",
        "next_action": "What I will do.",
        "action_due": "2031-01-02",
        "action_status": "open",
        "action_outcome": "",
        "meeting_id": world.glasgow_meeting.id,
        "set_id": world.glasgow.id,
        "visibility": "set",
        "carried_to_meeting_id": None,
        "version": 1,
        "created_at": reflection.created_at.isoformat(),
        "updated_at": reflection.updated_at.isoformat(),
    }


@pytest.mark.parametrize(
    "reflection_id",
    [
        "not-a-uuid",
        "123",
        "7d2f4b1e-3c5a-4e8f-9a6b-0c1d2e3f4a5b",  # well formed, never used
        "00000000-0000-0000-0000-00000000000g",
    ],
)
def test_a_missing_or_malformed_id_is_a_json_404(cara, reflection_id):
    answer = cara.get(f"/api/v1/reflections/{reflection_id}")
    assert answer.status_code == 404
    assert answer.json["status"] == 404


# The SPEC matrix through the API: who may GET, PUT and DELETE a reflection of Cara's linked to
# Glasgow 3's meeting. 404 to whoever may not read it (its existence stays secret); 403 to whoever
# may read it but not change it (nothing is revealed to them that they cannot already see).
READERS = {
    "private": {"cara"},
    "facilitator": {"cara", "fran"},
    "set": {"cara", "cal", "fran"},
}
ROLES = {
    "cara": "author",
    "cal": "other candidate, same set",
    "fran": "facilitator of that set",
    "finn": "facilitator elsewhere",
    "lee": "candidate elsewhere",
    "ada": "assigned assessor",
    "abe": "other assessor",
    "root": "admin",
}


@pytest.mark.parametrize("visibility", sorted(READERS))
@pytest.mark.parametrize("who", sorted(ROLES), ids=lambda who: ROLES[who])
def test_the_matrix_through_the_api(app, world, make, who, visibility):
    """PUT answers like DELETE and like the page: 403 for what the person can read but not change.

    SPEC's API section says "404 for an id that belongs to someone else"; its matrix says 403 for
    "something they can see but not change". The two agree once 404 is read as the answer to those
    who may not see it: a facilitator who can GET a reflection learns nothing from a 403, while a
    404 would contradict what they just read. Everyone else gets 404, and nothing changes.
    """
    reflection = make.reflection(world.cara, world.glasgow_meeting, visibility=visibility)
    device = sign_in(app, getattr(world, who))
    may_read = who in READERS[visibility]
    is_author = who == "cara"

    read = device.get(f"/api/v1/reflections/{reflection.id}")
    assert read.status_code == (200 if may_read else 404)
    assert (read.json.get("experience") == "What happened.") is may_read

    edit = device.put(
        reflection.id,
        body(base_version=1, experience="Rewritten.", meeting_id=world.glasgow_meeting.id),
    )
    assert edit.status_code == (200 if is_author else 403 if may_read else 404)
    assert stored(app, reflection.id).version == (2 if is_author else 1)

    removal = device.delete(reflection.id)
    assert removal.status_code == (204 if is_author else 403 if may_read else 404)
    assert (stored(app, reflection.id) is None) is is_author


# --- PUT /api/v1/reflections/{id}: create, update, replay, conflict ---------------------------


def test_creating_with_a_client_chosen_id(app, world, cara):
    reflection_id = uuid.uuid4()
    answer = cara.put(reflection_id, body(meeting_id=world.glasgow_meeting.id, visibility="set"))
    assert answer.status_code == 201
    created = answer.json
    assert created["id"] == str(reflection_id)
    assert created["author_id"] == world.cara.id
    assert created["version"] == 1
    assert (created["meeting_id"], created["visibility"]) == (world.glasgow_meeting.id, "set")
    assert created["action_due"] == "2031-05-01"
    assert cara.get(f"/api/v1/reflections/{reflection_id}").json == created


BODY_FIELDS = list(body())


@pytest.mark.parametrize("missing", BODY_FIELDS)
def test_creating_without_any_one_field_is_422_naming_it(app, cara, missing):
    fields = body()
    del fields[missing]
    answer = cara.put(uuid.uuid4(), fields)
    assert answer.status_code == 422
    assert answer.json["fields"] == {missing: "Required."}
    assert reflection_count(app) == 0


@pytest.mark.parametrize("missing", BODY_FIELDS)
def test_an_update_without_any_one_field_is_422_and_changes_nothing(app, cara, missing):
    """Nothing is reset because it was left out: a PUT is the whole reflection."""
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body(visibility="private"))
    before = stored(app, reflection_id)
    fields = body(base_version=1, experience="Changed.", visibility="private")
    del fields[missing]
    answer = cara.put(reflection_id, fields)
    assert answer.status_code == 422
    assert answer.json["fields"] == {missing: "Required."}
    after = stored(app, reflection_id)
    assert (after.version, after.experience, after.visibility) == (
        before.version,
        before.experience,
        "private",
    )


def test_leaving_out_visibility_never_shares_a_private_reflection(app, world, cara):
    """The review's leak: a PUT without `visibility` made a private reflection readable by the
    facilitator. Now it is refused and the reflection stays private."""
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body(visibility="private", set_id=world.glasgow.id))
    fields = body(base_version=1, set_id=world.glasgow.id)
    del fields["visibility"]
    assert cara.put(reflection_id, fields).status_code == 422
    assert stored(app, reflection_id).visibility == "private"
    assert sign_in(app, world.fran).get(f"/api/v1/reflections/{reflection_id}").status_code == 404


def test_every_missing_field_is_named_at_once(app, cara):
    answer = cara.put(uuid.uuid4(), {"experience": "Only this."})
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == set(BODY_FIELDS) - {"experience"}


def test_an_unknown_field_is_422_not_ignored(app, cara):
    answer = cara.put(uuid.uuid4(), body(visibilty="set"))
    assert answer.status_code == 422
    assert answer.json["fields"] == {"visibilty": "Unknown field."}
    assert reflection_count(app) == 0


def test_the_document_requires_every_field_of_a_put():
    write = document()["components"]["schemas"]["ReflectionWrite"]
    assert set(write["required"]) == set(BODY_FIELDS) == set(write["properties"])
    assert write["additionalProperties"] is False


def test_replaying_a_create_answers_201_again_and_creates_nothing_more(app, world, cara):
    reflection_id = uuid.uuid4()
    first = cara.put(reflection_id, body())
    again = cara.put(reflection_id, body())
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    assert reflection_count(app) == 1
    assert stored(app, reflection_id).version == 1
    assert audit_count(app, reflection_id, "reflection.created") == 1


def test_updating_with_the_right_base_version(app, world, cara):
    reflection_id = uuid.uuid4()
    created = cara.put(reflection_id, body()).json
    answer = cara.put(
        reflection_id,
        body(
            base_version=1,
            insight="I listen better now.",
            action_status="done",
            action_outcome="It worked.",
        ),
    )
    assert answer.status_code == 200
    assert answer.json["version"] == 2
    assert answer.json["insight"] == "I listen better now."
    assert (answer.json["action_status"], answer.json["action_outcome"]) == ("done", "It worked.")
    assert answer.json["created_at"] == created["created_at"]
    assert answer.json["updated_at"] > created["updated_at"]
    assert stored(app, reflection_id).insight == "I listen better now."


def test_replaying_an_update_answers_200_again_without_another_version(app, world, cara):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    update_body = body(base_version=1, experience="Second thoughts.")
    first = cara.put(reflection_id, update_body)
    again = cara.put(reflection_id, update_body)
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json == first.json
    assert again.json["version"] == 2
    assert stored(app, reflection_id).version == 2
    assert audit_count(app, reflection_id, "reflection.updated") == 1


def test_saving_what_is_already_there_changes_no_version(app, world, cara):
    reflection_id = uuid.uuid4()
    created = cara.put(reflection_id, body()).json
    answer = cara.put(reflection_id, body(base_version=1))
    assert answer.status_code == 200
    assert answer.json == created


def test_a_stale_base_version_is_409_with_the_servers_copy(app, world, cara):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    current = cara.put(reflection_id, body(base_version=1, experience="Phone edit.")).json
    answer = cara.put(reflection_id, body(base_version=1, experience="Laptop edit."))
    assert answer.status_code == 409
    assert answer.json["current"] == current
    assert stored(app, reflection_id).experience == "Phone edit."
    assert stored(app, reflection_id).version == 2


def test_creating_over_an_existing_reflection_with_other_content_is_409(app, world, cara):
    reflection_id = uuid.uuid4()
    created = cara.put(reflection_id, body()).json
    answer = cara.put(reflection_id, body(experience="Something else entirely."))
    assert answer.status_code == 409
    assert answer.json["current"] == created


def test_two_devices_saving_the_same_version_one_wins_one_gets_409(app, world):
    phone, laptop = sign_in(app, world.cara), sign_in(app, world.cara)
    reflection_id = uuid.uuid4()
    phone.put(reflection_id, body())
    answers = [
        device.put(reflection_id, body(base_version=1, experience=text))
        for device, text in ((phone, "From the phone."), (laptop, "From the laptop."))
    ]
    assert [a.status_code for a in answers] == [200, 409]
    assert answers[1].json["current"] == answers[0].json
    assert stored(app, reflection_id).experience == "From the phone."


def test_a_replayed_update_after_a_newer_one_is_409_not_an_overwrite(app, world, cara):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    lost = body(base_version=1, experience="First edit.")
    cara.put(reflection_id, lost)
    newer = cara.put(reflection_id, body(base_version=2, experience="Second edit.")).json
    answer = cara.put(reflection_id, lost)
    assert answer.status_code == 409
    assert answer.json["current"] == newer


def test_a_put_after_the_reflection_was_deleted_is_409_with_current_null(app, world, cara):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    assert cara.delete(reflection_id).status_code == 204
    for base_version in (1, None):  # an offline edit, or the create replayed late
        answer = cara.put(reflection_id, body(base_version=base_version, experience="Offline."))
        assert answer.status_code == 409
        assert answer.json["current"] is None
    assert stored(app, reflection_id) is None
    assert cara.get("/api/v1/reflections").json["reflections"] == []


def test_an_update_of_an_id_the_server_never_had_is_409_with_current_null(cara):
    answer = cara.put(uuid.uuid4(), body(base_version=3))
    assert answer.status_code == 409
    assert answer.json["current"] is None


def test_putting_to_an_id_someone_else_deleted_is_404(app, world, make, cara):
    lees = make.reflection(world.lee)
    lee = sign_in(app, world.lee)
    assert lee.delete(lees.id).status_code == 204
    assert cara.put(lees.id, body()).status_code == 404
    assert cara.delete(lees.id).status_code == 404
    assert stored(app, lees.id) is None


def test_a_malformed_id_is_404_whatever_the_body(cara):
    assert cara.put("not-a-uuid", body()).status_code == 404
    assert cara.put("not-a-uuid", [1, 2]).status_code == 404
    assert cara.delete("not-a-uuid").status_code == 404


def test_linking_to_a_meeting_and_unlinking_again(app, world, cara):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    linked = cara.put(reflection_id, body(base_version=1, meeting_id=world.glasgow_meeting.id))
    assert (linked.status_code, linked.json["meeting_id"]) == (200, world.glasgow_meeting.id)
    unlinked = cara.put(reflection_id, body(base_version=2, meeting_id=None))
    assert (unlinked.status_code, unlinked.json["meeting_id"]) == (200, None)


def test_carrying_an_action_links_it_to_the_sets_next_meeting(app, world, make, cara):
    """`carried_to_meeting_id` is the server's: filled in when the action is carried (the set's
    next meeting yet to start, none when none is scheduled), kept while it stays carried, and
    cleared once it is not."""
    reflection_id = uuid.uuid4()
    created = cara.put(reflection_id, body(meeting_id=world.glasgow_meeting.id))
    assert created.json["carried_to_meeting_id"] is None
    carried = cara.put(
        reflection_id,
        body(base_version=1, meeting_id=world.glasgow_meeting.id, action_status="carried"),
    )
    assert (carried.status_code, carried.json["carried_to_meeting_id"]) == (200, None)

    soon, later = make.meeting(world.glasgow, 5), make.meeting(world.glasgow, 12)
    make.meeting(world.leeds, 2)  # another set's: never this reflection's
    reopened = cara.put(reflection_id, body(base_version=2, meeting_id=world.glasgow_meeting.id))
    assert reopened.json["carried_to_meeting_id"] is None
    again = cara.put(
        reflection_id,
        body(base_version=3, meeting_id=world.glasgow_meeting.id, action_status="carried"),
    )
    assert again.json["carried_to_meeting_id"] == soon.id
    assert cara.get(f"/api/v1/reflections/{reflection_id}").json == again.json
    reworded = cara.put(
        reflection_id,
        body(
            base_version=4,
            meeting_id=world.glasgow_meeting.id,
            action_status="carried",
            insight="Reworded.",
        ),
    )
    assert reworded.json["carried_to_meeting_id"] == soon.id != later.id
    done = cara.put(
        reflection_id,
        body(base_version=5, meeting_id=world.glasgow_meeting.id, action_status="done"),
    )
    assert done.json["carried_to_meeting_id"] is None


@pytest.mark.parametrize("value", [None, 1])
def test_carried_to_meeting_id_is_read_only(app, world, cara, value):
    answer = cara.put(uuid.uuid4(), body(carried_to_meeting_id=value))
    assert answer.status_code == 422
    assert answer.json["fields"] == {"carried_to_meeting_id": "Unknown field."}
    assert reflection_count(app) == 0
    read_only = document()["components"]["schemas"]["Reflection"]["properties"]
    assert read_only["carried_to_meeting_id"]["readOnly"] is True


def test_the_longest_allowed_text_is_accepted(cara):
    longest = "x" * 20_000
    answer = cara.put(
        uuid.uuid4(),
        body(experience=longest, insight=longest, next_action=longest, action_outcome=longest),
    )
    assert answer.status_code == 201
    assert answer.json["experience"] == longest


# --- PUT: invalid input is 422 with a message per field ---------------------------------------

TOO_LONG = "x" * 20_001
INVALID = [
    # (what is wrong, fields to change, the field named in the answer)
    ("all three parts empty", {"experience": "", "insight": "", "next_action": ""}, "experience"),
    (
        "all three parts blank",
        {"experience": " \n", "insight": "\t", "next_action": ""},
        "experience",
    ),
    ("experience too long", {"experience": TOO_LONG}, "experience"),
    ("insight too long", {"insight": TOO_LONG}, "insight"),
    ("next action too long", {"next_action": TOO_LONG}, "next_action"),
    ("outcome too long", {"action_outcome": TOO_LONG}, "action_outcome"),
    ("null for text", {"next_action": None}, "next_action"),
    ("a number for text", {"experience": 42}, "experience"),
    ("a float for text", {"insight": 1.5}, "insight"),
    ("a list for text", {"next_action": ["a", "b"]}, "next_action"),
    ("an object for text", {"action_outcome": {"text": "x"}}, "action_outcome"),
    ("a boolean for text", {"experience": True}, "experience"),
    ("a null byte", {"experience": "before\x00after"}, "experience"),
    ("a null byte in the outcome", {"action_outcome": "\x00"}, "action_outcome"),
    ("a lone surrogate", {"insight": "\ud800"}, "insight"),
    ("an impossible date", {"action_due": "2031-02-30"}, "action_due"),
    ("words for a date", {"action_due": "next Tuesday"}, "action_due"),
    ("a compact date", {"action_due": "20310501"}, "action_due"),
    ("a week date", {"action_due": "2031-W18-4"}, "action_due"),
    ("a date and time", {"action_due": "2031-05-01T10:00:00"}, "action_due"),
    ("a number for a date", {"action_due": 20310501}, "action_due"),
    ("a list for a date", {"action_due": ["2031-05-01"]}, "action_due"),
    ("a date past 2100", {"action_due": "9999-12-31"}, "action_due"),
    ("a date before 1970", {"action_due": "1969-12-31"}, "action_due"),
    ("the first date", {"action_due": "0001-01-01"}, "action_due"),
    ("unknown visibility", {"visibility": "public"}, "visibility"),
    ("null visibility", {"visibility": None}, "visibility"),
    ("a list for visibility", {"visibility": ["set"]}, "visibility"),
    ("an object for visibility", {"visibility": {"set": True}}, "visibility"),
    ("unknown action status", {"action_status": "closed"}, "action_status"),
    ("a number for action status", {"action_status": 1}, "action_status"),
    ("a list for action status", {"action_status": ["open"]}, "action_status"),
    ("text for a meeting", {"meeting_id": "1"}, "meeting_id"),
    ("a boolean for a meeting", {"meeting_id": True}, "meeting_id"),
    ("a fraction for a meeting", {"meeting_id": 1.5}, "meeting_id"),
    ("a negative meeting", {"meeting_id": -1}, "meeting_id"),
    ("a huge meeting", {"meeting_id": 2**40}, "meeting_id"),
    ("a meeting that does not exist", {"meeting_id": 999_999}, "meeting_id"),
    ("a meeting of a set I am not in", {"meeting_id": "leeds"}, "meeting_id"),
    ("a meeting of a set I only facilitate", {"meeting_id": "dundee"}, "meeting_id"),
    ("a boolean for base_version", {"base_version": True}, "base_version"),
    ("a boolean false for base_version", {"base_version": False}, "base_version"),
    ("text for base_version", {"base_version": "1"}, "base_version"),
    ("a float for base_version", {"base_version": 1.0}, "base_version"),
    ("a zero base_version", {"base_version": 0}, "base_version"),
]


@pytest.fixture
def meetings_by_name(world: World, make: Factory) -> dict[str, int]:
    dundee = make.set("Dundee 2", facilitators=[world.cara], candidates=[world.cal])
    return {"leeds": world.leeds_meeting.id, "dundee": make.meeting(dundee).id}


@pytest.mark.parametrize(
    ("changes", "field"), [(c, f) for _, c, f in INVALID], ids=[what for what, _, _ in INVALID]
)
def test_invalid_input_is_422_naming_the_field(app, cara, meetings_by_name, changes, field):
    changes = {
        name: meetings_by_name.get(value, value) if isinstance(value, str) else value
        for name, value in changes.items()
    }
    reflection_id = uuid.uuid4()
    answer = cara.put(reflection_id, body(**changes))
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {field}
    assert answer.json["fields"][field].strip()
    assert answer.json["error"].strip()
    assert reflection_count(app) == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [(c, f) for _, c, f in INVALID[:16]],
    ids=[what for what, _, _ in INVALID[:16]],
)
def test_an_invalid_update_changes_nothing(app, cara, changes, field):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    answer = cara.put(reflection_id, body(base_version=1, **changes))
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {field}
    assert stored(app, reflection_id).version == 1
    assert stored(app, reflection_id).experience == body()["experience"]


def test_an_empty_overwrite_of_a_reflection_with_text_is_refused(app, cara):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    empty = body(base_version=1, experience="", insight="", next_action="")
    answer = cara.put(reflection_id, empty)
    assert answer.status_code == 422
    assert stored(app, reflection_id).next_action == body()["next_action"]


@pytest.mark.parametrize(
    "raw",
    [
        "[]",
        '"text"',
        "3",
        "null",
        "true",
        "{not json",
        "",
    ],
    ids=["a list", "a string", "a number", "null", "a boolean", "broken JSON", "nothing"],
)
def test_a_body_that_is_not_a_json_object_is_422(app, cara, raw):
    answer = cara.put(uuid.uuid4(), data=raw, content_type="application/json")
    assert answer.status_code == 422
    assert answer.json["fields"] == {}
    assert "JSON object" in answer.json["error"]
    assert reflection_count(app) == 0


def test_a_form_encoded_body_is_422(app, cara):
    answer = cara.put(uuid.uuid4(), data={"experience": "Sent as a form."})
    assert answer.status_code == 422
    assert reflection_count(app) == 0


# --- Saving under concurrency (saving.save, the logic pages and API share) ---------------


def _competing_update(reflection_id: uuid.UUID, lock_timeout_ms: int = 300) -> bool:
    """Another request saving version 1 -> 2 on its own connection; whether it got through."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # LOCAL: for this transaction only, not for the pooled connection's later users.
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_timeout_ms}")
        try:
            connection.execute(
                update(Reflection)
                .where(Reflection.id == reflection_id, Reflection.version == 1)
                .values(experience="The other request's words.", version=2)
            )
            connection.commit()
        except OperationalError:  # PostgreSQL: lock not available
            connection.rollback()
            return False
    return True


def test_a_save_racing_another_for_the_same_version_exactly_one_wins(
    app, world, make, monkeypatch, database
):
    """The other request writes between this save's read and its write.

    On PostgreSQL the read is SELECT ... FOR UPDATE, so the other request waits (here: gives up
    after its lock timeout) and this save wins. SQLite has no row locks: the other request gets
    through first, and the versioned UPDATE (version_id_col: WHERE version = 1) finds no row, so
    this save becomes a 409-style conflict carrying the winner's copy.
    """
    reflection = make.reflection(world.cara)
    competitor = {}
    validate = saving.validate

    def validate_while_another_saves(author, data, current=None):
        competitor["got_through"] = _competing_update(reflection.id)
        return validate(author, data, current)

    monkeypatch.setattr(saving, "validate", validate_while_another_saves)
    with app.app_context():
        author = db.session.get(User, world.cara.id)
        data = ReflectionInput.of(stored(app, reflection.id))
        data.experience = "This save's words."
        result = saving.save(author, reflection.id, data, base_version=1)
        outcome, winner_version = result.outcome, result.reflection.version
    row = stored(app, reflection.id)
    assert competitor["got_through"] != (outcome is Outcome.UPDATED)  # exactly one wins
    assert row.version == winner_version == 2
    if database == "postgresql":
        assert outcome is Outcome.UPDATED
        assert row.experience == "This save's words."
    else:
        assert outcome is Outcome.CONFLICT
        assert row.experience == "The other request's words."


def test_a_save_reads_the_row_afresh_even_when_the_request_loaded_it_before(app, world, make):
    """A page loads the reflection (to check permission) before saving it. If another request
    changes it in between, the save must judge the new version, not the copy in its session:
    resubmitting the old words is then a conflict, not a quiet "unchanged"."""
    reflection = make.reflection(world.cara)
    with app.app_context():
        author = db.session.get(User, world.cara.id)
        loaded = db.session.get(Reflection, reflection.id)
        unchanged = ReflectionInput.of(loaded)
        assert _competing_update(reflection.id)
        result = saving.save(author, reflection.id, unchanged, base_version=1)
        outcome, version, text = (
            result.outcome,
            result.reflection.version,
            result.reflection.experience,
        )
    assert (outcome, version, text) == (Outcome.CONFLICT, 2, "The other request's words.")


def test_two_creates_of_the_same_id_at_once_make_one_reflection(app, world, monkeypatch):
    """A retry racing the original: the other insert lands between this one's check and write."""
    reflection_id = uuid.uuid4()
    validate = saving.validate

    def validate_while_the_original_lands(author, data, current=None):
        with db.engine.connect() as connection:
            now = datetime.now(UTC)
            connection.execute(
                Reflection.__table__.insert().values(
                    id=reflection_id,
                    author_id=author.id,
                    created_at=now,
                    updated_at=now,
                    version=1,
                    **vars(data),
                )
            )
            connection.commit()
        return validate(author, data, current)

    monkeypatch.setattr(saving, "validate", validate_while_the_original_lands)
    with app.app_context():
        author = db.session.get(User, world.cara.id)
        data = ReflectionInput(experience="Written offline.")
        outcome = saving.save(author, reflection_id, data, base_version=None).outcome
    assert outcome is Outcome.CREATED
    assert reflection_count(app) == 1


def test_a_delete_wins_over_an_edit_saved_since_it_was_read(app, world, make):
    reflection = make.reflection(world.cara)
    with app.app_context():
        author = db.session.get(User, world.cara.id)
        loaded = db.session.get(Reflection, reflection.id)
        assert _competing_update(reflection.id)
        saving.delete(author, loaded)
    assert stored(app, reflection.id) is None
    with app.app_context():
        assert db.session.get(ReflectionTombstone, reflection.id).version == 2


# --- DELETE /api/v1/reflections/{id} ------------------------------------------------------------


def test_deleting_mine_and_replaying_the_delete(app, world, make, cara):
    reflection = make.reflection(world.cara)
    first = cara.delete(reflection.id)
    again = cara.delete(reflection.id)
    assert (first.status_code, again.status_code) == (204, 204)
    assert (first.data, again.data) == (b"", b"")
    assert cara.get(f"/api/v1/reflections/{reflection.id}").status_code == 404
    assert stored(app, reflection.id) is None
    assert audit_count(app, reflection.id, "reflection.deleted") == 1


def test_deleting_an_id_that_never_existed_is_404(cara):
    assert cara.delete(uuid.uuid4()).status_code == 404


# --- GET /api/v1/meetings -----------------------------------------------------------------------


def test_meetings_are_those_of_my_sets_earliest_first(app, world, make):
    dundee = make.set("Dundee 2", facilitators=[world.cara])
    upcoming = make.meeting(world.glasgow, days=7)
    facilitated = make.meeting(dundee, days=-1)
    make.meeting(world.leeds, days=3)  # not Cara's
    answer = sign_in(app, world.cara).get("/api/v1/meetings")
    assert answer.status_code == 200
    meetings = answer.json["meetings"]
    assert [m["id"] for m in meetings] == [world.glasgow_meeting.id, facilitated.id, upcoming.id]
    assert meetings[2] == {
        "id": upcoming.id,
        "set_id": world.glasgow.id,
        "set_name": "Glasgow 3",
        "starts_at": upcoming.starts_at.isoformat(),
        "ends_at": None,
        "location": "Room 1",
    }
    assert meetings[1]["set_name"] == "Dundee 2"


def test_someone_in_no_set_has_no_meetings(app, world):
    assert sign_in(app, world.ada).get("/api/v1/meetings").json == {"meetings": []}


# --- CSRF on every write ------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "wrong-token", "other-session"])
def test_a_write_without_the_right_csrf_token_is_refused_as_json(app, world, make, cara, token):
    if token == "other-session":
        token = sign_in(app, world.cal).token  # valid, but for Cal's session
    reflection = make.reflection(world.cara)
    create = cara.put(uuid.uuid4(), body(), token=token, own_token=False)
    edit = cara.put(reflection.id, body(base_version=1), token=token, own_token=False)
    removal = cara.delete(reflection.id, token=token, own_token=False)
    for answer in (create, edit, removal):
        assert answer.status_code == 400
        assert answer.json["reason"] == "csrf"
    assert reflection_count(app) == 1
    assert stored(app, reflection.id).version == 1


def test_a_csrf_token_issued_two_days_ago_still_works(app, world, monkeypatch):
    """Honest ageing: the token is signed with a timestamp two days old, then used now. With
    Flask-WTF's default limit (3600 s) the same token is refused, so the age is real; with this
    app's setting (None: valid as long as the session) it is accepted."""
    device = sign_in(app, world.cara)
    two_days_ago = int(time.time()) - 2 * 24 * 3600

    class SignerTwoDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return two_days_ago

    class SerializerTwoDaysAgo(URLSafeTimedSerializer):
        default_signer = SignerTwoDaysAgo

    with monkeypatch.context() as then:  # only Flask-WTF's signing: the session cookie is as now
        then.setattr(flask_wtf.csrf, "URLSafeTimedSerializer", SerializerTwoDaysAgo)
        old_token = device.get("/api/v1/me").json["csrf_token"]
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None

    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    refused = device.put(uuid.uuid4(), body(), token=old_token)
    assert (refused.status_code, refused.json["reason"]) == (400, "csrf")

    app.config["WTF_CSRF_TIME_LIMIT"] = None
    assert device.put(uuid.uuid4(), body(), token=old_token).status_code == 201


# --- Not signed in: 401 JSON, never a redirect --------------------------------------------------

OPERATIONS = [
    ("GET", "/api/v1/me"),
    ("GET", "/api/v1/reflections"),
    ("GET", "/api/v1/reflections/{id}"),
    ("PUT", "/api/v1/reflections/{id}"),
    ("DELETE", "/api/v1/reflections/{id}"),
    ("GET", "/api/v1/meetings"),
]


def test_the_operations_listed_here_are_all_the_documented_ones():
    documented = {
        (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert documented == set(OPERATIONS)


@pytest.mark.parametrize(("method", "route"), OPERATIONS)
def test_signed_out_requests_are_401_json(app, world, make, method, route):
    """Also for writes with no CSRF token: a device whose session ended must hear "sign in again"
    (and keep its queue), not a CSRF error it cannot act on."""
    reflection = make.reflection(world.cara)
    url = route.replace("{id}", str(reflection.id))
    answer = Api(app.test_client()).request(method, url, own_token=False, json=body(base_version=1))
    assert answer.status_code == 401
    assert "Location" not in answer.headers
    assert stored(app, reflection.id).version == 1


def test_after_signing_out_the_old_cookie_and_token_get_401(app, world, make):
    reflection = make.reflection(world.cara)
    device = sign_in(app, world.cara)
    form_token = csrf_token_of(device.client.get("/reflections").text)
    assert device.client.post("/logout", data={"csrf_token": form_token}).status_code == 302
    assert device.get("/api/v1/me").status_code == 401
    assert device.put(reflection.id, body(base_version=1)).status_code == 401
    assert device.delete(reflection.id).status_code == 401
    assert stored(app, reflection.id) is not None


# --- Errors under /api/ are JSON, never a stack trace -------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/nothing", "/api/v2/me", "/api/v1/reflections/a/b"])
def test_an_unknown_api_path_is_a_json_404(cara, url):
    answer = cara.get(url)
    assert (answer.status_code, answer.json["status"]) == (404, 404)


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("POST", "/api/v1/me", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", "/api/v1/reflections", {"GET", "HEAD", "OPTIONS"}),
        (
            "PATCH",
            "/api/v1/reflections/7d2f4b1e-3c5a-4e8f-9a6b-0c1d2e3f4a5b",
            {"GET", "HEAD", "OPTIONS", "PUT", "DELETE"},
        ),
    ],
)
def test_a_wrong_method_is_a_json_405(cara, method, url, allowed):
    answer = cara.request(method, url, json={})
    assert (answer.status_code, answer.json["status"]) == (405, 405)
    assert set(answer.headers["Allow"].split(", ")) == allowed


def test_a_body_over_the_size_limit_is_a_json_413(app, cara):
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    answer = cara.put(uuid.uuid4(), body(experience="x" * (1024 * 1024)))
    assert (answer.status_code, answer.json["status"]) == (413, 413)
    assert reflection_count(app) == 0


@pytest.mark.parametrize(
    ("method", "route", "broken"),
    [
        ("GET", "/api/v1/me", "journal.api.views.memberships_of"),
        ("GET", "/api/v1/meetings", "journal.api.views.meetings_of"),
        ("PUT", "/api/v1/reflections/{id}", "journal.reflections.saving.audit.record"),
    ],
)
def test_an_unexpected_error_is_a_json_500_without_a_trace(
    app, cara, monkeypatch, method, route, broken
):
    def fail(*args, **kwargs):
        raise RuntimeError("secret-internal-detail in /work/main/journal/api.py")

    monkeypatch.setattr(broken, fail)
    reflection_id = uuid.uuid4()
    answer = cara.request(method, route.replace("{id}", str(reflection_id)), json=body())
    assert answer.status_code == 500
    assert answer.json["status"] == 500
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", "api.py", 'File "'):
        assert leak not in answer.text
    assert reflection_count(app) == 0


# --- /api/v1/openapi.json -----------------------------------------------------------------------


def test_the_openapi_document_is_valid_openapi_3_1_and_public(app):
    answer = app.test_client().get("/api/v1/openapi.json")
    assert answer.status_code == 200
    assert answer.json["openapi"].startswith("3.1")
    validate_openapi(answer.json)
    assert answer.json == json.loads(json.dumps(DOCUMENT))


def test_the_document_describes_exactly_the_api_routes(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:\w+:)?\w+>", "{}", rule.rule)
            served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method, re.sub(r"\{\w+\}", "{}", path)) for method, path in OPERATIONS}
    assert served == documented


def test_the_answer_check_rejects_what_the_document_does_not_promise():
    """The schema check used on every answer above can fail: a reflection missing a key, with an
    extra key, or with a malformed date does not pass."""
    pointer = "/components/schemas/Reflection"
    good = {
        "id": str(uuid.uuid4()),
        "author_id": 1,
        "experience": "",
        "insight": "",
        "next_action": "x",
        "action_due": None,
        "action_status": "open",
        "action_outcome": "",
        "meeting_id": None,
        "set_id": None,
        "visibility": "set",
        "carried_to_meeting_id": None,
        "version": 1,
        "created_at": "2031-01-01T10:00:00+00:00",
        "updated_at": "2031-01-01T10:00:00+00:00",
    }
    assert schema_errors(good, pointer) == []
    assert schema_errors({k: v for k, v in good.items() if k != "version"}, pointer)
    assert schema_errors({**good, "password_hash": "x"}, pointer)
    assert schema_errors({**good, "updated_at": "yesterday"}, pointer)
    assert schema_errors({**good, "id": "not-a-uuid"}, pointer)
    conflict = _pointer(
        "paths",
        "/api/v1/reflections/{id}",
        "put",
        "responses",
        "409",
        "content",
        "application/json",
        "schema",
    )
    assert schema_errors({"error": "x", "status": 409, "current": None}, conflict) == []
    assert schema_errors({"error": "x", "status": 409, "current": {"id": 1}}, conflict)


# --- The audience set: one set, fixed when written ---------------------------------------------


def test_a_linked_reflection_reaches_its_meetings_set_filled_in_by_the_server(app, world, cara):
    answer = cara.put(uuid.uuid4(), body(meeting_id=world.glasgow_meeting.id, set_id=None))
    assert answer.status_code == 201
    assert answer.json["set_id"] == world.glasgow.id


def test_a_linked_reflection_may_name_its_meetings_set_but_no_other(app, world, make, cara):
    dundee = make.set("Dundee 2", candidates=[world.cara])
    named = body(meeting_id=world.glasgow_meeting.id, set_id=world.glasgow.id)
    assert cara.put(uuid.uuid4(), named).status_code == 201
    other = body(meeting_id=world.glasgow_meeting.id, set_id=dundee.id)
    answer = cara.put(uuid.uuid4(), other)
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {"set_id"}


def test_an_unlinked_reflection_reaches_the_set_its_author_picks(app, world, make, cara):
    dundee = make.set("Dundee 2", facilitators=[world.finn], candidates=[world.cara])
    reflection_id = uuid.uuid4()
    answer = cara.put(reflection_id, body(set_id=dundee.id))
    assert answer.status_code == 201
    assert answer.json["set_id"] == dundee.id
    url = f"/api/v1/reflections/{reflection_id}"
    assert sign_in(app, world.finn).get(url).status_code == 200  # Dundee's facilitator
    assert sign_in(app, world.fran).get(url).status_code == 404  # Glasgow's: not its audience


@pytest.mark.parametrize("which", ["not mine", "only facilitated", "no such set", "huge"])
def test_an_unlinked_reflection_cannot_name_a_set_where_its_author_is_no_candidate(
    app, world, make, cara, which
):
    facilitated = make.set("Dundee 2", facilitators=[world.cara])
    set_id = {
        "not mine": world.leeds.id,
        "only facilitated": facilitated.id,
        "no such set": 999_999,
        "huge": 2**40,
    }[which]
    answer = cara.put(uuid.uuid4(), body(set_id=set_id))
    assert answer.status_code == 422
    assert set(answer.json["fields"]) == {"set_id"}
    assert reflection_count(app) == 0


def test_with_no_set_it_reaches_its_author_alone(app, world, cara):
    reflection_id = uuid.uuid4()
    assert cara.put(reflection_id, body(visibility="set", set_id=None)).status_code == 201
    for person in (world.fran, world.cal):
        url = f"/api/v1/reflections/{reflection_id}"
        assert sign_in(app, person).get(url).status_code == 404


# --- updated_since at the edges of time ---------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "listed"),
    [
        ("0001-01-01T00:00:00+14:00", True),  # before the first moment Python holds in UTC
        ("0001-01-01T00:00:00Z", True),
        ("9999-12-31T23:59:59-14:00", False),  # after the last
        ("9999-12-31T23:59:59.999999+00:00", False),
    ],
)
def test_updated_since_at_the_edges_of_time_answers_all_or_nothing(cara, since, listed):
    reflection_id = uuid.uuid4()
    cara.put(reflection_id, body())
    answer = cara.get("/api/v1/reflections", query_string={"updated_since": since})
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json["reflections"]] == ([str(reflection_id)] if listed else [])
