"""`flask --app wsgi backup PATH` (journal/backup.py) and the restore README documents: what
was there at the backup is what a restore gives back, on SQLite and on PostgreSQL; a refusal
says why in one line and leaves nothing behind."""

import shutil
import subprocess
from pathlib import Path

from flask import Flask
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url

from journal.extensions import db
from journal.models import Reflection, User
from tests.helpers import TEST_DATABASE_URL, make_app

BEFORE = "Written before the backup."
AFTER = "Changed after the backup."


def restore_sqlite(app: Flask, backup: Path) -> str:
    """README: stop the app, copy the backup over the database file."""
    with app.app_context():
        db.engine.dispose()
        database = db.engine.url.database
    shutil.copyfile(backup, database)
    return f"sqlite:///{database}"


def restore_postgresql(_app: Flask, backup: Path) -> str:
    """README: into a new, empty database, `pg_restore --clean --if-exists --no-owner`."""
    url = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    fresh = url.set(database=f"{url.database}_restored")
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{fresh.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{fresh.database}"'))
    server.dispose()
    address = fresh.set(drivername="postgresql").render_as_string(hide_password=False)
    pg_restore = shutil.which("pg_restore")
    assert pg_restore, "the PostgreSQL tests need PostgreSQL's client tools"
    subprocess.run(  # noqa: S603 (the test's own arguments)
        [pg_restore, "--clean", "--if-exists", "--no-owner", f"--dbname={address}", backup],
        check=True,
        capture_output=True,
    )
    return fresh.render_as_string(hide_password=False)


RESTORE = {"sqlite": restore_sqlite, "postgresql": restore_postgresql}


def test_a_restored_backup_holds_what_was_there_when_it_was_taken(
    app, runner, make, database, tmp_path
):
    cara = make.user("Cara")
    make.reflection(cara, experience=BEFORE)
    backup = tmp_path / "journal.backup"

    result = runner.invoke(args=["backup", str(backup)])

    assert result.exit_code == 0, result.output
    assert result.output == f"Backed up to {backup}.\n"
    with app.app_context():
        db.session.execute(update(Reflection).values(experience=AFTER))
        db.session.commit()
    make.user("Late")

    restored = create_engine(RESTORE[database](app, backup))
    try:
        with restored.connect() as connection:
            texts = connection.scalars(select(Reflection.experience)).all()
            names = connection.scalars(select(User.name)).all()
    finally:
        restored.dispose()
    assert texts == [BEFORE]
    assert names == ["Cara"]


def test_a_backup_never_overwrites_a_file(app, runner, tmp_path):
    backup = tmp_path / "journal.backup"
    backup.write_text("last night's")

    result = runner.invoke(args=["backup", str(backup)])

    assert result.exit_code == 1
    assert result.output == (
        f"Error: {backup} already exists: choose a new name, or remove it first.\n"
    )
    assert backup.read_text() == "last night's"


def test_a_backup_into_a_missing_folder_is_refused(app, runner, tmp_path):
    result = runner.invoke(args=["backup", str(tmp_path / "missing" / "journal.backup")])

    assert result.exit_code == 1
    assert result.output == f"Error: {tmp_path / 'missing'} is not a folder.\n"


def test_postgresql_without_pg_dump_is_refused_in_one_line(tmp_path, monkeypatch):
    app = make_app("postgresql://postgres@127.0.0.1:1/journal")
    monkeypatch.setenv("PATH", str(tmp_path))
    backup = tmp_path / "journal.backup"

    result = app.test_cli_runner().invoke(args=["backup", str(backup)])

    assert result.exit_code == 1
    assert result.output.startswith("Error: pg_dump is not on PATH: install PostgreSQL's")
    assert result.output.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_a_failed_pg_dump_says_why_and_leaves_no_file(tmp_path):
    app = make_app("postgresql://postgres:hidden-password@127.0.0.1:1/journal")
    backup = tmp_path / "journal.backup"

    result = app.test_cli_runner().invoke(args=["backup", str(backup)])

    assert result.exit_code == 1
    assert result.output.startswith("Error: pg_dump failed: ")
    assert result.output.count("\n") == 1
    assert "hidden-password" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_sqlite_with_no_database_file_is_refused(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'nothing.sqlite'}")

    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")])

    assert result.output == f"Error: There is no database at {tmp_path / 'nothing.sqlite'}.\n"
    assert not (tmp_path / "b").exists()
