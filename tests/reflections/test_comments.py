"""Comments on a reflection: a facilitator comments, its author answers, on the reflection's page.

The rule (journal/policy/comments.py): a comment is read by exactly those who may read its
reflection, now; it is written by the reflection's author and by the current facilitators of its
set who may read it; it is deleted only by whoever wrote it. Whoever may not read the reflection
gets 404 for everything about its comments; a reader who may not comment (another candidate of
the set, on a `set` reflection) gets 403; a visitor who is not signed in is sent to sign in. A
refused request stores nothing. Comments go with their reflection, and become unreadable with
it (made private, its author gone from the set).

The cast is tests/policy/test_reflections.py's: the author is a candidate in sets A and B; the
reflection under test reaches set A (linked to a meeting of A).
"""

import uuid
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import delete, func, select

from journal import policy
from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.extensions import db
from journal.models import (
    TEXT_LIMIT,
    AuditEvent,
    Comment,
    Membership,
    Reflection,
    User,
)
from journal.reflections import comments
from journal.reflections.comments import NOTE_DAYS
from tests.factories import table_rows
from tests.policy.test_reflections import (
    CAST,
    FORBIDDEN,
    NOT_FOUND,
    OK,
    READ,
    SIGN_IN,
    VISIBILITIES,
    assert_page,
    build_world,
    sign_in,
)

from .test_pages import field_errors, parse, without_tokens


@pytest.fixture
def app_config() -> dict:
    return {"PAGE_SIZE": 3}  # small, for the paging case


# Who may write a comment on a reflection they may read (SPEC.md: "a facilitator may leave a
# comment ... the author sees it and can answer"). Other readers read, and do not write.
WRITERS = {"author", "facilitator of that set"}


def readable(role: str, visibility: str) -> bool:
    return READ[role][VISIBILITIES.index(visibility)]


def expected(role: str, person: str | None, visibility: str, action: str) -> str:
    """read: the reflection's page with its comments; write: a new comment; delete: the
    facilitator of A's comment (its confirmation page and the deletion)."""
    if role == "anonymous":
        return SIGN_IN
    if not readable(role, visibility):
        return NOT_FOUND
    if action == "read":
        return OK
    if action == "write":
        return OK if role in WRITERS else FORBIDDEN
    return OK if person == "facilitator_a" else FORBIDDEN


def matrix() -> list:
    return [
        pytest.param(
            role,
            person,
            visibility,
            action,
            expected(role, person, visibility, action),
            id=f"{person or role}-{visibility}-{action}",
        )
        for role, person in CAST["linked"]
        for visibility in VISIBILITIES
        for action in ("read", "write", "delete")
    ]


def comments_on(app, reflection_id: uuid.UUID) -> list[tuple[int, str]]:
    """(author id, body) of each stored comment on the reflection, oldest first."""
    with app.app_context():
        query = (
            select(Comment.author_id, Comment.body)
            .where(Comment.reflection_id == reflection_id)
            .order_by(Comment.created_at, Comment.id)
        )
        return [tuple(row) for row in db.session.execute(query)]


def comment_form_shown(page: str, reflection_id: uuid.UUID) -> bool:
    return f'action="/reflections/{reflection_id}/comments"' in page


# Every cell, through HTTP --------------------------------------------------------------------


