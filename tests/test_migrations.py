"""The Alembic migrations build exactly the schema the models describe, on every database."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from journal.extensions import db
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
