"""What both fuzzers share: the Hypothesis profile, a small world to post into, signed-in
browsers, the values worth trying, and the check that no answer is a server error.

Profiles, chosen with the HYPOTHESIS_PROFILE environment variable:

- `ci` (the default): derandomized and without an example database, so every run on every
  machine tries the same inputs, within CI's budget (a few seconds per form or API operation).
- `long`: twenty times as many examples, drawn at random, failures remembered in .hypothesis/
  (which Hypothesis keeps out of git): `HYPOTHESIS_PROFILE=long .venv/bin/pytest tests/fuzz`.
"""

import logging
import os
import re
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import event
from werkzeug.test import TestResponse

from journal.extensions import db
from journal.models import TEXT_LIMIT, LearningSet, Meeting, Reflection, User
from tests.factories import Factory
from tests.helpers import AuthActions, form_token

# The unit of examples(): a test asks for examples(n) and gets n in CI, 20 * n with `long`.
CI_EXAMPLES = 100
_SLOW_IS_FINE = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
settings.register_profile(
    "ci",
    max_examples=CI_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=_SLOW_IS_FINE,
)
settings.register_profile(
    "long", max_examples=20 * CI_EXAMPLES, deadline=None, suppress_health_check=_SLOW_IS_FINE
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def examples(n: int) -> int:
    """How many examples a test that wants `n` in CI gets under the loaded profile."""
    return max(1, n * settings.default.max_examples // CI_EXAMPLES)


@pytest.fixture
def app_config() -> dict:
    # Wrong passwords are the point here: the throttle (tested in tests/auth) would answer 429
    # after five of them and keep the fuzz away from the sign-in and password views.
    return {
        "LOGIN_LIMIT_PER_ACCOUNT": "100000 per minute",
        "LOGIN_LIMIT_PER_ADDRESS": "100000 per minute",
        # The same for asking for password reset links (three a minute per address otherwise).
        "RESET_LIMIT_PER_EMAIL": "100000 per minute",
        "RESET_LIMIT_PER_ADDRESS": "100000 per minute",
    }


# Values worth trying ---------------------------------------------------------------------------

EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\ufeff",
    "\u202e",
    "None",
    "null",
    "NaN",
    "inf",
    "1e309",
    "-1",
    "0",
    "1",
    " 7",
    "1_000",
    "0x10",
    "²",
    "٣",
    "99999999999999999999",
    str(2**31),
    str(2**63),
    "9" * 5000,
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "2024-02-30",
    "2024-13-01",
    "20240105",
    "2024-W01-5",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "x" * 255,
    "x" * (TEXT_LIMIT + 1),
    "x" * (1024 * 1024 + 1),
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
]


def text_values() -> st.SearchStrategy[str]:
    """Text a browser can send: edge cases, and any characters at all (NUL included; no lone
    surrogates, which a browser cannot encode)."""
    return st.one_of(
        st.sampled_from(EDGE_TEXT),
        st.text(st.characters(codec="utf-8"), max_size=40),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=3).map(lambda s: s * 700),
    )


def mostly(draw, usual: st.SearchStrategy, unusual: st.SearchStrategy) -> Any:
    """Three times in four `usual` (what a failure shrinks towards), else `unusual`."""
    return draw(usual) if draw(st.integers(0, 3)) < 3 else draw(unusual)


# The world -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class World:
    admin: User
    fran: User  # facilitator of set A
    cara: User  # candidate in set A, whose pages and API calls are fuzzed
    cal: User  # candidate in set A: his set-visible reflection is readable by cara, not hers
    lee: User  # candidate in set B: his private reflection is hidden from cara
    set_a: LearningSet
    set_b: LearningSet
    meeting: Meeting  # set A, last week
    next_meeting: Meeting  # set A, next week
    other_meeting: Meeting  # set B: not cara's to link to
    own: Reflection  # cara's, with an action
    quiet: Reflection  # cara's, without an action
    readable: Reflection  # cal's, shared with the set
    hidden: Reflection  # lee's, private


@pytest.fixture
def world(make: Factory) -> World:
    admin = make.user("Admin", is_admin=True)
    fran, cara, cal, lee = (make.user(name) for name in ("Fran", "Cara", "Cal", "Lee"))
    set_a = make.set("Set A", facilitators=[fran], candidates=[cara, cal])
    set_b = make.set("Set B", facilitators=[fran], candidates=[lee])
    meeting = make.meeting(set_a, days=-7)
    other_meeting = make.meeting(set_b, days=-3)
    return World(
        admin=admin,
        fran=fran,
        cara=cara,
        cal=cal,
        lee=lee,
        set_a=set_a,
        set_b=set_b,
        meeting=meeting,
        next_meeting=make.meeting(set_a, days=7),
        other_meeting=other_meeting,
        own=make.reflection(cara, meeting, age=timedelta(days=6)),
        quiet=make.reflection(cara, None, next_action="", action_due=None),
        readable=make.reflection(cal, meeting, visibility="set"),
        hidden=make.reflection(lee, other_meeting, visibility="private"),
    )