@pytest.mark.parametrize(("role", "person", "visibility", "action", "outcome"), matrix())
def test_comment_matrix(app, client, make, role, person, visibility, action, outcome):
    world = build_world(app, make, visibility)
    reflection, people = world.reflection, world.people
    # Written when the reflection was wider (for `private`): what matters is who reads it now.
    said = make.comment(
        reflection, people["facilitator_a"], f"Facilitator asks {uuid.uuid4().hex}.", timedelta(2)
    )
    answered = make.comment(
        reflection, people["author"], f"Author answers {uuid.uuid4().hex}.", timedelta(1)
    )
    secret = said.body.split()[2]
    token = sign_in(client, people[person] if person else None)
    before = table_rows(app)

    if action == "read":
        response = client.get(f"/reflections/{reflection.id}")
        assert_page(response, outcome, secret)
        assert (said.body in response.text) is (outcome == OK)
        assert (answered.body in response.text) is (outcome == OK)
        shown = comment_form_shown(response.text, reflection.id)
        assert shown is (outcome == OK and role in WRITERS)

    elif action == "write":
        new = f"A new comment {uuid.uuid4().hex}."
        response = client.post(
            f"/reflections/{reflection.id}/comments", data={"csrf_token": token, "body": new}
        )
        assert_page(response, outcome, secret, ok_status=302)
        stored = comments_on(app, reflection.id)
        if outcome == OK:
            assert stored[-1] == (people[person].id, new)
            assert urlsplit(response.location).path == f"/reflections/{reflection.id}"
            assert client.get(response.location).text.count(new) == 1
        else:
            assert len(stored) == 2
            assert table_rows(app) == before

    else:
        path = f"/reflections/{reflection.id}/comments/{said.id}/delete"
        assert_page(client.get(path), outcome, secret)
        response = client.post(path, data={"csrf_token": token})
        assert_page(response, outcome, secret, ok_status=302)
        remaining = [body for _, body in comments_on(app, reflection.id)]
        if outcome == OK:
            assert remaining == [answered.body]
        else:
            assert remaining == [said.body, answered.body]
            assert table_rows(app) == before


@pytest.mark.parametrize("visibility", VISIBILITIES)
def test_can_comment_follows_the_matrix(app, make, visibility):
    world = build_world(app, make, visibility)
    with app.app_context():
        reflection = db.session.get(Reflection, world.reflection.id)
        for role, person in CAST["linked"]:
            if person is None:
                assert policy.can_comment(AnonymousUserMixin(), reflection) is False
                continue
            user = db.session.get(User, world.people[person].id)
            allowed = expected(role, person, visibility, "write") == OK
            assert policy.can_comment(user, reflection) is allowed, (person, visibility)


def test_an_unlinked_reflection_is_commented_on_by_its_sets_facilitator(app, client, make):
    world = build_world(app, make, "facilitator", linked=False)
    token = sign_in(client, world.people["facilitator_a"])
    response = client.post(
        f"/reflections/{world.reflection.id}/comments",
        data={"csrf_token": token, "body": "Seen, thank you."},
    )
    assert response.status_code == 302
    assert comments_on(app, world.reflection.id) == [
        (world.people["facilitator_a"].id, "Seen, thank you.")
    ]


@pytest.mark.parametrize("person", ["candidate_a", "facilitator_c", "admin"])
def test_a_hidden_comment_looks_exactly_like_one_that_does_not_exist(app, client, make, person):
    world = build_world(app, make, "private")
    own = make.comment(world.reflection, world.people["author"], "A note.")
    token = sign_in(client, world.people[person])
    hidden_path = f"/reflections/{world.reflection.id}/comments/{own.id}/delete"
    unknown_path = f"/reflections/{uuid.uuid4()}/comments/{own.id + 9}/delete"
    for send in (client.get, lambda path: client.post(path, data={"csrf_token": token})):
        hidden, unknown = send(hidden_path), send(unknown_path)
        assert hidden.status_code == unknown.status_code == 404
        assert without_tokens(hidden.text) == without_tokens(unknown.text)


def test_a_comment_is_reached_only_through_its_own_reflection(app, client, make):
    """The address names the reflection too: another one the reader may read does not reach it."""
    world = build_world(app, make, "facilitator")
    comment = make.comment(world.reflection, world.people["facilitator_a"], "On the first.")
    token = sign_in(client, world.people["facilitator_a"])
    path = f"/reflections/{world.twin.id}/comments/{comment.id}/delete"
    assert client.get(path).status_code == 404
    assert client.post(path, data={"csrf_token": token}).status_code == 404
    assert len(comments_on(app, world.reflection.id)) == 1


