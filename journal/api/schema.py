"""The one serialisation of a reflection for the API: a strict load and one dump.

`load` takes exactly SPEC.md's PUT body. Every writable field is required: a field left out is
a 422 naming it, never a silent reset to a default (that once widened a private reflection's
audience). Unknown fields are refused too, so a typo is not silently ignored.
"""

import base64
import binascii
import re
import uuid
from datetime import UTC, date, datetime
from typing import Any

from ..models import LARGEST_ID, ActionStatus, Reflection, Visibility
from ..reflections.saving import WRITABLE_FIELDS, ReflectionInput
from ..sets.scheduling import out_of_range

TEXTS = ("experience", "insight", "next_action", "action_outcome")
CHOICES = {"visibility": Visibility, "action_status": ActionStatus}
BODY_FIELDS = (*WRITABLE_FIELDS, "base_version")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def dump(reflection: Reflection) -> dict[str, Any]:
    return {
        "id": str(reflection.id),
        "author_id": reflection.author_id,
        "experience": reflection.experience,
        "insight": reflection.insight,
        "next_action": reflection.next_action,
        "action_due": reflection.action_due.isoformat() if reflection.action_due else None,
        "action_status": reflection.action_status,
        "action_outcome": reflection.action_outcome,
        "meeting_id": reflection.meeting_id,
        "set_id": reflection.set_id,
        "visibility": reflection.visibility,
        # Filled in by the server when the action is carried; not part of a PUT body.
        "carried_to_meeting_id": reflection.carried_to_meeting_id,
        "version": reflection.version,
        "created_at": reflection.created_at.isoformat(),
        "updated_at": reflection.updated_at.isoformat(),
    }


def load(body: dict[str, Any]) -> tuple[ReflectionInput, int | None, dict[str, str]]:
    """The input and base version in `body`, and a message per field that is wrong.

    Types only; the rules (lengths, meetings, sets, at least one part) live in saving.validate.
    """
    errors = {name: "Required." for name in BODY_FIELDS if name not in body}
    errors.update({name: "Unknown field." for name in body if name not in BODY_FIELDS})
    values: dict[str, Any] = {}
    for name in BODY_FIELDS:
        if name not in body:
            continue
        value, problem = _parse(name, body[name])
        if problem is None:
            values[name] = value
        else:
            errors[name] = problem
    if errors:
        return ReflectionInput(), None, errors
    base_version = values.pop("base_version")
    return ReflectionInput(**values), base_version, {}


def _parse(name: str, value: object) -> tuple[Any, str | None]:
    if name in TEXTS:
        return (value, None) if isinstance(value, str) else (None, "Must be text.")
    if name in CHOICES:
        allowed = [choice.value for choice in CHOICES[name]]
        # A list or object is not hashable, so test the type before membership.
        if isinstance(value, str) and value in allowed:
            return value, None
        return None, f"Must be one of {', '.join(allowed)}."
    if name == "action_due":
        due = _parse_date(value)
        if value is not None and due is None:
            return None, "Must be a date (YYYY-MM-DD) or null."
        # The writing form's rule (forms.within_years): a meeting's years.
        if due is not None and (problem := out_of_range(due)) is not None:
            return None, problem
        return due, None
    # meeting_id, set_id, base_version
    if value is None or (
        isinstance(value, int) and not isinstance(value, bool) and 0 < value <= LARGEST_ID
    ):
        return value, None
    return None, "Must be a positive whole number or null."


def _parse_date(value: object) -> date | None:
    # Only YYYY-MM-DD, as documented; fromisoformat alone also takes 20240105 and 2024-W01-5.
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def cursor_of(reflection: Reflection) -> str:
    """Where a page of the listing ended: opaque to clients, the last row's sort key to us."""
    position = f"{reflection.updated_at.isoformat()}|{reflection.id}"
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def parse_cursor(text: str) -> tuple[datetime, uuid.UUID] | None:
    """The sort key a cursor names, in UTC, or None when it is not one of ours."""
    try:
        decoded = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, reflection_id = decoded.split("|")
        parsed = datetime.fromisoformat(moment)
        if parsed.tzinfo is None:
            return None
        # Ours are in UTC; 0001-01-01T00:00+05:00 or 9999-12-31T23:59-05:00 is no moment Python
        # holds in UTC (OverflowError), so no cursor of ours: 422, like any other stranger.
        return parsed.astimezone(UTC), uuid.UUID(reflection_id)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        return None
