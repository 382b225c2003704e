"""The permission policy: SPEC.md's "who may do what" for reflections, every cell, through HTTP.

Reading is `GET /reflections/<id>` and `GET /api/v1/reflections/<id>`; editing is the edit page
(GET and POST) and `PUT /api/v1/...`; deleting is the confirmation page (GET and POST) and
`DELETE /api/v1/...`. Whoever may not read a reflection gets 404 (its existence stays secret);
whoever may read but not change it gets 403; a visitor who is not signed in is sent to sign in
(pages) or gets 401 (API).
"""

import html
import io
import re
import uuid
from collections import deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import AnonymousUserMixin
from pypdf import PdfReader
from sqlalchemy import select

from journal import policy
from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.evidence import claims
from journal.extensions import db
from journal.models import (
    Criterion,
    Enrolment,
    Framework,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    SetRole,
    Unit,
    User,
    Visibility,
)
from tests.factories import PASSWORD, Factory, stored
from tests.helpers import csrf_token_of, put_body

VISIBILITIES = ("private", "facilitator", "set")

# SPEC.md, "Who may do what": may this viewer read a reflection of each visibility?
#                                  private facilitator set
READ = {
    "author": (True, True, True),
    "other candidate, same set": (False, False, True),
    "facilitator of that set": (False, True, True),
    "facilitator elsewhere": (False, False, False),
    # Not a column of SPEC.md, but the same rule: a set role elsewhere gives nothing here.
    "candidate elsewhere": (False, False, False),
    "assigned assessor": (False, False, False),  # only the evidence copy, not this
    "other assessor": (False, False, False),
    "admin": (False, False, False),
}
# Editing and deleting: the author alone, whatever the visibility.
CHANGE = {"author"}

# Who plays each role. The author is a candidate in two sets, A and B. A reflection reaches one
# set, its audience set, fixed when it is saved: a meeting of A's set when linked, and A, as the
# author picked on the form, when unlinked. Being the author's fellow in B gives nothing.
_CAST = [
    ("author", "author"),
    ("other candidate, same set", "candidate_a"),
    ("facilitator of that set", "facilitator_a"),
    ("facilitator elsewhere", "facilitator_b"),  # of the author's other set
    ("facilitator elsewhere", "facilitator_c"),
    ("candidate elsewhere", "candidate_b"),  # the author's fellow in their other set
    ("candidate elsewhere", "candidate_c"),
    ("assigned assessor", "assessor"),
    ("other assessor", "other_assessor"),
    ("admin", "admin"),
    ("anonymous", None),
]
CAST = {"linked": _CAST, "unlinked": _CAST}

OK, FORBIDDEN, NOT_FOUND, SIGN_IN = "ok", "403", "404", "sign in"


def expected(role: str, visibility: str, action: str) -> str:
    if role == "anonymous":
        return SIGN_IN
    readable = READ[role][VISIBILITIES.index(visibility)]
    if action == "read":
        return OK if readable else NOT_FOUND
    if role in CHANGE:
        return OK
    return FORBIDDEN if readable else NOT_FOUND


def matrix() -> list:
    cells = []
    for scope, cast in CAST.items():
        for role, person in cast:
            for visibility in VISIBILITIES:
                for action in ("read", "edit", "delete"):
                    cells.append(
                        pytest.param(
                            scope,
                            role,
                            person,
                            visibility,
                            action,
                            expected(role, visibility, action),
                            id=f"{scope}-{person or role}-{visibility}-{action}",
                        )
                    )
    return cells


# The world ---------------------------------------------------------------------------------


@dataclass
class World:
    people: dict[str, User]
    sets: dict[str, int]
    meeting: Meeting  # a recent meeting of set A
    learning_set_a: LearningSet
    # Two reflections with the same author and audience: pages act on the first, the API on
    # the second, so that a delete through one leaves the other to try.
    reflection: Reflection | None = None
    twin: Reflection | None = None