# Comments go with their reflection, and become unreadable with it ---------------------------


@pytest.fixture
def conversation(app, make):
    """A set-visible reflection (read by A's facilitator and its other candidate) with the
    facilitator's comment and the author's answer."""
    world = build_world(app, make, "set")
    said = make.comment(
        world.reflection, world.people["facilitator_a"], "What did the set ask?", timedelta(2)
    )
    answered = make.comment(
        world.reflection, world.people["author"], "Who loses out.", timedelta(1)
    )
    return world, said, answered


def comment_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comment))


def test_deleting_the_reflection_deletes_its_comments(app, client, make, conversation):
    world, _said, _answered = conversation
    make.comment(world.twin, world.people["facilitator_a"], "On the twin.")
    elsewhere = make.reflection(world.people["author"], world.meeting, "set")
    make.comment(elsewhere, world.people["facilitator_a"], "On another reflection.")
    token = sign_in(client, world.people["author"])
    response = client.post(f"/reflections/{world.reflection.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert comments_on(app, world.reflection.id) == []
    # Through the API as well; nobody else's comments go.
    response = client.delete(f"/api/v1/reflections/{world.twin.id}", headers={"X-CSRFToken": token})
    assert response.status_code == 204
    assert comments_on(app, world.twin.id) == []
    assert comment_count(app) == 1


def test_the_database_deletes_comments_with_their_reflection(app, make, conversation, database):
    """ON DELETE CASCADE, for whatever deletes a reflection without the app's help."""
    world, _said, _answered = conversation
    with app.app_context(), db.engine.connect() as connection:
        if database == "sqlite":
            # SQLite enforces foreign keys only on a connection that asks, before it writes.
            connection.exec_driver_sql("PRAGMA foreign_keys = ON")
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        connection.execute(delete(Reflection).where(Reflection.id == world.reflection.id))
        connection.commit()
        if database == "sqlite":
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
    assert comments_on(app, world.reflection.id) == []


def _edit_visibility(client, token: str, reflection: Reflection, visibility: str) -> None:
    form = {
        "csrf_token": token,
        "experience": reflection.experience,
        "insight": reflection.insight,
        "next_action": reflection.next_action,
        "action_due": reflection.action_due.isoformat(),
        "meeting_id": str(reflection.meeting_id),
        "set_id": str(reflection.set_id),
        "visibility": visibility,
        "base_version": str(reflection.version),
    }
    response = client.post(f"/reflections/{reflection.id}/edit", data=form)
    assert response.status_code == 302


def _locked_out(app, person_client, token: str, world, said) -> None:
    """Nothing about the reflection's comments reaches this reader any more."""
    reflection_id = world.reflection.id
    before = table_rows(app)
    page = person_client.get(f"/reflections/{reflection_id}")
    assert page.status_code == 404
    assert said.body not in page.text
    posted = person_client.post(
        f"/reflections/{reflection_id}/comments", data={"csrf_token": token, "body": "Still here?"}
    )
    assert posted.status_code == 404
    path = f"/reflections/{reflection_id}/comments/{said.id}/delete"
    assert person_client.get(path).status_code == 404
    assert person_client.post(path, data={"csrf_token": token}).status_code == 404
    for listing in ("/", "/shared", "/reflections"):
        assert said.body not in person_client.get(listing).text
    assert table_rows(app) == before


def test_made_private_its_comments_are_read_by_the_author_alone(app, make, conversation):
    world, said, answered = conversation
    clients = {name: app.test_client() for name in ("author", "facilitator_a", "candidate_a")}
    tokens = {name: sign_in(c, world.people[name]) for name, c in clients.items()}
    for name in ("facilitator_a", "candidate_a"):
        assert said.body in clients[name].get(f"/reflections/{world.reflection.id}").text

    _edit_visibility(clients["author"], tokens["author"], world.reflection, "private")

    for name in ("facilitator_a", "candidate_a"):
        _locked_out(app, clients[name], tokens[name], world, said)
    page = clients["author"].get(f"/reflections/{world.reflection.id}").text
    assert said.body in page and answered.body in page


def test_made_facilitator_only_the_other_candidates_no_longer_read_its_comments(
    app, make, conversation
):
    world, said, _answered = conversation
    author, candidate = app.test_client(), app.test_client()
    token = sign_in(author, world.people["author"])
    candidate_token = sign_in(candidate, world.people["candidate_a"])
    _edit_visibility(author, token, world.reflection, "facilitator")
    _locked_out(app, candidate, candidate_token, world, said)


@pytest.mark.parametrize("leaver", ["author", "facilitator_a"])
def test_when_someone_leaves_the_set_the_comments_are_no_longer_read_there(
    app, make, conversation, leaver
):
    """The author leaving ends what they shared there, comments included; a facilitator who
    leaves no longer reads them (nor deletes their own, which stays for the author)."""
    world, said, answered = conversation
    readers = {name: app.test_client() for name in ("facilitator_a", "candidate_a")}
    tokens = {name: sign_in(c, world.people[name]) for name, c in readers.items()}
    with app.app_context():
        db.session.execute(
            delete(Membership).where(
                Membership.user_id == world.people[leaver].id,
                Membership.set_id == world.sets["A"],
            )
        )
        db.session.commit()
    locked_out = ["facilitator_a", "candidate_a"] if leaver == "author" else ["facilitator_a"]
    for name in locked_out:
        _locked_out(app, readers[name], tokens[name], world, said)
    if leaver == "facilitator_a":
        assert said.body in readers["candidate_a"].get(f"/reflections/{world.reflection.id}").text
    author = app.test_client()
    sign_in(author, world.people["author"])
    page = author.get(f"/reflections/{world.reflection.id}").text
    assert said.body in page and answered.body in page


# Writing: Markdown made safe, bad input, the CSRF token ---------------------------------------


@pytest.fixture
def facilitator(app, make):
    """The facilitator of A signed in, about to comment on the author's reflection."""
    world = build_world(app, make, "facilitator")
    client = app.test_client()
    token = sign_in(client, world.people["facilitator_a"])
    return world, client, token


HOSTILE = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<svg onload=alert(1)>",
    "[x](JaVaScRiPt:alert(1))",
    "<iframe src=https://example.org></iframe>",
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_markup_in_a_comment_is_inert(app, facilitator, payload):
    world, client, token = facilitator
    response = client.post(
        f"/reflections/{world.reflection.id}/comments",
        data={"csrf_token": token, "body": f"**Noted.** {payload}"},
    )
    assert response.status_code == 302
    page = parse(client.get(f"/reflections/{world.reflection.id}").text)
    (comment,) = page.select("article", cls="comment")
    assert comment.select("strong")[0].text == "Noted."
    tags = {element.tag for element in comment.iter()}
    assert not tags & {"script", "img", "svg", "iframe"}
    for element in comment.iter():
        assert not any(name.startswith("on") for name in element.attrs)
        assert not element.attrs.get("href", "").lower().startswith(("javascript:", "data:"))


BAD_BODIES = [
    ("", "Write something first: this comment is empty."),
    ("  \r\n\t ", "Write something first: this comment is empty."),
    ("x" * (TEXT_LIMIT + 1), f"Keep this under {TEXT_LIMIT:,} characters (it has 20,001)."),
    ("Before\x00after", "This text contains a null character; remove it."),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES, ids=["empty", "blank", "long", "nul"])
def test_a_bad_comment_is_refused_with_what_was_typed_kept(app, facilitator, body, message):
    world, client, token = facilitator
    before = table_rows(app)
    response = client.post(
        f"/reflections/{world.reflection.id}/comments", data={"csrf_token": token, "body": body}
    )
    assert response.status_code == 400
    page = parse(response.text)
    assert field_errors(page) == {"body": message}
    if "\x00" not in body:
        typed = page.one("textarea", name="body").raw_text
        assert typed.removeprefix("\r\n").removeprefix("\n") == body
    # The reflection is still shown above the form.
    assert world.reflection.experience in response.text
    assert table_rows(app) == before


def test_a_comment_without_its_field_is_refused(app, facilitator):
    world, client, token = facilitator
    before = table_rows(app)
    response = client.post(
        f"/reflections/{world.reflection.id}/comments", data={"csrf_token": token}
    )
    assert response.status_code == 400
    assert table_rows(app) == before


@pytest.mark.parametrize("form", ["comment", "delete"])
def test_commenting_and_deleting_need_the_csrf_token(app, facilitator, make, form):
    world, client, _token = facilitator
    own = make.comment(world.reflection, world.people["facilitator_a"], "Mine.")
    before = table_rows(app)
    if form == "comment":
        path, data = f"/reflections/{world.reflection.id}/comments", {"body": "Hello."}
    else:
        path, data = f"/reflections/{world.reflection.id}/comments/{own.id}/delete", {}
    for sent in (data, {**data, "csrf_token": "not-the-token"}):
        response = client.post(path, data=sent)
        assert response.status_code == 400
        assert "The form expired or was sent from elsewhere" in response.text
    assert table_rows(app) == before


def test_the_author_answers_and_the_page_says_who_wrote_what(app, make, conversation):
    world, said, _answered = conversation
    client = app.test_client()
    token = sign_in(client, world.people["author"])
    page = parse(client.get(f"/reflections/{world.reflection.id}").text)
    form = page.one("form", id="comment-form")
    assert form.one("label").text == "Your answer"
    assert form.one("button").text == "Answer"
    # Who reads it, in the reflection's own plain words.
    assert "facilitators and candidates" in form.one("p", cls="hint").text

    response = client.post(
        f"/reflections/{world.reflection.id}/comments",
        data={"csrf_token": token, "body": "And I will ask them first."},
    )
    assert response.status_code == 302
    new_id = comments_on_ids(app, world.reflection.id)[-1]
    assert response.location.endswith(f"#comment-{new_id}")
    page = parse(client.get(response.location).text)
    assert page.one("p", cls="flash").text == "Answer added."
    shown = [
        (c.one("p", cls="meta").text.split(",")[0], c.one("div", cls="prose").text)
        for c in page.select("article", cls="comment")
    ]
    name = world.people["facilitator_a"].name
    assert shown == [
        (name, said.body),
        ("You", "Who loses out."),
        ("You", "And I will ask them first."),
    ]
    # Delete links only under one's own comments.
    deletable = [
        bool(
            c.select(
                "a", href=f"/reflections/{world.reflection.id}/comments/{c.attrs['id'][8:]}/delete"
            )
        )
        for c in page.select("article", cls="comment")
    ]
    assert deletable == [False, True, True]


def comments_on_ids(app, reflection_id: uuid.UUID) -> list[int]:
    with app.app_context():
        query = select(Comment.id).where(Comment.reflection_id == reflection_id)
        return list(db.session.scalars(query.order_by(Comment.created_at, Comment.id)))


def test_deleting_a_comment_asks_first_then_deletes_only_that_one(app, make, conversation):
    world, said, answered = conversation
    client = app.test_client()
    token = sign_in(client, world.people["facilitator_a"])
    path = f"/reflections/{world.reflection.id}/comments/{said.id}/delete"
    confirm = client.get(path)
    assert confirm.status_code == 200
    assert said.body in confirm.text
    assert comment_count(app) == 2
    response = client.post(path, data={"csrf_token": token})
    assert response.status_code == 302
    assert response.location.endswith(f"/reflections/{world.reflection.id}#comments")
    assert [body for _, body in comments_on(app, world.reflection.id)] == [answered.body]
    # Gone: asking again is "not found", not an error.
    assert client.post(path, data={"csrf_token": token}).status_code == 404


def test_a_comment_on_a_reflection_deleted_meanwhile_is_not_stored(app, conversation):
    """The author deleted it (another request) after the facilitator's page loaded it."""
    world, _said, _answered = conversation
    with app.app_context():
        reflection = db.session.get(Reflection, world.reflection.id)
        facilitator = db.session.get(User, world.people["facilitator_a"].id)
        with db.engine.connect() as other:
            other.execute(delete(Comment).where(Comment.reflection_id == reflection.id))
            other.execute(delete(Reflection).where(Reflection.id == reflection.id))
            other.commit()
        assert comments.add(facilitator, reflection, "Too late.") is None
    assert comment_count(app) == 0


def test_deleting_a_comment_twice_deletes_it_once(app, conversation):
    """Two taps on the button, or two devices: the second finds nothing to do."""
    world, said, answered = conversation
    with app.app_context():
        facilitator = db.session.get(User, world.people["facilitator_a"].id)
        first, second = (db.session.get(Comment, said.id),) * 2
        comments.remove(facilitator, first)
        comments.remove(facilitator, second)
        deleted = db.session.scalar(
            select(func.count()).where(AuditEvent.action == "comment.deleted")
        )
    assert deleted == 1
    assert [body for _, body in comments_on(app, world.reflection.id)] == [answered.body]


# The audit trail -----------------------------------------------------------------------------


def test_writing_and_deleting_a_comment_are_audited_without_its_text(app, facilitator):
    world, client, token = facilitator
    words = f"Private words {uuid.uuid4().hex}"
    client.post(
        f"/reflections/{world.reflection.id}/comments", data={"csrf_token": token, "body": words}
    )
    (comment_id,) = comments_on_ids(app, world.reflection.id)
    client.post(
        f"/reflections/{world.reflection.id}/comments/{comment_id}/delete",
        data={"csrf_token": token},
    )
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.subject_type == "comment").order_by(AuditEvent.id)
        ).all()
        trail = [(e.action, e.actor_id, e.subject_id, e.detail, e.at is not None) for e in events]
        everything = repr([vars(e) for e in db.session.scalars(select(AuditEvent))])
    facilitator_id, detail = (
        world.people["facilitator_a"].id,
        {"reflection_id": str(world.reflection.id)},
    )
    assert trail == [
        ("comment.created", facilitator_id, str(comment_id), detail, True),
        ("comment.deleted", facilitator_id, str(comment_id), detail, True),
    ]
    assert words.split()[-1] not in everything


