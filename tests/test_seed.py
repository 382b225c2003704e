"""`flask seed --reflections N` and journal/seed.py: realistic data at scale.

Cohorts of sets (6 to 8 candidates, 1 or 2 facilitators, a meeting every 4 weeks), some running
now and some years ago; reflections that keep the audience rule; every visibility and action
state; evidence claims whose hashes verify; years of history for the demo people that change
nothing the demo shows; exactly N seeded reflections, idempotent, topped up on a larger N.
"""

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import joinedload

from journal import seed
from journal.demo import PASSWORD as DEMO_PASSWORD
from journal.evidence import claims
from journal.extensions import db
from journal.models import (
    ActionStatus,
    ClaimCriterion,
    Decision,
    Enrolment,
    EvidenceClaim,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    User,
    Visibility,
)
from journal.reflections import overview
from tests.factories import table_rows
from tests.helpers import make_app

N = 1200  # about three cohorts: one running now, two that ran years ago
SEEDED = f"%@{seed.DOMAIN}"
DAY = timedelta(days=1)
EARLIER = re.compile(r'<p><a [^>]*href="/shared[^"]*">Earlier reflections[^<]*</a></p>')
CSRF_TOKEN = re.compile(r'(name="[^"]*csrf[-_]token"(?: type="hidden")? (?:content|value)=)"[^"]+"')


def seeded(app, count: int = N, **kwargs) -> seed.SeedReport:
    with app.app_context():
        return seed.seed(count, **kwargs)


def count(app, query) -> int:
    with app.app_context():
        return db.session.scalar(query)


def seeded_ids(app) -> set:
    with app.app_context():
        return set(
            db.session.scalars(
                select(Reflection.id)
                .join(User, User.id == Reflection.author_id)
                .where(User.email.like(SEEDED))
            )
        )


# How many, and idempotence -------------------------------------------------------------


def test_seeding_reaches_exactly_n_and_a_second_run_adds_nothing(app):
    report = seeded(app)

    assert report.before == 0
    assert report.reflections == N
    assert report.inserted["reflections"] == N  # no demo, so no history
    assert report.demo_history is None
    assert len(seeded_ids(app)) == N
    before = table_rows(app)

    again = seeded(app)

    assert again.before == N
    assert again.rows == 0
    assert table_rows(app) == before


def test_a_larger_n_tops_up_to_n_with_the_rows_a_single_run_would_make(app, tmp_path):
    now = datetime.now(UTC)
    seeded(app, 500, now=now)
    first = seeded_ids(app)

    report = seeded(app, 1700, now=now)

    assert report.before == 500
    assert report.reflections == 1200
    assert first < seeded_ids(app)
    assert len(seeded_ids(app)) == 1700
    # Deterministic: one run of 1700 (on SQLite, whatever the database above) makes the same.
    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite'}")
    with other.app_context():
        db.create_all()
    seeded(other, 1700, now=now)
    assert seeded_ids(other) == seeded_ids(app)
    with other.app_context():
        db.engine.dispose()


def test_a_smaller_n_removes_nothing(app):
    seeded(app, 700)

    report = seeded(app, 300)

    assert report.rows == 0
    assert len(seeded_ids(app)) == 700


def test_zero_adds_no_seeded_rows_and_a_negative_number_is_refused(app):
    assert seeded(app, 0).rows == 0
    assert count(app, select(func.count()).select_from(User)) == 0
    with pytest.raises(ValueError, match="negative"), app.app_context():
        seed.seed(-1)


# What is built -------------------------------------------------------------------------


