"""An admin never sees reflection text (SPEC.md: least privilege): every page of the
administration, reached with every id it takes, and every answer to its forms, is searched for
reflections written to be found, in every visibility, linked to meetings and offered as
evidence (their frozen copies too)."""

import uuid

import pytest
from flask import Flask, url_for
from sqlalchemy import select

from journal.evidence import claims
from journal.extensions import db
from journal.models import Criterion, Enrolment, Meeting, Reflection
from tests.helpers import form_token

from .common import plain

MARKER = "Zanzibar-7f3e"


@pytest.fixture
def written(app, demo) -> list[str]:
    """Cara's reflections carrying MARKER in every field and visibility, one offered as
    evidence; returns what must never show: the marker and every reflection id."""
    cara = demo.people["cara"]
    with app.app_context():
        meeting = db.session.scalar(select(Meeting).where(Meeting.set_id == demo.glasgow))
        marked = []
        for visibility in ("private", "facilitator", "set"):
            reflection = Reflection(
                id=uuid.uuid4(),
                author_id=cara.id,
                meeting_id=meeting.id,
                set_id=demo.glasgow,
                visibility=visibility,
                experience=f"{MARKER} experience",
                insight=f"{MARKER} insight",
                next_action=f"{MARKER} next action",
                action_outcome=f"{MARKER} outcome",
            )
            db.session.add(reflection)
            marked.append(reflection)
        db.session.flush()
        enrolment = db.session.get(Enrolment, demo.enrolment)
        criterion = db.session.scalar(select(Criterion))
        claims.offer(marked[1], enrolment, [criterion])
        db.session.commit()
        ids = [str(rid) for rid in db.session.scalars(select(Reflection.id))]
    return [MARKER, *ids]


def admin_pages(app: Flask, demo) -> list[str]:
    """Every GET address of the administration, each with the ids it takes."""
    values = {
        "set_id": demo.glasgow,
        "user_id": demo.people["cara"].id,
        "enrolment_id": demo.enrolment,
        "invitation_id": demo.invitation,
    }
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("admin.") and "GET" in rule.methods:
            with app.test_request_context():
                pages.append(url_for(rule.endpoint, **{a: values[a] for a in rule.arguments}))
    return pages


def test_no_page_of_the_administration_shows_what_anyone_wrote(app, demo, demo_admin, written):
    cara = demo.people["cara"]
    pages = admin_pages(app, demo)
    assert len(pages) >= 13  # every page of the administration, none forgotten
    pages += [
        f"/admin/sets/{demo.glasgow}/members/{cara.id}/move?to={demo.leeds}",
        f"/admin/people/{demo.people['ada'].id}",
        "/admin/people?q=cara",
    ]
    token = form_token(demo_admin)
    answers = {path: demo_admin.get(path) for path in pages}
    posts = [  # (address, form or None for a page read afterwards, status)
        (f"/admin/invitations/{demo.invitation}/resend", {}, 200),
        (
            f"/admin/sets/{demo.glasgow}/members/new",
            {"email": "cara@example.org", "role": "candidate"},
            400,
        ),
        (f"/admin/sets/{demo.glasgow}/members/{cara.id}/move", {"to_set_id": demo.glasgow}, 400),
        (f"/admin/enrolments/{demo.enrolment}/assessor", {"assessor": "ada@example.org"}, 400),
        (f"/admin/sets/{demo.glasgow}/members/{cara.id}/move", {"to_set_id": demo.leeds}, 200),
        (f"/admin/sets/{demo.leeds}/history", None, 200),
        (f"/admin/sets/{demo.leeds}/members/{cara.id}/remove", {}, 200),
        (f"/admin/sets/{demo.glasgow}/history", None, 200),
        (f"/admin/people/{cara.id}", None, 200),
    ]
    for n, (path, form, status) in enumerate(posts):
        if form is None:
            answer = demo_admin.get(path)
        else:
            data = {**form, "csrf_token": token}
            answer = demo_admin.post(path, data=data, follow_redirects=True)
        assert answer.status_code == status, (path, answer.status_code)
        answers[f"{n}: {path}"] = answer

    for path, answer in answers.items():
        assert answer.status_code in (200, 400), (path, answer.status_code)
        shown = plain(answer.text)
        for tell in written:
            assert tell not in answer.text, (path, tell)
            assert tell not in shown, (path, tell)
