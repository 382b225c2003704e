"""The OpenAPI 3 description of /api/v1/, served at /api/v1/openapi.json."""

from typing import Any

from ..models import LARGEST_ID, TEXT_LIMIT, ActionStatus, Visibility

TEXT = {"type": "string", "maxLength": TEXT_LIMIT}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
MOMENT = {"type": "string", "format": "date-time"}

REFLECTION_FIELDS: dict[str, Any] = {
    "experience": TEXT,
    "insight": TEXT,
    "next_action": TEXT,
    "action_due": NULLABLE_DATE,
    "action_status": {"type": "string", "enum": [s.value for s in ActionStatus]},
    "action_outcome": TEXT,
    "meeting_id": {"type": ["integer", "null"], "minimum": 1, "maximum": LARGEST_ID},
    "set_id": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": LARGEST_ID,
        "description": "The audience set, fixed when saved: with a meeting, that meeting's set"
        " (null is filled in); without one, a set where the author is a candidate, or null for"
        " none (then only the author reads it).",
    },
    "visibility": {"type": "string", "enum": [v.value for v in Visibility]},
}

SCHEMAS: dict[str, Any] = {
    "Reflection": {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "author_id",
            *REFLECTION_FIELDS,
            "carried_to_meeting_id",
            "version",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "author_id": {"type": "integer"},
            **REFLECTION_FIELDS,
            "carried_to_meeting_id": {
                "type": ["integer", "null"],
                "readOnly": True,
                "description": "Read only, filled in by the server: while action_status is"
                " `carried`, the meeting of the reflection's set where the action is followed"
                " up (the next one when it was carried; null when none was scheduled). Not part"
                " of a PUT body.",
            },
            "version": {"type": "integer", "minimum": 1},
            "created_at": MOMENT,
            "updated_at": MOMENT,
        },
    },
    "ReflectionWrite": {
        "type": "object",
        "description": "Every field is required: one left out is a 422 naming it, never reset to"
        " a default. At least one of experience, insight and next_action must be non-empty.",
        "additionalProperties": False,
        "required": [*REFLECTION_FIELDS, "base_version"],
        "properties": {
            **REFLECTION_FIELDS,
            "base_version": {
                "type": ["integer", "null"],
                "minimum": 1,
                "maximum": LARGEST_ID,
                "description": "The version this edit starts from; null to create.",
            },
        },
    },
    "Error": {
        "type": "object",
        "additionalProperties": False,
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string"},
            "status": {"type": "integer"},
            "fields": {
                "description": "With 422: a message for each invalid field, by field name.",
                "type": "object",
                "additionalProperties": {"type": "string"},
            },
            "reason": {
                "description": "With 400: `csrf` for a missing or wrong token. With 403:"
                " `storage` when X-Journal-Storage names someone other than the person"
                " signed in. With 503: `unavailable` while the database cannot be reached (try"
                " again after the Retry-After header's seconds).",
                "type": "string",
                "enum": ["csrf", "storage", "unavailable"],
            },
        },
    },
    "Conflict": {
        "type": "object",
        "additionalProperties": False,
        "required": ["error", "status", "current"],
        "properties": {
            "error": {"type": "string"},
            "status": {"type": "integer"},
            "current": {
                "description": "The server's copy; null when it was deleted on the server.",
                "oneOf": [{"$ref": "#/components/schemas/Reflection"}, {"type": "null"}],
            },
        },
    },
    "Me": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "email", "name", "is_admin", "sets", "csrf_token"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string"},
            "name": {"type": "string"},
            "is_admin": {"type": "boolean"},
            "sets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["id", "name", "role"],
                    "properties": {
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "role": {"type": "string", "enum": ["candidate", "facilitator"]},
                    },
                },
            },
            "csrf_token": {"type": "string"},
        },
    },
    "Meeting": {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "set_id", "set_name", "starts_at", "ends_at", "location"],
        "properties": {
            "id": {"type": "integer"},
            "set_id": {"type": "integer"},
            "set_name": {"type": "string"},
            "starts_at": MOMENT,
            "ends_at": {"type": ["string", "null"], "format": "date-time"},
            "location": {"type": "string"},
        },
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


