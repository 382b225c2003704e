"""Pages under concurrency and tampering: nothing typed is lost, nothing answers 500.

Another device (the offline client, a second tab) saves or deletes a reflection while a form
for it is open; a form arrives with a tampered version; two deletes race. Each must end in a
clear page (409 with the text kept, or the right success), on SQLite and PostgreSQL.
"""

import re
import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import OperationalError

from journal.extensions import db
from journal.models import Reflection, ReflectionTombstone
from journal.reflections import saving
from tests.factories import PASSWORD, Factory, stored
from tests.helpers import AuthActions, put_body


class Device:
    """One of Cara's signed-in browsers."""

    def __init__(self, app: Flask, email: str):
        self.client: FlaskClient = app.test_client()
        auth = AuthActions(self.client)
        assert auth.login(email, PASSWORD).status_code == 302
        self.token = auth.csrf()

    def post(self, url: str, data: dict):
        return self.client.post(url, data={"csrf_token": self.token, **data})

    def delete(self, reflection_id):
        return self.client.delete(
            f"/api/v1/reflections/{reflection_id}", headers={"X-CSRFToken": self.token}
        )

    def put(self, reflection: Reflection, **changes):
        return self.client.put(
            f"/api/v1/reflections/{reflection.id}",
            json=put_body(reflection, **changes),
            headers={"X-CSRFToken": self.token},
        )


@pytest.fixture
def cara(make: Factory):
    person = make.user("Cara")
    glasgow = make.set("Glasgow 3", candidates=[person])
    return person, glasgow


@pytest.fixture
def phone(app, cara) -> Device:
    return Device(app, cara[0].email)


@pytest.fixture
def laptop(app, cara) -> Device:
    return Device(app, cara[0].email)


@pytest.fixture
def reflection(make, cara) -> Reflection:
    person, glasgow = cara
    return make.reflection(person, learning_set=glasgow, action_outcome="")


def edit_form(reflection: Reflection, **values) -> dict:
    return {
        "experience": "Typed on the laptop, never to be lost.",
        "insight": reflection.insight,
        "next_action": reflection.next_action,
        "action_due": "",
        "meeting_id": "",
        "set_id": str(reflection.set_id),
        "visibility": reflection.visibility,
        "base_version": str(reflection.version),
        **values,
    }


def reflection_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Reflection))


# The edit form ---------------------------------------------------------------------------------


def test_saving_the_edit_form_of_a_reflection_deleted_meanwhile_keeps_the_text(
    app, phone, laptop, reflection
):
    assert laptop.client.get(f"/reflections/{reflection.id}/edit").status_code == 200
    assert phone.delete(reflection.id).status_code == 204
    answer = laptop.post(f"/reflections/{reflection.id}/edit", edit_form(reflection))
    assert answer.status_code == 409
    assert "deleted on another device" in answer.text
    assert "Typed on the laptop, never to be lost." in answer.text
    # The page offers to save it anew: the form now goes to /reflections/new.
    assert re.search(r'<form method="post"[^>]* action="/reflections/new"', answer.text)
    again = laptop.post("/reflections/new", edit_form(reflection))
    assert again.status_code == 302
    assert reflection_count(app) == 1


def test_someone_elses_deleted_reflection_is_still_a_plain_404(app, make, cara, reflection):
    other = make.user("Other")
    make.set(candidates=[other])
    phone = Device(app, cara[0].email)
    assert phone.delete(reflection.id).status_code == 204
    stranger = Device(app, other.email)
    answer = stranger.post(f"/reflections/{reflection.id}/edit", edit_form(reflection))
    assert answer.status_code == 404
    assert "never to be lost" not in answer.text


@pytest.mark.parametrize("version", ["²", "٣", "99999999999999999999", "", "-1", "1.0", " 1"])
def test_a_tampered_version_on_the_edit_form_is_a_conflict_not_a_500(
    app, laptop, reflection, version
):
    answer = laptop.post(
        f"/reflections/{reflection.id}/edit", edit_form(reflection, base_version=version)
    )
    assert answer.status_code == 409
    assert "Typed on the laptop, never to be lost." in answer.text
    assert stored(app, reflection.id).version == 1


# The action form -------------------------------------------------------------------------------


def action_form(reflection: Reflection, version: str | int = 1, **values) -> dict:
    prefix = f"a{reflection.id.hex}"
    return {
        f"{prefix}-action_status": "done",
        f"{prefix}-action_outcome": "Booked the follow-up; it went well.",
        f"{prefix}-base_version": str(version),
        **{f"{prefix}-{name}": value for name, value in values.items()},
    }


