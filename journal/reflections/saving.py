"""Writing reflections: validation, versioned saves with conflicts, actions, deletion.

Pages and the API both come here, so the rules are the same whichever way a reflection arrives.
"""

import uuid
from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from enum import Enum

from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..extensions import db
from ..models import (
    TEXT_LIMIT,
    ActionStatus,
    LearningSet,
    Meeting,
    Reflection,
    ReflectionTombstone,
    User,
    Visibility,
    utcnow,
)
from ..sets.meetings import is_candidate, may_link, meeting_set, next_meeting_id
from ..text import unstorable
from . import comments

TEXT_FIELDS = ("experience", "insight", "next_action")
DELETE_ATTEMPTS = 3
# How far each visibility reaches: sharing further needs current membership of the set.
REACH = {Visibility.PRIVATE: 0, Visibility.FACILITATOR: 1, Visibility.SET: 2}


@dataclass
class ReflectionInput:
    experience: str = ""
    insight: str = ""
    next_action: str = ""
    action_due: date | None = None
    action_status: str = ActionStatus.OPEN.value
    action_outcome: str = ""
    meeting_id: int | None = None
    # The audience set: with a meeting, that meeting's set (filled in by with_audience).
    set_id: int | None = None
    visibility: str = Visibility.FACILITATOR.value

    @classmethod
    def of(cls, reflection: Reflection) -> "ReflectionInput":
        return cls(**{f.name: getattr(reflection, f.name) for f in fields(cls)})


# Every writable field, in order: the API's PUT requires each of them.
WRITABLE_FIELDS = tuple(f.name for f in fields(ReflectionInput))


def with_audience(data: ReflectionInput) -> ReflectionInput:
    """`data` with the audience set filled in from its meeting, when it names one and no set."""
    if data.meeting_id is None or data.set_id is not None:
        return data
    return replace(data, set_id=meeting_set(data.meeting_id))


def validate(author: User, data: ReflectionInput, current: Reflection | None = None) -> dict:
    """Field name -> message for everything wrong with `data`; empty when it may be saved."""
    errors = {}
    for name in (*TEXT_FIELDS, "action_outcome"):
        value = getattr(data, name)
        if len(value) > TEXT_LIMIT:
            errors[name] = f"Keep this under {TEXT_LIMIT:,} characters (it has {len(value):,})."
        elif problem := unstorable(value):
            errors[name] = problem
    if not any(getattr(data, name).strip() for name in TEXT_FIELDS):
        errors["experience"] = "Write at least one of experience, insight or next action."
    if data.visibility not in set(Visibility):
        errors["visibility"] = "Choose private, facilitator or set."
    if data.action_status not in set(ActionStatus):
        errors["action_status"] = "Choose open, done, dropped or carried."
    errors.update(_audience_errors(author, data, current))
    return errors


def _audience_errors(author: User, data: ReflectionInput, current: Reflection | None) -> dict:
    """Linking, choosing a set or sharing more widely needs current candidacy of that set;
    keeping what was saved before may stay (it reaches nobody once the author has left)."""
    errors = {}
    keeps_link = current is not None and current.meeting_id == data.meeting_id
    keeps_set = current is not None and current.set_id == data.set_id
    if data.meeting_id is not None:
        if not keeps_link and not may_link(author, data.meeting_id):
            errors["meeting_id"] = "Choose a meeting of one of your sets."
        elif data.set_id != (linked_set := meeting_set(data.meeting_id)):
            name = db.session.get(LearningSet, linked_set).name
            errors["set_id"] = (
                f"Linked to a meeting of {name}, this reflection reaches {name}: choose {name},"
                " or another meeting."
            )
    elif data.set_id is not None and not keeps_set and not is_candidate(author, data.set_id):
        errors["set_id"] = "Choose a set in which you are a candidate."
    widens = current is not None and REACH.get(data.visibility, 0) > REACH[current.visibility]
    if widens and data.set_id is not None and not errors and not is_candidate(author, data.set_id):
        errors["visibility"] = (
            "You are no longer a candidate in this reflection's set, so it cannot be shared"
            " more widely there."
        )
    return errors