# Everyone in the world but its admin.
MEMBERS = (
    "author",
    "candidate_a",
    "candidate_b",
    "candidate_c",
    "facilitator_a",
    "facilitator_b",
    "facilitator_c",
    "assessor",
    "other_assessor",
)


def build_world(app: Flask, make: Factory, visibility: str | None, linked: bool = True) -> World:
    """The cast of CAST; with a visibility, the author's two reflections under test."""
    people = {name: make.user(name.replace("_", " ").title()) for name in MEMBERS}
    people["admin"] = make.user("Admin", is_admin=True)
    set_a = make.set(
        facilitators=[people["facilitator_a"]], candidates=[people["author"], people["candidate_a"]]
    )
    set_b = make.set(
        facilitators=[people["facilitator_b"]], candidates=[people["author"], people["candidate_b"]]
    )
    set_c = make.set(facilitators=[people["facilitator_c"]], candidates=[people["candidate_c"]])
    meeting = make.meeting(set_a, days=-3)
    world = World(people, {"A": set_a.id, "B": set_b.id, "C": set_c.id}, meeting, set_a)
    if visibility is not None:
        world.reflection, world.twin = (
            make.reflection(
                people["author"],
                meeting if linked else None,
                visibility,
                learning_set=set_a,
                experience=f"Experience {uuid.uuid4().hex} of the author.",
            )
            for _ in range(2)
        )
    _enrol_and_offer(app, people, [r for r in (world.reflection, world.twin) if r])
    return world


def _enrol_and_offer(app: Flask, people: dict[str, User], reflections: list[Reflection]) -> None:
    """The author's assessor holds both reflections as evidence: still no reading the live one."""
    with app.app_context():
        framework = Framework(code=f"F-{uuid.uuid4().hex[:6]}", title="Leadership")
        criterion = Criterion(code="1.1", text="Seeks feedback.")
        framework.units.append(Unit(code="1", title="Self", criteria=[criterion]))
        author_enrolment = Enrolment(
            candidate_id=people["author"].id, framework=framework, assessor_id=people["assessor"].id
        )
        other_enrolment = Enrolment(
            candidate_id=people["candidate_c"].id,
            framework=framework,
            assessor_id=people["other_assessor"].id,
        )
        db.session.add_all([framework, author_enrolment, other_enrolment])
        db.session.flush()
        for reflection in reflections:
            claims.offer(db.session.get(Reflection, reflection.id), author_enrolment, [criterion])
        db.session.commit()