def test_marking_an_action_done_after_another_device_saved_is_a_conflict_keeping_the_outcome(
    app, phone, laptop, reflection
):
    assert phone.put(reflection, insight="Synced from the phone.").status_code == 200
    answer = laptop.post(f"/actions/{reflection.id}", action_form(reflection, version=1))
    assert answer.status_code == 409
    assert "changed on another device" in answer.text
    assert "Booked the follow-up; it went well." in answer.text
    row = stored(app, reflection.id)
    assert (row.action_status, row.insight, row.version) == ("open", "Synced from the phone.", 2)
    # Sending it again, at the version the conflict page now carries, saves it.
    assert f'value="{row.version}"' in answer.text
    again = laptop.post(f"/actions/{reflection.id}", action_form(reflection, version=2))
    assert again.status_code == 302
    row = stored(app, reflection.id)
    assert (row.action_status, row.insight, row.version) == ("done", "Synced from the phone.", 3)


def _competing_update(reflection_id: uuid.UUID) -> bool:
    """Another device's sync, saving version 1 -> 2 on its own connection."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL lock_timeout = 300")
        try:
            connection.execute(
                update(Reflection)
                .where(Reflection.id == reflection_id, Reflection.version == 1)
                .values(insight="Synced meanwhile.", version=2)
            )
            connection.commit()
        except OperationalError:  # PostgreSQL: this request holds the row's lock
            connection.rollback()
            return False
    return True


def test_marking_an_action_done_while_the_reflection_syncs_is_never_a_500(
    app, laptop, reflection, monkeypatch
):
    """The review's StaleDataError: the sync lands between this request's read and write."""
    competitor = {}
    validate = saving.validate

    def validate_while_a_sync_lands(author, data, current=None):
        competitor["got_through"] = _competing_update(reflection.id)
        return validate(author, data, current)

    monkeypatch.setattr(saving, "validate", validate_while_a_sync_lands)
    answer = laptop.post(f"/actions/{reflection.id}", action_form(reflection))
    row = stored(app, reflection.id)
    assert row.version == 2
    if competitor["got_through"]:  # SQLite: the sync won; this is a conflict to resolve
        assert answer.status_code == 409
        assert "Booked the follow-up; it went well." in answer.text
        assert (row.action_status, row.insight) == ("open", "Synced meanwhile.")
    else:  # PostgreSQL: this request held the row; the sync waits and then finds version 2
        assert answer.status_code == 302
        assert row.action_status == "done"


def test_updating_the_action_of_a_reflection_deleted_meanwhile_keeps_the_outcome(
    app, phone, laptop, reflection
):
    assert phone.delete(reflection.id).status_code == 204
    answer = laptop.post(f"/actions/{reflection.id}", action_form(reflection))
    assert answer.status_code == 409
    assert "deleted on another device" in answer.text
    assert "Booked the follow-up; it went well." in answer.text


@pytest.mark.parametrize("version", ["²", "99999999999999999999", ""])
def test_a_tampered_version_on_the_action_form_is_a_conflict(app, laptop, reflection, version):
    answer = laptop.post(f"/actions/{reflection.id}", action_form(reflection, version=version))
    assert answer.status_code == 409
    assert stored(app, reflection.id).action_status == "open"


@pytest.mark.parametrize("outcome", ["before\x00after", "x" * 20_001])
def test_an_outcome_that_cannot_be_stored_is_400_with_the_form_kept(
    app, laptop, reflection, outcome
):
    answer = laptop.post(
        f"/actions/{reflection.id}", action_form(reflection, action_outcome=outcome)
    )
    assert answer.status_code == 400
    assert stored(app, reflection.id).action_status == "open"


# Deleting ------------------------------------------------------------------------------------


def _competing_delete(reflection: Reflection) -> bool:
    """The phone's delete of the same reflection, on its own connection; whether it got through."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL lock_timeout = 300")
        try:
            connection.execute(
                insert(ReflectionTombstone).values(
                    id=reflection.id,
                    author_id=reflection.author_id,
                    version=1,
                    deleted_at=datetime.now(UTC),
                )
            )
            connection.execute(delete(Reflection).where(Reflection.id == reflection.id))
            connection.commit()
        except OperationalError:  # PostgreSQL: this request holds the row's lock
            connection.rollback()
            return False
    return True


def test_two_deletes_at_once_delete_once_and_neither_fails(
    app, laptop, reflection, monkeypatch, database
):
    """The other delete lands between this one's read and its write (SQLite locks no rows)."""
    record = saving.audit.record
    raced = {}

    def record_while_the_other_delete_lands(actor, action, *args, **kwargs):
        if action == "reflection.deleted" and not raced:
            raced["got_through"] = _competing_delete(reflection)
        return record(actor, action, *args, **kwargs)

    monkeypatch.setattr(saving.audit, "record", record_while_the_other_delete_lands)
    answer = laptop.post(f"/reflections/{reflection.id}/delete", {})
    # SQLite: the other got in first, and this one finds it done. PostgreSQL: this one holds
    # the row, the other waits (here: gives up) and would then find it gone.
    assert raced["got_through"] is (database == "sqlite")
    assert answer.status_code == 302
    assert stored(app, reflection.id) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReflectionTombstone)) == 1
