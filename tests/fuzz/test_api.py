"""The JSON API, fuzzed from its own OpenAPI document: no input answers 5xx.

Every operation of `journal.api.openapi.document()` is called, signed in as a candidate, with
its parameters and request body made from the document as it is when the tests run (a field
added or made required is fuzzed without touching this file); `test_every_api_route_is_documented`
fails for a route under /api/ that the document does not describe. The CSRF header is always
valid, so the fuzz reaches the view. For each operation, `test_no_api_input_answers_a_server_error`
runs:

- a sweep: the usual call (a reflection of her own in the path, each body field its schema's
  first valid value), then each path and query parameter in turn holding each of its edge values
  (ids not hers or not UUIDs, moments such as "0001-01-01T00:00:00+14:00"), each body field in
  turn dropped or holding each of SWEEP_JSON (wrong types, huge integers, NUL, lone surrogates
  as "\ud800", nested objects), an unknown key, bodies that are not an object, not JSON or
  nested 100,000 deep, and other content types. Deterministic.
- then Hypothesis, at random: bodies valid for the schema with up to three fields dropped or
  replaced by anything, any JSON, any bytes; any path ids, query values and extra parameters.

The answer must not be 5xx; anything but 204 must be JSON; a 4xx must be an error object with
its status and commit no INSERT, UPDATE or DELETE. Which 4xx is not asserted here: tests/api
says which one each case deserves. `HYPOTHESIS_PROFILE=long` tries twenty times as many random
inputs (see conftest.py).
"""

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import currently_in_test_context, given, note, settings
from hypothesis import strategies as st

from journal.api.openapi import document
from journal.models import TEXT_LIMIT
from tests.factories import Factory
from tests.helpers import make_app

from .conftest import (
    Browsers,
    ServerErrors,
    World,
    Writes,
    examples,
    mostly,
    sweep_then_fuzz,
    text_values,
)

HTTP_METHODS = ("get", "put", "post", "patch", "delete")
OPERATIONS = [
    (path, method)
    for path, item in document()["paths"].items()
    for method in HTTP_METHODS
    if method in item
]
DROP = object()  # a body field left out
# JSON values that break parsers: wrong types, numbers no column holds, NUL and lone surrogates
# (which JSON may carry, as "\ud800", and UTF-8 may not), impossible dates, nesting.
SWEEP_JSON: list[Any] = [
    DROP,
    None,
    True,
    -1,
    1.5,
    2**31,
    10**30,
    "",
    "\x00",
    "\ud800",
    "²",
    "0000-01-01",
    "x" * (TEXT_LIMIT + 1),
    {"a": {"b": [1, None]}},
]
EDGE_JSON: list[Any] = [
    *SWEEP_JSON[1:],
    False,
    0,
    2**63,
    -(10**30),
    1e308,
    float("inf"),
    float("nan"),
    " ",
    "a\x00b",
    "x\udfffy",
    "99999999999999999999",
    "٣",
    "9999-12-31",
    "2024-02-30",
    "0001-01-01T00:00:00+14:00",
    [],
    [None],
    {},
    [[[[[]]]]],
]
# Bodies that are not a JSON object, or not JSON at all.
RAW_BODIES = [
    b"",
    b"{",
    b"null",
    b"[]",
    b'"\\ud800"',
    b'{"experience": "\\ud800',
    b"\xff\xfe{}",
    b"1e999999",
    b"-" + b"9" * 5000,
]
# Nesting deeper than any client's: in the sweep only, where a failure prints 40 bytes of it
# (Hypothesis would print all of it).
DEEP_BODIES = [b"[" * 100_000, b'{"a":' * 100_000]
CONTENT_TYPES = ["application/json", "text/plain", "application/json; charset=latin-1", None]
PATH_EDGES = ["not-a-uuid", "0", "٣", "%00", "%FF", "x" * 300]
QUERY_EDGES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "2024-01-01T00:00:00",
    "2024-02-30T00:00:00Z",
    "2024-01-01",
    "",
    "\x00",
    "²",
    "9" * 5000,
    # Paging cursors (base64url of "moment|id") at moments no UTC datetime can hold.
    *(
        base64.urlsafe_b64encode(f"{moment}|{uuid.UUID(int=1)}".encode()).decode()
        for moment in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00")
    ),
]


