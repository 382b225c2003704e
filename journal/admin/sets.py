"""Creating sets, renaming them and changing their programme, with an audit event for each.

A set's name is unique, ignoring case: "glasgow 3" beside "Glasgow 3" would be two sets nobody
could tell apart on a list. The caller commits.
"""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import LearningSet, User
from .history import source

NAME_LIMIT = LearningSet.name.type.length
PROGRAMME_LIMIT = LearningSet.programme.type.length


class SetError(ValueError):
    """Why a set cannot be created or changed as asked (shown by the name field)."""


def _name_taken(name: str, other_than: int | None = None) -> str | None:
    """The name of another set called `name` (ignoring case), or None."""
    query = select(LearningSet.name).where(func.lower(LearningSet.name) == name.lower())
    if other_than is not None:
        query = query.where(LearningSet.id != other_than)
    return db.session.scalar(query.limit(1))


def _check_name(name: str, other_than: int | None = None) -> None:
    if not name or len(name) > NAME_LIMIT:
        raise SetError(f"Give the set a name of 1 to {NAME_LIMIT} characters.")
    taken = _name_taken(name, other_than)
    if taken is not None:
        raise SetError(f"There is a set called “{taken}” already: choose another name.")


def _flush_or_clash(name: str) -> None:
    """Flush; a set of the same name saved by someone else a moment ago is a clash, not a 500."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise SetError(f"There is a set called “{name}” already: choose another name.") from error


def create_set(actor: User | None, name: str, programme: str = "") -> LearningSet:
    name, programme = name.strip(), programme.strip()
    _check_name(name)
    learning_set = LearningSet(name=name, programme=programme)
    db.session.add(learning_set)
    _flush_or_clash(name)
    audit.record(actor, "set.created", "set", learning_set.id, name=name, **source(actor))
    return learning_set


def change_set(
    actor: User | None, learning_set: LearningSet, name: str, programme: str
) -> list[str]:
    """Rename the set and change its programme; the fields that changed (none: no event)."""
    name, programme = name.strip(), programme.strip()
    _check_name(name, other_than=learning_set.id)
    old_name = learning_set.name
    changed = [
        field
        for field, value in (("name", name), ("programme", programme))
        if getattr(learning_set, field) != value
    ]
    if not changed:
        return changed
    learning_set.name, learning_set.programme = name, programme
    _flush_or_clash(name)
    names = {"old_name": old_name, "name": name} if "name" in changed else {}
    audit.record(
        actor, "set.changed", "set", learning_set.id, fields=changed, **names, **source(actor)
    )
    return changed
