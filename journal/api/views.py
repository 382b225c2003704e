"""The JSON API under /api/v1/ for the offline client and integrations (see openapi.py)."""

import re
import uuid
from datetime import date, datetime

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..errors import error_response
from ..extensions import csrf, db
from ..models import LARGEST_ID, ActionStatus, Reflection, Visibility
from ..policy import get_reflection
from ..reflections import saving
from ..reflections.saving import Outcome, ReflectionInput
from ..sets.meetings import meetings_of, memberships_of
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

TEXTS = ("experience", "insight", "next_action", "action_outcome")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# CSRF is checked below, after the sign-in check: a client whose session ended must hear 401
# ("sign in again, your queue is kept"), not a CSRF error it cannot act on.
csrf.exempt(bp)


@bp.before_request
def require_login():
    if request.endpoint == "api.openapi":
        return None
    refused = login_required(lambda: None)()
    if refused is not None:
        return refused
    if current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    return None


def reflection_json(reflection: Reflection) -> dict:
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
        "visibility": reflection.visibility,
        "version": reflection.version,
        "created_at": reflection.created_at.isoformat(),
        "updated_at": reflection.updated_at.isoformat(),
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/me")
def me():
    return jsonify(
        id=current_user.id,
        email=current_user.email,
        name=current_user.name,
        is_admin=current_user.is_admin,
        sets=[
            {"id": m.set_id, "name": m.learning_set.name, "role": m.role}
            for m in memberships_of(current_user)
        ],
        csrf_token=generate_csrf(),
    )


@bp.get("/reflections")
def list_reflections():
    query = select(Reflection).where(Reflection.author_id == current_user.id)
    since = request.args.get("updated_since")
    if since is not None:
        moment = _parse_moment(since)
        if moment is None:
            return error_response(
                422,
                "updated_since must be an ISO 8601 date and time with a time zone.",
                fields={"updated_since": "invalid"},
            )
        # At or after: a client passing the newest updated_at it holds gets that one again
        # (harmless) rather than missing another saved in the same microsecond.
        query = query.where(Reflection.updated_at >= moment)
    query = query.order_by(Reflection.updated_at, Reflection.id)
    return jsonify(reflections=[reflection_json(r) for r in db.session.scalars(query)])


def _parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _parse_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        abort(404)


@bp.get("/reflections/<reflection_id>")
def get_one(reflection_id: str):
    return jsonify(reflection_json(get_reflection(_parse_id(reflection_id))))


@bp.put("/reflections/<reflection_id>")
def put(reflection_id: str):
    reflection_uuid = _parse_id(reflection_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return error_response(422, "Send a JSON object.", fields={})
    data, base_version, errors = _parse_reflection(body)
    if errors:
        return error_response(422, fields=errors)
    result = saving.save(current_user, reflection_uuid, data, base_version)
    match result.outcome:
        case Outcome.CREATED:
            return jsonify(reflection_json(result.reflection)), 201
        case Outcome.UPDATED | Outcome.UNCHANGED:
            return jsonify(reflection_json(result.reflection)), 200
        case Outcome.CONFLICT:
            return error_response(409, current=reflection_json(result.reflection))
        case Outcome.GONE:
            return error_response(409, "This reflection was deleted on the server.", current=None)
        case Outcome.INVALID:
            return error_response(422, fields=result.errors)
    # Not the author's: 403 to someone who can read it anyway, 404 to everyone else.
    get_reflection(reflection_uuid, check_author=True)
    abort(404)


def _parse_reflection(body: dict) -> tuple[ReflectionInput, int | None, dict]:
    """Types only; the rules (lengths, meetings, at least one part) live in reflections.py."""
    errors: dict[str, str] = {}
    data = ReflectionInput()
    for name in TEXTS:
        value = body.get(name, "")
        if value is None:
            value = ""
        if isinstance(value, str):
            setattr(data, name, value)
        else:
            errors[name] = "Must be text."
    for name, allowed in (("visibility", Visibility), ("action_status", ActionStatus)):
        value = body.get(name, getattr(data, name))
        # A list or object is not hashable, so test the type before set membership.
        if isinstance(value, str) and value in {v.value for v in allowed}:
            setattr(data, name, value)
        else:
            errors[name] = f"Must be one of {', '.join(v.value for v in allowed)}."
    due = body.get("action_due")
    if due is not None:
        data.action_due = _parse_date(due)
        if data.action_due is None:
            errors["action_due"] = "Must be a date (YYYY-MM-DD) or null."
    data.meeting_id = _optional_integer(body, "meeting_id", errors)
    base_version = _optional_integer(body, "base_version", errors)
    return data, base_version, errors


def _parse_date(value: object) -> date | None:
    # Only YYYY-MM-DD, as documented; fromisoformat alone also takes 20240105 and 2024-W01-5.
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _optional_integer(body: dict, name: str, errors: dict) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= LARGEST_ID:
        errors[name] = "Must be a positive whole number or null."
        return None
    return value


@bp.delete("/reflections/<reflection_id>")
def delete(reflection_id: str):
    reflection_uuid = _parse_id(reflection_id)
    reflection = db.session.get(Reflection, reflection_uuid)
    if reflection is None and saving.deleted_by(current_user, reflection_uuid):
        return "", 204  # a replayed delete: already done
    reflection = get_reflection(reflection_uuid, check_author=True)
    saving.delete(current_user, reflection)
    return "", 204


@bp.get("/meetings")
def list_meetings():
    return jsonify(
        meetings=[
            {
                "id": m.id,
                "set_id": m.set_id,
                "set_name": m.learning_set.name,
                "starts_at": m.starts_at.isoformat(),
                "ends_at": m.ends_at.isoformat() if m.ends_at else None,
                "location": m.location,
            }
            for m in db.session.scalars(meetings_of(current_user))
        ]
    )