# Paging ----------------------------------------------------------------------------------------


def test_comments_come_a_page_at_a_time_the_latest_first(app, make, conversation):
    world, said, answered = conversation
    for number in range(5):
        make.comment(
            world.reflection,
            world.people["facilitator_a"],
            f"Later {number}.",
            timedelta(hours=5 - number),
        )
    client = app.test_client()
    sign_in(client, world.people["author"])
    bodies, url, pages = [], f"/reflections/{world.reflection.id}", 0
    while url:
        page = parse(client.get(url).text)
        section = page.one("section", cls="comments")
        bodies.insert(0, [c.one("div", cls="prose").text for c in section.select("article")])
        earlier = [a for a in section.select("a", rel="next") if a.text == "Earlier comments"]
        url = earlier[0].attrs["href"] if earlier else None
        pages += 1
        assert pages < 5
    # Each page reads oldest first; page 1 holds the latest.
    assert bodies == [
        [said.body],
        [answered.body, "Later 0.", "Later 1."],
        ["Later 2.", "Later 3.", "Later 4."],
    ]


# The author is told --------------------------------------------------------------------------


def home_notes(client) -> list[tuple[str, str]]:
    """The home page's note of recent comments: (link text, target) of each."""
    page = parse(client.get("/").text)
    found = page.select("section", aria_labelledby="new-comments")
    if not found:
        return []
    return [(a.text, a.attrs["href"]) for a in found[0].select("a")]