class Outcome(Enum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    GONE = "gone"
    NOT_FOUND = "not_found"
    INVALID = "invalid"


@dataclass
class SaveResult:
    outcome: Outcome
    reflection: Reflection | None = None
    errors: dict | None = None


def save(
    author: User,
    reflection_id: uuid.UUID,
    data: ReflectionInput,
    base_version: int | None,
    reviewing: bool = False,
) -> SaveResult:
    """Create or update the author's reflection, never overwriting a version they did not see.

    A request whose content is already what the server holds is a replay (a lost response) and
    is answered as success, not as a conflict. `reviewing`: the author is saying now what came
    of the action (see `carried_to`).
    """
    data = with_audience(data)
    current = _locked(reflection_id)
    if current is None:
        try:
            return _create(author, reflection_id, data, base_version)
        except IntegrityError:
            # The same create arrived twice at once (a retry racing the original): the other
            # one inserted the row first, so answer as for a replay or a conflict.
            db.session.rollback()
            current = _locked(reflection_id)
            if current is None:
                raise
    if current.author_id != author.id:
        return SaveResult(Outcome.NOT_FOUND)
    carried_to = _carried_to(data, current, reviewing)
    moves = carried_to != current.carried_to_meeting_id
    # Carrying an action again, unchanged, moves it on to the next meeting: only from the
    # version the author sees now, never by replaying an old request.
    if ReflectionInput.of(current) == data and not (moves and base_version == current.version):
        replayed_create = base_version is None
        return SaveResult(Outcome.CREATED if replayed_create else Outcome.UNCHANGED, current)
    if base_version != current.version:
        return SaveResult(Outcome.CONFLICT, current)
    errors = validate(author, data, current)
    if errors:
        return SaveResult(Outcome.INVALID, errors=errors)
    # Which fields changed (names, never text): the home page tells an action updated from a
    # reflection rewritten (overview.action_updated).
    changed = [name for name, value in asdict(data).items() if getattr(current, name) != value]
    for name, value in asdict(data).items():
        setattr(current, name, value)
    current.carried_to_meeting_id = carried_to
    current.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        # Another request saved (or deleted) this reflection between our read and our write.
        db.session.rollback()
        winner = db.session.get(Reflection, reflection_id, populate_existing=True)
        return SaveResult(Outcome.CONFLICT, winner) if winner else SaveResult(Outcome.GONE)
    carried = {"carried_to_meeting_id": carried_to} if moves else {}
    audit.record(
        author,
        "reflection.updated",
        "reflection",
        current.id,
        version=current.version,
        changed=changed,
        **carried,
    )
    db.session.commit()
    return SaveResult(Outcome.UPDATED, current)


def _carried_to(data: ReflectionInput, current: Reflection | None, reviewing: bool) -> int | None:
    """The meeting where a carried action is followed up; None for an action not carried.

    Carrying an action links it to its set's next meeting yet to start (None when none is
    scheduled yet). Saved again while still carried, it keeps that link, unless the author is
    reviewing the action and that meeting has started since (or was cancelled): then it is
    carried on to the next one.
    """
    if data.action_status != ActionStatus.CARRIED or data.set_id is None:
        return None
    already = (
        current is not None
        and current.action_status == ActionStatus.CARRIED
        and current.set_id == data.set_id
    )
    if already and not reviewing:
        return current.carried_to_meeting_id
    now = utcnow()
    if already and current.carried_to_meeting_id is not None:
        kept = db.session.get(Meeting, current.carried_to_meeting_id)
        if kept is not None and kept.starts_at > now and kept.cancelled_at is None:
            return kept.id
    return next_meeting_id(data.set_id, now)


def _locked(reflection_id: uuid.UUID) -> Reflection | None:
    """The reflection as committed now, its row locked until commit (FOR UPDATE on PostgreSQL).

    A page may have loaded it earlier in this request. A locking get() would then compare that
    copy's version with the row's and raise StaleDataError when another request saved in between;
    refreshing the copy instead reloads every field, version included, under the lock.
    """
    loaded = db.session.identity_map.get(db.session.identity_key(Reflection, reflection_id))
    if loaded is None:
        return db.session.get(Reflection, reflection_id, with_for_update=True)
    try:
        db.session.refresh(loaded, with_for_update=True)
    except InvalidRequestError:  # "could not refresh": deleted since it was loaded
        return None
    return loaded


def _create(
    author: User, reflection_id: uuid.UUID, data: ReflectionInput, base_version: int | None
) -> SaveResult:
    tombstone = db.session.get(ReflectionTombstone, reflection_id)
    if tombstone is not None and tombstone.author_id != author.id:
        return SaveResult(Outcome.NOT_FOUND)
    if tombstone is not None or base_version is not None:
        # Deleted here (or never seen) while the device edited it: keep the device's copy.
        return SaveResult(Outcome.GONE)
    errors = validate(author, data)
    if errors:
        return SaveResult(Outcome.INVALID, errors=errors)
    now = utcnow()
    reflection = Reflection(
        id=reflection_id,
        author_id=author.id,
        created_at=now,
        updated_at=now,
        carried_to_meeting_id=_carried_to(data, None, reviewing=False),
        **asdict(data),
    )
    db.session.add(reflection)
    audit.record(author, "reflection.created", "reflection", reflection_id, version=1)
    db.session.commit()
    return SaveResult(Outcome.CREATED, reflection)


def delete(author: User, reflection: Reflection) -> None:
    """Delete for good, leaving a tombstone so the id is never silently revived.

    A delete wins over edits saved since `reflection` was read (a device that edits it later gets
    409 with current null and keeps its copy), so the row is re-read, locked, before deleting:
    the versioned DELETE then matches and a concurrent save waits for it. SQLite locks no rows,
    so there another request may still get in between: then read again and decide again.
    """
    reflection_id = reflection.id  # read once: after a rollback the object may be gone
    for attempt in range(DELETE_ATTEMPTS):
        current = _locked(reflection_id)
        if current is None:
            return  # a simultaneous request of the author's deleted it already
        db.session.add(
            ReflectionTombstone(id=current.id, author_id=author.id, version=current.version)
        )
        audit.record(
            author, "reflection.deleted", "reflection", current.id, version=current.version
        )
        db.session.delete(current)
        try:
            # Its comments go with it (this flushes the above first: a clash fails here too).
            comments.delete_all_on(current.id)
            db.session.commit()
            return
        except (IntegrityError, StaleDataError):
            # Deleted (a tombstone already stands) or saved again meanwhile: look once more.
            db.session.rollback()
            if attempt == DELETE_ATTEMPTS - 1:
                raise


def record_action(
    author: User, reflection: Reflection, status: str, outcome: str, base_version: int | None
) -> SaveResult:
    """Mark the action open, done, dropped or carried: a versioned save like any other, so a
    change synced from another device meanwhile is a conflict the person resolves, not a crash."""
    data = replace(ReflectionInput.of(reflection), action_status=status, action_outcome=outcome)
    return save(author, reflection.id, data, base_version, reviewing=True)


def deleted_by(author: User, reflection_id: uuid.UUID) -> bool:
    """Whether `author` deleted this reflection (so a repeated DELETE can succeed quietly)."""
    tombstone = db.session.get(ReflectionTombstone, reflection_id)
    return tombstone is not None and tombstone.author_id == author.id