def sign_in(client: FlaskClient, user: User | None, password: str = PASSWORD) -> str:
    """Sign `user` in (nobody when None); returns a CSRF token valid for the session."""
    token = csrf_token_of(client.get("/login").text)
    if user is None:
        return token
    response = client.post(
        "/login", data={"email": user.email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, f"{user.email} could not sign in"
    return client.get("/api/v1/me").json["csrf_token"]


# The matrix through HTTP -------------------------------------------------------------------


def assert_page(response, outcome: str, secret: str, ok_status: int = 200) -> None:
    if outcome == SIGN_IN:
        assert response.status_code == 302
        assert urlsplit(response.location).path == "/login"
    else:
        status = {OK: ok_status, FORBIDDEN: 403, NOT_FOUND: 404}[outcome]
        assert response.status_code == status
    if outcome in (NOT_FOUND, SIGN_IN):
        assert secret not in response.text


def assert_api(response, outcome: str, secret: str, ok_status: int = 200) -> None:
    status = {OK: ok_status, FORBIDDEN: 403, NOT_FOUND: 404, SIGN_IN: 401}[outcome]
    assert response.status_code == status
    if outcome != OK:
        assert response.is_json
        assert response.json["status"] == status
        assert secret not in response.text


@pytest.mark.parametrize(("scope", "role", "person", "visibility", "action", "outcome"), matrix())
def test_reflection_matrix(app, client, make, scope, role, person, visibility, action, outcome):
    world = build_world(app, make, visibility, linked=scope == "linked")
    token = sign_in(client, world.people[person] if person else None)
    page, twin = world.reflection, world.twin
    secret = page.experience.split()[1]
    api_headers = {"X-CSRFToken": token}

    if action == "read":
        response = client.get(f"/reflections/{page.id}")
        assert_page(response, outcome, secret)
        if outcome == OK:
            assert secret in response.text
        response = client.get(f"/api/v1/reflections/{twin.id}")
        assert_api(response, outcome, secret)
        if outcome == OK:
            assert response.json["id"] == str(twin.id)
            assert response.json["experience"] == twin.experience

    elif action == "edit":
        response = client.get(f"/reflections/{page.id}/edit")
        assert_page(response, outcome, secret)
        if outcome == OK:
            assert secret in response.text
        form = {
            "csrf_token": token,
            "experience": "Rewritten by the viewer.",
            "insight": "",
            "next_action": "",
            "action_due": "",
            "visibility": visibility,
            "meeting_id": str(page.meeting_id or ""),
            "set_id": str(page.set_id),
            "base_version": "1",
        }
        response = client.post(f"/reflections/{page.id}/edit", data=form)
        assert_page(response, outcome, secret, ok_status=302)
        body = {
            **put_body(twin),
            "experience": "Rewritten through the API.",
            "base_version": 1,
        }
        response = client.put(f"/api/v1/reflections/{twin.id}", json=body, headers=api_headers)
        assert_api(response, outcome, secret)
        after_page, after_twin = stored(app, page.id), stored(app, twin.id)
        if outcome == OK:
            assert (after_page.experience, after_page.version) == ("Rewritten by the viewer.", 2)
            assert (after_twin.experience, after_twin.version) == ("Rewritten through the API.", 2)
        else:
            assert (after_page.experience, after_page.version) == (page.experience, 1)
            assert (after_twin.experience, after_twin.version) == (twin.experience, 1)

    else:
        response = client.get(f"/reflections/{page.id}/delete")
        assert_page(response, outcome, secret)
        response = client.post(f"/reflections/{page.id}/delete", data={"csrf_token": token})
        assert_page(response, outcome, secret, ok_status=302)
        response = client.delete(f"/api/v1/reflections/{twin.id}", headers=api_headers)
        assert_api(response, outcome, secret, ok_status=204)
        gone = outcome == OK
        assert (stored(app, page.id) is None) is gone
        assert (stored(app, twin.id) is None) is gone


def test_the_author_is_sent_back_to_the_journal_after_deleting(app, client, make):
    world = build_world(app, make, "facilitator", linked=True)
    token = sign_in(client, world.people["author"])
    response = client.post(f"/reflections/{world.reflection.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/reflections"


@pytest.mark.parametrize("person", ["candidate_a", "facilitator_c", "admin"])
def test_an_unknown_id_looks_exactly_like_a_hidden_one(app, client, make, person):
    """A 404 must not tell "exists but hidden" from "never existed"."""
    world = build_world(app, make, "private", linked=True)
    sign_in(client, world.people[person])
    for path in (
        "/reflections/{}",
        "/reflections/{}/edit",
        "/reflections/{}/delete",
        "/api/v1/reflections/{}",
    ):
        hidden = client.get(path.format(world.reflection.id))
        unknown = client.get(path.format(uuid.uuid4()))
        assert hidden.status_code == unknown.status_code == 404
        assert _without_tokens(hidden.text) == _without_tokens(unknown.text)


# The policy module, directly ---------------------------------------------------------------


def _users(world: World) -> dict[str, User]:
    return {name: db.session.get(User, person.id) for name, person in world.people.items()}


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_can_read_follows_the_matrix(app, make, visibility, linked):
    world = build_world(app, make, visibility, linked)
    cast = CAST["linked" if linked else "unlinked"]
    with app.app_context():
        users = _users(world)
        reflection = db.session.get(Reflection, world.reflection.id)
        for role, person in cast:
            if person is None:
                assert policy.can_read(AnonymousUserMixin(), reflection) is False
                assert policy.can_edit(AnonymousUserMixin(), reflection) is False
                continue
            may_read = READ[role][VISIBILITIES.index(visibility)]
            assert policy.can_read(users[person], reflection) is may_read, (role, person)
            assert policy.can_edit(users[person], reflection) is (role in CHANGE), (role, person)


@dataclass
class Library:
    """The author's six reflections: every visibility, linked to a meeting of A and unlinked."""

    world: World
    by_key: dict[tuple[str, bool], uuid.UUID]


@pytest.fixture
def library(app, make) -> Library:
    world = build_world(app, make, None)
    by_key = {}
    for visibility in VISIBILITIES:
        for linked in (True, False):
            by_key[visibility, linked] = make.reflection(
                world.people["author"],
                world.meeting if linked else None,
                visibility,
                learning_set=world.learning_set_a,
            ).id
    return Library(world, by_key)


def _readable_in_library(cast_role_by_scope: dict[bool, str | None]) -> set[tuple[str, bool]]:
    keys = set()
    for linked, role in cast_role_by_scope.items():
        if role is None:
            continue
        for visibility in VISIBILITIES:
            if READ[role][VISIBILITIES.index(visibility)]:
                keys.add((visibility, linked))
    return keys


# person -> {linked: their role for a linked reflection, unlinked: for an unlinked one}
ROLES_BY_SCOPE = {
    person: {
        scope == "linked": role for scope in CAST for role, who in CAST[scope] if who == person
    }
    for person in (*MEMBERS, "admin")
}


@pytest.mark.parametrize("person", sorted(ROLES_BY_SCOPE))
def test_readable_reflections_is_what_the_matrix_allows(app, library, person):
    expected_keys = _readable_in_library(ROLES_BY_SCOPE[person])
    with app.app_context():
        user = db.session.get(User, library.world.people[person].id)
        found = set(
            db.session.scalars(policy.readable_reflections(user).with_only_columns(Reflection.id))
        )
        assert found == {library.by_key[key] for key in expected_keys}
        shared = set(db.session.scalars(policy.shared_with(user).with_only_columns(Reflection.id)))
        own = {library.by_key[key] for key in expected_keys} if person == "author" else set()
        assert shared == found - own


@pytest.mark.parametrize(
    ("person", "through", "expected_keys"),
    [
        # A's facilitator reads the linked and unlinked shared ones through A, their audience.
        (
            "facilitator_a",
            "A",
            {("facilitator", True), ("set", True), ("facilitator", False), ("set", False)},
        ),
        # B's facilitator reads none: the author is a candidate in B too, but wrote for A ...
        ("facilitator_b", "B", set()),
        # ... and nothing through a set they do not belong to.
        ("facilitator_b", "A", set()),
        ("candidate_a", "A", {("set", True), ("set", False)}),
        ("candidate_b", "B", set()),
        ("candidate_b", "A", set()),
        ("facilitator_c", "C", set()),
        # The author's own reflections are never "shared with" the author.
        ("author", "A", set()),
    ],
)
def test_shared_with_one_set(app, library, person, through, expected_keys):
    with app.app_context():
        user = db.session.get(User, library.world.people[person].id)
        query = policy.shared_with(user, library.world.sets[through])
        found = set(db.session.scalars(query.with_only_columns(Reflection.id)))
    assert found == {library.by_key[key] for key in expected_keys}


def test_roles_are_held_on_a_set_not_globally(app, make):
    """A facilitator of one set who is a candidate in another reads as a candidate there."""
    both = make.user("Both Roles")
    author_a, author_c = make.user("Author A"), make.user("Author C")
    set_a = make.set(candidates=[author_a, both])
    set_c = make.set(facilitators=[both], candidates=[author_c])
    in_a = make.reflection(author_a, make.meeting(set_a), "facilitator")
    in_c = make.reflection(author_c, make.meeting(set_c), "facilitator")
    set_in_a = make.reflection(author_a, make.meeting(set_a), "set")
    with app.app_context():
        user = db.session.get(User, both.id)
        assert policy.can_read(user, db.session.get(Reflection, in_a.id)) is False
        assert policy.can_read(user, db.session.get(Reflection, in_c.id)) is True
        assert policy.can_read(user, db.session.get(Reflection, set_in_a.id)) is True


def test_get_reflection_answers_404_403_and_the_reflection(app, make):
    from werkzeug.exceptions import Forbidden, NotFound

    world = build_world(app, make, "facilitator", linked=True)
    with app.test_request_context():
        from flask_login import login_user

        users = _users(world)
        login_user(users["facilitator_c"])
        with pytest.raises(NotFound):
            policy.get_reflection(world.reflection.id)
        login_user(users["facilitator_a"])
        assert policy.get_reflection(world.reflection.id).id == world.reflection.id
        with pytest.raises(Forbidden):
            policy.get_reflection(world.reflection.id, check_author=True)
        login_user(users["author"])
        assert (
            policy.get_reflection(world.reflection.id, check_author=True).id == world.reflection.id
        )
        with pytest.raises(NotFound):
            policy.get_reflection(uuid.uuid4())


# The demo data: one rule, three ways of asking it -----------------------------------------


def spec_says_may_read(user: User, reflection: Reflection, memberships: list[Membership]) -> bool:
    """SPEC.md's rule, written out again in plain Python, independent of policy.py's SQL."""
    if reflection.author_id == user.id:
        return True
    if reflection.visibility == Visibility.PRIVATE:
        return False
    author_still_there = any(
        m.user_id == reflection.author_id
        and m.set_id == reflection.set_id
        and m.role == SetRole.CANDIDATE
        for m in memberships
    )
    if not author_still_there:
        return False
    roles = {m.role for m in memberships if m.user_id == user.id and m.set_id == reflection.set_id}
    if SetRole.FACILITATOR in roles and reflection.visibility in (
        Visibility.FACILITATOR,
        Visibility.SET,
    ):
        return True
    return SetRole.CANDIDATE in roles and reflection.visibility == Visibility.SET


def test_can_read_and_readable_reflections_agree_on_the_demo_data(app, demo_people):
    with app.app_context():
        memberships = list(db.session.scalars(select(Membership)))
        everything = list(db.session.scalars(select(Reflection)))
        allowed_pairs = 0
        for user in db.session.scalars(select(User)):
            listed = set(
                db.session.scalars(
                    policy.readable_reflections(user).with_only_columns(Reflection.id)
                )
            )
            for reflection in everything:
                by_rule = spec_says_may_read(user, reflection, memberships)
                assert policy.can_read(user, reflection) is by_rule, (user.email, reflection.id)
                assert (reflection.id in listed) is by_rule, (user.email, reflection.id)
                allowed_pairs += by_rule and reflection.author_id != user.id
        assert allowed_pairs > 0  # the demo shares something, so the agreement means something


def _demo_reflection(experience_start: str) -> Reflection:
    query = select(Reflection).where(Reflection.experience.startswith(experience_start))
    return db.session.scalars(query).one()


@pytest.mark.parametrize(
    ("email", "experience_start", "may_read"),
    [
        ("fran@example.org", "Presented the restructure", True),  # cal's, for the facilitator
        ("fran@example.org", "Private worries", False),  # cal's, private
        ("fran@example.org", "A note to myself", False),  # cara's, private and unlinked
        ("cal@example.org", "Questioning rather than advising", True),  # cara's, for the set
        ("cal@example.org", "I brought my problem", False),  # cara's, for the facilitator
        ("finn@example.org", "Presented the restructure", False),  # another set's
        ("finn@example.org", "Brought a decision", True),  # lee's, for the facilitator
        ("ada@example.org", "Presented the restructure", False),  # offered as evidence to ada
        ("admin@example.org", "Brought a decision", False),
        ("lee@example.org", "Time-keeping in the set", False),  # Glasgow's set-visible one
    ],
)
def test_demo_readers(app, demo_people, email, experience_start, may_read):
    with app.app_context():
        user = db.session.scalars(select(User).where(User.email == email)).one()
        assert policy.can_read(user, _demo_reflection(experience_start)) is may_read


# No page reachable by links shows what the matrix hides -----------------------------------


class _Links(HTMLParser):
    """Every link of a page, and every choice of its GET forms (the journal's filters)."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        elif tag == "form" and (attributes.get("method") or "get").lower() == "get":
            self._form = {"action": attributes.get("action") or "", "choices": []}
        elif tag == "select" and self._form is not None:
            self._select = attributes.get("name")
        elif tag == "option" and self._form is not None and self._select:
            value = attributes.get("value") or ""
            if value:
                self._form["choices"].append((self._select, value))

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None:
            for name, value in self._form["choices"]:
                self.links.append(f"{self._form['action']}?{urlencode({name: value})}")
            self._form = None


def _links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    return parser.links


CRAWL_LIMIT = 400
REFLECTION_PAGE = re.compile(r"^/reflections/([0-9a-f-]{36})$")


def _readable_text(response) -> str:
    """What a reader gets from an answer: its text, or for a PDF (the brief) the PDF's text."""
    if response.mimetype == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    return response.text


def crawl(client: FlaskClient) -> dict[str, tuple[int, str]]:
    """Every page reachable from / by following same-site links: path -> (status, body), the
    body of a PDF as its text."""
    seen: dict[str, tuple[int, str]] = {}
    queue = deque(["/"])
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        assert len(seen) < CRAWL_LIMIT, "the crawl did not end; a link loop?"
        response = client.get(url)
        seen[url] = (response.status_code, _readable_text(response))
        assert response.status_code < 500, url
        targets = [response.location] if response.status_code in (301, 302, 303) else []
        if response.mimetype == "text/html":
            targets += _links(response.text)
        for target in targets:
            parts = urlsplit(urljoin(f"http://localhost{url}", target))
            if parts.netloc not in ("localhost", "") or parts.scheme not in ("http", ""):
                continue
            if parts.path.startswith(("/static/", "/logout")):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


def _plain(text: str) -> str:
    """Text as a reader sees it: no tags, no Markdown marks, single spaces."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    return " ".join(re.sub(r"[*_`#>\[\]]", " ", text).split())


def _telltales(reflection: Reflection) -> list[str]:
    """What would give a reflection away: its id, and the opening words of each of its texts."""
    tells = [str(reflection.id), reflection.id.hex]
    for name in ("experience", "insight", "next_action", "action_outcome"):
        text = _plain(getattr(reflection, name))
        if text:
            tells.append(text[:40])
    return tells


def _without_tokens(page: str) -> str:
    page = re.sub(r'name="csrf-token" content="[^"]*"', "", page)
    page = re.sub(r'"csrf_token": ?"[^"]*"', "", page)
    return re.sub(r'(name="[a-z0-9-]*csrf_token"[^>]*value=")[^"]*"', r"\1", page)


DEMO_PEOPLE = ["admin", "fran", "cara", "cal", "finn", "lee", "ada", "abe", None]


@pytest.mark.parametrize("person", DEMO_PEOPLE, ids=[p or "anonymous" for p in DEMO_PEOPLE])
def test_no_page_reachable_by_links_shows_a_hidden_reflection(app, client, demo_people, person):
    user = demo_people[person] if person else None
    sign_in(client, user, DEMO_PASSWORD)
    pages = crawl(client)
    with app.app_context():
        everything = list(db.session.scalars(select(Reflection)))
        viewer = db.session.get(User, user.id) if user else AnonymousUserMixin()
        readable = {r.id for r in everything if policy.can_read(viewer, r)}
        hidden = [r for r in everything if r.id not in readable]
        # The assigned assessor reads the frozen copy of what was offered, on its claim's page
        # alone: there its words may stand, never its id.
        copies = {
            f"/evidence/claims/{claim.id}": claim.reflection_id
            for claim in db.session.scalars(policy.readable_claims(viewer))
        }
        for url, (_, body) in pages.items():
            seen_text = _plain(body)
            for reflection in hidden:
                tells = _telltales(reflection)
                if copies.get(url) == reflection.id:
                    tells = tells[:2]
                for tell in tells:
                    assert tell not in body and tell not in seen_text, (url, tell)
    if person in ("ada", "abe"):
        assert any(url in pages for url in copies)  # the copies were reached, and checked
    reached = {
        uuid.UUID(match[1])
        for url, (status, _) in pages.items()
        if status == 200 and (match := REFLECTION_PAGE.match(url))
    }
    # Everything one may read is a link or two away: one's journal, and what was shared.
    assert reached == readable
    assert len(pages) > (1 if user else 0)


def test_fran_reaches_cals_reflection_for_her_and_not_his_private_one(app, client, demo_people):
    sign_in(client, demo_people["fran"], DEMO_PASSWORD)
    pages = crawl(client)
    with app.app_context():
        for_fran = _demo_reflection("Presented the restructure")
        private = _demo_reflection("Private worries")
        assert pages[f"/reflections/{for_fran.id}"][0] == 200
        assert f"/reflections/{private.id}" not in pages
        assert _plain(for_fran.experience)[:40] in _plain(pages["/shared"][1])
        # Her brief of Glasgow 3, as a page and as a PDF, holds it too (the crawl checked that
        # nothing hidden is in them).
        brief = f"/sets/{for_fran.set_id}/brief"
        for url in (brief, brief + ".pdf"):
            assert _plain(for_fran.experience) in _plain(pages[url][1]), url


# A hidden reflection changes nothing anyone else sees, not even a count --------------------


WATCHED_PAGES = ("/", "/reflections", "/shared", "/actions", "/api/v1/reflections", "/api/v1/me")


def _snapshot(client: FlaskClient, world: World) -> dict[str, str]:
    paths = [*WATCHED_PAGES, *(f"/shared?set_id={s}" for s in world.sets.values())]
    pages = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        pages[path] = _without_tokens(response.text)
    return pages


@pytest.mark.parametrize("visibility", VISIBILITIES)
@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
def test_a_hidden_reflection_leaves_every_other_page_unchanged(app, make, visibility, linked):
    """Even "who has shared nothing" and the pages' counts stay as they were."""
    world = build_world(app, make, None)
    scope = "linked" if linked else "unlinked"
    blind = [
        person
        for role, person in CAST[scope]
        if person not in (None, "admin") and not READ[role][VISIBILITIES.index(visibility)]
    ]
    clients = {}
    before = {}
    for person in blind:
        clients[person] = app.test_client()
        sign_in(clients[person], world.people[person])
        before[person] = _snapshot(clients[person], world)
    make.reflection(
        world.people["author"],
        world.meeting if linked else None,
        visibility,
        experience="Something only some may read.",
    )
    for person in blind:
        after = _snapshot(clients[person], world)
        for path in before[person]:
            assert after[path] == before[person][path], (person, path)
    assert blind  # every visibility hides it from someone


def test_a_private_reflection_is_not_sharing_something(app, client, make):
    """On the facilitator's home, a candidate whose only reflection is private has shared
    nothing."""
    world = build_world(app, make, None)
    make.reflection(world.people["author"], world.meeting, "private", experience="Only for me.")
    sign_in(client, world.people["facilitator_a"])
    home = client.get("/").text
    silent = re.search(
        r"Not shared anything since the last meeting</h3>(.*?)</section>", home, re.S
    )
    assert silent is not None
    assert world.people["author"].name in silent[1]
    assert world.people["candidate_a"].name in silent[1]
    make.reflection(
        world.people["author"],
        world.meeting,
        "facilitator",
        experience="Now shared with the facilitator.",
    )
    home = client.get("/").text
    silent = re.search(
        r"Not shared anything since the last meeting</h3>(.*?)</section>", home, re.S
    )
    assert world.people["author"].name not in silent[1]
    assert world.people["candidate_a"].name in silent[1]
    assert "Now shared with the facilitator." in home