def test_every_reflection_keeps_the_audience_rule(app, demo_people):
    seeded(app)
    violations = {
        "linked, but its set is not its meeting's": """
            SELECT count(*) FROM reflections r JOIN meetings m ON m.id = r.meeting_id
            WHERE r.set_id IS NULL OR r.set_id != m.set_id""",
        "its author is not a candidate of its set": """
            SELECT count(*) FROM reflections r WHERE r.set_id IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM memberships ms WHERE ms.set_id = r.set_id
                AND ms.user_id = r.author_id AND ms.role = 'candidate')""",
        "version below 1": "SELECT count(*) FROM reflections WHERE version < 1",
        "updated before created": "SELECT count(*) FROM reflections WHERE updated_at < created_at",
        "unlinked, shared, without a set": """
            SELECT count(*) FROM reflections
            WHERE meeting_id IS NULL AND set_id IS NULL AND visibility != 'private'""",
        "a seeded action without a due date": """
            SELECT count(*) FROM reflections r JOIN users u ON u.id = r.author_id
            WHERE u.email LIKE '%@seed.example.org'
            AND r.next_action != '' AND r.action_due IS NULL""",
    }
    with app.app_context():
        found = {name: db.session.scalar(text(sql)) for name, sql in violations.items()}
        times = db.session.execute(
            select(Reflection.created_at, Reflection.updated_at, Meeting.starts_at).join(
                Meeting, Meeting.id == Reflection.meeting_id
            )
        ).all()
        total = db.session.scalar(select(func.count()).select_from(Reflection))
    assert found == dict.fromkeys(violations, 0)
    assert total > N  # the demo's reflections and its people's history were checked too
    now = datetime.now(UTC)
    # Written after its meeting, within the week (the demo's own within two days).
    assert all(starts <= created <= starts + 7 * DAY for created, _, starts in times)
    assert all(created <= updated <= now for created, updated, _ in times)


def test_every_visibility_and_action_state_is_there_with_outcomes_and_versions(app):
    seeded(app)

    with app.app_context():
        rows = db.session.execute(
            select(
                Reflection.visibility,
                Reflection.action_status,
                Reflection.action_outcome,
                Reflection.version,
                Reflection.created_at,
                Reflection.updated_at,
                Reflection.meeting_id,
                Reflection.set_id,
                Reflection.experience,
                Reflection.insight,
            )
        ).all()
    assert {r.visibility for r in rows} == {v.value for v in Visibility}
    assert {r.action_status for r in rows} == {s.value for s in ActionStatus}
    closed = [r for r in rows if r.action_status != ActionStatus.OPEN]
    assert all(r.action_outcome and r.version >= 2 and r.updated_at > r.created_at for r in closed)
    unlinked = [r for r in rows if r.meeting_id is None]
    assert 0 < len(unlinked) < len(rows) / 5
    assert {r.set_id is None for r in unlinked} == {True, False}  # private ones reach no set
    text_ = " ".join(r.experience + r.insight for r in rows)
    for markdown in ("**", "*", "\n- ", "\n1. ", "](https://", "\u2019", "\u201c", "é", "ï"):
        assert markdown in text_, markdown
    sizes = [len((r.experience + r.insight).encode()) for r in rows]
    assert 100 < sum(sizes) / len(sizes) < 1000


def test_sets_have_six_to_eight_candidates_one_or_two_facilitators_and_meet_every_4_weeks(app):
    seeded(app)

    with app.app_context():
        sets = db.session.scalars(select(LearningSet).where(LearningSet.name.like("Cohort %")))
        shapes = []
        for learning_set in sets:
            roles = Counter(m.role for m in learning_set.memberships)
            starts = [m.starts_at for m in learning_set.meetings]
            gaps = {round((b - a) / DAY) for a, b in pairwise(starts)}
            shapes.append((learning_set.name, roles, gaps))
    assert len(shapes) >= 6
    for name, roles, gaps in shapes:
        assert re.fullmatch(r"Cohort \d{4} · Set \d", name)
        assert 6 <= roles["candidate"] <= 8, name
        assert 1 <= roles["facilitator"] <= 2, name
        assert gaps == {28}, name


def test_some_sets_meet_now_and_others_met_years_ago(app):
    seeded(app)
    now = datetime.now(UTC)
    in_cohorts = Meeting.set_id.in_(select(LearningSet.id).where(LearningSet.name.like("Cohort %")))

    def meetings(*conditions) -> int:
        return count(app, select(func.count()).select_from(Meeting).where(in_cohorts, *conditions))

    def reflections(*conditions) -> int:
        return count(app, select(func.count()).select_from(Reflection).where(*conditions))

    assert meetings(Meeting.starts_at > now - 28 * DAY, Meeting.starts_at <= now) >= 3
    assert meetings(Meeting.starts_at > now) >= 3
    assert reflections(Reflection.created_at > now - 28 * DAY) >= 10
    assert reflections(Reflection.created_at < now - 2 * 365 * DAY) >= 100
    assert reflections(Reflection.created_at > now, Reflection.updated_at > now) == 0