ERROR_401 = _json(_ref("Error"), "Not signed in")
ERROR_404 = _json(_ref("Error"), "No such reflection, or not yours to see")
ERROR_500 = _json(_ref("Error"), "Something went wrong on the server (no details are given)")
ERROR_503 = {
    **_json(
        _ref("Error"),
        "The database cannot be reached just now (reason: unavailable); a write's outcome is"
        " then unknown, and sending the same request again is safe",
    ),
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer"},
        }
    },
}
CSRF_ERROR = _json(_ref("Error"), "Missing or wrong CSRF token (reason: csrf)")
ID_PARAMETER = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
CSRF_PARAMETER = {
    "name": "X-CSRFToken",
    "in": "header",
    "required": True,
    "schema": {"type": "string"},
    "description": "The token from GET /api/v1/me or the page's csrf-token meta tag.",
}


STORAGE_PARAMETER = {
    "name": "X-Journal-Storage",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "Whose queue on the device this comes from (the offline client sends the"
    " page's journal-storage name): refused with 403, reason `storage`, when someone else is"
    " signed in.",
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Set Journal API",
            "version": "1",
            "description": "Signed in with the session cookie of the web app. Every request that"
            " changes state carries the CSRF token in the X-CSRFToken header.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"}},
        },
        "security": [{"session": []}],
        "paths": {
            "/api/v1/me": {
                "get": {
                    "summary": "Who I am, my sets, and a CSRF token",
                    "responses": {
                        "200": _json(_ref("Me"), "Me"),
                        "401": ERROR_401,
                        "500": ERROR_500,
                        "503": ERROR_503,
                    },
                }
            },
            "/api/v1/reflections": {
                "get": {
                    "summary": "My own reflections, optionally only those changed since a time,"
                    " oldest change first, a page at a time: follow `next` until it is null",
                    "parameters": [
                        {
                            "name": "updated_since",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "format": "date-time"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "description": "Reflections per page (default 100).",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                        },
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "description": "Where the page before ended: take it from `next`.",
                            "schema": {"type": "string"},
                        },
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["reflections", "next"],
                                "additionalProperties": False,
                                "properties": {
                                    "reflections": {"type": "array", "items": _ref("Reflection")},
                                    "next": {
                                        "type": ["string", "null"],
                                        "description": "The address of the next page; null on"
                                        " the last.",
                                    },
                                },
                            },
                            "My reflections, oldest change first",
                        ),
                        "401": ERROR_401,
                        "500": ERROR_500,
                        "503": ERROR_503,
                        "422": _json(_ref("Error"), "updated_since, limit or after is not valid"),
                    },
                }
            },
            "/api/v1/reflections/{id}": {
                "parameters": [ID_PARAMETER],
                "get": {
                    "summary": "One reflection I may read",
                    "responses": {
                        "200": _json(_ref("Reflection"), "The reflection"),
                        "401": ERROR_401,
                        "500": ERROR_500,
                        "503": ERROR_503,
                        "404": ERROR_404,
                    },
                },
                "put": {
                    "summary": "Create (base_version null) or update my reflection",
                    "parameters": [CSRF_PARAMETER, STORAGE_PARAMETER],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ReflectionWrite")}},
                    },
                    "responses": {
                        "200": _json(_ref("Reflection"), "Updated (or a replay of an update)"),
                        "201": _json(_ref("Reflection"), "Created (or a replay of the creation)"),
                        "400": CSRF_ERROR,
                        "401": ERROR_401,
                        "500": ERROR_500,
                        "503": ERROR_503,
                        "403": _json(
                            _ref("Error"),
                            "Readable by me, but not mine to change; or X-Journal-Storage"
                            " names someone else (reason: storage)",
                        ),
                        "404": ERROR_404,
                        "409": _json(
                            _ref("Conflict"),
                            "base_version is stale, or it was deleted"
                            " here: the server's copy (null when deleted)",
                        ),
                        "413": _json(_ref("Error"), "The body is larger than the server accepts"),
                        "422": _json(_ref("Error"), "Invalid input, with a message per field"),
                    },
                },
                "delete": {
                    "summary": "Delete my reflection",
                    "parameters": [CSRF_PARAMETER],
                    "responses": {
                        "204": {"description": "Deleted (also when it already was)"},
                        "400": CSRF_ERROR,
                        "401": ERROR_401,
                        "500": ERROR_500,
                        "503": ERROR_503,
                        "403": _json(_ref("Error"), "Readable by me, but not mine to delete"),
                        "404": ERROR_404,
                    },
                },
            },
            "/api/v1/meetings": {
                "get": {
                    "summary": "The meetings of my sets",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["meetings"],
                                "additionalProperties": False,
                                "properties": {
                                    "meetings": {"type": "array", "items": _ref("Meeting")}
                                },
                            },
                            "Meetings, earliest first",
                        ),
                        "401": ERROR_401,
                        "500": ERROR_500,
                        "503": ERROR_503,
                    },
                }
            },
        },
    }
