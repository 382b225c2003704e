"""One structured line per request on the `journal.requests` logger, and its request id.

The line is JSON: the request id, the method, the route as the app declares it (the URL rule,
`/calendar/<token>.ics`, never the address asked for, which may hold a feed's or an
invitation's secret, or a query string), the status, the time taken and the id of the person
signed in. Nothing anyone wrote, no cookie and no token is ever in it (README, "Running it in
production").

The request id is the caller's `X-Request-Id` when it is a short run of safe characters (a proxy
or a load balancer that made one), a new one otherwise; it is sent back in the same header.
"""

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request, request_started
from sqlalchemy import inspect

LOGGER = logging.getLogger("journal.requests")
# Letters, digits and . _ - only: a header value that reaches the log cannot forge a line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def init_app(app: Flask) -> None:
    # On request_started, before any before_request function: one that fails (the database
    # away) still leaves the time and the id for the line.
    request_started.connect(_start, app)
    app.after_request(_finish)
    LOGGER.setLevel(logging.INFO)
    if not app.testing and not LOGGER.handlers:
        # Its own line on stderr (gunicorn's and systemd's journal), without Flask's prefix;
        # a logging configuration of the operator's, one with a handler here, wins.
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        LOGGER.addHandler(handler)
        LOGGER.propagate = False


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (as logging's last resort does), not the
    stream it was when the app was made."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _start(_app: Flask, **_extra) -> None:
    g.request_started = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if SAFE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _finish(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers["X-Request-Id"] = request_id
    started = g.get("request_started", time.perf_counter())
    line = {
        "request_id": request_id,
        "method": request.method,
        "route": request.url_rule.rule if request.url_rule else None,
        "status": response.status_code,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "user_id": _user_id(),
    }
    LOGGER.info(json.dumps(line))
    return response


def _user_id() -> int | None:
    # Only someone already loaded for the request: asking Flask-Login would query the database
    # on pages that never needed to (and a calendar feed must not touch the session).
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        return None
    # From the identity map's key: no query, even when a commit has expired the row.
    identity = inspect(user).identity
    return identity[0] if identity else None