def test_seeded_people_sign_in_with_the_demo_password_and_have_tokens_of_their_own(app, browser):
    seeded(app, 300)
    with app.app_context():
        email = db.session.scalar(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(User.email.like(SEEDED), Membership.role == "candidate")
            .order_by(User.email)
        )
        tokens = db.session.execute(select(func.count(User.session_token.distinct()), func.count()))
        distinct, users = tokens.one()

    me = browser(email, DEMO_PASSWORD).get("/api/v1/me").json

    assert me["email"] == email
    assert [s["role"] for s in me["sets"]] == ["candidate"]
    assert distinct == users > 30


def test_evidence_claims_freeze_copies_whose_hashes_verify_with_decisions_of_every_kind(app):
    seeded(app)

    with app.app_context():
        claimed = db.session.scalars(select(EvidenceClaim)).all()
        assert len(claimed) >= 20
        for claim in claimed:
            assert claims.content_hash(claim.frozen_content) == claim.content_sha256
            assert claim.frozen_content == claims.frozen_copy(claim.reflection, claim.offered_at)
            assert claim.enrolment.candidate_id == claim.reflection.author_id
            assert claim.offered_at >= claim.reflection.updated_at
            assert claim.criteria
        decisions = db.session.execute(
            select(ClaimCriterion, Enrolment.assessor_id, EvidenceClaim.offered_at)
            .join(EvidenceClaim, EvidenceClaim.id == ClaimCriterion.claim_id)
            .join(Enrolment, Enrolment.id == EvidenceClaim.enrolment_id)
        ).all()
    assert {d.decision for d, _, _ in decisions} == {d.value for d in Decision}
    for decision, assessor_id, offered_at in decisions:
        if decision.decision == Decision.PENDING:
            assert (decision.feedback, decision.decided_by_id, decision.decided_at) == (
                "",
                None,
                None,
            )
        else:
            assert decision.feedback
            assert decision.decided_by_id == assessor_id is not None
            assert decision.decided_at > offered_at


# The demo people's history ---------------------------------------------------------------


def test_the_demo_people_get_years_of_earlier_meetings_and_reflections_once(app, demo_people):
    with app.app_context():
        first = {  # the demo's first meeting of each set
            name: db.session.scalar(
                select(func.min(Meeting.starts_at))
                .join(LearningSet)
                .where(LearningSet.name == name)
            )
            for name in ("Glasgow 3", "Leeds 1")
        }

        demo_ids = set(db.session.scalars(select(Reflection.id)))

    report = seeded(app, 0)

    def history(person: str) -> list[Reflection]:
        with app.app_context():
            written = db.session.scalars(
                select(Reflection)
                .where(Reflection.author_id == demo_people[person].id)
                .options(joinedload(Reflection.learning_set))
            )
            return [r for r in written if r.id not in demo_ids]

    assert report.demo_history == report.inserted["reflections"] > 150
    for person, set_name, at_least in (
        ("cara", "Glasgow 3", 60),
        ("cal", "Glasgow 3", 50),
        ("lee", "Leeds 1", 50),
    ):
        written = history(person)
        in_set = [r for r in written if r.learning_set and r.learning_set.name == set_name]
        assert len(in_set) >= at_least, person
        for reflection in written:
            # Older than anything the demo shows, and no action left open to crowd its own.
            assert reflection.updated_at < first[set_name]
            if reflection.next_action:
                assert reflection.action_status in {ActionStatus.DONE, ActionStatus.DROPPED}
                assert reflection.action_due is not None
    with app.app_context():
        glasgow = db.session.scalars(
            select(Meeting.starts_at)
            .join(LearningSet)
            .where(LearningSet.name == "Glasgow 3")
            .order_by(Meeting.starts_at)
        ).all()
    assert len(glasgow) == 4 + 65
    assert glasgow[0] < first["Glasgow 3"] - 4 * 365 * DAY
    # Every 4 weeks at the same local time (an hour either way in UTC across summer time).
    gaps = {b - a for a, b in pairwise(glasgow[:66])}
    assert gaps <= {28 * DAY - timedelta(hours=1), 28 * DAY, 28 * DAY + timedelta(hours=1)}
    before = table_rows(app)

    again = seeded(app, 0)

    assert again.demo_history == 0
    assert table_rows(app) == before


