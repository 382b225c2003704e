"""The Alembic migrations build exactly the schema the models describe, on every database."""

import uuid
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, insert, inspect, select, text

from journal.extensions import db
from journal.models import (
    ClaimCriterion,
    Criterion,
    Enrolment,
    EvidenceClaim,
    Framework,
    LearningSet,
    Meeting,
    Membership,
    Reflection,
    Unit,
    User,
)
from tests.helpers import TEST_DATABASE_URL, make_app


@pytest.fixture
def empty_database_url(database, tmp_path):
    """A database with nothing in it: a new SQLite file, or a new PostgreSQL schema."""
    if database == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    schema = f"migration_{uuid.uuid4().hex[:8]}"
    engine = create_engine(TEST_DATABASE_URL.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{TEST_DATABASE_URL}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def test_migrations_match_the_models(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert differences == []


def test_migrations_downgrade_to_nothing(empty_database_url):
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    assert tables == set()


def test_the_audience_set_migration_gives_each_reflection_at_most_one_set(empty_database_url):
    """0002 fills in `set_id`: a linked reflection gets its meeting's set; an unlinked one the
    set its author was a candidate in, only when there was exactly one (never guessed, and so
    never wider than before); a candidate nowhere, none."""
    now = datetime.now(UTC)
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0001")
        with db.engine.begin() as connection:
            people = {"one": 1, "two": 2, "none": 3}
            for name, user_id in people.items():
                connection.execute(
                    insert(User.__table__).values(
                        id=user_id,
                        email=f"{name}@example.org",
                        name=name,
                        password_hash="x",
                        is_admin=False,
                        session_token=name,
                        created_at=now,
                    )
                )
            for set_id in (10, 20):
                connection.execute(
                    insert(LearningSet.__table__).values(
                        id=set_id, name=f"Set {set_id}", programme="", created_at=now
                    )
                )
            for user_id, set_id, role in (
                (1, 10, "candidate"),
                (2, 10, "candidate"),
                (2, 20, "candidate"),
                (3, 20, "facilitator"),
            ):
                connection.execute(
                    insert(Membership.__table__).values(
                        set_id=set_id, user_id=user_id, role=role, created_at=now
                    )
                )
            connection.execute(
                insert(Meeting.__table__).values(
                    id=100, set_id=20, starts_at=now, location="", agenda="", created_at=now
                )
            )
            rows = {
                "linked": (2, 100),
                "unlinked, one set": (1, None),
                "unlinked, two sets": (2, None),
                "unlinked, candidate nowhere": (3, None),
            }
            ids = {}
            for key, (author_id, meeting_id) in rows.items():
                ids[key] = uuid.uuid4()
                connection.execute(
                    insert(Reflection.__table__).values(
                        id=ids[key],
                        author_id=author_id,
                        meeting_id=meeting_id,
                        experience=key,
                        visibility="set",
                        created_at=now,
                        updated_at=now,
                    )
                )
        upgrade()
        with db.engine.connect() as connection:
            found = {
                key: connection.scalar(
                    select(Reflection.set_id).where(Reflection.id == reflection_id)
                )
                for key, reflection_id in ids.items()
            }
        db.engine.dispose()
    assert found == {
        "linked": 20,
        "unlinked, one set": 10,
        "unlinked, two sets": None,
        "unlinked, candidate nowhere": None,
    }


def test_the_live_offer_migration_keys_live_claims_and_keeps_earlier_double_submits(
    empty_database_url,
):
    """0011 gives each criterion of a claim not withdrawn its reflection and version offered.
    A criterion claimed twice for one version before (a double submit) keeps the key on the
    earlier claim only, so both claims stay as they were and the constraint can hold."""
    now = datetime.now(UTC)
    reflection_id = uuid.uuid4()
    app = make_app(empty_database_url)
    with app.app_context():
        upgrade(revision="0010")
        with db.engine.begin() as connection:
            for table, values in (
                (User, dict(id=1, email="c@example.org", name="c", password_hash="x",
                            is_admin=False, session_token="c", created_at=now)),
                (Framework, dict(id=1, code="L7", title="L7", created_at=now)),
                (Unit, dict(id=1, framework_id=1, code="1", title="Self", position=0)),
                (Criterion, dict(id=1, unit_id=1, code="1.1", text="One.", position=0)),
                (Criterion, dict(id=2, unit_id=1, code="1.2", text="Two.", position=1)),
                (Enrolment, dict(id=1, candidate_id=1, framework_id=1, created_at=now)),
                (Reflection, dict(id=reflection_id, author_id=1, experience="x", version=3,
                                  visibility="private", created_at=now, updated_at=now)),
            ):  # fmt: skip
                connection.execute(insert(table.__table__).values(**values))
            for claim_id, withdrawn_at in ((1, now), (2, None), (3, None)):
                connection.execute(
                    insert(EvidenceClaim.__table__).values(
                        id=claim_id,
                        enrolment_id=1,
                        reflection_id=reflection_id,
                        frozen_content={"reflection_version": 3},
                        content_sha256="0" * 64,
                        offered_at=now,
                        withdrawn_at=withdrawn_at,
                    )
                )
            for row_id, claim_id, criterion_id in ((1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 3, 2)):
                connection.execute(
                    insert(ClaimCriterion.__table__).values(
                        id=row_id, claim_id=claim_id, criterion_id=criterion_id
                    )
                )
        upgrade()
        with db.engine.connect() as connection:
            keys = dict(
                connection.execute(
                    select(ClaimCriterion.id, ClaimCriterion.live_offer).order_by(ClaimCriterion.id)
                ).all()
            )
        db.engine.dispose()
    key = f"{reflection_id}/3"
    assert keys == {1: None, 2: key, 3: None, 4: key}
