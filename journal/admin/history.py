"""A set's history in plain words: who joined, moved, left, and what the set was called.

Membership changes and changes to the set itself are recorded on the set (subject "set"), so
its history is one indexed read of the audit trail, a page at a time. Events hold ids, roles and
set names, never reflection text; names of people and sets are looked up when shown.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, literal, select, union_all

from ..extensions import db
from ..models import AuditEvent, LearningSet, User

COMMAND_LINE = "command line"


def source(actor: User | None) -> dict[str, str]:
    """What an event done without a signed-in person records about where it came from: the
    `flask` commands act as nobody."""
    return {} if actor is not None else {"via": COMMAND_LINE}


def set_events(set_id: int) -> Select[tuple[AuditEvent]]:
    """The set's own events, newest first (a query, for paging)."""
    return (
        select(AuditEvent)
        .where(AuditEvent.subject_type == "set", AuditEvent.subject_id == str(set_id))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


@dataclass
class Line:
    at: datetime
    who: str
    what: str


def _ids(events: list[AuditEvent], *keys: str) -> set[int]:
    found = set()
    for event in events:
        for key in keys:
            value = event.detail.get(key) if isinstance(event.detail, dict) else None
            if isinstance(value, int):
                found.add(value)
    return found


def describe(events: list[AuditEvent], set_id: int) -> list[Line]:
    """Each event as a line: when, by whom, what happened (one query for the names)."""
    people_ids = _ids(events, "user_id") | {e.actor_id for e in events if e.actor_id}
    people, sets = _names(people_ids, _ids(events, "from_set_id", "to_set_id"))
    return [
        Line(event.at, _who(event, people), _what(event, set_id, people, sets)) for event in events
    ]


def _names(people_ids: set[int], set_ids: set[int]) -> tuple[dict[int, str], dict[int, str]]:
    """The names of these people and these sets, in one query (none when there are neither)."""
    if not (people_ids or set_ids):
        return {}, {}
    query = union_all(
        select(User.id, User.name, literal(True).label("person")).where(User.id.in_(people_ids)),
        select(LearningSet.id, LearningSet.name, literal(False)).where(LearningSet.id.in_(set_ids)),
    )
    people: dict[int, str] = {}
    sets: dict[int, str] = {}
    for row_id, name, person in db.session.execute(query):
        (people if person else sets)[row_id] = name
    return people, sets


def _who(event: AuditEvent, people: dict[int, str]) -> str:
    if event.actor_id is not None:
        return people.get(event.actor_id, "a removed account")
    detail = event.detail if isinstance(event.detail, dict) else {}
    return "the command line" if detail.get("via") == COMMAND_LINE else "a removed account"


def _named(names: dict[int, str], key: Any, unknown: str) -> str:
    return names.get(key, unknown) if isinstance(key, int) else unknown


def _what(event: AuditEvent, set_id: int, people: dict[int, str], sets: dict[int, str]) -> str:
    detail: dict[str, Any] = event.detail if isinstance(event.detail, dict) else {}
    person = _named(people, detail.get("user_id"), "a removed account")
    role = detail.get("role", "member")
    match event.action:
        case "set.created":
            return f"Set created as “{detail.get('name', '')}”"
        case "set.changed":
            parts = []
            if "name" in detail.get("fields", []):
                parts.append(f"Renamed from “{detail.get('old_name')}” to “{detail.get('name')}”")
            if "programme" in detail.get("fields", []):
                parts.append("Programme changed")
            return "; ".join(parts) or "Set changed"
        case "membership.added":
            return f"{person} added as {role}"
        case "membership.joined":
            was = f" (was {detail['previous_role']})" if "previous_role" in detail else ""
            return f"{person} joined as {role}, by invitation{was}"
        case "membership.removed":
            return f"{person} removed (was {role})"
        case "membership.moved" if detail.get("from_set_id") == set_id:
            return f"{person} moved to {_named(sets, detail.get('to_set_id'), 'another set')}"
        case "membership.moved":
            origin = _named(sets, detail.get("from_set_id"), "another set")
            return f"{person} moved here from {origin}, as {role}"
        case _:
            return event.action
