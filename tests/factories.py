"""Rows for tests: people, sets, meetings and reflections, made directly in the database."""

import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from flask import Flask

from journal.auth import accounts
from journal.auth.accounts import hash_password, new_session_token
from journal.extensions import db
from journal.models import Comment, LearningSet, Meeting, Membership, Reflection, User

PASSWORD = "a-long-test-password"
NEW_PASSWORD = "a-good-long-passphrase"  # what an invited person chooses
PASSWORD_HASH = hash_password(PASSWORD)


class Factory:
    """Creates rows and returns them detached but loaded, for their ids and plain fields."""

    def __init__(self, app: Flask):
        self.app = app

    @contextmanager
    def _saving(self):
        with self.app.app_context():
            created: list = []
            yield created
            db.session.add_all(created)
            db.session.commit()
            for row in created:
                db.session.refresh(row)

    def user(self, name: str = "Person", email: str | None = None, is_admin: bool = False) -> User:
        with self._saving() as rows:
            rows.append(
                User(
                    email=email
                    or f"{name.lower().replace(' ', '.')}-{uuid.uuid4().hex[:6]}@example.org",
                    name=name,
                    is_admin=is_admin,
                    password_hash=PASSWORD_HASH,
                    session_token=new_session_token(),
                )
            )
        return rows[0]

    def set(self, name: str | None = None, facilitators=(), candidates=()) -> LearningSet:
        with self._saving() as rows:
            learning_set = LearningSet(name=name or f"Set {uuid.uuid4().hex[:6]}")
            db.session.add(learning_set)
            db.session.flush()
            rows.append(learning_set)
            for role, people in (("facilitator", facilitators), ("candidate", candidates)):
                for person in people:
                    rows.append(Membership(set_id=learning_set.id, user_id=person.id, role=role))
        return rows[0]

    def meeting(
        self, learning_set: LearningSet, days: float = -7, location: str = "Room 1"
    ) -> Meeting:
        with self._saving() as rows:
            rows.append(
                Meeting(
                    set_id=learning_set.id,
                    starts_at=datetime.now(UTC) + timedelta(days=days),
                    location=location,
                )
            )
        return rows[0]

    def reflection(
        self,
        author: User,
        meeting: Meeting | None = None,
        visibility: str = "facilitator",
        age: timedelta = timedelta(0),
        learning_set: LearningSet | None = None,
        **fields,
    ) -> Reflection:
        """A reflection as saving makes it: its audience set is its meeting's set, or, unlinked,
        `learning_set` (None: it reaches its author alone)."""
        moment = datetime.now(UTC) - age
        values = {
            "experience": "What happened.",
            "insight": "What I learned.",
            "next_action": "What I will do.",
            "action_due": date.today() + timedelta(7),
            **fields,
        }
        with self._saving() as rows:
            rows.append(
                Reflection(
                    id=uuid.uuid4(),
                    author_id=author.id,
                    meeting_id=meeting.id if meeting else None,
                    set_id=meeting.set_id if meeting else getattr(learning_set, "id", None),
                    visibility=visibility,
                    created_at=moment,
                    updated_at=moment,
                    **values,
                )
            )
        return rows[0]

    def comment(
        self, reflection: Reflection, author: User, body: str = "A comment.", age=timedelta(0)
    ) -> Comment:
        """A comment on `reflection`, as if `author` had written it `age` ago (made directly:
        whether they may is for the pages to say)."""
        with self._saving() as rows:
            rows.append(
                Comment(
                    reflection_id=reflection.id,
                    author_id=author.id,
                    body=body,
                    created_at=datetime.now(UTC) - age,
                )
            )
        return rows[0]


def stored(app: Flask, reflection_id: uuid.UUID) -> Reflection | None:
    """The reflection as the database holds it now (None once deleted), detached."""
    with app.app_context():
        reflection = db.session.get(Reflection, reflection_id)
        if reflection is not None:
            db.session.expunge(reflection)
        return reflection


def table_rows(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order: compare two to see what a request changed."""
    with app.app_context():
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in db.session.execute(table.select())),
            )
            for table in db.metadata.sorted_tables
        }


def make_invitation(app, email: str, role: str = "candidate", set_id: int | None = None) -> str:
    """An invitation as the `invite` command makes it; returns the token of its link."""
    with app.app_context():
        learning_set = db.session.get(LearningSet, set_id) if set_id else None
        _invitation, token = accounts.invite(email, role, learning_set, invited_by=None)
        db.session.commit()
    return token
