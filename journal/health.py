"""/healthz: whether what the app depends on answers, for a load balancer or a monitor.

No sign-in, no session (nothing reads or writes it, so no cookie is set), no rate limit. The
answer names each part checked, "ok" or "unavailable"; 503 if any is not ok. Later checks (Redis)
join the same object.
"""

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)

OK = "ok"
UNAVAILABLE = "unavailable"


def database_state() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.error("/healthz: the database did not answer: %s", error)
        return UNAVAILABLE
    return OK


@bp.get("/healthz")
def healthz():
    checks = {"database": database_state()}
    healthy = all(state == OK for state in checks.values())
    response = jsonify(checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # The app's one limiter (create_app keeps it under this name): a monitor polls often.
    app.extensions["password_limiter"].exempt(healthz)
