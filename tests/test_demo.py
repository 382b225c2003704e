"""The demo data is exactly SPEC.md's "Demo data" section.

Every account has the password `demo-password`; fran facilitates "Glasgow 3", where cara and cal
are candidates enrolled on the sample Level 7 framework with assessor ada; finn facilitates
"Leeds 1", where lee is a candidate with assessor abe; ada and abe are assessors; admin is the
admin. Both sets have past and upcoming meetings, and a handful of reflections in every
visibility, some offered as evidence, one accepted.
"""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from journal.demo import PASSWORD
from journal.evidence.claims import content_hash, has_accepted
from journal.extensions import db
from journal.models import (
    ClaimComment,
    ClaimCriterion,
    Criterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    Framework,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    Unit,
    User,
    Visibility,
)
from tests.factories import table_rows
from tests.helpers import DEMO_PAGES, demo_page_ids

# SPEC.md's table: email -> (admin?, {set: role})
ACCOUNTS = {
    "admin@example.org": (True, {}),
    "fran@example.org": (False, {"Glasgow 3": "facilitator"}),
    "cara@example.org": (False, {"Glasgow 3": "candidate"}),
    "cal@example.org": (False, {"Glasgow 3": "candidate"}),
    "finn@example.org": (False, {"Leeds 1": "facilitator"}),
    "lee@example.org": (False, {"Leeds 1": "candidate"}),
    "ada@example.org": (False, {}),
    "abe@example.org": (False, {}),
}
# candidate -> assessor
ENROLMENTS = {
    "cara@example.org": "ada@example.org",
    "cal@example.org": "ada@example.org",
    "lee@example.org": "abe@example.org",
}
SAMPLE_FRAMEWORK = "Level 7 Strategic Management and Leadership (sample framework)"


@pytest.mark.parametrize("email", ACCOUNTS)
def test_every_account_signs_in_with_the_demo_password_and_holds_its_roles(
    browser, demo_people, email
):
    is_admin, sets = ACCOUNTS[email]

    me = browser(email, PASSWORD).get("/api/v1/me").json

    assert me["email"] == email
    assert me["is_admin"] is is_admin
    assert {s["name"]: s["role"] for s in me["sets"]} == sets


def test_there_are_exactly_the_eight_accounts_and_two_sets(app, demo_people):
    with app.app_context():
        assert set(db.session.scalars(select(User.email))) == set(ACCOUNTS)
        assert set(db.session.scalars(select(LearningSet.name))) == {"Glasgow 3", "Leeds 1"}
        admins = db.session.scalars(select(User.email).where(User.is_admin))
        assert list(admins) == ["admin@example.org"]
        memberships = {
            (m.user.email, m.learning_set.name, m.role)
            for m in db.session.scalars(select(Membership))
        }
    assert memberships == {
        (email, set_name, role)
        for email, (_admin, sets) in ACCOUNTS.items()
        for set_name, role in sets.items()
    }


def test_the_candidates_are_enrolled_on_the_sample_framework_with_their_assessors(app, demo_people):
    with app.app_context():
        enrolments = db.session.scalars(select(Enrolment)).all()
        enrolled = {e.candidate.email: e.assessor.email for e in enrolments}
        frameworks = {e.framework.title for e in enrolments}
        criteria = db.session.scalars(
            select(Criterion).join(Unit).join(Framework).where(Framework.title == SAMPLE_FRAMEWORK)
        ).all()

    assert enrolled == ENROLMENTS
    assert len(enrolments) == len(ENROLMENTS)
    assert frameworks == {SAMPLE_FRAMEWORK}
    assert len(criteria) > 1


@pytest.mark.parametrize("set_name", ["Glasgow 3", "Leeds 1"])
def test_each_set_has_past_and_upcoming_meetings(app, demo_people, set_name):
    now = datetime.now(UTC)
    with app.app_context():
        starts = db.session.scalars(
            select(Meeting.starts_at).join(LearningSet).where(LearningSet.name == set_name)
        ).all()

    assert any(start < now for start in starts)
    assert any(start > now for start in starts)


