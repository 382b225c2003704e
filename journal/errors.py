"""Errors as JSON under /api/ and as a friendly page elsewhere; never a stack trace."""

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
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
}


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


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