def test_the_author_is_told_of_recent_comments_on_their_home_page(app, make, conversation):
    world, said, _answered = conversation
    people = world.people
    make.comment(world.twin, people["facilitator_a"], "Long ago.", timedelta(NOTE_DAYS + 1))
    newer = [
        make.comment(world.twin, people["facilitator_a"], f"Twin {n}.", timedelta(hours=n))
        for n in range(3)
    ]
    author = app.test_client()
    sign_in(author, people["author"])
    notes = home_notes(author)
    # The three latest of others' comments; not the author's own answer, nor older ones.
    assert [href for _, href in notes] == [
        f"/reflections/{world.twin.id}#comment-{c.id}" for c in newer
    ]
    # Whose comment, on which reflection (its first words).
    assert all(
        text.startswith(people["facilitator_a"].name + "’s comment on “") for text, _ in notes
    )

    with app.app_context():
        db.session.execute(delete(Comment).where(Comment.id.in_([c.id for c in newer])))
        db.session.commit()
    # What is older than NOTE_DAYS is no longer news.
    assert [href for _, href in home_notes(author)] == [
        f"/reflections/{world.reflection.id}#comment-{said.id}"
    ]


@pytest.mark.parametrize("person", ["facilitator_a", "candidate_a"])
def test_only_the_author_is_told(app, conversation, person):
    world, _said, _answered = conversation
    client = app.test_client()
    sign_in(client, world.people[person])
    assert home_notes(client) == []