class Browsers:
    """A test client per person, signed in over HTTP once, and again whenever a fuzzed input
    ended its session (signing out, a changed password)."""

    def __init__(self, app: Flask):
        self.app = app
        self._clients: dict[int, tuple[FlaskClient, str]] = {}

    def anonymous(self) -> tuple[FlaskClient, str]:
        client = self.app.test_client()
        return client, form_token(client)

    def signed_in(self, user: User, check: bool = False) -> tuple[FlaskClient, str]:
        """The person's client and its session's CSRF token; with `check`, first make sure the
        last request did not end the session (or change its token)."""
        if user.id in self._clients:
            client, token = self._clients[user.id]
            if not check:
                return client, token
            me = client.get("/api/v1/me")
            if me.status_code == 200:
                self._clients[user.id] = client, me.json["csrf_token"]
                return self._clients[user.id]
        client = self.app.test_client()
        auth = AuthActions(client)
        assert auth.login(user.email).status_code == 302, f"{user.email} could not sign in"
        self._clients[user.id] = client, auth.csrf()
        return self._clients[user.id]


@pytest.fixture
def browsers(app) -> Browsers:
    return Browsers(app)


# No server errors ------------------------------------------------------------------------------


class ServerErrors(logging.Handler):
    """Collects what the app logs at ERROR (journal/errors.py logs each 500 with its traceback)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.logged: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.logged.append("".join(traceback.format_exception(*record.exc_info)))
        else:
            self.logged.append(record.getMessage())

    def refuse(self, answer: TestResponse, request: str) -> None:
        """Fail, with the server's traceback, if `answer` is a server error."""
        logged, self.logged = self.logged, []
        if answer.status_code >= 500:
            trace = logged[-1] if logged else "(the app logged nothing)"
            raise AssertionError(f"{request} answered {answer.status}\n\n{trace}")


@pytest.fixture
def server_errors(app) -> Iterator[ServerErrors]:
    handler = ServerErrors()
    app.logger.addHandler(handler)
    yield handler
    app.logger.removeHandler(handler)


def sweep_then_fuzz(sweep: Iterable[tuple[str, Callable[[], None]]], fuzz: Callable[[], None]):
    """Try every case of the deterministic `sweep`, then Hypothesis's random `fuzz`; fail with
    every distinct failure once, and the inputs that caused it (the sweep's in full, Hypothesis's
    shrunk to a minimal example)."""
    failures: dict[str, tuple[str, list[str]]] = {}

    def add(failure: AssertionError, case: str) -> None:
        message = str(failure)
        # The same failure at another id is the same failure.
        key = _ID.sub("<id>", message)
        failures.setdefault(key, (message, []))[1].append(case)

    for case, attempt in sweep:
        try:
            attempt()
        except AssertionError as failure:
            add(failure, case)
    try:
        fuzz()
    except AssertionError as failure:
        shrunk = "\n".join(getattr(failure, "__notes__", []))
        add(failure, f"random input (Hypothesis, shrunk):\n{shrunk}")
    if failures:
        report = (
            f"{len(cases)} input(s): {'; '.join(cases)}\n{message}"
            for message, cases in failures.values()
        )
        pytest.fail("\n\n".join(report), pytrace=False)


_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# Nothing stored by a refusal -------------------------------------------------------------------


class Writes:
    """The INSERT, UPDATE and DELETE statements committed since the last `take()`: comparing
    every table before and after each request would cost more than the request."""

    CHANGES = frozenset({"INSERT", "UPDATE", "DELETE"})

    def __init__(self):
        self._pending: list[str] = []
        self._committed: list[str] = []

    def executed(self, connection, cursor, statement: str, *args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in self.CHANGES:
            self._pending.append(statement)

    def committed(self, connection) -> None:
        self._committed += self._pending
        self._pending = []

    def rolled_back(self, connection) -> None:
        self._pending = []

    def take(self) -> list[str]:
        """What was committed since the last call (then forget it)."""
        committed, self._committed, self._pending = self._committed, [], []
        return committed


@pytest.fixture
def writes(app) -> Iterator[Writes]:
    watcher = Writes()
    with app.app_context():
        engine = db.engine
    hooks = [
        ("before_cursor_execute", watcher.executed),
        ("commit", watcher.committed),
        ("rollback", watcher.rolled_back),
    ]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    yield watcher
    for name, hook in hooks:
        event.remove(engine, name, hook)
