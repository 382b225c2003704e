"""Errors as JSON under /api/ and as a friendly page elsewhere; never a stack trace."""

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please sign in.",
    403: "You can see this, but you may not change it.",
    404: "There is nothing here, or it is not shared with you.",
    405: "That action is not allowed here.",
    409: "This changed somewhere else in the meantime.",
    413: "That is more than this app accepts in one go.",
    422: "Some of what was sent is not valid.",
    429: "Too many attempts. Please wait a few minutes and try again.",
    500: "Something went wrong on our side. Nothing you wrote here was lost on your device.",
    503: "The journal cannot reach its database just now. Please try again in a moment.",
}

# How long a client is asked to wait before trying again while the database is away: a
# PostgreSQL restart takes a few seconds (README, "Running it in production").
RETRY_AFTER_SECONDS = 5


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, message: str | None = None, **extra):
    message = message or MESSAGES.get(status, "Something went wrong.")
    if wants_json():
        return jsonify(error=message, status=status, **extra), status
    return render_template("error.html", status=status, message=message), status


def _http_error(error: HTTPException):
    status = error.code or 500
    response = error_response(status)
    if status == 405 and error.valid_methods:
        body, code = response
        return body, code, {"Allow": ", ".join(error.valid_methods)}
    return response


def csrf_error(error: CSRFError):
    return error_response(
        400,
        "The form expired or was sent from elsewhere. Reload the page and try again.",
        reason="csrf",
    )


def _unexpected(error: Exception):
    db.session.rollback()
    # Logged in full (for operators), shown as a plain message (for everyone else).
    current_app.logger.exception("Unhandled error", exc_info=error)
    return error_response(500)


def _database_unavailable(error: Exception):
    """The database refused, dropped or timed out: 503 and when to try again, never a 500.

    The session is rolled back so its connection goes back to the pool; SQLAlchemy has already
    invalidated a connection it saw drop (and every older one), and pool_pre_ping replaces any
    other dead one at its next checkout, so the pool recovers by itself once the database is
    back. A write's outcome may be unknown here (a commit cut off): the page says so, and the
    API's replay of the same PUT answers as the first did (SPEC.md).
    """
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()
    # Who is signed in cannot be read now, and the page must not ask the database again.
    g._login_user = current_app.login_manager.anonymous_user()
    cause = getattr(error, "orig", None) or error
    # The driver's message only: SQLAlchemy's own text carries the statement's parameters,
    # which may be someone's reflection.
    first_line = next(iter(str(cause).splitlines()), "")
    current_app.logger.error("Database unavailable (%s): %s", type(cause).__name__, first_line)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json():
        body, status = error_response(503, reason="unavailable")
        return body, status, headers
    page = render_template(
        "error.html",
        status=503,
        message=MESSAGES[503],
        # A form was sent: whether it was saved cannot be known, and Back still holds it.
        sent=request.method not in ("GET", "HEAD", "OPTIONS"),
    )
    return page, 503, headers


def init_app(app: Flask) -> None:
    for unavailable in (OperationalError, InterfaceError, DisconnectionError):
        app.register_error_handler(unavailable, _database_unavailable)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