def without_earlier(page: str) -> str:
    """The page without its link to earlier reflections, white space collapsed."""
    return " ".join(EARLIER.sub("", page).split())


def test_the_demo_home_pages_and_open_actions_show_what_they_showed_before(
    app, demo_people, browser
):
    people = ("fran", "finn", "cara", "cal", "lee")

    def home_pages() -> dict[str, str]:
        shown = {}
        for person in people:
            page = browser(f"{person}@example.org", DEMO_PASSWORD).get("/")
            assert page.status_code == 200
            shown[person] = CSRF_TOKEN.sub(r"\1", page.text)  # a token per session
        return shown

    def open_actions() -> dict[str, list]:
        with app.app_context():
            return {
                person: db.session.scalars(
                    overview.open_actions(demo_people[person])
                    .with_only_columns(Reflection.id)
                    .order_by(*overview.SOONEST_DUE)
                ).all()
                for person in people
            }

    pages, actions = home_pages(), open_actions()

    seeded(app, 600)

    after = home_pages()
    # The facilitators' pages, "since the last meeting" and all, are exactly as they were.
    assert after["fran"] == pages["fran"]
    assert after["finn"] == pages["finn"]
    assert "Shared with you" in after["fran"]
    # A candidate's page may now link to the earlier reflections of the set; nothing else moves.
    for person in ("cara", "cal", "lee"):
        assert without_earlier(after[person]) == without_earlier(pages[person]), person
    assert open_actions() == actions


# The command ----------------------------------------------------------------------------


def test_the_command_shows_progress_and_says_what_it_inserted_and_how_long_it_took(app, runner):
    result = runner.invoke(args=["seed", "--reflections", "800"])

    assert result.exit_code == 0, result.output
    assert "Seeding reflections" in result.output  # click's progress bar (its label off a tty)
    assert "Seeded reflections: 0 before, 800 added." in result.output
    assert re.search(r"^Inserted \d+ rows in \d+\.\d s \(.*800 reflections", result.output, re.M)
    assert "The demo data is not loaded" in result.output
    assert f"password {DEMO_PASSWORD}" in result.output

    again = runner.invoke(args=["seed", "--reflections", "800", "--quiet"])

    assert again.exit_code == 0, again.output
    assert "There are 800 seeded reflections already (asked for 800): none added." in again.output
    assert "Inserted 0 rows" in again.output
    assert "Seeding reflections" not in again.output
    assert len(seeded_ids(app)) == 800


def test_the_command_adds_the_demo_history_when_the_demo_is_loaded(app, runner):
    runner.invoke(args=["demo"])

    result = runner.invoke(args=["seed", "--reflections", "0"])

    assert result.exit_code == 0, result.output
    assert re.search(r"^Demo people's history: \d{3} reflections added\.$", result.output, re.M)
    again = runner.invoke(args=["seed", "--reflections", "0"])
    assert "The demo people's history is there already." in again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["seed", "--reflections", "-1"], "-1 is not in the range x>=0"),
        (["seed", "--reflections", "many"], "'many' is not a valid integer"),
        (["seed"], "Missing option '--reflections'"),
    ],
)
def test_the_command_refuses_a_number_of_reflections_that_is_not_one(app, runner, args, message):
    result = runner.invoke(args=args)

    assert result.exit_code == 2
    assert message in result.output
    assert count(app, select(func.count()).select_from(User)) == 0


def test_on_a_database_without_tables_the_command_says_to_migrate_first(tmp_path):
    empty = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")

    result = empty.test_cli_runner().invoke(args=["seed", "--reflections", "10"])

    assert result.exit_code == 1
    assert "run `flask --app wsgi db upgrade` first" in result.output
    assert "Traceback" not in result.output