def test_there_are_reflections_in_every_visibility_by_candidates_in_their_own_sets(
    app, demo_people
):
    with app.app_context():
        reflections = db.session.scalars(select(Reflection)).all()
        by_visibility = {v.value: [r for r in reflections if r.visibility == v] for v in Visibility}
        for reflection in reflections:
            author_sets = {m.set_id for m in reflection.author.memberships if m.role == "candidate"}
            assert author_sets, reflection.author.email  # written by a candidate
            if reflection.meeting is not None:
                assert reflection.meeting.set_id in author_sets
            assert reflection.experience or reflection.insight or reflection.next_action

    for visibility, written in by_visibility.items():
        assert written, f"no {visibility} reflection"


def test_some_reflections_are_offered_as_evidence_to_the_assigned_assessor(app, demo_people):
    with app.app_context():
        claims = db.session.scalars(select(EvidenceClaim)).all()
        for claim in claims:
            reflection = claim.reflection
            assert claim.enrolment.candidate_id == reflection.author_id
            assert claim.withdrawn_at is None
            assert claim.criteria
            assert {c.criterion.unit.framework_id for c in claim.criteria} == {
                claim.enrolment.framework_id
            }
            # The frozen copy is the reflection as it is, and its hash is the copy's.
            assert claim.frozen_content["experience"] == reflection.experience
            assert claim.content_sha256 == content_hash(claim.frozen_content)
        offered_by = {claim.reflection.author.email for claim in claims}

    assert len(claims) >= 2
    assert len(offered_by) >= 2


def test_exactly_one_criterion_is_accepted_by_the_candidates_assessor(app, demo_people):
    with app.app_context():
        decided = db.session.scalars(
            select(ClaimCriterion).where(ClaimCriterion.decision != Decision.PENDING)
        ).all()
        (accepted,) = decided
        candidate = accepted.claim.enrolment.candidate.email
        decided_by = db.session.get(User, accepted.decided_by_id).email
        pending = db.session.scalars(
            select(ClaimCriterion).where(ClaimCriterion.decision == Decision.PENDING)
        ).all()

    assert accepted.decision == Decision.ACCEPTED
    assert decided_by == ENROLMENTS[candidate]
    assert accepted.feedback
    assert accepted.decided_at is not None
    assert pending  # and the others await a decision


def test_the_evidence_lifecycle_is_under_way(app, browser, demo_people):
    """Cara has a claim with a criterion accepted (and ada's question on the other) and one
    awaiting ada; ada's queue has something; cara's home page tells her of the decision."""
    with app.app_context():
        claims = db.session.scalars(
            select(EvidenceClaim).join(Enrolment).join(User, User.id == Enrolment.candidate_id)
        ).all()
        caras = [c for c in claims if c.enrolment.candidate.email == "cara@example.org"]
        states = sorted(tuple(sorted(cc.decision for cc in c.criteria)) for c in caras)
        asked = [(c.claim_id, c.author.email) for c in db.session.scalars(select(ClaimComment))]
        (accepted,) = (c.id for c in caras if has_accepted(c))
    assert states == [("accepted", "pending"), ("pending",)]
    assert asked == [(accepted, "ada@example.org")]
    ada = browser("ada@example.org", PASSWORD).get("/").text
    assert ada.count('class="card claim"') >= 3  # cara's two and cal's, oldest first
    cara = browser("cara@example.org", PASSWORD).get("/").text
    assert "1 decision and 1 comment on your evidence" in cara


def test_every_page_of_the_benchmark_answers_on_the_demo(app, browser, demo_people):
    """tests/helpers.py's DEMO_PAGES (the benchmark's and the plan tests') all resolve."""
    with app.app_context():
        ids = demo_page_ids()
    assert "None" not in ids.values()
    clients = {}
    for who, url in DEMO_PAGES:
        client = clients.setdefault(who, browser(f"{who}@example.org", PASSWORD))
        assert client.get(url.format(**ids)).status_code == 200, (who, url)


def test_loading_twice_through_the_command_duplicates_nothing(app, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    once = table_rows(app)

    assert runner.invoke(args=["demo"]).exit_code == 0

    assert table_rows(app) == once
    assert len(once["users"]) == len(ACCOUNTS)