def any_json() -> st.SearchStrategy[Any]:
    strings = st.text(st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=12)
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), strings)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(strings, inner, max_size=3),
        max_leaves=8,
    )


def moments() -> st.SearchStrategy[str]:
    """ISO 8601 moments, at any offset a time zone can have, in any year."""
    offsets = st.timedeltas(
        min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
    ).map(timezone)
    return st.datetimes(timezones=offsets).map(lambda moment: moment.isoformat())


class Schemas:
    """Values valid under the document's schemas: the first of each, or any (a strategy)."""

    def __init__(self, spec: dict):
        self.spec = spec

    def resolve(self, schema: dict) -> dict:
        while "$ref" in schema:
            node: Any = self.spec
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    @staticmethod
    def _types(schema: dict) -> list[str]:
        types = schema.get("type", ["null", "boolean", "integer", "string"])
        return [types] if isinstance(types, str) else types

    def first(self, schema: dict) -> Any:
        """A valid value, the same every time: what the sweep puts in every other field."""
        schema = self.resolve(schema)
        if "enum" in schema:
            return schema["enum"][0]
        for combined in ("oneOf", "anyOf"):
            if combined in schema:
                return self.first(schema[combined][0])
        match self._types(schema)[0]:
            case "null":
                return None
            case "boolean":
                return False
            case "integer" | "number":
                # The world's first meeting and set are cara's, and a new reflection is at 1.
                return schema.get("minimum", 1)
            case "array":
                return []
            case "object":
                return {name: self.first(part) for name, part in schema["properties"].items()}
        return {"date": "2030-01-31", "date-time": "2024-01-01T00:00:00+00:00"}.get(
            schema.get("format", ""), "What happened."
        )

    def valid(self, schema: dict) -> st.SearchStrategy[Any]:
        schema = self.resolve(schema)
        if "enum" in schema:
            return st.sampled_from(schema["enum"])
        for combined in ("oneOf", "anyOf"):
            if combined in schema:
                return st.one_of([self.valid(part) for part in schema[combined]])
        return st.one_of([self._of_type(kind, schema) for kind in self._types(schema)])

    def _of_type(self, kind: str, schema: dict) -> st.SearchStrategy[Any]:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind == "integer":
            # Small numbers: the world's ids and versions are small, so these often exist.
            low = schema.get("minimum", 0)
            high = min(schema.get("maximum", low + 9), low + 9)
            return st.one_of(st.just(low), st.integers(low, high))
        if kind == "number":
            return st.floats(allow_nan=False, allow_infinity=False)
        if kind == "array":
            return st.lists(self.valid(schema.get("items", {})), max_size=3)
        if kind == "object":
            return st.fixed_dictionaries(
                {name: self.valid(part) for name, part in schema.get("properties", {}).items()}
            )
        match schema.get("format"):
            case "date":
                return st.dates().map(lambda day: day.isoformat())
            case "date-time":
                return moments()
            case "uuid":
                return st.uuids().map(str)
        low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
        text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
        return st.one_of(st.sampled_from(["What happened.", "Next time, ask first."]), text).filter(
            lambda value: low <= len(value) <= high
        )

    def random_body(self, draw, schema: dict) -> tuple[bytes, str | None]:
        """Mostly a valid object with up to three fields dropped or replaced by anything."""
        kind = draw(st.integers(0, 9))
        if kind == 8:
            return json.dumps(draw(any_json())).encode(), "application/json"
        if kind == 9:
            return draw(st.sampled_from(RAW_BODIES) | st.binary(max_size=30)), "application/json"
        schema = self.resolve(schema)
        value = draw(self.valid(schema))
        if isinstance(value, dict):
            names = sorted(schema.get("properties", {}))
            keys = st.sampled_from(names) if names else st.text(max_size=8)
            for _ in range(draw(st.integers(0, 3))):
                name = draw(st.one_of(keys, st.text(max_size=8)))
                how = draw(st.sampled_from(["edge", "drop", "anything"]))
                if how == "drop":
                    value.pop(name, None)
                else:
                    replacement = st.sampled_from(EDGE_JSON) if how == "edge" else any_json()
                    value[name] = draw(replacement)
        content_type = "application/json" if kind < 7 else draw(st.sampled_from(CONTENT_TYPES))
        return json.dumps(value).encode(), content_type


