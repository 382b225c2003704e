"""The JSON API under /api/v1/ for the offline client and integrations (see openapi.py)."""

import uuid
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..errors import error_response
from ..extensions import csrf, db
from ..models import Reflection
from ..policy import get_reflection
from ..reflections import saving
from ..reflections.saving import Outcome
from ..sets.meetings import meetings_of, memberships_of
from . import schema
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

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
    return jsonify(reflections=[schema.dump(r) for r in db.session.scalars(query)])


def _parse_moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+14:00 is a moment before the first one Python can hold in UTC, and
        # 9999-12-31T23:59-14:00 one after the last: "since then" means everything, or nothing.
        edge = datetime.min if moment.year == 1 else datetime.max
        return edge.replace(tzinfo=UTC)


def _parse_id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        abort(404)


@bp.get("/reflections/<reflection_id>")
def get_one(reflection_id: str):
    return jsonify(schema.dump(get_reflection(_parse_id(reflection_id))))


def _json_body() -> object:
    """The request's JSON, or None when it is not JSON at all."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        # Nested deeper than Python's parser goes ("[" * 1000 is 1 KB): not a reflection either.
        return None


@bp.put("/reflections/<reflection_id>")
def put(reflection_id: str):
    reflection_uuid = _parse_id(reflection_id)
    body = _json_body()
    if not isinstance(body, dict):
        return error_response(422, "Send a JSON object.", fields={})
    data, base_version, errors = schema.load(body)
    if errors:
        return error_response(422, fields=errors)
    result = saving.save(current_user, reflection_uuid, data, base_version)
    match result.outcome:
        case Outcome.CREATED:
            return jsonify(schema.dump(result.reflection)), 201
        case Outcome.UPDATED | Outcome.UNCHANGED:
            return jsonify(schema.dump(result.reflection)), 200
        case Outcome.CONFLICT:
            return error_response(409, current=schema.dump(result.reflection))
        case Outcome.GONE:
            return error_response(409, "This reflection was deleted on the server.", current=None)
        case Outcome.INVALID:
            return error_response(422, fields=result.errors)
    # Not the author's: 403 to someone who can read it anyway, 404 to everyone else.
    get_reflection(reflection_uuid, check_author=True)
    abort(404)


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
