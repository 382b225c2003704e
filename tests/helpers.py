"""What tests share besides fixtures: the databases under test, an app maker, and what a
browser does over HTTP (read the CSRF token, sign in, accept an invitation)."""

import os
import re
from functools import cache

from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine, make_url, select, text

from journal import create_app
from journal.api import schema
from journal.models import Reflection
from journal.reflections.saving import WRITABLE_FIELDS

from .factories import NEW_PASSWORD, PASSWORD

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite", *(["postgresql"] if TEST_DATABASE_URL else [])]


@cache
def postgres_url() -> str:
    """TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own beside it.

    Workers run at once, and every test empties the tables it used: they must not share them.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return postgres_database(worker) if worker else TEST_DATABASE_URL


def postgres_database(suffix: str) -> str:
    """The address of a database beside TEST_DATABASE_URL's, named with `suffix`, made if new."""
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"{url.database}_{suffix}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not found:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


# What each demo role opens, for the benchmark and the plan tests: (who, address), where
# {mine} is cara's newest reflection, {shared} her newest one that fran may read, {commented}
# the one fran commented on and cara answered, {glasgow} the set Glasgow 3, {leeds} Leeds 1,
# {meeting} Glasgow's last meeting held, {portfolio} cara's enrolment, {claim} her claim with a
# criterion accepted, {pending} her claim awaiting ada, and {cara} and {ada} those people's ids.
DEMO_PAGES = [
    ("cara", "/"),
    ("cara", "/reflections"),
    ("cara", "/reflections/new"),
    ("cara", "/reflections/{mine}"),
    ("cara", "/reflections/{commented}"),
    ("cara", "/actions"),
    ("cara", "/shared"),
    ("cara", "/account"),
    ("cara", "/account/data"),
    ("cara", "/account/delete"),
    ("cara", "/api/v1/reflections"),
    ("cara", "/api/v1/reflections?limit=500"),
    ("cara", "/api/v1/me"),
    ("cara", "/api/v1/meetings"),
    ("cara", "/sets"),
    ("cara", "/sets/{glasgow}"),
    ("cara", "/meetings/{meeting}"),
    ("cara", "/portfolios"),
    ("cara", "/portfolios/{portfolio}/coverage"),
    ("cara", "/portfolios/{portfolio}/exports"),
    ("cara", "/evidence"),
    ("cara", "/evidence/claims/{claim}"),
    ("cara", "/evidence/claims/{pending}"),
    ("cara", "/evidence/offer/{mine}"),
    ("fran", "/"),
    ("fran", "/shared"),
    ("fran", "/shared?set_id={glasgow}"),
    ("fran", "/shared?page=4"),
    ("fran", "/reflections/{shared}"),
    ("fran", "/reflections/{commented}"),
    ("fran", "/sets/{glasgow}"),
    ("fran", "/sets/{glasgow}?past_page=2"),
    ("fran", "/meetings/{meeting}"),
    ("fran", "/meetings/{meeting}/edit"),
    ("fran", "/sets/{glasgow}/meetings/new"),
    ("fran", "/sets/{glasgow}/brief"),
    ("fran", "/sets/{glasgow}/brief.pdf"),
    ("ada", "/"),
    ("ada", "/portfolios"),
    ("ada", "/portfolios/{portfolio}/coverage"),
    ("ada", "/portfolios/{portfolio}/exports"),
    ("admin", "/admin/frameworks"),
    ("ada", "/evidence/candidates/{cara}"),
    ("ada", "/evidence/claims/{claim}"),
    ("ada", "/evidence/claims/{pending}"),
    ("admin", "/admin/"),
    ("admin", "/admin/people"),
    ("admin", "/admin/invitations"),
    ("admin", "/admin/mail"),
    ("admin", "/admin/sets/{glasgow}"),
    ("admin", "/admin/sets/{glasgow}/history"),
    ("admin", "/admin/sets/{glasgow}/members/{cara}/move?to={leeds}"),
    ("admin", "/admin/people/{cara}"),
    ("admin", "/admin/people/{ada}"),
    ("admin", "/admin/people/{cara}/delete"),
    ("admin", "/admin/enrolments/{portfolio}/assessor"),
]