@dataclass
class Call:
    """One request, described before its ids are known: `path` and `query` hold values or the
    labels of ids (`"mine"` is a fresh reflection of cara's, made for each call)."""

    path: dict[str, str]
    query: list[tuple[str, str]]
    body: bytes | None = None
    content_type: str | None = None


class Operation:
    """One operation of the document, and how to call it."""

    LABELS = ("mine", "readable", "hidden", "new")

    def __init__(self, spec: dict, path: str, method: str):
        self.schemas = Schemas(spec)
        self.path, self.method = path, method
        operation = spec["paths"][path][method]
        self.parameters = [
            *spec["paths"][path].get("parameters", []),
            *operation.get("parameters", []),
        ]
        content = operation.get("requestBody", {}).get("content", {})
        self.body_schema = content.get("application/json", {}).get("schema")

    def of(self, where: str) -> list[dict]:
        return [p for p in self.parameters if p["in"] == where]

    def usual(self) -> Call:
        """Her own reflection, the required query parameters valid, a valid body."""
        path = {p["name"]: "mine" for p in self.of("path")}
        query = [
            (p["name"], self.schemas.first(p.get("schema", {})))
            for p in self.of("query")
            if p.get("required")
        ]
        call = Call(path, query)
        if self.body_schema is not None:
            call.body = json.dumps(self.schemas.first(self.body_schema)).encode()
            call.content_type = "application/json"
        return call

    def sweep(self) -> list[tuple[str, Call]]:
        """The usual call, then each place in turn holding each of its edge values."""
        usual = self.usual()
        calls = [("the usual call", usual)]
        for parameter in self.of("path"):
            for value in [*self.LABELS[1:], *PATH_EDGES]:
                path = {**usual.path, parameter["name"]: value}
                calls.append((f"path {parameter['name']}={value[:40]!r}", _with(usual, path=path)))
        for parameter in self.of("query"):
            for value in QUERY_EDGES:
                query = [*usual.query, (parameter["name"], value)]
                calls.append((f"{parameter['name']}={value[:40]!r}", _with(usual, query=query)))
        if self.body_schema is None:
            return calls
        first = self.schemas.first(self.body_schema)
        unknown = {**first, "unknown": "x"}
        calls.append(("body with an unknown key", _with(usual, body=json.dumps(unknown).encode())))
        for name in first:
            for value in SWEEP_JSON:
                body = {key: v for key, v in first.items() if key != name}
                if value is not DROP:
                    body[name] = value
                shown = "(dropped)" if value is DROP else repr(value)[:40]
                calls.append((f"body {name}={shown}", _with(usual, body=json.dumps(body).encode())))
        for raw in [*RAW_BODIES, *DEEP_BODIES]:
            calls.append((f"body {raw[:40]!r}", _with(usual, body=raw)))
        for content_type in CONTENT_TYPES[1:]:
            calls.append((f"content type {content_type}", _with(usual, content_type=content_type)))
        return calls

    def random(self, draw) -> Call:
        call = Call({}, [])
        for parameter in self.parameters:
            name, where = parameter["name"], parameter["in"]
            schema = self.schemas.resolve(parameter.get("schema", {}))
            if where == "path":
                usual = st.sampled_from(self.LABELS)
                call.path[name] = mostly(draw, usual, st.one_of(st.uuids().map(str), text_values()))
            elif where == "query" and (parameter.get("required") or draw(st.booleans())):
                usual = st.one_of(self.schemas.valid(schema), st.sampled_from(QUERY_EDGES))
                call.query.append((name, str(mostly(draw, usual, text_values()))))
        call.query += draw(st.lists(st.tuples(text_values(), text_values()), max_size=2))
        if self.body_schema is not None:
            call.body, call.content_type = self.schemas.random_body(draw, self.body_schema)
        return call


