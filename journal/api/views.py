"""The JSON API under /api/v1/ for the offline client and integrations (see openapi.py)."""

import uuid
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, jsonify, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import ColumnElement, and_, or_, select

from ..errors import error_response
from ..extensions import csrf, db
from ..http import positive_id
from ..models import Reflection
from ..policy import get_reflection
from ..reflections import saving
from ..reflections.saving import Outcome
from ..sets.meetings import meetings_of, memberships_of
from . import schema
from .openapi import document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Reflections per page of GET /reflections: enough for a phone's sync in a few requests, bounded
# so years of history never come in one answer.
DEFAULT_LIMIT = 100
MAX_LIMIT = 500

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
    """My own reflections, oldest change first, a page at a time.

    Keyset paging on (updated_at, id): no count and no offset, so a page costs the same however
    long the history, and a reflection saved while a client pages through moves to the end
    rather than being skipped.
    """
    query = select(Reflection).where(Reflection.author_id == current_user.id)
    errors: dict[str, str] = {}
    since = request.args.get("updated_since")
    if since is not None:
        moment = _parse_moment(since)
        if moment is None:
            errors["updated_since"] = "invalid"
        else:
            # At or after: a client passing the newest updated_at it holds gets that one again
            # (harmless) rather than missing another saved in the same microsecond.
            query = query.where(Reflection.updated_at >= moment)
    limit = _limit(request.args.get("limit"))
    if limit is None:
        errors["limit"] = f"invalid: a whole number from 1 to {MAX_LIMIT}"
    after = request.args.get("after")
    if after is not None:
        position = schema.parse_cursor(after)
        if position is None:
            errors["after"] = "invalid: use the next link of the page before"
        else:
            query = query.where(_after(*position))
    if errors:
        return error_response(422, "updated_since, limit or after is not valid.", fields=errors)
    rows = list(
        db.session.scalars(query.order_by(Reflection.updated_at, Reflection.id).limit(limit + 1))
    )
    page = rows[:limit]
    following = None
    if len(rows) > limit:
        following = url_for(
            "api.list_reflections",
            updated_since=since,
            limit=limit,
            after=schema.cursor_of(page[-1]),
        )
    return jsonify(reflections=[schema.dump(r) for r in page], next=following)


def _limit(text: str | None) -> int | None:
    if text is None:
        return DEFAULT_LIMIT
    try:
        limit = positive_id(text)
    except ValueError:
        return None
    return limit if limit <= MAX_LIMIT else None


def _after(moment: datetime, reflection_id: uuid.UUID) -> ColumnElement[bool]:
    return or_(
        Reflection.updated_at > moment,
        and_(Reflection.updated_at == moment, Reflection.id > reflection_id),
    )


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