def demo_page_ids() -> dict[str, str]:
    """What DEMO_PAGES' addresses name, read from the database of the current app."""
    from journal.extensions import db
    from journal.models import (
        ClaimCriterion,
        Comment,
        Enrolment,
        EvidenceClaim,
        LearningSet,
        Meeting,
        User,
        utcnow,
    )

    cara = db.session.scalar(select(User.id).where(User.email == "cara@example.org"))
    mine = select(Reflection.id).where(Reflection.author_id == cara)
    newest = (Reflection.updated_at.desc(), Reflection.id)
    shared = mine.where(Reflection.visibility != "private", Reflection.meeting_id.is_not(None))
    glasgow = db.session.scalar(select(LearningSet.id).where(LearningSet.name == "Glasgow 3"))
    held = select(Meeting.id).where(Meeting.set_id == glasgow, Meeting.starts_at <= utcnow())
    meeting = db.session.scalar(held.order_by(Meeting.starts_at.desc()).limit(1))
    portfolio = db.session.scalar(select(Enrolment.id).where(Enrolment.candidate_id == cara))
    leeds = db.session.scalar(select(LearningSet.id).where(LearningSet.name == "Leeds 1"))
    ada = db.session.scalar(select(User.id).where(User.email == "ada@example.org"))
    claims = select(EvidenceClaim.id).join(Enrolment).where(Enrolment.candidate_id == cara)
    accepted = select(ClaimCriterion.claim_id).where(ClaimCriterion.decision == "accepted")
    claim = db.session.scalar(claims.where(EvidenceClaim.id.in_(accepted)).limit(1))
    pending = db.session.scalar(claims.where(EvidenceClaim.id.not_in(accepted)).limit(1))
    return {
        "portfolio": str(portfolio),
        "claim": str(claim),
        "pending": str(pending),
        "mine": str(db.session.scalar(mine.order_by(*newest).limit(1))),
        "shared": str(db.session.scalar(shared.order_by(*newest).limit(1))),
        "commented": str(db.session.scalar(select(Comment.reflection_id).limit(1))),
        "glasgow": str(glasgow),
        "leeds": str(leeds),
        "meeting": str(meeting),
        "cara": str(cara),
        "ada": str(ada),
    }


def database_url(kind: str, tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'journal.sqlite'}" if kind == "sqlite" else postgres_url()


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates kept for the whole run, keyed by each template's source checksum.

    Tests make an app for each database kind and configuration (and some make their own), whose
    new Jinja environment would compile every template it renders again; a running server
    compiles each once.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedBytecodeCache()


def make_app(url: str, **config) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": url,
            **config,
        }
    )
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


def csrf_token_of(html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def form_token(client: FlaskClient) -> str:
    """The CSRF token of this browser's session, signed in or not, as its pages carry it."""
    return csrf_token_of(client.get("/login", follow_redirects=True).text)


class AuthActions:
    def __init__(self, client: FlaskClient):
        self._client = client

    def login(self, email: str, password: str = PASSWORD, remember: bool = False):
        token = csrf_token_of(self._client.get("/login").text)
        data = {"email": email, "password": password, "csrf_token": token}
        if remember:
            data["remember"] = "y"
        return self._client.post("/login", data=data)

    def csrf(self) -> str:
        """A CSRF token for the current session (as the offline client gets it)."""
        return self._client.get("/api/v1/me").json["csrf_token"]

    def logout(self):
        # /login redirects someone signed in, so the token comes from the API (same session).
        return self._client.post("/logout", data={"csrf_token": self.csrf()})


def accept(
    client,
    token: str,
    name: str = "Nina New",
    password: str = NEW_PASSWORD,
    confirm: str | None = None,
):
    """Fill in and send the invitation's form, as the invited person does."""
    page = client.get(f"/invite/{token}")
    return client.post(
        f"/invite/{token}",
        data={
            "csrf_token": csrf_token_of(page.text),
            "name": name,
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def new_body(**fields) -> dict:
    """A valid PUT body for a new reflection: private, linked to nothing, unless `fields` say
    otherwise."""
    return {
        "experience": "What happened.",
        "insight": "",
        "next_action": "",
        "action_due": None,
        "action_status": "open",
        "action_outcome": "",
        "meeting_id": None,
        "set_id": None,
        "visibility": "private",
        "base_version": None,
        **fields,
    }


def put_body(reflection: Reflection, **changes) -> dict:
    """A PUT body holding every writable field as `reflection` has it, at its version."""
    dumped = schema.dump(reflection)
    fields = {name: dumped[name] for name in WRITABLE_FIELDS}
    return {**fields, "base_version": reflection.version, **changes}