def _with(call: Call, **changes) -> Call:
    return Call(**{**call.__dict__, **changes})


@dataclass
class Api:
    app: Flask
    client: FlaskClient
    token: str
    world: World
    make: Factory
    server_errors: ServerErrors
    writes: Writes

    def send(self, operation: Operation, call: Call) -> None:
        """Make the call; fail unless the answer is JSON, not 5xx, and a refusal kept nothing."""
        ids = {
            "readable": str(self.world.readable.id),
            "hidden": str(self.world.hidden.id),
            "new": str(uuid.uuid4()),
        }
        if "mine" in call.path.values():
            ids["mine"] = str(self.make.reflection(self.world.cara, self.world.meeting).id)
        url = operation.path
        for name, value in call.path.items():
            part = ids.get(value) or quote(value, safe="%") or "-"
            url = url.replace("{" + name + "}", part)
        if call.query:
            url += "?" + urlencode(call.query)
        request = f"{operation.method.upper()} {url}"
        if currently_in_test_context():  # Hypothesis shows it with a failing example
            note(f"{request}\ncontent type: {call.content_type}\n{(call.body or b'')[:2000]!r}")
        self.writes.take()

        answer = self.client.open(
            url,
            method=operation.method.upper(),
            data=call.body,
            content_type=call.content_type,
            headers={"X-CSRFToken": self.token},
        )

        self.server_errors.refuse(answer, request)
        stored = self.writes.take()
        status = answer.status_code
        assert 200 <= status < 500, f"{request} answered {answer.status}"
        if status == 204:
            return
        assert answer.mimetype == "application/json", f"{request}: {status} {answer.mimetype}"
        payload = json.loads(answer.get_data(as_text=True))
        if status >= 400:
            assert isinstance(payload["error"], str)
            assert payload["status"] == status
            assert not stored, f"{request} answered {status} but stored {stored}"


# The properties --------------------------------------------------------------------------------


def _template(path: str) -> str:
    """/api/v1/reflections/{id} and /api/v1/reflections/<reflection_id> alike: ../{}."""
    return re.sub(r"\{[^}]*\}|<[^>]*>", "{}", path)


def test_every_api_route_is_documented():
    """What the document describes is what the fuzzer calls: every route must be in it."""
    documented = {
        (_template(path), method.upper())
        for path, item in document()["paths"].items()
        for method in HTTP_METHODS
        if method in item
    }
    served = {
        (_template(rule.rule), method)
        for rule in make_app("sqlite://").url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert sorted(served - documented) == [], "API routes the OpenAPI document does not describe"


@pytest.fixture
def api(app, world: World, browsers: Browsers, make: Factory, server_errors, writes) -> Api:
    client, token = browsers.signed_in(world.cara)
    return Api(app, client, token, world, make, server_errors, writes)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_no_api_input_answers_a_server_error(api: Api, path, method):
    operation = Operation(document(), path, method)

    @settings(max_examples=examples(25 if operation.body_schema else 10))
    @given(st.data())
    def call_anything(data):
        api.send(operation, operation.random(data.draw))

    sweep = (
        (case, lambda call=call: api.send(operation, call)) for case, call in operation.sweep()
    )
    sweep_then_fuzz(sweep, call_anything)
