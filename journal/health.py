"""/healthz: whether what the app depends on answers, for a load balancer or a monitor.

No sign-in, no session (nothing reads or writes it, so no cookie is set), no rate limit. The
answer names each part checked: "database", "ok" or "unavailable" (503 when unavailable: nothing
works without it); and when REDIS_URL is set, "redis", "ok" or "degraded" (still 200: while Redis
is away, limits count in each process's memory and jobs run in the web process, README "Running
it in production").
"""

from flask import Blueprint, Flask, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .jobs import redis_connection

bp = Blueprint("health", __name__)

OK = "ok"
UNAVAILABLE = "unavailable"
DEGRADED = "degraded"


def database_state() -> str:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        current_app.logger.error("/healthz: the database did not answer: %s", error)
        return UNAVAILABLE
    return OK


def redis_state() -> str:
    connection = redis_connection()
    try:
        connection.ping()
    except RedisError as error:
        current_app.logger.warning("/healthz: Redis did not answer: %s", error)
        return DEGRADED
    finally:
        connection.close()
    return OK


@bp.get("/healthz")
def healthz():
    checks = {"database": database_state()}
    healthy = checks["database"] == OK
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = redis_state()
    response = jsonify(checks)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # The app's one limiter (create_app keeps it under this name): a monitor polls often.
    app.extensions["password_limiter"].exempt(healthz)