# A fixed number of queries ---------------------------------------------------------------------


def _many_comments(app, world, number: int = 40) -> None:
    with app.app_context():
        for n in range(number):
            writer = world.people["facilitator_a" if n % 2 else "author"]
            db.session.add(
                Comment(reflection_id=world.reflection.id, author_id=writer.id, body=f"C {n}.")
            )
            db.session.add(
                Comment(reflection_id=world.twin.id, author_id=writer.id, body=f"T {n}.")
            )
        db.session.commit()


@pytest.mark.parametrize(
    ("person", "url"),
    [
        ("author", "/reflections/{id}"),
        ("facilitator_a", "/reflections/{id}"),
        ("candidate_a", "/reflections/{id}"),
        ("author", "/reflections/{id}?comments_page=2"),
        ("author", "/"),
        ("facilitator_a", "/"),
    ],
)
def test_many_comments_cost_no_more_queries_than_one(
    app, make, conversation, count_queries, visit, person, url
):
    world, _said, _answered = conversation
    url = url.format(id=world.reflection.id)
    visitor = visit(world.people[person])

    def queries() -> int:
        with count_queries() as counted:
            assert visitor.get(url).status_code == 200
        return len(counted)

    few = queries()
    _many_comments(app, world)
    assert queries() == few


# The demo --------------------------------------------------------------------------------------


def _demo_reflection_id(app) -> uuid.UUID:
    with app.app_context():
        query = select(Reflection.id).where(Reflection.experience.startswith("I brought my"))
        return db.session.scalars(query).one()


def test_in_the_demo_fran_comments_and_cara_answers(app, browser, demo_people):
    reflection_id = _demo_reflection_id(app)
    cara = browser("cara@example.org", DEMO_PASSWORD)
    page = parse(cara.get(f"/reflections/{reflection_id}").text)
    writers = [
        c.one("p", cls="meta").text.split(",")[0] for c in page.select("article", cls="comment")
    ]
    assert writers == ["Fran Facilitator", "You"]
    assert [text for text, _ in home_notes(cara)] == [
        "Fran Facilitator’s comment on “I brought my problem about a team that avoids giving me…”"
    ]
    fran = browser("fran@example.org", DEMO_PASSWORD)
    assert "Good question." in fran.get(f"/reflections/{reflection_id}").text
    # cal, in the same set, may not read this facilitator-only reflection, nor its comments.
    cal = browser("cal@example.org", DEMO_PASSWORD)
    assert cal.get(f"/reflections/{reflection_id}").status_code == 404
    assert "Good question." not in cal.get("/").text
